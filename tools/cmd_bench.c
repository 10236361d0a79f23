/*
 * cmd_bench.c — `enrich bench extract` (one thread, in process: the library's speed per stage)
 * and `enrich bench e2e` (a real enrichd on loopback TCP: throughput, latency, the daemon's own
 * overhead per article). Reads the corpus built by bench/make-corpus; starts the daemon binary
 * next to this one with a temporary config, talks to it over ZeroMQ, stops it with SIGTERM.
 * Touches only tools/ and a temporary directory it removes.
 *
 * Method notes (docs/benchmarks.md repeats them):
 *  - words = whitespace-separated tokens of the input text (as in the corpus README);
 *    MB = 10^6 bytes of input text.
 *  - e2e latency = receive time - send time, both CLOCK_MONOTONIC of this process; the send
 *    time travels in the envelope's "meta": {"bench_t": ns}, which the daemon echoes.
 *  - overhead per article (workers = 1) = 1e6 / e2e_rate - 1e6 / inproc_rate, where inproc_rate
 *    is the rate of the same work done in this process on one thread: envelope parse +
 *    ex_extract + ed_record_article + ed_record_with_seq, on the same frames. Also by CPU:
 *    the daemon's CPU time (all threads, /proc/PID/stat) per article minus the in-process
 *    thread CPU time per article of that same work.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <zmq.h>

#include "cli.h"
#include "enrichd/extract.h"
#include "envelope.h"
#include "jsonl.h"
#include "record.h"

#define BENCH_MAX_STAGES 32 /* more than the library will ever have */

/* ============================================================================================
 * corpus
 * ========================================================================================== */

typedef struct corpus_item {
    char *line;       /* the JSON line (owned) */
    size_t line_len;
    ed_envelope env;  /* parsed from line (owns its JSON root) */
    size_t words;     /* whitespace tokens of env.text */
    char *rest_base;  /* e2e: envelope without id/meta, compact JSON (owned) */
    const char *rest; /* rest_base + 1: the members and the closing brace, after the '{' */
    size_t rest_len;
} corpus_item;

typedef struct corpus {
    corpus_item *items;
    size_t n, cap;
    size_t bytes, words; /* of the texts, one pass */
    size_t skipped;      /* lines that did not parse */
} corpus;

static size_t count_words(const char *s, size_t n)
{
    size_t words = 0;
    int in_word = 0;
    for (size_t i = 0; i < n; i++) {
        int space = s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r' ||
                    s[i] == '\f' || s[i] == '\v';
        if (!space && !in_word)
            words++;
        in_word = !space;
    }
    return words;
}

/* Builds item->rest: the envelope's members other than id and meta. Returns 0 or -1. */
static int build_rest(corpus_item *item)
{
    json_t *obj = item->env.root ? json_copy(item->env.root) : json_object();
    if (!obj)
        return -1;
    if (!item->env.root &&
        json_object_set_new(obj, "text", json_stringn(item->env.text, item->env.text_len)) != 0) {
        json_decref(obj);
        return -1;
    }
    json_object_del(obj, "id");
    json_object_del(obj, "meta");
    item->rest_base = json_dumps(obj, JSON_COMPACT);
    json_decref(obj);
    if (!item->rest_base || item->rest_base[0] != '{')
        return -1;
    item->rest = item->rest_base + 1;
    item->rest_len = strlen(item->rest);
    return 0;
}

static void corpus_free(corpus *c)
{
    for (size_t i = 0; i < c->n; i++) {
        ed_envelope_release(&c->items[i].env);
        free(c->items[i].line);
        free(c->items[i].rest_base);
    }
    free(c->items);
    memset(c, 0, sizeof *c);
}

/* Loads every non-blank line of path as an envelope. Returns 0, or -1 with a message. */
static int corpus_load(corpus *c, const char *path, int with_rest)
{
    memset(c, 0, sizeof *c);
    char rerr[300];
    cli_jsonl r;
    if (cli_jsonl_open(&r, path, rerr, sizeof rerr) != 0) {
        fprintf(stderr, "enrich bench: %s\n", rerr);
        return -1;
    }
    const char *line;
    size_t len;
    int got;
    while ((got = cli_jsonl_next(&r, &line, &len, rerr, sizeof rerr)) == 1) {
        if (c->n == c->cap) {
            size_t ncap = c->cap ? c->cap * 2 : 256;
            corpus_item *bigger = realloc(c->items, ncap * sizeof *bigger);
            if (!bigger)
                goto oom;
            c->items = bigger;
            c->cap = ncap;
        }
        corpus_item *item = &c->items[c->n];
        memset(item, 0, sizeof *item);
        item->line = malloc(len + 1);
        if (!item->line)
            goto oom;
        memcpy(item->line, line, len);
        item->line[len] = '\0';
        item->line_len = len;
        char err[EX_ERRLEN];
        if (ed_envelope_parse(item->line, len, 0, &item->env, err, sizeof err) != ED_ERR_NONE) {
            fprintf(stderr, "enrich bench: %s: skipped line %lu: %s\n", path, r.lineno, err);
            free(item->line);
            c->skipped++;
            continue;
        }
        if (with_rest && build_rest(item) != 0) {
            ed_envelope_release(&item->env);
            free(item->line);
            goto oom;
        }
        item->words = count_words(item->env.text, item->env.text_len);
        c->bytes += item->env.text_len;
        c->words += item->words;
        c->n++;
    }
    cli_jsonl_close(&r);
    if (got < 0) {
        fprintf(stderr, "enrich bench: %s: %s\n", path, rerr);
        corpus_free(c);
        return -1;
    }
    if (c->n == 0) {
        fprintf(stderr, "enrich bench: %s holds no article\n", path);
        return -1;
    }
    return 0;
oom:
    cli_jsonl_close(&r);
    corpus_free(c);
    fprintf(stderr, "enrich bench: out of memory loading %s\n", path);
    return -1;
}

/* ============================================================================================
 * small helpers
 * ========================================================================================== */

static double max_rss_mb(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux: KiB */
}

static void utc_now(char *out, size_t outlen)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, outlen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted v[0..n). */
static int64_t percentile(const int64_t *v, size_t n, double p)
{
    if (n == 0)
        return 0;
    size_t rank = (size_t)ceil(p * (double)n);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}

