/*
 * push_ack.c — `enrich push --ack`: a DEALER on enrichd's acknowledged feed (docs/protocol.md,
 * "Acked feed"). Keeps up to `window` articles in flight; each answer ["ok"][id][seq] or
 * ["error"][id][code] settles the oldest in-flight article with that id; an article without an
 * answer within timeout_ms is sent again, byte for byte (so it keeps its id and the daemon
 * de-duplicates it), up to `retries` times. The id is computed here as the daemon does it
 * (proto/envelope.c): the envelope's id or the hash of the text, and, for inputs the daemon may
 * reject before reading an id, the hash of the whole frame; an answer may name either.
 * Touches only its socket, the input files/stdin, stdout and stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "cli.h"
#include "envelope.h"
#include "jsonl.h"
#include "net.h"
#include "push_ack.h"

typedef struct ack_slot {
    int used;
    uint64_t n;                 /* article number, from 1, in input order */
    char *bytes;                /* the frame (owned) */
    size_t len;
    char id[ED_ID_MAX + 1];     /* id of the article as the daemon computes it */
    char frame_id[33];          /* hash of the whole frame: the id of an early rejection */
    uint64_t sends;
    int64_t deadline_ns;
} ack_slot;

typedef struct ack_run {
    const push_ack_opts *o;
    void *sock;
    ack_slot *slots;
    size_t nslots, inflight;
    uint64_t articles, ok, rejected, unacked, resends;
    int failed;                 /* unreadable input or send error */
} ack_run;

static int64_t timeout_ns(const ack_run *r)
{
    return (int64_t)r->o->timeout_ms * 1000000;
}

static void slot_free(ack_run *r, ack_slot *s)
{
    free(s->bytes);
    memset(s, 0, sizeof *s);
    r->inflight--;
}

/* Sends (again) the frame of s. A refused send counts as sent: its deadline brings a retry. */
static void slot_send(ack_run *r, ack_slot *s)
{
    s->sends++;
    s->deadline_ns = cli_mono_ns() + timeout_ns(r);
    while (zmq_send(r->sock, s->bytes, s->len, ZMQ_DONTWAIT) < 0) {
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN) {
            fprintf(stderr, "enrich push: send failed: %s\n", zmq_strerror(errno));
            r->failed = 1;
        }
        break;
    }
}

/* Takes a new article into a free slot and sends it. Returns 0 or -1 (out of memory). */
static int slot_start(ack_run *r, const char *bytes, size_t len)
{
    ack_slot *s = NULL;
    for (size_t i = 0; i < r->nslots && !s; i++)
        if (!r->slots[i].used)
            s = &r->slots[i];
    if (!s)
        return -1; /* the caller keeps inflight < nslots */
    s->bytes = malloc(len ? len : 1);
    if (!s->bytes)
        return -1;
    memcpy(s->bytes, bytes, len);
    s->len = len;
    s->used = 1;
    s->n = ++r->articles;
    s->sends = 0;
    char err[256];
    ed_envelope env;
    ed_errcode code = ed_envelope_parse(bytes, len, 0, &env, err, sizeof err);
    snprintf(s->id, sizeof s->id, "%s", env.id);
    if (code == ED_ERR_NONE)
        ed_envelope_release(&env);
    ed_hash_id(bytes, len, s->frame_id);
    r->inflight++;
    slot_send(r, s);
    return 0;
}

/* One answer from the daemon. */
static void on_answer(ack_run *r, const cli_msg *m)
{
    int first = cli_msg_size(m, 0) == 0 && m->n > 1 ? 1 : 0; /* a REQ-style empty delimiter */
    if (m->total - first != 3) {
        fprintf(stderr, "enrich push: skipped an answer of %d frame(s), expected 3\n", m->total);
        return;
    }
    int ok = cli_msg_is(m, first, "ok");
    if (!ok && !cli_msg_is(m, first, "error")) {
        fprintf(stderr, "enrich push: skipped an answer that is neither ok nor error\n");
        return;
    }
    char id[ED_ID_MAX + 1], detail[128];
    size_t idlen = cli_msg_size(m, first + 1), dlen = cli_msg_size(m, first + 2);
    if (idlen > ED_ID_MAX)
        idlen = ED_ID_MAX;
    if (dlen >= sizeof detail)
        dlen = sizeof detail - 1;
    memcpy(id, cli_msg_data(m, first + 1), idlen);
    id[idlen] = '\0';
    memcpy(detail, cli_msg_data(m, first + 2), dlen);
    detail[dlen] = '\0';

    ack_slot *best = NULL;
    for (size_t i = 0; i < r->nslots; i++) {
        ack_slot *s = &r->slots[i];
        if (s->used && (strcmp(s->id, id) == 0 || strcmp(s->frame_id, id) == 0) &&
            (!best || s->n < best->n))
            best = s;
    }
    if (!best) {
        /* the answer to an earlier copy of an article already settled: nothing to do */
        return;
    }
    if (r->o->print_acks)
        printf("%llu\t%s\t%s\t%s\n", (unsigned long long)best->n, id, ok ? "ok" : "error",
               detail);
    if (ok) {
        r->ok++;
    } else {
        r->rejected++;
        if (!r->o->quiet)
            fprintf(stderr, "enrich push: article %llu (id %s) rejected: %s\n",
                    (unsigned long long)best->n, id, detail);
    }
    slot_free(r, best);
}

