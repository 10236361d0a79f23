/*
 * cmd_tail.c — `enrich tail`: a ZeroMQ SUB client for enrichd's output, printing the record frame
 * of every [topic][record] message as one JSON line, flushed per line.
 *
 * With --from SEQ it catches up first: it subscribes (to every topic, filtering locally, so that
 * seq gaps stay visible), asks the replay endpoint for the journaled records after SEQ page by
 * page, then follows the live output. Live records that arrive while replaying are buffered;
 * each record of the replay's instance is printed once, in seq order (de-duplicated by seq); a
 * hole in the live sequence (the subscription's slow start, a dropped message) is filled from
 * the replay endpoint, and what the journal no longer holds is reported on stderr as a gap.
 * Records of other instances (several daemons behind a forwarder) are de-duplicated per
 * instance but cannot be replayed: their gaps are only reported.
 *
 * SIGINT/SIGTERM write a byte to a self-pipe that zmq_poll watches (net.c), so the exit is
 * clean. Touches only tools/ and its own sockets.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zmq.h>

#include "cli.h"
#include "net.h"
#include "replay.h"

#define TAIL_MAX_TOPICS 64
#define TAIL_DEFAULT_OUTPUT "tcp://127.0.0.1:5558"
#define TAIL_DEFAULT_BUFFER 100000
#define TAIL_DEFAULT_IDLE_CHECK_MS 1000
#define TAIL_MAX_OTHERS 64

typedef struct tail_opts {
    const char *endpoint;   /* output (PUB) */
    const char *replay;     /* replay (ROUTER), --from only */
    const char *topics[TAIL_MAX_TOPICS];
    int ntopics;
    int with_topic;
    uint64_t count;         /* 0 = no limit */
    uint64_t timeout_ms;    /* 0 = none */
    int from_set;
    uint64_t from;
    uint64_t page, replay_timeout_ms, buffer;
    uint64_t idle_check_ms; /* ask the journal after this long without live records; 0 = never */
    const char *server_key, *key; /* CURVE client key files (curve.c), or NULL */
} tail_opts;

/* ---- output ----------------------------------------------------------------------------- */

/* Prints one record; returns 0 or -1 (stdout failed). */
static int write_record(int with_topic, const char *topic, size_t topic_len, const char *json,
                        size_t json_len)
{
    int ok = 1;
    if (with_topic)
        ok = fwrite(topic, 1, topic_len, stdout) == topic_len && fputc('\t', stdout) != EOF;
    ok = ok && fwrite(json, 1, json_len, stdout) == json_len && fputc('\n', stdout) != EOF &&
         fflush(stdout) == 0;
    return ok ? 0 : -1;
}

static int topic_matches(const tail_opts *o, const char *topic, size_t len)
{
    if (o->ntopics == 0)
        return 1;
    for (int i = 0; i < o->ntopics; i++) {
        size_t n = strlen(o->topics[i]);
        if (n <= len && memcmp(o->topics[i], topic, n) == 0)
            return 1;
    }
    return 0;
}

/* ---- plain mode: what the output publishes from now on ------------------------------------ */

static int tail_plain(const tail_opts *o, void *sock, int stop_fd)
{
    uint64_t printed = 0;
    int rc = CLI_EXIT_OK;
    while (o->count == 0 || printed < o->count) {
        zmq_pollitem_t items[2] = {{.socket = sock, .events = ZMQ_POLLIN},
                                   {.socket = NULL, .fd = stop_fd, .events = ZMQ_POLLIN}};
        int n = zmq_poll(items, 2, o->timeout_ms ? (long)o->timeout_ms : -1);
        if (n < 0) {
            if (errno == EINTR)
                continue; /* the pipe byte is seen on the next poll */
            fprintf(stderr, "enrich tail: poll: %s\n", zmq_strerror(errno));
            return CLI_EXIT_FAIL;
        }
        if (items[1].revents & ZMQ_POLLIN)
            return CLI_EXIT_OK; /* SIGINT / SIGTERM: clean exit */
        if (n == 0) {
            fprintf(stderr, "enrich tail: nothing received for %llu ms\n",
                    (unsigned long long)o->timeout_ms);
            return CLI_EXIT_TIMEOUT;
        }
        /* Drain what is queued without polling again, so a burst costs one poll. */
        while (cli_sock_readable(sock) && (o->count == 0 || printed < o->count)) {
            cli_msg m;
            if (cli_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0)
                break;
            if (m.total != 2) {
                fprintf(stderr, "enrich tail: skipped a message of %d frame(s), expected 2\n",
                        m.total);
            } else if (write_record(o->with_topic, cli_msg_data(&m, 0), cli_msg_size(&m, 0),
                                    cli_msg_data(&m, 1), cli_msg_size(&m, 1)) != 0) {
                rc = errno == EPIPE ? CLI_EXIT_OK : CLI_EXIT_FAIL;
                if (rc != CLI_EXIT_OK)
                    fprintf(stderr, "enrich tail: cannot write to stdout\n");
                cli_msg_close(&m);
                return rc;
            } else {
                printed++;
            }
            cli_msg_close(&m);
        }
    }
    return rc;
}