/* Prints a JSON object to stdout, one line; steals obj. */
static int print_json(json_t *obj)
{
    char *s = obj ? json_dumps(obj, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
    json_decref(obj);
    if (!s) {
        fprintf(stderr, "enrich bench: out of memory\n");
        return -1;
    }
    puts(s);
    free(s);
    return 0;
}

/* Loads resources, timing it. NULL with a message on failure. */
static ex_resources *load_resources(const char *data_opt, double *load_ms)
{
    char *data_dir = cli_data_dir(data_opt);
    if (!data_dir)
        return NULL;
    char err[EX_ERRLEN] = "";
    int64_t t0 = cli_mono_ns();
    ex_resources *res = ex_resources_load(data_dir, NULL, err, sizeof err);
    *load_ms = (double)(cli_mono_ns() - t0) / 1e6;
    if (!res)
        fprintf(stderr, "enrich bench: cannot load language packs from %s: %s\n", data_dir, err);
    free(data_dir);
    return res;
}

/* ============================================================================================
 * bench extract
 * ========================================================================================== */

typedef struct extract_totals {
    uint64_t docs, errors;
    int64_t extract_ns, to_json_ns, dump_ns;
    uint64_t stage_us[BENCH_MAX_STAGES];
    size_t out_bytes;
} extract_totals;

/* One pass over the corpus; adds to t (when t is non-NULL). */
static void extract_pass(const ex_resources *res, const corpus *c, extract_totals *t)
{
    size_t nstages = ex_stage_count();
    if (nstages > BENCH_MAX_STAGES)
        nstages = BENCH_MAX_STAGES;
    for (size_t i = 0; i < c->n; i++) {
        const corpus_item *item = &c->items[i];
        ex_input in = {.text = item->env.text,
                       .text_len = item->env.text_len,
                       .lang_hint = item->env.lang,
                       .published = item->env.published,
                       .title = item->env.title,
                       .received_ms = cli_now_ms()};
        char err[EX_ERRLEN];
        ex_doc *doc = NULL;
        int64_t t0 = cli_mono_ns();
        ex_status st = ex_extract(res, &in, &doc, err, sizeof err);
        int64_t t1 = cli_mono_ns();
        if (st != EX_OK) {
            if (t)
                t->errors++;
            continue;
        }
        /* The daemon's path: ed_record_article builds the record (ex_doc_to_json inside),
         * then the publisher splices seq in. Timed as two steps: record, seq splice. */
        ed_record rec;
        int rc = ed_record_article(&rec, &item->env, doc, "bench", in.received_ms);
        int64_t t2 = cli_mono_ns();
        size_t outlen = 0;
        char *text = rc == 0 ? ed_record_with_seq(&rec, i + 1, &outlen) : NULL;
        int64_t t3 = cli_mono_ns();
        if (t) {
            t->docs++;
            t->extract_ns += t1 - t0;
            t->to_json_ns += t2 - t1;
            t->dump_ns += t3 - t2;
            for (size_t s = 0; s < nstages; s++)
                t->stage_us[s] += ex_doc_stage_us(doc, s);
            t->out_bytes += outlen;
            if (rc != 0 || !text)
                t->errors++;
        }
        free(text);
        if (rc == 0)
            ed_record_release(&rec);
        ex_doc_free(doc);
    }
}

static int bench_extract(int argc, char **argv)
{
    enum { OPT_CORPUS = 256, OPT_REPEAT, OPT_DATA, OPT_JSON, OPT_HELP };
    static const struct option longopts[] = {{"corpus", required_argument, NULL, OPT_CORPUS},
                                             {"repeat", required_argument, NULL, OPT_REPEAT},
                                             {"data", required_argument, NULL, OPT_DATA},
                                             {"json", no_argument, NULL, OPT_JSON},
                                             {"help", no_argument, NULL, OPT_HELP},
                                             {NULL, 0, NULL, 0}};
    const char *corpus_opt = NULL, *data_opt = NULL;
    uint64_t repeat = 3;
    int as_json = 0, c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_CORPUS:
            corpus_opt = optarg;
            break;
        case OPT_REPEAT:
            if (cli_parse_u64(optarg, &repeat) != 0 || repeat == 0 || repeat > 100000)
                return cli_usage_error("bench", "--repeat needs a number of passes (1..100000)");
            break;
        case OPT_DATA:
            data_opt = optarg;
            break;
        case OPT_JSON:
            as_json = 1;
            break;
        case OPT_HELP:
            cli_usage(stdout, "bench");
            return CLI_EXIT_OK;
        default:
            cli_usage(stderr, "bench");
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error("bench", "unexpected argument '%s'", argv[optind]);

    char *path = cli_corpus_path(corpus_opt);
    if (!path) {
        fprintf(stderr, "enrich bench: no corpus: run bench/make-corpus or pass --corpus FILE\n");
        return CLI_EXIT_FAIL;
    }
    corpus corp;
    if (corpus_load(&corp, path, 0) != 0) {
        free(path);
        return CLI_EXIT_FAIL;
    }
    double load_ms = 0;
    ex_resources *res = load_resources(data_opt, &load_ms);
    if (!res) {
        corpus_free(&corp);
        free(path);
        return CLI_EXIT_FAIL;
    }

    extract_pass(res, &corp, NULL); /* warm-up: caches, allocator, page faults */
    extract_totals t;
    memset(&t, 0, sizeof t);
    int64_t t0 = cli_mono_ns();
    for (uint64_t r = 0; r < repeat; r++)
        extract_pass(res, &corp, &t);
    double secs = (double)(cli_mono_ns() - t0) / 1e9;

    double articles = (double)corp.n * (double)repeat;
    double bytes = (double)corp.bytes * (double)repeat;
    double words = (double)corp.words * (double)repeat;
    double ndocs = t.docs ? (double)t.docs : 1.0;
    double us_extract = (double)t.extract_ns / 1e3 / ndocs;
    double us_to_json = (double)t.to_json_ns / 1e3 / ndocs;
    double us_dump = (double)t.dump_ns / 1e3 / ndocs;
    double mean_bytes = (double)corp.bytes / (double)corp.n;
    size_t nstages = ex_stage_count();
    if (nstages > BENCH_MAX_STAGES)
        nstages = BENCH_MAX_STAGES;
    char date[32];
    utc_now(date, sizeof date);
    int rc = CLI_EXIT_OK;

    if (as_json) {
        json_t *stages = json_object();
        for (size_t s = 0; s < nstages; s++)
            json_object_set_new(stages, ex_stage_name(s),
                                json_real((double)t.stage_us[s] / ndocs));
        json_t *obj = json_pack(
            "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f, s:f,"
            " s:{s:f, s:f, s:f, s:f}, s:o, s:I, s:f, s:f, s:f, s:i}",
            "bench", "extract", "date", date, "corpus", path, "articles", (json_int_t)corp.n,
            "passes", (json_int_t)repeat, "bytes_per_pass", (json_int_t)corp.bytes,
            "words_per_pass", (json_int_t)corp.words, "errors", (json_int_t)t.errors,
            "seconds", secs, "articles_per_s", articles / secs, "words_per_s", words / secs,
            "mb_per_s", bytes / secs / 1e6, "mean_words_per_article",
            (double)corp.words / (double)corp.n, "us_per_article", "extract", us_extract,
            "record", us_to_json, "seq_splice", us_dump, "total",
            us_extract + us_to_json + us_dump, "stages_us", stages, "output_bytes_per_pass",
            (json_int_t)(t.out_bytes / repeat), "resources_load_ms", load_ms, "max_rss_mb",
            max_rss_mb(), "mean_bytes_per_article", mean_bytes, "cpus",
            (int)sysconf(_SC_NPROCESSORS_ONLN));
        if (print_json(obj) != 0)
            rc = CLI_EXIT_FAIL;
    } else {
        printf("enrich bench extract  %s  (one thread, in process)\n", date);
        printf("corpus      %s: %zu articles, %.2f MB, %zu words per pass (mean %.0f words)\n",
               path, corp.n, (double)corp.bytes / 1e6, corp.words,
               (double)corp.words / (double)corp.n);
        printf("passes      %llu timed + 1 warm-up, %.3f s timed; %llu errors\n",
               (unsigned long long)repeat, secs, (unsigned long long)t.errors);
        printf("resources   loaded in %.1f ms; max RSS %.1f MB\n", load_ms, max_rss_mb());
        printf("\n%-22s %14s %14s %10s\n", "throughput", "articles/s", "words/s", "MB/s");
        printf("%-22s %14.1f %14.0f %10.2f\n", "extract+record", articles / secs,
               words / secs, bytes / secs / 1e6);
        printf("\n%-22s %14s %14s\n", "stage", "us/article", "MB/s");
        double stages_sum = 0;
        for (size_t s = 0; s < nstages; s++) {
            double us = (double)t.stage_us[s] / ndocs;
            stages_sum += us;
            printf("  %-20s %14.1f %14.1f\n", ex_stage_name(s), us,
                   us > 0 ? mean_bytes / us : 0.0);
        }
        printf("  %-20s %14.1f %14.1f\n", "(sum of stages)", stages_sum,
               stages_sum > 0 ? mean_bytes / stages_sum : 0.0);
        printf("  %-20s %14.1f %14.1f\n", "ex_extract", us_extract,
               us_extract > 0 ? mean_bytes / us_extract : 0.0);
        printf("  %-20s %14.1f\n", "ed_record_article", us_to_json);
        printf("  %-20s %14.1f   (%.0f bytes of JSON per article)\n", "seq splice", us_dump,
               (double)t.out_bytes / ndocs);
        printf("  %-20s %14.1f %14.1f\n", "total", us_extract + us_to_json + us_dump,
               mean_bytes / (us_extract + us_to_json + us_dump + 1e-9));
    }
    if (t.errors)
        fprintf(stderr, "enrich bench: %llu article(s) failed extraction\n",
                (unsigned long long)t.errors);
    ex_resources_unref(res);
    corpus_free(&corp);
    free(path);
    return rc;
}

/* ============================================================================================
 * bench e2e: the daemon process
 * ========================================================================================== */

#define LOG_KEEP 16
#define LOG_LINE_MAX 1024

typedef struct daemon_proc {
    pid_t pid;
    int err_fd;          /* read end of the daemon's stderr+stdout */
    int eof;
    int verbose;         /* echo the daemon's log lines to our stderr */
    char feed_ep[256], output_ep[256];
    int ready;
    char partial[8192];  /* an unfinished line */
    size_t partial_len;
    char last[LOG_KEEP][LOG_LINE_MAX]; /* the last log lines, for failure reports */
    unsigned nlines;
} daemon_proc;

static void daemon_on_line(daemon_proc *d, const char *line, size_t len)
{
    if (d->verbose)
        fprintf(stderr, "enrichd| %.*s\n", (int)len, line);
    snprintf(d->last[d->nlines % LOG_KEEP], LOG_LINE_MAX, "%.*s", (int)len, line);
    d->nlines++;
    if (len == 0 || line[0] != '{')
        return;
    json_t *obj = json_loadb(line, len, 0, NULL);
    if (!obj)
        return;
    const char *msg = json_string_value(json_object_get(obj, "msg"));
    if (msg && strcmp(msg, "listening") == 0) {
        const char *sock = json_string_value(json_object_get(obj, "socket"));
        const char *ep = json_string_value(json_object_get(obj, "endpoint"));
        if (sock && ep && strcmp(sock, "feed") == 0 && !d->feed_ep[0])
            snprintf(d->feed_ep, sizeof d->feed_ep, "%s", ep);
        else if (sock && ep && strcmp(sock, "output") == 0 && !d->output_ep[0])
            snprintf(d->output_ep, sizeof d->output_ep, "%s", ep);
    } else if (msg && strcmp(msg, "ready") == 0) {
        d->ready = 1;
    }
    json_decref(obj);
}

/* Reads what the daemon wrote so far (non-blocking) and handles whole lines. */
static void daemon_read_logs(daemon_proc *d)
{
    char buf[16384];
    while (!d->eof) {
        ssize_t n = read(d->err_fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return; /* EAGAIN: nothing more for now */
        if (n == 0) {
            d->eof = 1;
            if (d->partial_len)
                daemon_on_line(d, d->partial, d->partial_len);
            d->partial_len = 0;
            return;
        }
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] == '\n') {
                daemon_on_line(d, d->partial, d->partial_len);
                d->partial_len = 0;
            } else if (d->partial_len < sizeof d->partial) {
                d->partial[d->partial_len++] = buf[i];
            } /* else: an over-long line is cut */
        }
    }
}

