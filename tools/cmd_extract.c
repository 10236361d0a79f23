/*
 * cmd_extract.c — `enrich extract`: enriches articles in process and prints, for each input,
 * exactly the record enrichd would publish (ed_record_article / ed_record_error, then seq from 1).
 * Reads files or stdin (jsonl.c); owns no sockets. Touches only tools/.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli.h"
#include "enrichd/extract.h"
#include "envelope.h"
#include "jsonl.h"
#include "record.h"

typedef struct extract_opts {
    const char *lang;      /* NULL or hint that overrides the envelope's */
    const char *published; /* NULL or date that overrides the envelope's */
    char instance[300];
    const char *data;      /* NULL: default data dir */
    size_t max_bytes;
    int jsonl, pretty;
} extract_opts;

typedef struct extract_run {
    const extract_opts *opts;
    ex_resources *res;
    uint64_t seq;   /* seq of the last printed record */
    int rejected;   /* some input got an error record */
    int failed;     /* some file could not be read, or output failed */
} extract_run;

/* Prints one finished record (with its seq) to stdout; returns 0 or -1. */
static int print_record(extract_run *run, const ed_record *rec)
{
    size_t len = 0;
    char *line = ed_record_with_seq(rec, ++run->seq, &len);
    if (!line) {
        fprintf(stderr, "enrich extract: out of memory\n");
        return -1;
    }
    int rc = 0;
    if (run->opts->pretty) {
        json_error_t jerr;
        json_t *root = json_loadb(line, len, 0, &jerr);
        /* same real precision as proto/record.c, so numbers print as in the compact record */
        char *pretty = root ? json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(15)) : NULL;
        if (pretty)
            rc = fputs(pretty, stdout) < 0 || fputc('\n', stdout) == EOF ? -1 : 0;
        else {
            fprintf(stderr, "enrich extract: record %llu is not valid JSON (%s)\n",
                    (unsigned long long)run->seq, root ? "dump failed" : jerr.text);
            rc = -1;
        }
        free(pretty);
        json_decref(root);
    } else {
        rc = fwrite(line, 1, len, stdout) != len || fputc('\n', stdout) == EOF ? -1 : 0;
    }
    free(line);
    return rc;
}

/* Enriches one frame (raw text or envelope) and prints its record.
 * Returns 0 (enriched), 1 (rejected: error record printed) or -1 (fatal). */
static int process_frame(extract_run *run, const char *bytes, size_t len)
{
    const extract_opts *o = run->opts;
    int64_t received = cli_now_ms();
    char err[EX_ERRLEN] = "";
    ed_envelope env;
    memset(&env, 0, sizeof env);
    ed_record rec;
    memset(&rec, 0, sizeof rec);
    int outcome;

    ed_errcode code = ed_envelope_parse(bytes, len, o->max_bytes, &env, err, sizeof err);
    if (code != ED_ERR_NONE) {
        if (ed_record_error(&rec, &env, code, err, bytes, len, o->instance, received) != 0)
            goto oom;
        outcome = 1;
    } else {
        if (o->lang)
            env.lang = o->lang;
        if (o->published)
            env.published = o->published;
        ex_input in = {.text = env.text,
                       .text_len = env.text_len,
                       .lang_hint = env.lang,
                       .published = env.published,
                       .title = env.title,
                       .received_ms = received};
        ex_doc *doc = NULL;
        ex_status st = ex_extract(run->res, &in, &doc, err, sizeof err);
        int built;
        if (st == EX_OK) {
            built = ed_record_article(&rec, &env, doc, o->instance, received);
            ex_doc_free(doc);
            outcome = 0;
        } else {
            built = ed_record_error(&rec, &env, ed_errcode_of_status(st), err, bytes, len,
                                    o->instance, received);
            outcome = 1;
        }
        ed_envelope_release(&env);
        if (built != 0)
            goto oom;
    }
    if (print_record(run, &rec) != 0)
        outcome = -1;
    ed_record_release(&rec);
    if (outcome == 1)
        run->rejected = 1;
    return outcome;
oom:
    fprintf(stderr, "enrich extract: out of memory building a record\n");
    return -1;
}

