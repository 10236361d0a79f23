/*
 * enrich.c — main of the `enrich` command-line tool: dispatches to one command per file
 * (cmd_extract.c, cmd_push.c, cmd_tail.c, cmd_dlq.c, cmd_bench.c, cmd_keygen.c), prints usage and
 * version, and holds the small helpers the commands share (declared in cli.h). Touches only tools/.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

#ifndef ENRICHD_VERSION
#define ENRICHD_VERSION "0.0.0"
#endif
#ifndef ENRICHD_DATADIR
#define ENRICHD_DATADIR "/usr/share/enrichd"
#endif

static const char USAGE_MAIN[] =
    "usage: enrich COMMAND [OPTIONS] [ARGS]\n"
    "\n"
    "commands:\n"
    "  extract   enrich articles in process and print the records the daemon would publish\n"
    "  push      send articles to an enrichd feed (ZeroMQ PUSH; --ack: acknowledged feed)\n"
    "  tail      print the records an enrichd output publishes (ZeroMQ SUB; --from: replay\n"
    "            the journal first, then follow, each record once)\n"
    "  dlq       list the rejected inputs the journal holds\n"
    "  bench     benchmarks: `bench extract` (in process), `bench e2e` (real daemon)\n"
    "  keygen    make a CURVE key pair: NAME.key (secret) and NAME.pub\n"
    "\n"
    "  enrich --help | enrich COMMAND --help | enrich --version\n"
    "exit status: 0 ok, 1 failure or rejected input, 2 usage error, 3 timeout (tail),\n"
    "4 some articles rejected (push --ack)\n";

static const char USAGE_EXTRACT[] =
    "usage: enrich extract [OPTIONS] [FILE...]\n"
    "Enriches each input and prints its record (one JSON line each), exactly as enrichd would\n"
    "publish it. A FILE (or stdin when none, or \"-\") holds raw article text or one JSON envelope\n"
    "(first non-blank byte '{'); with --jsonl it holds one envelope per line.\n"
    "  --lang L           language hint (overrides the envelope's)\n"
    "  --published DATE   publication date, ISO 8601 (overrides the envelope's)\n"
    "  --instance NAME    instance name in the records (default enrichd-HOSTNAME)\n"
    "  --data DIR         language packs (default $ENRICHD_DATA, the checkout's data/, or the\n"
    "                     installed copy)\n"
    "  --max-bytes N      reject larger inputs with a too_large error record (default 1048576,\n"
    "                     0 = no limit)\n"
    "  --jsonl            one envelope per line\n"
    "  --pretty           indent the records\n"
    "exit status: 0 all inputs enriched, 1 some input rejected (its error record is printed),\n"
    "2 usage error\n";

/* The client side of CURVE (curve.c), shared by the commands that connect to the daemon. */
#define CURVE_OPTIONS \
    "  --server-key FILE  the daemon's public key (its .pub file): talk CURVE to it; needs --key\n" \
    "  --key FILE         our key pair (a .key file from `enrich keygen`, mode 0600); the daemon\n" \
    "                     must have our .pub in its security.curve_allowed_keys_dir\n"

static const char USAGE_KEYGEN[] =
    "usage: enrich keygen [--force] NAME\n"
    "Makes a CURVE key pair and writes NAME.key (public and secret key, mode 0600) and NAME.pub\n"
    "(public key, mode 0644). Give NAME.pub to the other side: a daemon's\n"
    "security.curve_allowed_keys_dir for a client, --server-key for the daemon's own.\n"
    "  --force            replace existing files (else an existing file is an error)\n";

static const char USAGE_PUSH[] =
    "usage: enrich push [OPTIONS] ENDPOINT [FILE...]\n"
    "       enrich push --ack [OPTIONS] [ENDPOINT] [FILE...]\n"
    "Sends each FILE as one frame (raw bytes); with no FILE, each non-blank line of stdin (JSON\n"
    "envelopes) as one frame.\n"
    "Without --ack: a PUSH socket to the feed ENDPOINT; waits for a peer and for every frame to\n"
    "be handed over before it exits (no acknowledgement: see docs/protocol.md).\n"
    "  --count            print the number of frames sent\n"
    "  --timeout MS       give up when no peer takes a frame for MS ms (default 30000; 0 = wait\n"
    "                     forever)\n"
    CURVE_OPTIONS
    "With --ack: a DEALER to the acknowledged feed; every article is answered \"ok\" (journaled)\n"
    "or \"error\" (rejected); an article not answered in time is sent again, unchanged.\n"
    "  --ack-endpoint E   acked feed endpoint (default tcp://127.0.0.1:5556; also ENDPOINT)\n"
    "  --window N         articles in flight at most (default 100)\n"
    "  --timeout-ms T     resend an article not answered within T ms (default 5000)\n"
    "  --retries R        resends per article before giving up on it (default 3)\n"
    "  --quiet            no stderr line per rejected article\n"
    "  --acks             print one line per answer on stdout: N<TAB>ID<TAB>ok<TAB>SEQ or\n"
    "                     N<TAB>ID<TAB>error<TAB>CODE (N = the article's number in the input)\n"
    "  prints: articles=N ok=N rejected=N unacknowledged=N resends=N\n"
    "exit status: 0 every article sent (--ack: every article \"ok\"), 1 failure (--ack: some\n"
    "article unacknowledged after its retries, unreadable input, interrupted), 2 usage error,\n"
    "4 (--ack) every article answered but some \"error\"\n";