static void daemon_print_last_logs(const daemon_proc *d)
{
    unsigned first = d->nlines > LOG_KEEP ? d->nlines - LOG_KEEP : 0;
    if (d->nlines == 0)
        fprintf(stderr, "enrich bench: the daemon wrote nothing\n");
    for (unsigned i = first; i < d->nlines; i++)
        fprintf(stderr, "enrichd| %s\n", d->last[i % LOG_KEEP]);
}

/* Writes s as a libconfig string literal body (escapes " and \). */
static void put_conf_string(FILE *fp, const char *s)
{
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

/* state_dir: "" = no journal; else the journal is on there, with its acked feed and replay
 * endpoints on ephemeral loopback ports too (never the default ports another daemon may use). */
static int write_config(const char *path, const char *data_dir, const char *state_dir,
                        unsigned workers)
{
    FILE *fp = fopen(path, "w");
    if (!fp)
        return -1;
    fprintf(fp, "# written by `enrich bench e2e`: loopback, ephemeral ports, %s\n",
            state_dir[0] ? "journal on" : "no journal");
    fputs("instance = \"bench-e2e\";\ndata_dir = ", fp);
    put_conf_string(fp, data_dir);
    fputs(";\nstate_dir = ", fp);
    put_conf_string(fp, state_dir);
    if (state_dir[0])
        fputs(";\nack = { bind = [\"tcp://127.0.0.1:*\"]; connect = []; };\n"
              "replay = { bind = [\"tcp://127.0.0.1:*\"]; connect = []; }", fp);
    fprintf(fp,
            ";\nworkers = %u;\ndrain_timeout_ms = 10000;\n"
            "log = { level = \"info\"; };\n"
            "input = { max_bytes = 1048576; };\n"
            "feed = { bind = [\"tcp://127.0.0.1:*\"]; connect = []; hwm = 1000; };\n"
            "output = { bind = [\"tcp://127.0.0.1:*\"]; connect = []; hwm = 1000000; };\n"
            "metrics = { bind = \"127.0.0.1:0\"; };\n",
            workers);
    return fclose(fp) == 0 ? 0 : -1;
}

/* Starts `daemon_path -c conf` with its stdout+stderr on a pipe. Returns 0 or -1. */
static int daemon_spawn(daemon_proc *d, const char *daemon_path, const char *conf)
{
    int p[2];
    if (pipe(p) != 0)
        return -1;
    pid_t pid = fork();
    if (pid < 0) {
        close(p[0]);
        close(p[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(p[1], STDERR_FILENO);
        dup2(p[1], STDOUT_FILENO);
        close(p[0]);
        close(p[1]);
        execl(daemon_path, daemon_path, "-c", conf, (char *)NULL);
        fprintf(stderr, "cannot run %s: %s\n", daemon_path, strerror(errno));
        _exit(127);
    }
    close(p[1]);
    fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
    fcntl(p[0], F_SETFD, FD_CLOEXEC);
    d->pid = pid;
    d->err_fd = p[0];
    return 0;
}

/* Waits until the daemon logged both endpoints and "ready". Returns 0, or -1 (died / timeout). */
static int daemon_wait_ready(daemon_proc *d, int timeout_ms)
{
    int64_t deadline = cli_mono_ns() + (int64_t)timeout_ms * 1000000;
    while (!(d->ready && d->feed_ep[0] && d->output_ep[0])) {
        if (d->eof)
            return -1;
        int64_t left = (deadline - cli_mono_ns()) / 1000000;
        if (left <= 0)
            return -1;
        struct pollfd pfd = {.fd = d->err_fd, .events = POLLIN};
        if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR)
            return -1;
        daemon_read_logs(d);
    }
    return 0;
}

/* Peak resident memory of the daemon (VmHWM), MB; 0 when unknown. */
static double daemon_peak_rss_mb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    double mb = 0;
    while (fgets(line, sizeof line, fp)) {
        unsigned long kb;
        if (sscanf(line, "VmHWM: %lu kB", &kb) == 1) {
            mb = (double)kb / 1024.0;
            break;
        }
    }
    fclose(fp);
    return mb;
}

/* SIGTERM, then waits (reading logs) up to timeout_ms. Returns the exit status, or -1 when it
 * had to be killed or died of a signal. */
static int daemon_stop(daemon_proc *d, int timeout_ms, double *stop_ms)
{
    int64_t t0 = cli_mono_ns();
    int64_t deadline = t0 + (int64_t)timeout_ms * 1000000;
    kill(d->pid, SIGTERM);
    int status = 0;
    for (;;) {
        pid_t r = waitpid(d->pid, &status, WNOHANG);
        if (r == d->pid)
            break;
        if (r < 0 && errno != EINTR) {
            d->pid = 0;
            return -1;
        }
        if (cli_mono_ns() > deadline) {
            fprintf(stderr, "enrich bench: the daemon did not exit within %d ms: SIGKILL\n",
                    timeout_ms);
            kill(d->pid, SIGKILL);
            waitpid(d->pid, &status, 0);
            d->pid = 0;
            return -1;
        }
        if (!d->eof) {
            struct pollfd pfd = {.fd = d->err_fd, .events = POLLIN};
            poll(&pfd, 1, 20);
            daemon_read_logs(d);
        } else {
            struct timespec ts = {0, 10 * 1000000};
            nanosleep(&ts, NULL);
        }
    }
    *stop_ms = (double)(cli_mono_ns() - t0) / 1e6;
    daemon_read_logs(d);
    d->pid = 0;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    fprintf(stderr, "enrich bench: the daemon died of signal %d\n",
            WIFSIGNALED(status) ? WTERMSIG(status) : -1);
    return -1;
}

/* ============================================================================================
 * bench e2e: sending, receiving, measuring
 * ========================================================================================== */

typedef struct e2e_state {
    const corpus *corp;
    size_t n;                 /* articles to send */
    char *frame;              /* send buffer (owned) */
    size_t frame_cap;
    int64_t *sent_ns;         /* per article: send time */
    unsigned char *got;       /* per article: record received */
    int64_t *lat_ns;          /* latencies of received records */
    size_t sent, received, errors, dups, strays, meta_missing, probes_seen;
    uint64_t last_seq, seq_gaps;
    int64_t first_send_ns, last_recv_ns, bytes_sent, bytes_received;
} e2e_state;

/* Writes the envelope of article k (cycling the corpus) into st->frame; returns its length,
 * or 0 on allocation failure. Layout: {"id":"bench-K","meta":{"bench_t":NS},<rest>} */
static size_t build_frame(e2e_state *st, size_t k, int64_t stamp_ns, const char *id_prefix)
{
    const corpus_item *item = &st->corp->items[k % st->corp->n];
    char head[160];
    int hn = snprintf(head, sizeof head, "{\"id\":\"%s%zu\",\"meta\":{\"bench_t\":%lld}%s",
                      id_prefix, k, (long long)stamp_ns, item->rest[0] == '}' ? "" : ",");
    size_t need = (size_t)hn + item->rest_len + 1;
    if (need > st->frame_cap) {
        char *bigger = realloc(st->frame, need * 2);
        if (!bigger)
            return 0;
        st->frame = bigger;
        st->frame_cap = need * 2;
    }
    memcpy(st->frame, head, (size_t)hn);
    memcpy(st->frame + hn, item->rest, item->rest_len);
    st->frame[hn + item->rest_len] = '\0';
    return (size_t)hn + item->rest_len;
}

/* First occurrence of needle in s[0..n), or NULL. */
static const char *find_bytes(const char *s, size_t n, const char *needle)
{
    size_t m = strlen(needle);
    if (m == 0 || n < m)
        return NULL;
    const char *end = s + n - m + 1;
    for (const char *p = s; p < end; p++) {
        p = memchr(p, needle[0], (size_t)(end - p));
        if (!p)
            return NULL;
        if (memcmp(p, needle, m) == 0)
            return p;
    }
    return NULL;
}

/* Reads the unsigned integer after `key` (e.g. "\"seq\":"); returns 0 or -1. */
static int find_u64(const char *s, size_t n, const char *key, unsigned long long *out)
{
    const char *p = find_bytes(s, n, key);
    if (!p)
        return -1;
    p += strlen(key);
    const char *end = s + n;
    if (p >= end || *p < '0' || *p > '9')
        return -1;
    unsigned long long v = 0;
    while (p < end && *p >= '0' && *p <= '9')
        v = v * 10 + (unsigned long long)(*p++ - '0');
    *out = v;
    return 0;
}

/* Accounts one received record (topic frame + record frame). Returns 1 for a probe record. */
static int on_record(e2e_state *st, const char *topic, size_t tlen, const char *rec, size_t len,
                     int64_t now)
{
    unsigned long long seq;
    if (find_u64(rec, len, "\"seq\":", &seq) == 0) {
        if (st->last_seq && seq > st->last_seq + 1)
            st->seq_gaps += seq - st->last_seq - 1;
        st->last_seq = seq;
    }
    st->bytes_received += (int64_t)len;
    const char *idp = find_bytes(rec, len, "\"id\":\"");
    if (!idp) {
        st->strays++;
        return 0;
    }
    idp += 6;
    size_t left = len - (size_t)(idp - rec);
    if (left > 12 && memcmp(idp, "bench-probe-", 12) == 0) {
        st->probes_seen++;
        return 1;
    }
    unsigned long long k;
    if (left < 6 || memcmp(idp, "bench-", 6) != 0 || find_u64(idp, left, "bench-", &k) != 0 ||
        k >= st->n) {
        st->strays++;
        return 0;
    }
    if (st->got[k]) {
        st->dups++;
        return 0;
    }
    st->got[k] = 1;
    if (tlen == 5 && memcmp(topic, "error", 5) == 0)
        st->errors++;
    unsigned long long stamp;
    int64_t sent_at = st->sent_ns[k];
    if (find_u64(rec, len, "\"bench_t\":", &stamp) == 0)
        sent_at = (int64_t)stamp;
    else
        st->meta_missing++;
    st->lat_ns[st->received++] = now - sent_at;
    st->last_recv_ns = now;
    return 0;
}

/* Receives everything queued on sub. Returns the number of probe records seen. */
static int drain_sub(e2e_state *st, void *sub)
{
    int probes = 0;
    for (;;) {
        zmq_msg_t topic, body;
        zmq_msg_init(&topic);
        if (zmq_msg_recv(&topic, sub, ZMQ_DONTWAIT) < 0) {
            zmq_msg_close(&topic);
            return probes; /* EAGAIN (or EINTR): nothing more now */
        }
        int64_t now = cli_mono_ns();
        int frames = 1;
        int more = zmq_msg_more(&topic);
        zmq_msg_init(&body);
        while (more) {
            zmq_msg_close(&body);
            zmq_msg_init(&body);
            if (zmq_msg_recv(&body, sub, 0) < 0)
                break;
            frames++;
            more = zmq_msg_more(&body);
        }
        if (frames == 2)
            probes += on_record(st, zmq_msg_data(&topic), zmq_msg_size(&topic),
                                zmq_msg_data(&body), zmq_msg_size(&body), now);
        else
            st->strays++;
        zmq_msg_close(&topic);
        zmq_msg_close(&body);
    }
}

/* Sends probe articles until one comes back: proves the subscription reached the daemon's PUB
 * (no slow-joiner loss) and warms the daemon up. Returns 0, or -1 on timeout / daemon death. */
static int wait_subscription(e2e_state *st, void *push, void *sub, daemon_proc *d, int timeout_ms)
{
    int64_t deadline = cli_mono_ns() + (int64_t)timeout_ms * 1000000;
    size_t probe = 0;
    int64_t next_probe = 0;
    while (cli_mono_ns() < deadline) {
        if (cli_mono_ns() >= next_probe) {
            size_t len = build_frame(st, probe, cli_mono_ns(), "bench-probe-");
            if (len && zmq_send(push, st->frame, len, ZMQ_DONTWAIT) >= 0)
                probe++;
            next_probe = cli_mono_ns() + 200 * 1000000LL;
        }
        zmq_pollitem_t items[2] = {{.socket = sub, .events = ZMQ_POLLIN},
                                   {.socket = NULL, .fd = d->err_fd, .events = ZMQ_POLLIN}};
        if (zmq_poll(items, d->eof ? 1 : 2, 50) < 0 && errno != EINTR)
            return -1;
        daemon_read_logs(d);
        if (drain_sub(st, sub) > 0)
            return 0;
        if (d->eof)
            return -1;
    }
    return -1;
}

/* The send/receive loop. rate == 0: as fast as the PUSH high-water mark allows. */
static int run_load(e2e_state *st, void *push, void *sub, daemon_proc *d, double rate,
                    int idle_timeout_ms)
{
    int64_t start = cli_mono_ns();
    int64_t last_progress = start;
    size_t last_received = 0;
    st->first_send_ns = start;
    while (st->received < st->n) {
        int blocked = 0;
        int64_t now = cli_mono_ns();
        /* send what is due */
        for (int batch = 0; st->sent < st->n && batch < 64; batch++) {
            if (rate > 0) {
                int64_t due = start + (int64_t)((double)st->sent * 1e9 / rate);
                if (now < due)
                    break;
            }
            int64_t stamp = cli_mono_ns();
            size_t len = build_frame(st, st->sent, stamp, "bench-");
            if (!len) {
                fprintf(stderr, "enrich bench: out of memory\n");
                return -1;
            }
            if (zmq_send(push, st->frame, len, ZMQ_DONTWAIT) < 0) {
                if (errno == EAGAIN || errno == EINTR) {
                    blocked = errno == EAGAIN;
                    break;
                }
                fprintf(stderr, "enrich bench: send: %s\n", zmq_strerror(errno));
                return -1;
            }
            st->sent_ns[st->sent++] = stamp;
            st->bytes_sent += (int64_t)len;
            now = cli_mono_ns();
        }
        /* how long to wait */
        long timeout = 100;
        if (st->sent < st->n && !blocked) {
            if (rate > 0) {
                int64_t due = start + (int64_t)((double)st->sent * 1e9 / rate);
                int64_t ms = (due - cli_mono_ns() + 999999) / 1000000;
                timeout = ms < 0 ? 0 : ms > 100 ? 100 : (long)ms;
            } else {
                timeout = 0;
            }
        }
        zmq_pollitem_t items[3] = {{.socket = sub, .events = ZMQ_POLLIN},
                                   {.socket = NULL, .fd = d->err_fd, .events = ZMQ_POLLIN},
                                   {.socket = push, .events = ZMQ_POLLOUT}};
        int nitems = d->eof ? 1 : 2;
        if (blocked && !d->eof)
            nitems = 3;
        if (zmq_poll(items, nitems, timeout) < 0 && errno != EINTR) {
            fprintf(stderr, "enrich bench: poll: %s\n", zmq_strerror(errno));
            return -1;
        }
        drain_sub(st, sub);
        daemon_read_logs(d);
        if (d->eof) {
            fprintf(stderr, "enrich bench: the daemon exited during the run\n");
            return -1;
        }
        now = cli_mono_ns();
        if (st->received != last_received) {
            last_received = st->received;
            last_progress = now;
        } else if (st->sent == st->n && now - last_progress > (int64_t)idle_timeout_ms * 1000000) {
            fprintf(stderr, "enrich bench: no record for %d ms: %zu of %zu missing\n",
                    idle_timeout_ms, st->n - st->received, st->n);
            break;
        }
    }
    return 0;
}

/* The daemon's work for one frame, in process (for the overhead comparison). */
static int inproc_one(const ex_resources *res, const char *frame, size_t len, uint64_t seq)
{
    char err[EX_ERRLEN];
    ed_envelope env;
    memset(&env, 0, sizeof env);
    int64_t received = cli_now_ms();
    if (ed_envelope_parse(frame, len, CLI_DEFAULT_MAX_BYTES, &env, err, sizeof err) !=
        ED_ERR_NONE)
        return -1;
    ex_input in = {.text = env.text,
                   .text_len = env.text_len,
                   .lang_hint = env.lang,
                   .published = env.published,
                   .title = env.title,
                   .received_ms = received};
    ex_doc *doc = NULL;
    int rc = -1;
    if (ex_extract(res, &in, &doc, err, sizeof err) == EX_OK) {
        ed_record rec;
        memset(&rec, 0, sizeof rec);
        if (ed_record_article(&rec, &env, doc, "bench-inproc", received) == 0) {
            size_t outlen = 0;
            char *out = ed_record_with_seq(&rec, seq, &outlen);
            rc = out ? 0 : -1;
            free(out);
            ed_record_release(&rec);
        }
        ex_doc_free(doc);
    }
    ed_envelope_release(&env);
    return rc;
}

static int64_t thread_cpu_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* CPU time (user + system, all threads) the process pid has used, ns; -1 when unknown. */
static int64_t proc_cpu_ns(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, fp);
    fclose(fp);
    buf[n] = '\0';
    const char *p = strrchr(buf, ')'); /* the command name may hold spaces */
    unsigned long long utime, stime;
    /* after ")": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
    if (!p || sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                     &stime) != 2)
        return -1;
    long tck = sysconf(_SC_CLK_TCK);
    return (int64_t)((utime + stime) * (1000000000ULL / (unsigned long long)(tck > 0 ? tck : 100)));
}

/* Rate of the daemon's per-article work done on one thread in process, articles/s; *cpu_us gets
 * the CPU time per article. */
static double inproc_rate(e2e_state *st, const char *data_opt, double *cpu_us)
{
    double load_ms;
    ex_resources *res = load_resources(data_opt, &load_ms);
    if (!res)
        return 0;
    size_t warm = st->n < st->corp->n ? st->n : st->corp->n;
    for (size_t k = 0; k < warm; k++) {
        size_t len = build_frame(st, k, cli_mono_ns(), "bench-");
        if (len)
            inproc_one(res, st->frame, len, k + 1);
    }
    int64_t t0 = cli_mono_ns(), c0 = thread_cpu_ns();
    size_t ok = 0;
    for (size_t k = 0; k < st->n; k++) {
        size_t len = build_frame(st, k, cli_mono_ns(), "bench-");
        if (len && inproc_one(res, st->frame, len, k + 1) == 0)
            ok++;
    }
    double secs = (double)(cli_mono_ns() - t0) / 1e9;
    *cpu_us = (double)(thread_cpu_ns() - c0) / 1e3 / (double)st->n;
    ex_resources_unref(res);
    if (ok != st->n)
        fprintf(stderr, "enrich bench: in process, %zu of %zu articles failed\n", st->n - ok,
                st->n);
    return secs > 0 ? (double)st->n / secs : 0;
}

static int bench_e2e(int argc, char **argv)
{
    enum { OPT_CORPUS = 256, OPT_ARTICLES, OPT_WORKERS, OPT_RATE, OPT_DATA, OPT_DAEMON, OPT_JSON,
           OPT_VERBOSE, OPT_HELP, OPT_STATE_DIR };
    static const struct option longopts[] = {{"corpus", required_argument, NULL, OPT_CORPUS},
                                             {"articles", required_argument, NULL, OPT_ARTICLES},
                                             {"workers", required_argument, NULL, OPT_WORKERS},
                                             {"rate", required_argument, NULL, OPT_RATE},
                                             {"data", required_argument, NULL, OPT_DATA},
                                             {"daemon", required_argument, NULL, OPT_DAEMON},
                                             {"json", no_argument, NULL, OPT_JSON},
                                             {"verbose", no_argument, NULL, OPT_VERBOSE},
                                             {"state-dir", required_argument, NULL,
                                              OPT_STATE_DIR},
                                             {"help", no_argument, NULL, OPT_HELP},
                                             {NULL, 0, NULL, 0}};
    const char *corpus_opt = NULL, *data_opt = NULL, *daemon_opt = NULL;
    uint64_t articles = 2000, workers = 2, rate = 0;
    int as_json = 0, verbose = 0, c;
    const char *state_dir = ""; /* --state-dir: the journal on there */
    optind = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_CORPUS:
            corpus_opt = optarg;
            break;
        case OPT_ARTICLES:
            if (cli_parse_u64(optarg, &articles) != 0 || articles == 0 || articles > 100000000)
                return cli_usage_error("bench", "--articles needs a count (1..100000000)");
            break;
        case OPT_WORKERS:
            if (cli_parse_u64(optarg, &workers) != 0 || workers > 1024)
                return cli_usage_error("bench", "--workers needs a count (0..1024, 0 = CPUs)");
            break;
        case OPT_RATE:
            if (cli_parse_u64(optarg, &rate) != 0 || rate > 10000000)
                return cli_usage_error("bench", "--rate needs articles/s (0 = as fast as possible)");
            break;
        case OPT_DATA:
            data_opt = optarg;
            break;
        case OPT_DAEMON:
            daemon_opt = optarg;
            break;
        case OPT_JSON:
            as_json = 1;
            break;
        case OPT_VERBOSE:
            verbose = 1;
            break;
        case OPT_STATE_DIR:
            if (optarg[0] == '\0')
                return cli_usage_error("bench", "--state-dir needs a directory");
            state_dir = optarg;
            break;
        case OPT_HELP:
            cli_usage(stdout, "bench");
            return CLI_EXIT_OK;
        default:
            cli_usage(stderr, "bench");
            return CLI_EXIT_USAGE;
        }
    }
    if (optind < argc)
        return cli_usage_error("bench", "unexpected argument '%s'", argv[optind]);

    int rc = CLI_EXIT_FAIL;
    char *path = cli_corpus_path(corpus_opt);
    char *data_dir = cli_data_dir(data_opt);
    char *daemon_path = NULL;
    char tmpdir[] = "/tmp/enrich-bench-XXXXXX";
    int have_tmp = 0;
    char conf[sizeof tmpdir + 32] = "";
    corpus corp;
    memset(&corp, 0, sizeof corp);
    daemon_proc d;
    memset(&d, 0, sizeof d);
    d.err_fd = -1;
    d.verbose = verbose;
    e2e_state st;
    memset(&st, 0, sizeof st);
    void *ctx = NULL, *push = NULL, *sub = NULL;

    if (daemon_opt) {
        daemon_path = strdup(daemon_opt);
    } else {
        char *dir = cli_exe_dir();
        if (dir) {
            size_t n = strlen(dir) + sizeof "/enrichd";
            daemon_path = malloc(n);
            if (daemon_path)
                snprintf(daemon_path, n, "%s/enrichd", dir);
        }
        free(dir);
    }
    if (!path) {
        fprintf(stderr, "enrich bench: no corpus: run bench/make-corpus or pass --corpus FILE\n");
        goto out;
    }
    if (!daemon_path || access(daemon_path, X_OK) != 0) {
        fprintf(stderr, "enrich bench: no daemon binary at %s (use --daemon PATH)\n",
                daemon_path ? daemon_path : "(unknown)");
        goto out;
    }
    if (!data_dir || corpus_load(&corp, path, 1) != 0)
        goto out;
    st.corp = &corp;
    st.n = (size_t)articles;
    st.sent_ns = calloc(st.n, sizeof *st.sent_ns);
    st.got = calloc(st.n, 1);
    st.lat_ns = calloc(st.n, sizeof *st.lat_ns);
    if (!st.sent_ns || !st.got || !st.lat_ns) {
        fprintf(stderr, "enrich bench: out of memory\n");
        goto out;
    }
    if (!mkdtemp(tmpdir)) {
        fprintf(stderr, "enrich bench: mkdtemp: %s\n", strerror(errno));
        goto out;
    }
    have_tmp = 1;
    snprintf(conf, sizeof conf, "%s/enrichd.conf", tmpdir);
    if (state_dir[0] && mkdir(state_dir, 0700) != 0 && errno != EEXIST) {
        fprintf(stderr, "enrich bench: cannot create %s: %s\n", state_dir, strerror(errno));
        goto out;
    }
    if (write_config(conf, data_dir, state_dir, (unsigned)workers) != 0) {
        fprintf(stderr, "enrich bench: cannot write %s\n", conf);
        goto out;
    }

    /* The daemon first (fork before any ZeroMQ thread exists), then the sockets. */
    if (daemon_spawn(&d, daemon_path, conf) != 0) {
        fprintf(stderr, "enrich bench: cannot start %s: %s\n", daemon_path, strerror(errno));
        goto out;
    }
    int64_t t_spawn = cli_mono_ns();
    if (daemon_wait_ready(&d, 30000) != 0) {
        fprintf(stderr, "enrich bench: the daemon did not become ready (need \"listening\" lines "
                        "for feed and output, then \"ready\")\n");
        daemon_print_last_logs(&d);
        goto out;
    }
    double startup_ms = (double)(cli_mono_ns() - t_spawn) / 1e6;

    ctx = zmq_ctx_new();
    sub = ctx ? zmq_socket(ctx, ZMQ_SUB) : NULL;
    push = ctx ? zmq_socket(ctx, ZMQ_PUSH) : NULL;
    int zero = 0, one = 1;
    if (!sub || !push || zmq_setsockopt(sub, ZMQ_RCVHWM, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(sub, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(sub, ZMQ_SUBSCRIBE, "", 0) != 0 ||
        zmq_setsockopt(push, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(push, ZMQ_IMMEDIATE, &one, sizeof one) != 0 ||
        zmq_connect(sub, d.output_ep) != 0 || zmq_connect(push, d.feed_ep) != 0) {
        fprintf(stderr, "enrich bench: sockets: %s\n", zmq_strerror(errno));
        goto out;
    }
    if (wait_subscription(&st, push, sub, &d, 20000) != 0) {
        fprintf(stderr, "enrich bench: no probe record came back from %s\n", d.output_ep);
        daemon_print_last_logs(&d);
        goto out;
    }
    int64_t cpu_before = proc_cpu_ns(d.pid);
    if (run_load(&st, push, sub, &d, (double)rate, 30000) != 0) {
        daemon_print_last_logs(&d);
        goto out;
    }
    int64_t cpu_after = proc_cpu_ns(d.pid);
    double daemon_cpu_us = cpu_before >= 0 && cpu_after >= 0 && st.received
                               ? (double)(cpu_after - cpu_before) / 1e3 / (double)st.received
                               : 0;
    double daemon_rss = daemon_peak_rss_mb(d.pid);
    double stop_ms = 0;
    int exit_status = daemon_stop(&d, 10000 + 5000, &stop_ms);

    /* results */
    double secs = (double)(st.last_recv_ns - st.first_send_ns) / 1e9;
    double throughput = secs > 0 ? (double)st.received / secs : 0;
    qsort(st.lat_ns, st.received, sizeof *st.lat_ns, cmp_i64);
    double p50 = (double)percentile(st.lat_ns, st.received, 0.50) / 1e6;
    double p99 = (double)percentile(st.lat_ns, st.received, 0.99) / 1e6;
    double pmax = (double)percentile(st.lat_ns, st.received, 1.0) / 1e6;
    size_t words = 0, bytes = 0;
    for (size_t k = 0; k < st.n; k++) {
        words += corp.items[k % corp.n].words;
        bytes += corp.items[k % corp.n].env.text_len;
    }
    double inproc = 0, overhead_us = 0, inproc_cpu_us = 0;
    if (workers == 1 && throughput > 0) {
        inproc = inproc_rate(&st, data_opt, &inproc_cpu_us);
        if (inproc > 0)
            overhead_us = 1e6 / throughput - 1e6 / inproc;
    }
    char date[32];
    utc_now(date, sizeof date);
    size_t lost = st.n - st.received;

    if (as_json) {
        json_t *obj = json_pack(
            "{s:s, s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f,"
            " s:f, s:{s:f, s:f, s:f}, s:f, s:f, s:f, s:i, s:f, s:i, s:f, s:f}",
            "bench", "e2e", "date", date, "corpus", path, "articles", (json_int_t)st.n, "workers",
            (json_int_t)workers, "rate", (json_int_t)rate, "received", (json_int_t)st.received,
            "lost", (json_int_t)lost, "errors", (json_int_t)st.errors, "duplicates",
            (json_int_t)st.dups, "seq_gaps", (json_int_t)st.seq_gaps, "meta_missing",
            (json_int_t)st.meta_missing, "strays", (json_int_t)st.strays, "seconds", secs,
            "records_per_s", throughput, "words_per_s",
            secs > 0 ? (double)words / secs : 0.0, "mb_per_s",
            secs > 0 ? (double)bytes / secs / 1e6 : 0.0, "latency_ms", "p50", p50, "p99", p99,
            "max", pmax, "inproc_per_s", inproc, "overhead_us_per_article", overhead_us,
            "daemon_peak_rss_mb", daemon_rss, "daemon_exit", exit_status, "daemon_startup_ms",
            startup_ms, "cpus", (int)sysconf(_SC_NPROCESSORS_ONLN), "daemon_cpu_us_per_article",
            daemon_cpu_us, "inproc_cpu_us_per_article", inproc_cpu_us);
        if (obj)
            json_object_set_new(obj, "state_dir",
                                state_dir[0] ? json_string(state_dir) : json_null());
        if (obj && workers != 1) { /* measured with one worker only */
            json_object_set_new(obj, "inproc_per_s", json_null());
            json_object_set_new(obj, "overhead_us_per_article", json_null());
            json_object_set_new(obj, "inproc_cpu_us_per_article", json_null());
        }
        if (print_json(obj) != 0)
            exit_status = -1;
    } else {
        printf("enrich bench e2e  %s  (enrichd over loopback TCP)\n", date);
        printf("corpus      %s: %zu articles cycled, mean %.0f words\n", path, corp.n,
               (double)corp.words / (double)corp.n);
        printf("daemon      %s, workers %llu, ready in %.0f ms, peak RSS %.1f MB\n", daemon_path,
               (unsigned long long)workers, startup_ms, daemon_rss);
        printf("journal     %s%s\n", state_dir[0] ? "on, state_dir " : "off",
               state_dir);
        if (rate)
            printf("load        %zu articles at %llu/s\n", st.n, (unsigned long long)rate);
        else
            printf("load        %zu articles as fast as possible\n", st.n);
        printf("\n%-22s %12s %12s %10s\n", "throughput", "records/s", "words/s", "MB/s");
        printf("%-22s %12.1f %12.0f %10.2f\n", "end to end", throughput,
               secs > 0 ? (double)words / secs : 0.0, secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
        printf("\n%-22s %10s %10s %10s\n", "latency (ms)", "p50", "p99", "max");
        printf("%-22s %10.2f %10.2f %10.2f\n", "send -> record", p50, p99, pmax);
        printf("\nreceived %zu, lost %zu, error records %zu, duplicates %zu, seq gaps %llu, "
               "meta not echoed %zu\n",
               st.received, lost, st.errors, st.dups, (unsigned long long)st.seq_gaps,
               st.meta_missing);
        printf("cpu         daemon (all threads) %.1f us/article\n", daemon_cpu_us);
        if (workers == 1) {
            printf("overhead    in process %.1f articles/s -> daemon overhead %.1f us/article "
                   "(throughput method)\n",
                   inproc, overhead_us);
            printf("            in process %.1f CPU us/article -> daemon overhead %.1f CPU "
                   "us/article (CPU method)\n",
                   inproc_cpu_us, daemon_cpu_us - inproc_cpu_us);
        }
        printf("stop        SIGTERM -> exit status %d after %.0f ms\n", exit_status, stop_ms);
    }
    if (exit_status != 0) {
        fprintf(stderr, "enrich bench: the daemon exited with status %d (want 0)\n",
                exit_status);
        daemon_print_last_logs(&d);
    }
    rc = exit_status == 0 && lost == 0 && st.dups == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;

out:
    if (push)
        zmq_close(push);
    if (sub)
        zmq_close(sub);
    if (ctx)
        zmq_ctx_term(ctx);
    if (d.pid > 0) {
        double ignored;
        daemon_stop(&d, 5000, &ignored);
    }
    if (d.err_fd >= 0)
        close(d.err_fd);
    if (have_tmp) {
        if (conf[0])
            unlink(conf);
        rmdir(tmpdir);
    }
    free(st.sent_ns);
    free(st.got);
    free(st.lat_ns);
    free(st.frame);
    corpus_free(&corp);
    free(daemon_path);
    free(data_dir);
    free(path);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error("bench", "missing benchmark: extract or e2e");
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        cli_usage(stdout, "bench");
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "extract") == 0)
        return bench_extract(argc - 1, argv + 1);
    if (strcmp(argv[1], "e2e") == 0)
        return bench_e2e(argc - 1, argv + 1);
    return cli_usage_error("bench", "unknown benchmark '%s' (extract or e2e)", argv[1]);
}
