/*
 * cmd_dlq.c — `enrich dlq`: lists the rejected inputs the journal holds (the "dead letters"),
 * through the replay endpoint with topics ["error"] and raw:true. One line per error record
 * (seq, id, code, message, bytes; tab-separated), or the records themselves with --json; --raw
 * DIR writes each kept raw input to DIR/<seq>.bin. Touches its own socket, stdout and the files
 * it writes under DIR.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "cli.h"
#include "net.h"
#include "replay.h"

typedef struct dlq_run {
    const char *raw_dir; /* NULL: no raw files */
    int as_json;
    uint64_t listed, raw_written;
    int failed;          /* a write failed */
} dlq_run;

/* Prints s with tabs and line breaks turned into spaces, so a line stays a line. */
static void put_field(const char *s)
{
    for (; s && *s; s++)
        fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, stdout);
}

static int write_raw(dlq_run *run, uint64_t seq, const replay_rec *r)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%llu.bin", run->raw_dir, (unsigned long long)seq);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        fprintf(stderr, "enrich dlq: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t off = 0;
    while (off < r->raw_len) {
        ssize_t n = write(fd, r->raw + off, r->raw_len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            fprintf(stderr, "enrich dlq: %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        off += (size_t)n;
    }
    if (close(fd) != 0) {
        fprintf(stderr, "enrich dlq: %s: %s\n", path, strerror(errno));
        return -1;
    }
    run->raw_written++;
    return 0;
}

/* replay_fn: one error record. */
static int on_error_record(void *arg, const replay_rec *r)
{
    dlq_run *run = arg;
    json_t *root = json_loadb(r->json, r->json_len, 0, NULL);
    json_t *jseq = json_object_get(root, "seq");
    if (!json_is_integer(jseq)) {
        fprintf(stderr, "enrich dlq: skipped a record without seq\n");
        json_decref(root);
        return 0;
    }
    uint64_t seq = (uint64_t)json_integer_value(jseq);
    json_t *error = json_object_get(root, "error");
    json_t *jbytes = json_object_get(root, "bytes");
    long long bytes = json_is_integer(jbytes) ? (long long)json_integer_value(jbytes) : -1;
    if (run->as_json) {
        fwrite(r->json, 1, r->json_len, stdout);
        fputc('\n', stdout);
    } else {
        printf("%llu\t", (unsigned long long)seq);
        put_field(json_string_value(json_object_get(root, "id")));
        fputc('\t', stdout);
        put_field(json_string_value(json_object_get(error, "code")));
        fputc('\t', stdout);
        put_field(json_string_value(json_object_get(error, "message")));
        printf("\t%lld\n", bytes);
    }
    if (fflush(stdout) != 0)
        run->failed = 1;
    run->listed++;
    if (run->raw_dir) {
        if (!r->raw)
            fprintf(stderr, "enrich dlq: record %llu: the journal kept no raw bytes\n",
                    (unsigned long long)seq);
        else {
            if (bytes >= 0 && r->raw_len < (size_t)bytes)
                fprintf(stderr, "enrich dlq: record %llu: raw input cut at %zu of %lld bytes "
                                "(journal.raw_max_bytes)\n",
                        (unsigned long long)seq, r->raw_len, bytes);
            if (write_raw(run, seq, r) != 0)
                run->failed = 1;
        }
    }
    json_decref(root);
    return run->failed ? -1 : 0;
}

int cmd_dlq(int argc, char **argv)
{
    enum { OPT_REPLAY = 256, OPT_FROM, OPT_RAW, OPT_JSON, OPT_PAGE, OPT_TIMEOUT, OPT_HELP,
           OPT_SERVER_KEY, OPT_KEY };
    static const struct option longopts[] = {
        {"replay", required_argument, NULL, OPT_REPLAY},
        {"from", required_argument, NULL, OPT_FROM},
        {"raw", required_argument, NULL, OPT_RAW},
        {"json", no_argument, NULL, OPT_JSON},
        {"page", required_argument, NULL, OPT_PAGE},
        {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
        {"help", no_argument, NULL, OPT_HELP},
        {"server-key", required_argument, NULL, OPT_SERVER_KEY},
        {"key", required_argument, NULL, OPT_KEY},
        {NULL, 0, NULL, 0}};
    const char *endpoint = REPLAY_DEFAULT_ENDPOINT;
    const char *server_key = NULL, *key = NULL; /* CURVE (curve.c) */
    uint64_t from = 0, page = REPLAY_DEFAULT_PAGE, timeout = REPLAY_DEFAULT_TIMEOUT_MS;
    dlq_run run;
    memset(&run, 0, sizeof run);
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_REPLAY:
            endpoint = optarg;
            break;
        case OPT_FROM:
            if (cli_parse_u64(optarg, &from) != 0 || from > INT64_MAX)
                return cli_usage_error("dlq", "--from needs a seq (0 = everything)");
            break;
        case OPT_RAW:
            if (!*optarg)
                return cli_usage_error("dlq", "--raw needs a directory");
            run.raw_dir = optarg;
            break;
        case OPT_JSON:
            run.as_json = 1;
            break;
        case OPT_PAGE:
            if (cli_parse_u64(optarg, &page) != 0 || page == 0 || page > 1000000)
                return cli_usage_error("dlq", "--page needs a number of records (1..1000000)");
            break;
        case OPT_TIMEOUT:
            if (cli_parse_u64(optarg, &timeout) != 0 || timeout == 0 || timeout > 86400000)
                return cli_usage_error("dlq", "--timeout-ms needs milliseconds (1..86400000)");
            break;
        case OPT_HELP:
            cli_usage(stdout, "dlq");
            return CLI_EXIT_OK;
        case OPT_SERVER_KEY:
            server_key = optarg;
            break;
        case OPT_KEY:
            key = optarg;
            break;
        default:
            cli_usage(stderr, "dlq");
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error("dlq", "unexpected argument '%s'", argv[optind]);
    if (run.raw_dir && mkdir(run.raw_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "enrich dlq: %s: %s\n", run.raw_dir, strerror(errno));
        return CLI_EXIT_FAIL;
    }
    int stop_fd = cli_signals_install();
    if (stop_fd < 0) {
        fprintf(stderr, "enrich dlq: cannot install signal handlers: %s\n", strerror(errno));
        return CLI_EXIT_FAIL;
    }
    static const char *const error_topic[] = {"error"};
    replay_client rc = {.timeout_ms = (int)timeout, .stop_fd = stop_fd, .page = page,
                        .topics = error_topic, .ntopics = 1, .raw = run.raw_dir != NULL,
                        .server_key = server_key, .key = key};
    void *ctx = zmq_ctx_new();
    int status = ctx ? replay_open(&rc, ctx, endpoint, "dlq") : CLI_EXIT_FAIL;
    if (status == CLI_EXIT_OK) {
        char err[300];
        replay_end end;
        uint64_t history_from = 0;
        int r = replay_all(&rc, from, on_error_record, &run, &end, &history_from, err, sizeof err);
        if (r == REPLAY_FAIL) {
            fprintf(stderr, "enrich dlq: %s\n", err);
            status = CLI_EXIT_FAIL;
        } else if (r == REPLAY_ABORT || run.failed) {
            fprintf(stderr, "enrich dlq: stopped: cannot write the listing or a raw file\n");
            status = CLI_EXIT_FAIL;
        } else if (r == REPLAY_OK) {
            if (history_from)
                fprintf(stderr, "enrich dlq: history starts at %llu: records %llu..%llu were "
                                "deleted by retention\n",
                        (unsigned long long)history_from, (unsigned long long)from + 1,
                        (unsigned long long)history_from - 1);
            fprintf(stderr, "enrich dlq: %llu rejected input(s) after seq %llu of %s (journal "
                            "ends at %llu)\n",
                    (unsigned long long)run.listed, (unsigned long long)from,
                    end.instance[0] ? end.instance : "?", (unsigned long long)end.last_seq);
        }
        replay_close(&rc);
    }
    if (ctx)
        zmq_ctx_term(ctx);
    cli_signals_close();
    return status;
}