/* Resends what waited too long; gives up on what has had all its tries. */
static void check_deadlines(ack_run *r)
{
    int64_t now = cli_mono_ns();
    for (size_t i = 0; i < r->nslots; i++) {
        ack_slot *s = &r->slots[i];
        if (!s->used || s->deadline_ns > now)
            continue;
        if (s->sends <= r->o->retries) {
            r->resends++;
            slot_send(r, s);
        } else {
            fprintf(stderr, "enrich push: article %llu (id %s) unacknowledged after %llu sends\n",
                    (unsigned long long)s->n, s->id, (unsigned long long)s->sends);
            r->unacked++;
            slot_free(r, s);
        }
    }
}

static long next_wait_ms(const ack_run *r)
{
    int64_t soonest = INT64_MAX;
    for (size_t i = 0; i < r->nslots; i++)
        if (r->slots[i].used && r->slots[i].deadline_ns < soonest)
            soonest = r->slots[i].deadline_ns;
    if (soonest == INT64_MAX)
        return -1;
    int64_t left = (soonest - cli_mono_ns() + 999999) / 1000000;
    return left > 0 ? (long)left : 0;
}

int push_ack_run(const push_ack_opts *o, char **files, int nfiles)
{
    ack_run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.nslots = (size_t)o->window;
    r.slots = calloc(r.nslots, sizeof *r.slots);
    int stop_fd = cli_signals_install();
    void *ctx = zmq_ctx_new();
    if (!r.slots || stop_fd < 0 || !ctx) {
        fprintf(stderr, "enrich push: setup failed: %s\n", strerror(errno));
        free(r.slots);
        if (ctx)
            zmq_ctx_term(ctx);
        cli_signals_close();
        return CLI_EXIT_FAIL;
    }
    r.sock = zmq_socket(ctx, ZMQ_DEALER);
    int zero = 0, hwm = (int)(o->window * (o->retries + 1) + 16);
    int rc = CLI_EXIT_OK;
    if (!r.sock || zmq_setsockopt(r.sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(r.sock, ZMQ_SNDHWM, &hwm, sizeof hwm) != 0) {
        fprintf(stderr, "enrich push: socket setup: %s\n", zmq_strerror(errno));
        rc = CLI_EXIT_FAIL;
    } else {
        rc = cli_curve_client(r.sock, "push", o->server_key, o->key);
        if (rc == CLI_EXIT_OK)
            rc = cli_connect(r.sock, "push", o->endpoint);
    }
    if (rc != CLI_EXIT_OK)
        goto out;

    cli_frames frames;
    cli_frames_init(&frames, files, nfiles, nfiles == 0);
    int input_done = 0, interrupted = 0;
    while (!interrupted) {
        while (!input_done && r.inflight < r.nslots) {
            const char *bytes;
            size_t len;
            char err[300];
            int got = cli_frames_next(&frames, &bytes, &len, err, sizeof err);
            if (got == 0 || (got < 0 && nfiles == 0)) {
                if (got < 0) {
                    fprintf(stderr, "enrich push: %s\n", err);
                    r.failed = 1;
                }
                input_done = 1;
            } else if (got < 0) {
                fprintf(stderr, "enrich push: %s\n", err); /* skip this file, go on */
                r.failed = 1;
            } else if (slot_start(&r, bytes, len) != 0) {
                fprintf(stderr, "enrich push: out of memory\n");
                r.failed = 1;
                input_done = 1;
            }
        }
        if (input_done && r.inflight == 0)
            break;
        zmq_pollitem_t items[2] = {{.socket = r.sock, .events = ZMQ_POLLIN},
                                   {.socket = NULL, .fd = stop_fd, .events = ZMQ_POLLIN}};
        int n = zmq_poll(items, 2, next_wait_ms(&r));
        if (n < 0 && errno != EINTR) {
            fprintf(stderr, "enrich push: poll: %s\n", zmq_strerror(errno));
            r.failed = 1;
            break;
        }
        if (n > 0 && (items[1].revents & ZMQ_POLLIN)) {
            interrupted = 1;
            break;
        }
        while (cli_sock_readable(r.sock)) {
            cli_msg m;
            if (cli_msg_recv(&m, r.sock, ZMQ_DONTWAIT) < 0)
                break;
            on_answer(&r, &m);
            cli_msg_close(&m);
        }
        check_deadlines(&r);
    }
    if (interrupted || r.failed) {
        if (r.inflight)
            fprintf(stderr, "enrich push: stopped with %zu article(s) unanswered\n", r.inflight);
        r.unacked += r.inflight;
    }
    for (size_t i = 0; i < r.nslots; i++)
        if (r.slots[i].used)
            free(r.slots[i].bytes);
    cli_frames_close(&frames);
    printf("articles=%llu ok=%llu rejected=%llu unacknowledged=%llu resends=%llu\n",
           (unsigned long long)r.articles, (unsigned long long)r.ok,
           (unsigned long long)r.rejected, (unsigned long long)r.unacked,
           (unsigned long long)r.resends);
    fflush(stdout);
    if (r.failed || r.unacked || interrupted)
        rc = CLI_EXIT_FAIL;
    else if (r.rejected)
        rc = CLI_EXIT_REJECTED;
out:
    if (r.sock)
        zmq_close(r.sock);
    zmq_ctx_term(ctx);
    free(r.slots);
    cli_signals_close();
    return rc;
}