int cmd_extract(int argc, char **argv)
{
    enum { OPT_LANG = 256, OPT_PUBLISHED, OPT_INSTANCE, OPT_DATA, OPT_MAX_BYTES, OPT_JSONL,
           OPT_PRETTY, OPT_HELP };
    static const struct option longopts[] = {
        {"lang", required_argument, NULL, OPT_LANG},
        {"published", required_argument, NULL, OPT_PUBLISHED},
        {"instance", required_argument, NULL, OPT_INSTANCE},
        {"data", required_argument, NULL, OPT_DATA},
        {"max-bytes", required_argument, NULL, OPT_MAX_BYTES},
        {"jsonl", no_argument, NULL, OPT_JSONL},
        {"pretty", no_argument, NULL, OPT_PRETTY},
        {"help", no_argument, NULL, OPT_HELP},
        {NULL, 0, NULL, 0}};
    extract_opts o;
    memset(&o, 0, sizeof o);
    o.max_bytes = CLI_DEFAULT_MAX_BYTES;
    cli_default_instance(o.instance, sizeof o.instance);

    int c;
    uint64_t v;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_LANG:
            if (!*optarg)
                return cli_usage_error("extract", "--lang needs a language code");
            o.lang = optarg;
            break;
        case OPT_PUBLISHED:
            if (!*optarg)
                return cli_usage_error("extract", "--published needs a date");
            o.published = optarg;
            break;
        case OPT_INSTANCE:
            if (!*optarg || strlen(optarg) >= sizeof o.instance)
                return cli_usage_error("extract", "--instance needs a name (< 300 bytes)");
            snprintf(o.instance, sizeof o.instance, "%s", optarg);
            break;
        case OPT_DATA:
            o.data = optarg;
            break;
        case OPT_MAX_BYTES:
            if (cli_parse_u64(optarg, &v) != 0 || v > SIZE_MAX)
                return cli_usage_error("extract", "--max-bytes needs a byte count");
            o.max_bytes = (size_t)v;
            break;
        case OPT_JSONL:
            o.jsonl = 1;
            break;
        case OPT_PRETTY:
            o.pretty = 1;
            break;
        case OPT_HELP:
            cli_usage(stdout, "extract");
            return CLI_EXIT_OK;
        default:
            cli_usage(stderr, "extract");
            return CLI_EXIT_USAGE;
        }
    }

    char *data_dir = cli_data_dir(o.data);
    if (!data_dir) {
        fprintf(stderr, "enrich extract: out of memory\n");
        return CLI_EXIT_FAIL;
    }
    char err[EX_ERRLEN] = "";
    ex_resources *res = ex_resources_load(data_dir, NULL, err, sizeof err);
    if (!res) {
        fprintf(stderr, "enrich extract: cannot load language packs from %s: %s\n", data_dir, err);
        free(data_dir);
        return CLI_EXIT_FAIL;
    }
    free(data_dir);

    extract_run run = {.opts = &o, .res = res};
    int rc = 0;
    cli_frames frames;
    cli_frames_init(&frames, argv + optind, argc - optind, o.jsonl);
    for (;;) {
        const char *bytes;
        size_t len = 0;
        char ferr[300];
        int got = cli_frames_next(&frames, &bytes, &len, ferr, sizeof ferr);
        if (got == 0)
            break;
        if (got < 0) { /* an unreadable file: say so, go on with the others */
            fprintf(stderr, "enrich extract: %s\n", ferr);
            run.failed = 1;
            continue;
        }
        if (process_frame(&run, bytes, len) < 0) {
            rc = -1;
            break;
        }
    }
    cli_frames_close(&frames);
    ex_resources_unref(res);
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "enrich extract: cannot write the records\n");
        rc = -1;
    }
    if (rc < 0 || run.failed || run.rejected)
        return CLI_EXIT_FAIL;
    return CLI_EXIT_OK;
}