/* ---- --from mode ------------------------------------------------------------------------- */

typedef struct live_rec {
    uint64_t seq;
    char *topic, *json; /* owned copies */
    size_t topic_len, json_len;
} live_rec;

typedef struct other_instance {
    char name[256];
    uint64_t last;
} other_instance;

typedef struct follow {
    const tail_opts *o;
    replay_client rc;
    char instance[256];     /* the replay endpoint's instance */
    uint64_t covered;       /* every record of `instance` up to this seq is handled */
    live_rec *buf;          /* live records beyond covered + 1, sorted by seq */
    size_t nbuf, capbuf;
    int buffer_overflow;    /* a live record was not buffered (the replay brings it back) */
    other_instance others[TAIL_MAX_OTHERS];
    int nothers;
    int answer_first;       /* no record of the current replay answer seen yet */
    uint64_t jump_from, jump_to; /* a hole before the answer's first record */
    uint64_t printed;
    int out_error;          /* errno of a failed write to stdout, or 0 */
} follow;

static int follow_done(const follow *f)
{
    return f->out_error || (f->o->count && f->printed >= f->o->count);
}

/* Prints a record when its topic is wanted. Returns 0, or -1 when done or stdout failed. */
static int follow_print(follow *f, const char *topic, size_t topic_len, const char *json,
                        size_t json_len)
{
    if (follow_done(f))
        return -1;
    if (!topic_matches(f->o, topic, topic_len))
        return 0;
    if (write_record(f->o->with_topic, topic, topic_len, json, json_len) != 0) {
        f->out_error = errno ? errno : EIO;
        return -1;
    }
    f->printed++;
    return follow_done(f) ? -1 : 0;
}

/* Reads seq and instance from a record. Returns 0, or -1 when it has no usable seq. */
static int record_seq(const char *json, size_t len, uint64_t *seq, char *inst, size_t instlen)
{
    json_t *root = json_loadb(json, len, 0, NULL);
    json_t *s = json_object_get(root, "seq");
    const char *name = json_string_value(json_object_get(root, "instance"));
    int rc = -1;
    if (json_is_integer(s) && json_integer_value(s) > 0) {
        *seq = (uint64_t)json_integer_value(s);
        snprintf(inst, instlen, "%s", name ? name : "");
        rc = 0;
    }
    json_decref(root);
    return rc;
}

static void report_gap(uint64_t from, uint64_t to, const char *instance, const char *why)
{
    if (from == to)
        fprintf(stderr, "enrich tail: gap: record %llu of %s is missing (%s)\n",
                (unsigned long long)from, instance, why);
    else
        fprintf(stderr, "enrich tail: gap: records %llu..%llu of %s are missing (%s)\n",
                (unsigned long long)from, (unsigned long long)to, instance, why);
}

/* replay_fn: prints a replayed record after covered. Without a topic filter every seq is
 * expected, so a jump is a gap; the jump before an answer's first record is judged at its end
 * marker (history deleted by retention, or a hole). */