static const char USAGE_TAIL[] =
    "usage: enrich tail [OPTIONS] ENDPOINT [TOPIC...]\n"
    "       enrich tail --from SEQ [--endpoint OUTPUT] [--replay REPLAY] [OPTIONS] [TOPIC...]\n"
    "Connects a SUB socket to the output ENDPOINT, subscribes to the topic prefixes (all when\n"
    "none) and prints each record as one JSON line.\n"
    "  --topic PREFIX     one more topic prefix (repeatable): article.fr, article., error\n"
    "  --count N          exit after N records\n"
    "  --timeout MS       exit with status 3 when nothing arrives for MS ms (also --timeout-ms)\n"
    "  --with-topic       print \"TOPIC<TAB>RECORD\" instead of the record alone\n"
    "With --from SEQ: subscribe, replay the journaled records with seq > SEQ from the replay\n"
    "endpoint, then follow live; each record of the replayed instance is printed once, in seq\n"
    "order; holes are filled from the journal, and what it no longer holds is reported on\n"
    "stderr (\"gap: ...\", \"history starts at F\"). --from 0 = everything the journal holds.\n"
    "  --endpoint OUTPUT  output endpoint (default tcp://127.0.0.1:5558; also ENDPOINT)\n"
    "  --replay REPLAY    replay endpoint (default tcp://127.0.0.1:5559)\n"
    "  --page N           records per replay request (default 1000)\n"
    "  --replay-timeout-ms MS  wait for each replay message (default 5000)\n"
    "  --buffer N         live records kept while replaying (default 100000; more are\n"
    "                     fetched again from the journal)\n"
    "  --idle-check-ms MS when the output is quiet for MS ms, ask the journal for records\n"
    "                     missed live (a daemon restart, drops at the HWM; default 1000,\n"
    "                     0 = never)\n"
    CURVE_OPTIONS
    "SIGINT/SIGTERM exit cleanly with status 0. Exit status: 0, 1 failure (--from: the replay\n"
    "endpoint did not answer), 2 usage error, 3 timeout.\n";

static const char USAGE_DLQ[] =
    "usage: enrich dlq [--replay ENDPOINT] [--from SEQ] [--raw DIR] [--json]\n"
    "Lists the rejected inputs (error records) the journal holds after seq SEQ (default 0), one\n"
    "line each: SEQ<TAB>ID<TAB>CODE<TAB>MESSAGE<TAB>BYTES; a summary goes to stderr.\n"
    "  --replay ENDPOINT  replay endpoint (default tcp://127.0.0.1:5559)\n"
    "  --from SEQ         only records with seq > SEQ\n"
    "  --raw DIR          write each kept raw input to DIR/SEQ.bin (DIR is created)\n"
    "  --json             print the error records (JSON lines) instead\n"
    "  --page N           records per replay request (default 1000)\n"
    "  --timeout-ms MS    wait for each replay message (default 5000)\n"
    CURVE_OPTIONS
    "exit status: 0 listed, 1 failure (no answer, write error), 2 usage error\n";

static const char USAGE_BENCH[] =
    "usage: enrich bench extract [--corpus FILE] [--repeat N] [--data DIR] [--json]\n"
    "       enrich bench e2e [--corpus FILE] [--articles N] [--workers W] [--rate R]\n"
    "                        [--data DIR] [--daemon PATH] [--state-dir DIR] [--json] [--verbose]\n"
    "extract: one thread, in process: ex_extract + ex_doc_to_json + json_dumps on every article\n"
    "         of the corpus (default bench/corpus/news.jsonl, built by bench/make-corpus), a\n"
    "         warm-up pass then N timed passes (default 3).\n"
    "e2e:     starts the enrichd next to this binary on loopback ephemeral ports, subscribes,\n"
    "         pushes N articles (default 2000, cycling the corpus) as fast as possible or at R/s,\n"
    "         and measures records/s and latency; then SIGTERM and checks the exit status.\n"
    "         --workers W: the daemon's worker threads (default 2; 0 = CPUs).\n"
    "         With --workers 1 it also measures the daemon's overhead per article against the\n"
    "         same work done in process.\n"
    "         --state-dir DIR: the daemon's state_dir (created when missing): the journal is on,\n"
    "         every record is journaled before it is published (use a fresh DIR to compare).\n";