static int on_replayed(void *arg, const replay_rec *r)
{
    follow *f = arg;
    uint64_t seq;
    char inst[256];
    if (record_seq(r->json, r->json_len, &seq, inst, sizeof inst) != 0) {
        fprintf(stderr, "enrich tail: skipped a replayed record without seq\n");
        return 0;
    }
    if (seq <= f->covered)
        return 0; /* printed already */
    if (f->instance[0] == '\0') /* an end marker without instance: the records name it */
        snprintf(f->instance, sizeof f->instance, "%s", inst);
    if (f->o->ntopics == 0 && seq > f->covered + 1) {
        if (f->answer_first) {
            f->jump_from = f->covered + 1;
            f->jump_to = seq - 1;
        } else {
            report_gap(f->covered + 1, seq - 1, inst, "not in the journal");
        }
    }
    f->answer_first = 0;
    f->covered = seq; /* the answer holds every wanted record up to here */
    follow_print(f, r->topic, r->topic_len, r->json, r->json_len);
    /* Once --count is reached the rest of the answer is read unprinted, so that its end
     * marker still reports what the journal lacks; only a failed stdout stops at once. */
    return f->out_error ? -1 : 0;
}

static void report_history(uint64_t first, uint64_t since)
{
    fprintf(stderr, "enrich tail: history starts at %llu: records %llu..%llu were deleted by "
                    "retention\n",
            (unsigned long long)first, (unsigned long long)since + 1,
            (unsigned long long)first - 1);
}

/* One replay request from covered, of at most limit records, tried `tries` times; a failure
 * is reported on stderr unless what is NULL. Returns REPLAY_* and fills end. */
static int follow_page(follow *f, uint64_t limit, replay_end *end, const char *what, int tries)
{
    char err[300];
    uint64_t since = f->covered;
    f->rc.page = limit;
    int rc = REPLAY_FAIL;
    /* A lost answer (a restarting daemon, a dropped message) is asked for again. */
    for (int attempt = 0; attempt < tries && rc == REPLAY_FAIL; attempt++) {
        since = f->covered; /* what a failed attempt printed stays printed */
        f->answer_first = 1;
        f->jump_from = f->jump_to = 0;
        rc = replay_page(&f->rc, since, on_replayed, f, end, err, sizeof err);
        if (rc == REPLAY_FAIL && what)
            fprintf(stderr, "enrich tail: replay (%s): %s\n", what, err);
    }
    if (rc != REPLAY_OK)
        return rc;
    if (f->instance[0] == '\0')
        snprintf(f->instance, sizeof f->instance, "%s", end->instance);
    else if (end->instance[0] && strcmp(f->instance, end->instance) != 0)
        fprintf(stderr, "enrich tail: the replay endpoint now answers for instance '%s', not "
                        "'%s'\n", end->instance, f->instance);
    if (f->jump_to) {
        if (end->first_seq == f->jump_to + 1)
            report_history(end->first_seq, since);
        else
            report_gap(f->jump_from, f->jump_to, f->instance, "not in the journal");
    } else if (end->first_seq > since + 1) {
        report_history(end->first_seq, since); /* topic filter, or nothing left to send */
    }
    if (end->next > f->covered && f->answer_first && f->o->ntopics == 0 &&
        end->first_seq <= since + 1)
        report_gap(since + 1, end->next, f->instance, "not in the journal");
    if (end->next > f->covered)
        f->covered = end->next;
    return REPLAY_OK;
}

/* Replays from covered to the journal's end. Returns REPLAY_* (REPLAY_ABORT: done). */
static int follow_catch_up(follow *f)
{
    for (;;) {
        replay_end end;
        uint64_t before = f->covered;
        int rc = follow_page(f, f->o->page, &end, "catching up", 3);
        if (rc != REPLAY_OK)
            return rc;
        if (end.last_seq < before && end.last_seq > 0)
            fprintf(stderr, "enrich tail: the journal ends at %llu, before %llu\n",
                    (unsigned long long)end.last_seq, (unsigned long long)before);
        if (end.next >= end.last_seq || f->covered <= before || follow_done(f))
            return REPLAY_OK;
    }
}

/* The output has been quiet for --idle-check-ms: records published while our subscription was
 * not connected (the daemon restarted on the same endpoints) or dropped at the end of a burst
 * (the output's HWM) would otherwise wait for the next live record to show the hole. Asks the
 * journal once, quietly (a daemon that is restarting answers at the next check), and catches
 * up when it holds more. Returns REPLAY_OK, REPLAY_STOP or REPLAY_ABORT. */
static int follow_idle_check(follow *f)
{
    replay_end end;
    uint64_t before = f->covered;
    int rc = follow_page(f, f->o->page, &end, NULL, 1);
    if (rc == REPLAY_OK && end.next < end.last_seq && f->covered > before && !follow_done(f))
        rc = follow_catch_up(f);
    return rc == REPLAY_FAIL ? REPLAY_OK : rc;
}

static void live_free(live_rec *r)
{
    free(r->topic);
    free(r->json);
}

/* Keeps a live record for later, in seq order. */
static void buffer_add(follow *f, uint64_t seq, const cli_msg *m)
{
    size_t pos = f->nbuf;
    while (pos > 0 && f->buf[pos - 1].seq > seq) /* live records arrive in order: short walk */
        pos--;
    if (pos > 0 && f->buf[pos - 1].seq == seq)
        return; /* a duplicate */
    if (f->nbuf >= f->o->buffer) {
        f->buffer_overflow = 1;
        return;
    }
    if (f->nbuf == f->capbuf) {
        size_t ncap = f->capbuf ? f->capbuf * 2 : 256;
        live_rec *bigger = realloc(f->buf, ncap * sizeof *bigger);
        if (!bigger) {
            f->buffer_overflow = 1;
            return;
        }
        f->buf = bigger;
        f->capbuf = ncap;
    }
    live_rec r = {.seq = seq, .topic_len = cli_msg_size(m, 0), .json_len = cli_msg_size(m, 1)};
    r.topic = malloc(r.topic_len + 1);
    r.json = malloc(r.json_len + 1);
    if (!r.topic || !r.json) {
        live_free(&r);
        f->buffer_overflow = 1;
        return;
    }
    memcpy(r.topic, cli_msg_data(m, 0), r.topic_len);
    memcpy(r.json, cli_msg_data(m, 1), r.json_len);
    memmove(&f->buf[pos + 1], &f->buf[pos], (f->nbuf - pos) * sizeof *f->buf);
    f->buf[pos] = r;
    f->nbuf++;
}

/* Prints the buffered records that now follow covered; drops those already printed. */
static void buffer_flush(follow *f)
{
    if (f->nbuf == 0)
        return;
    size_t i = 0;
    for (; i < f->nbuf; i++) {
        live_rec *r = &f->buf[i];
        if (r->seq > f->covered + 1)
            break;
        if (r->seq == f->covered + 1) {
            f->covered = r->seq;
            follow_print(f, r->topic, r->topic_len, r->json, r->json_len);
        }
        live_free(r);
    }
    memmove(f->buf, &f->buf[i], (f->nbuf - i) * sizeof *f->buf);
    f->nbuf -= i;
}

/* A live record of another instance: print once per seq, report its gaps. */
static void other_record(follow *f, const char *inst, uint64_t seq, const cli_msg *m)
{
    other_instance *o = NULL;
    for (int i = 0; i < f->nothers && !o; i++)
        if (strcmp(f->others[i].name, inst) == 0)
            o = &f->others[i];
    if (!o && f->nothers < TAIL_MAX_OTHERS) {
        o = &f->others[f->nothers++];
        snprintf(o->name, sizeof o->name, "%s", inst);
        o->last = 0;
    }
    if (o) {
        if (seq <= o->last)
            return;
        if (o->last && seq > o->last + 1)
            report_gap(o->last + 1, seq - 1, inst, "not replayable: another instance");
        o->last = seq;
    }
    follow_print(f, cli_msg_data(m, 0), cli_msg_size(m, 0), cli_msg_data(m, 1),
                 cli_msg_size(m, 1));
}