void cli_usage(FILE *out, const char *cmd)
{
    const char *text = USAGE_MAIN;
    if (cmd && strcmp(cmd, "extract") == 0)
        text = USAGE_EXTRACT;
    else if (cmd && strcmp(cmd, "push") == 0)
        text = USAGE_PUSH;
    else if (cmd && strcmp(cmd, "tail") == 0)
        text = USAGE_TAIL;
    else if (cmd && strcmp(cmd, "dlq") == 0)
        text = USAGE_DLQ;
    else if (cmd && strcmp(cmd, "bench") == 0)
        text = USAGE_BENCH;
    else if (cmd && strcmp(cmd, "keygen") == 0)
        text = USAGE_KEYGEN;
    fputs(text, out);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "enrich%s%s: ", cmd ? " " : "", cmd ? cmd : "");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\n", stderr);
    cli_usage(stderr, cmd);
    return CLI_EXIT_USAGE;
}

int64_t cli_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t cli_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

char *cli_read_stream(FILE *fp, size_t *len, char *err, size_t errlen)
{
    size_t cap = 1 << 16, used = 0;
    char *buf = malloc(cap);
    if (!buf) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    for (;;) {
        if (cap - used < 2) { /* keep room for the trailing NUL */
            char *bigger = cap > SIZE_MAX / 2 ? NULL : realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                snprintf(err, errlen, "out of memory");
                return NULL;
            }
            buf = bigger;
            cap *= 2;
        }
        size_t n = fread(buf + used, 1, cap - used - 1, fp);
        used += n;
        if (n == 0) {
            if (ferror(fp)) {
                snprintf(err, errlen, "read error: %s", strerror(errno));
                free(buf);
                return NULL;
            }
            break;
        }
    }
    buf[used] = '\0';
    *len = used;
    return buf;
}

char *cli_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    if (strcmp(path, "-") == 0)
        return cli_read_stream(stdin, len, err, errlen);
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return NULL;
    }
    char inner[200];
    char *buf = cli_read_stream(fp, len, inner, sizeof inner);
    fclose(fp);
    if (!buf)
        snprintf(err, errlen, "%s: %s", path, inner);
    return buf;
}

int cli_parse_u64(const char *s, uint64_t *out)
{
    if (!s || *s < '0' || *s > '9')
        return -1;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || !end || *end)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

char *cli_exe_dir(void)
{
    char path[4096];
    ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
    if (n <= 0)
        return NULL;
    path[n] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash)
        return NULL;
    *slash = '\0';
    return strdup(path[0] ? path : "/");
}

static int is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* <exe dir>/<rel>, malloc'd; NULL when the exe dir is unknown or memory runs out. */
static char *exe_relative(const char *rel)
{
    char *dir = cli_exe_dir();
    if (!dir)
        return NULL;
    size_t n = strlen(dir) + 1 + strlen(rel) + 1;
    char *path = malloc(n);
    if (path)
        snprintf(path, n, "%s/%s", dir, rel);
    free(dir);
    return path;
}

char *cli_data_dir(const char *explicit_dir)
{
    if (explicit_dir)
        return strdup(explicit_dir);
    const char *env = getenv("ENRICHD_DATA");
    if (env && *env)
        return strdup(env);
    char *rel = exe_relative("../../data");
    if (rel && is_dir(rel))
        return rel;
    free(rel);
    return strdup(ENRICHD_DATADIR);
}

void cli_default_instance(char *out, size_t outlen)
{
    char host[256];
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    snprintf(out, outlen, "enrichd-%s", host);
}

char *cli_corpus_path(const char *explicit_path)
{
    if (explicit_path)
        return strdup(explicit_path);
    if (is_file("bench/corpus/news.jsonl"))
        return strdup("bench/corpus/news.jsonl");
    char *rel = exe_relative("../../bench/corpus/news.jsonl");
    if (rel && is_file(rel))
        return rel;
    free(rel);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return cli_usage_error(NULL, "missing command");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        cli_usage(stdout, argc > 2 && strcmp(cmd, "help") == 0 ? argv[2] : NULL);
        return CLI_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
        printf("enrich %s\n", ENRICHD_VERSION);
        return CLI_EXIT_OK;
    }
    /* Each command parses its own options from argv[1..]; argv[0] of the command is its name. */
    if (strcmp(cmd, "extract") == 0)
        return cmd_extract(argc - 1, argv + 1);
    if (strcmp(cmd, "push") == 0)
        return cmd_push(argc - 1, argv + 1);
    if (strcmp(cmd, "tail") == 0)
        return cmd_tail(argc - 1, argv + 1);
    if (strcmp(cmd, "dlq") == 0)
        return cmd_dlq(argc - 1, argv + 1);
    if (strcmp(cmd, "bench") == 0)
        return cmd_bench(argc - 1, argv + 1);
    if (strcmp(cmd, "keygen") == 0)
        return cmd_keygen(argc - 1, argv + 1);
    return cli_usage_error(NULL, "unknown command '%s'", cmd);
}