/* One live message. */
static void live_record(follow *f, const cli_msg *m)
{
    if (m->total != 2) {
        fprintf(stderr, "enrich tail: skipped a message of %d frame(s), expected 2\n", m->total);
        return;
    }
    uint64_t seq;
    char inst[256];
    if (record_seq(cli_msg_data(m, 1), cli_msg_size(m, 1), &seq, inst, sizeof inst) != 0) {
        fprintf(stderr, "enrich tail: skipped a record without seq\n");
        return;
    }
    if (f->instance[0] == '\0') /* an empty journal whose end marker named no instance */
        snprintf(f->instance, sizeof f->instance, "%s", inst);
    if (strcmp(inst, f->instance) != 0) {
        other_record(f, inst, seq, m);
        return;
    }
    if (seq <= f->covered)
        return; /* replayed already */
    if (seq == f->covered + 1 && f->nbuf == 0) {
        f->covered = seq;
        follow_print(f, cli_msg_data(m, 0), cli_msg_size(m, 0), cli_msg_data(m, 1),
                     cli_msg_size(m, 1));
        return;
    }
    buffer_add(f, seq, m);
}

/* Closes the holes before buffered records, one after the other: from the journal (just the
 * hole when every topic is followed); what the journal cannot give is reported as a gap. */
static int fill_holes(follow *f)
{
    buffer_flush(f);
    while (f->nbuf > 0 && !follow_done(f)) {
        uint64_t target = f->buf[0].seq - 1; /* > covered after a flush */
        int rc = REPLAY_OK;
        while (rc == REPLAY_OK && f->covered < target && !follow_done(f)) {
            uint64_t limit = f->o->page, before = f->covered;
            if (f->o->ntopics == 0 && target - f->covered < limit)
                limit = target - f->covered;
            replay_end end;
            rc = follow_page(f, limit, &end, "filling a gap", 3);
            if (rc == REPLAY_OK && (end.next >= end.last_seq || f->covered <= before))
                break;
        }
        if (rc == REPLAY_STOP || rc == REPLAY_ABORT)
            return rc;
        if (f->covered < target && !follow_done(f)) {
            /* Published (so journaled) before the replay was asked, yet not in the answer. */
            report_gap(f->covered + 1, target, f->instance,
                       rc == REPLAY_OK ? "not in the journal" : "replay failed");
            f->covered = target;
        }
        buffer_flush(f);
    }
    return REPLAY_OK;
}

static int tail_from(const tail_opts *o, void *ctx, void *sock, int stop_fd)
{
    follow f;
    memset(&f, 0, sizeof f);
    f.o = o;
    f.covered = o->from;
    f.rc.timeout_ms = (int)o->replay_timeout_ms;
    f.rc.stop_fd = stop_fd;
    f.rc.page = o->page;
    f.rc.topics = o->topics;
    f.rc.ntopics = o->ntopics;
    f.rc.server_key = o->server_key;
    f.rc.key = o->key;
    int rc = replay_open(&f.rc, ctx, o->replay, "tail");
    if (rc != CLI_EXIT_OK)
        return rc;

    int r = follow_catch_up(&f);
    if (r == REPLAY_FAIL) {
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    int64_t last_arrival = cli_mono_ns(), last_check = last_arrival;
    while (r == REPLAY_OK && !follow_done(&f)) {
        zmq_pollitem_t items[2] = {{.socket = sock, .events = ZMQ_POLLIN},
                                   {.socket = NULL, .fd = stop_fd, .events = ZMQ_POLLIN}};
        long wait = -1;
        int64_t now = cli_mono_ns();
        if (o->timeout_ms) {
            int64_t left = (int64_t)o->timeout_ms - (now - last_arrival) / 1000000;
            wait = left > 0 ? (long)left : 0;
        }
        int check_due = 0;
        if (o->idle_check_ms) {
            int64_t left = (int64_t)o->idle_check_ms - (now - last_check) / 1000000;
            if (left <= 0)
                check_due = 1;
            else if (wait < 0 || left < wait)
                wait = (long)left;
        }
        if (check_due) {
            uint64_t printed = f.printed;
            r = follow_idle_check(&f);
            last_check = cli_mono_ns();
            if (f.printed > printed)
                last_arrival = last_check; /* records came: not idle for --timeout */
            continue;
        }
        int n = zmq_poll(items, 2, wait);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "enrich tail: poll: %s\n", zmq_strerror(errno));
            rc = CLI_EXIT_FAIL;
            break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            break;
        if (n == 0) {
            if (o->timeout_ms &&
                (cli_mono_ns() - last_arrival) / 1000000 >= (int64_t)o->timeout_ms) {
                fprintf(stderr, "enrich tail: nothing received for %llu ms\n",
                        (unsigned long long)o->timeout_ms);
                rc = CLI_EXIT_TIMEOUT;
                break;
            }
            continue; /* an idle check is due */
        }
        last_arrival = last_check = cli_mono_ns();
        while (cli_sock_readable(sock) && !follow_done(&f)) {
            cli_msg m;
            if (cli_msg_recv(&m, sock, ZMQ_DONTWAIT) < 0)
                break;
            live_record(&f, &m);
            cli_msg_close(&m);
        }
        r = fill_holes(&f);
        if (r == REPLAY_OK && f.buffer_overflow && f.nbuf == 0 && !follow_done(&f)) {
            f.buffer_overflow = 0; /* what did not fit is in the journal */
            r = follow_catch_up(&f);
            if (r == REPLAY_FAIL)
                r = REPLAY_OK; /* reported; the next hole tries again */
        }
    }
    if (f.out_error && f.out_error != EPIPE) {
        fprintf(stderr, "enrich tail: cannot write to stdout\n");
        rc = CLI_EXIT_FAIL;
    }
out:
    for (size_t i = 0; i < f.nbuf; i++)
        live_free(&f.buf[i]);
    free(f.buf);
    replay_close(&f.rc);
    return rc;
}

/* ---- options ----------------------------------------------------------------------------- */

int cmd_tail(int argc, char **argv)
{
    enum { OPT_COUNT = 256, OPT_TIMEOUT, OPT_TOPIC, OPT_WITH_TOPIC, OPT_FROM, OPT_REPLAY,
           OPT_ENDPOINT, OPT_PAGE, OPT_REPLAY_TIMEOUT, OPT_BUFFER, OPT_HELP, OPT_SERVER_KEY,
           OPT_KEY, OPT_IDLE_CHECK };
    static const struct option longopts[] = {
        {"count", required_argument, NULL, OPT_COUNT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
        {"topic", required_argument, NULL, OPT_TOPIC},
        {"with-topic", no_argument, NULL, OPT_WITH_TOPIC},
        {"from", required_argument, NULL, OPT_FROM},
        {"replay", required_argument, NULL, OPT_REPLAY},
        {"endpoint", required_argument, NULL, OPT_ENDPOINT},
        {"page", required_argument, NULL, OPT_PAGE},
        {"replay-timeout-ms", required_argument, NULL, OPT_REPLAY_TIMEOUT},
        {"buffer", required_argument, NULL, OPT_BUFFER},
        {"idle-check-ms", required_argument, NULL, OPT_IDLE_CHECK},
        {"help", no_argument, NULL, OPT_HELP},
        {"server-key", required_argument, NULL, OPT_SERVER_KEY},
        {"key", required_argument, NULL, OPT_KEY},
        {NULL, 0, NULL, 0}};
    tail_opts o;
    memset(&o, 0, sizeof o);
    o.replay = REPLAY_DEFAULT_ENDPOINT;
    o.page = REPLAY_DEFAULT_PAGE;
    o.replay_timeout_ms = REPLAY_DEFAULT_TIMEOUT_MS;
    o.buffer = TAIL_DEFAULT_BUFFER;
    o.idle_check_ms = TAIL_DEFAULT_IDLE_CHECK_MS;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_COUNT:
            if (cli_parse_u64(optarg, &o.count) != 0 || o.count == 0)
                return cli_usage_error("tail", "--count needs a positive number");
            break;
        case OPT_TIMEOUT:
            if (cli_parse_u64(optarg, &o.timeout_ms) != 0 || o.timeout_ms == 0 ||
                o.timeout_ms > 86400000)
                return cli_usage_error("tail", "--timeout needs milliseconds (1..86400000)");
            break;
        case OPT_TOPIC:
            if (o.ntopics == TAIL_MAX_TOPICS)
                return cli_usage_error("tail", "too many topics (max %d)", TAIL_MAX_TOPICS);
            o.topics[o.ntopics++] = optarg;
            break;
        case OPT_WITH_TOPIC:
            o.with_topic = 1;
            break;
        case OPT_FROM:
            if (cli_parse_u64(optarg, &o.from) != 0 || o.from > INT64_MAX)
                return cli_usage_error("tail", "--from needs a seq (0 = everything)");
            o.from_set = 1;
            break;
        case OPT_REPLAY:
            o.replay = optarg;
            break;
        case OPT_ENDPOINT:
            o.endpoint = optarg;
            break;
        case OPT_PAGE:
            if (cli_parse_u64(optarg, &o.page) != 0 || o.page == 0 || o.page > 1000000)
                return cli_usage_error("tail", "--page needs a number of records (1..1000000)");
            break;
        case OPT_REPLAY_TIMEOUT:
            if (cli_parse_u64(optarg, &o.replay_timeout_ms) != 0 || o.replay_timeout_ms == 0 ||
                o.replay_timeout_ms > 86400000)
                return cli_usage_error("tail", "--replay-timeout-ms needs milliseconds "
                                               "(1..86400000)");
            break;
        case OPT_BUFFER:
            if (cli_parse_u64(optarg, &o.buffer) != 0 || o.buffer == 0 || o.buffer > 100000000)
                return cli_usage_error("tail", "--buffer needs a number of records");
            break;
        case OPT_IDLE_CHECK:
            if (cli_parse_u64(optarg, &o.idle_check_ms) != 0 || o.idle_check_ms > 86400000)
                return cli_usage_error("tail", "--idle-check-ms needs milliseconds "
                                               "(0..86400000; 0 = never)");
            break;
        case OPT_HELP:
            cli_usage(stdout, "tail");
            return CLI_EXIT_OK;
        case OPT_SERVER_KEY:
            o.server_key = optarg;
            break;
        case OPT_KEY:
            o.key = optarg;
            break;
        default:
            cli_usage(stderr, "tail");
            return CLI_EXIT_USAGE;
        }
    }
    if (!o.endpoint && optind < argc)
        o.endpoint = argv[optind++];
    if (!o.endpoint && o.from_set)
        o.endpoint = TAIL_DEFAULT_OUTPUT;
    if (!o.endpoint)
        return cli_usage_error("tail", "missing ENDPOINT");
    for (; optind < argc; optind++) {
        if (o.ntopics == TAIL_MAX_TOPICS)
            return cli_usage_error("tail", "too many topics (max %d)", TAIL_MAX_TOPICS);
        o.topics[o.ntopics++] = argv[optind];
    }
    int stop_fd = cli_signals_install();
    if (stop_fd < 0) {
        fprintf(stderr, "enrich tail: cannot install signal handlers: %s\n", strerror(errno));
        return CLI_EXIT_FAIL;
    }

    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, ZMQ_SUB) : NULL;
    int zero = 0;
    int rc = CLI_EXIT_OK;
    if (!sock || zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(sock, ZMQ_RCVHWM, &zero, sizeof zero) != 0) {
        fprintf(stderr, "enrich tail: socket setup: %s\n", zmq_strerror(errno));
        rc = CLI_EXIT_FAIL;
        goto out;
    }
    rc = cli_curve_client(sock, "tail", o.server_key, o.key);
    if (rc != CLI_EXIT_OK)
        goto out;
    /* --from subscribes to everything: the seq of every record must be seen to find holes. */
    if (o.ntopics == 0 || o.from_set) {
        if (zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "", 0) != 0)
            rc = CLI_EXIT_FAIL;
    } else {
        for (int i = 0; i < o.ntopics && rc == CLI_EXIT_OK; i++)
            if (zmq_setsockopt(sock, ZMQ_SUBSCRIBE, o.topics[i], strlen(o.topics[i])) != 0)
                rc = CLI_EXIT_FAIL;
    }
    if (rc != CLI_EXIT_OK) {
        fprintf(stderr, "enrich tail: subscribe: %s\n", zmq_strerror(errno));
        goto out;
    }
    rc = cli_connect(sock, "tail", o.endpoint);
    if (rc == CLI_EXIT_OK)
        rc = o.from_set ? tail_from(&o, ctx, sock, stop_fd) : tail_plain(&o, sock, stop_fd);
out:
    if (sock)
        zmq_close(sock);
    if (ctx)
        zmq_ctx_term(ctx);
    cli_signals_close();
    return rc;
}
