/*
 * receiver.c — the receiver thread: owns the feed PULL socket. Reads every message as a whole
 * (all its frames), rejects bad input at once with an error record to the publisher, and hands
 * each good frame to a worker without copying it: the zmq_msg_t moves into an ed_job whose
 * pointer travels down the worker's own inproc pipe (round robin over pipes that are not full).
 * On "STOP <ms>" from main it unbinds the feed's bound endpoints (no new connections or data from
 * them; what they queued stays readable), takes what is already queued in the feed socket for at
 * most <ms> (connect endpoints stay connected: disconnecting would drop their queue), then closes
 * the feed and sends END down every pipe.
 * The acked feed (ROUTER, only with the journal): the same checks per request; an article whose
 * id is in flight only adds a waiter (inflight.h), one whose id the journal holds is answered
 * at once with its first seq, others go to a worker flagged ED_PIPE_ACKED | ED_PIPE_BYID. The
 * publisher's notices (journaled + synced) become the ROUTER replies ["ok"][id][seq] or
 * ["error"][id][code]. On STOP the ack socket stays bound (unbinding would drop the
 * connections the replies go to): its queued requests are taken like the feed's, then the
 * receiver answers notices until the publisher's END.
 * May touch: feed, ack, notices, ctl, to_workers[], to_publisher (its sockets); the in-flight
 * table; the journal (read: id lookups); counters; queue gauges
 * (stats.h); max_bytes (read).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pipeline.h"

typedef enum recv_status { RECV_OK, RECV_EMPTY, RECV_FATAL } recv_status;

#define ACK_FRAMES_MAX 8 /* frames of an acked request kept; more are counted and dropped */

static void job_free(ed_job *job)
{
    ed_envelope_release(&job->env);
    zmq_msg_close(&job->frame);
    free(job);
}

/* Hands job to a worker whose pipe has room, waiting when all are full. Returns 0, or -1 on
 * ETERM (job freed). */
static int dispatch(ed_receiver *r, ed_job *job)
{
    size_t n = r->nworkers;
    for (;;) {
        for (size_t k = 0; k < n; k++) {
            size_t w = (r->next_worker + k) % n;
            if (zmq_send(r->to_workers[w], &job, sizeof job, ZMQ_DONTWAIT) == (int)sizeof job) {
                r->next_worker = (w + 1) % n;
                ed_stats_add(ed_stats_worker_queue(&r->sh->stats, w), 1);
                return 0;
            }
            if (errno != EAGAIN && errno != EINTR) {
                job_free(job);
                return -1;
            }
        }
        /* every pipe is full: wait until one has room */
        for (size_t k = 0; k < n; k++) {
            r->pollout[k].socket = r->to_workers[k];
            r->pollout[k].fd = 0;
            r->pollout[k].events = ZMQ_POLLOUT;
            r->pollout[k].revents = 0;
        }
        if (zmq_poll(r->pollout, (int)n, -1) < 0 && errno != EINTR) {
            job_free(job);
            return -1;
        }
    }
}

/* Reads and discards the remaining frames of a multi-frame message. Returns the frame count
 * (first included), or -1 on ETERM. */
static long discard_rest(void *sock, size_t *total_bytes)
{
    long frames = 1;
    int more = 1;
    while (more) {
        zmq_msg_t part;
        zmq_msg_init(&part);
        if (zmq_msg_recv(&part, sock, 0) < 0) {
            zmq_msg_close(&part);
            if (errno == EINTR)
                continue;
            return -1;
        }
        frames++;
        *total_bytes += zmq_msg_size(&part);
        more = zmq_msg_more(&part);
        zmq_msg_close(&part);
    }
    return frames;
}

/* Receives one feed message if one is waiting and routes it. */
static recv_status receive_one(ed_receiver *r)
{
    ed_shared *sh = r->sh;
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    if (zmq_msg_recv(&msg, r->feed, ZMQ_DONTWAIT) < 0) {
        int e = errno;
        zmq_msg_close(&msg);
        return (e == EAGAIN || e == EINTR) ? RECV_EMPTY : RECV_FATAL;
    }
    int64_t received_ms = ed_now_ms();
    ed_counters_received(&sh->counters);

    if (zmq_msg_more(&msg)) {
        size_t total = zmq_msg_size(&msg);
        long frames = discard_rest(r->feed, &total);
        if (frames < 0) {
            zmq_msg_close(&msg);
            return RECV_FATAL;
        }
        char why[128];
        snprintf(why, sizeof why, "message has %ld frames (%zu bytes); one frame expected",
                 frames, total);
        ed_envelope env;
        memset(&env, 0, sizeof env);
        ed_hash_id(zmq_msg_data(&msg), zmq_msg_size(&msg), env.id);
        int rc = ed_pipe_send_error(sh, r->to_publisher, &env, ED_ERR_BAD_FRAMES, why,
                                    zmq_msg_data(&msg), zmq_msg_size(&msg), received_ms, NULL);
        zmq_msg_close(&msg);
        return rc < 0 ? RECV_FATAL : RECV_OK;
    }

    ed_job *job = malloc(sizeof *job);
    if (job == NULL) {
        int rc = ed_pipe_send_error(sh, r->to_publisher, NULL, ED_ERR_INTERNAL, "out of memory",
                                    zmq_msg_data(&msg), zmq_msg_size(&msg), received_ms, NULL);
        zmq_msg_close(&msg);
        return rc < 0 ? RECV_FATAL : RECV_OK;
    }
    /* move first, parse after: small frames live inside the zmq_msg_t itself */
    zmq_msg_init(&job->frame);
    zmq_msg_move(&job->frame, &msg);
    zmq_msg_close(&msg);
    job->received_ms = received_ms;
    job->pipe_flags = 0;

    char err[EX_ERRLEN];
    const void *bytes = zmq_msg_data(&job->frame);
    size_t len = zmq_msg_size(&job->frame);
    size_t max_bytes = atomic_load_explicit(&sh->max_bytes, memory_order_relaxed);
    ed_errcode code = ed_envelope_parse(bytes, len, max_bytes, &job->env, err, sizeof err);
    if (code != ED_ERR_NONE) {
        int rc = ed_pipe_send_error(sh, r->to_publisher, &job->env, code, err, bytes, len,
                                    received_ms, NULL);
        zmq_msg_close(&job->frame);
        free(job);
        return rc < 0 ? RECV_FATAL : RECV_OK;
    }
    return dispatch(r, job) < 0 ? RECV_FATAL : RECV_OK;
}


/* ---- acked feed ----------------------------------------------------------------------------- */

/* Sends one ROUTER reply [rid][""]?[status][id][value]. Send errors (a vanished peer) are
 * ignored: ROUTER_MANDATORY is off, so an unroutable reply is dropped by libzmq. Returns -1 on
 * ETERM only. */
static int reply(ed_receiver *r, const void *rid, size_t rid_len, int delim, const char *status,
                 const char *id, size_t id_len, const char *value)
{
    if (zmq_send(r->ack, rid, rid_len, ZMQ_SNDMORE) < 0 ||
        (delim && zmq_send(r->ack, "", 0, ZMQ_SNDMORE) < 0) ||
        zmq_send(r->ack, status, strlen(status), ZMQ_SNDMORE) < 0 ||
        zmq_send(r->ack, id, id_len, ZMQ_SNDMORE) < 0 ||
        zmq_send(r->ack, value, strlen(value), 0) < 0)
        return errno == ETERM ? -1 : 0;
    ed_counters_ack_reply(&r->sh->counters, status[0] == 'o');
    return 0;
}

typedef struct reply_ctx {
    ed_receiver *r;
    const char *status, *id, *value;
    size_t id_len;
    int fatal;
} reply_ctx;

static void reply_waiter(void *arg, const void *rid, size_t rid_len, int delim)
{
    reply_ctx *c = arg;
    if (!c->fatal && reply(c->r, rid, rid_len, delim, c->status, c->id, c->id_len, c->value) < 0)
        c->fatal = 1;
}

/* Handles one notice frame from the publisher. Returns 1 for END, 0, or -1 on ETERM. */
static int handle_notice(ed_receiver *r, zmq_msg_t *msg)
{
    size_t n = zmq_msg_size(msg);
    if (n == 0)
        return 1;
    const unsigned char *p = zmq_msg_data(msg);
    if (n < ED_NOTICE_HDR || n < (size_t)ED_NOTICE_HDR + p[2])
        return 0; /* cannot happen: only the publisher writes this pipe */
    int status = p[0];
    unsigned flags = p[1];
    size_t rid_len = p[2];
    int code = p[3];
    uint64_t seq;
    memcpy(&seq, p + 4, 8);
    const unsigned char *rid = p + ED_NOTICE_HDR;
    char id[ED_ID_MAX + 1];
    size_t id_len = n - ED_NOTICE_HDR - rid_len;
    if (id_len > ED_ID_MAX)
        id_len = ED_ID_MAX;
    memcpy(id, rid + rid_len, id_len);
    id[id_len] = '\0';

    char value[32];
    reply_ctx c = {.r = r, .id = id, .id_len = id_len, .value = value};
    if (status == ED_NOTICE_OK) {
        c.status = "ok";
        snprintf(value, sizeof value, "%llu", (unsigned long long)seq);
    } else {
        c.status = "error";
        snprintf(value, sizeof value, "%s", ed_errcode_name((ed_errcode)code));
    }
    if (status == ED_NOTICE_LOST) {
        /* not journaled: no answer; the producer resends after its timeout */
        size_t waiting = (flags & ED_PIPE_BYID) ? ed_inflight_take(r->inflight, id, NULL, NULL)
                                                : 1;
        ed_log_line line;
        if (ed_log_begin(&line, ED_LOG_WARN, "acked record not journaled; no reply sent")) {
            ed_log_str(&line, "id", id);
            ed_log_int(&line, "waiting", (int64_t)waiting);
            ed_log_end(&line);
        }
        return 0;
    }
    if (flags & ED_PIPE_BYID)
        ed_inflight_take(r->inflight, id, reply_waiter, &c);
    else
        reply_waiter(&c, rid, rid_len, (flags & ED_PIPE_DELIM) != 0);
    return c.fatal ? -1 : 0;
}

/* Reads the notices waiting (all when block is 0; at least one when 1). Returns 1 when END
 * came, 0, or -1 on ETERM. */
static int read_notices(ed_receiver *r, int block)
{
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, r->notices, block ? 0 : ZMQ_DONTWAIT) < 0) {
            int e = errno;
            zmq_msg_close(&msg);
            if (e == EINTR)
                continue;
            return e == EAGAIN ? 0 : -1;
        }
        int rc = handle_notice(r, &msg);
        zmq_msg_close(&msg);
        if (rc != 0)
            return rc;
        block = 0;
    }
}

/* Receives one acked request if one is waiting and routes it. */
static recv_status receive_ack_one(ed_receiver *r)
{
    ed_shared *sh = r->sh;
    zmq_msg_t f[ACK_FRAMES_MAX];
    size_t nf = 0, total_frames = 0, extra_bytes = 0;
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, r->ack, nf == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            int e = errno;
            zmq_msg_close(&msg);
            if (e == EINTR)
                continue;
            for (size_t i = 0; i < nf; i++)
                zmq_msg_close(&f[i]);
            if (nf == 0 && e == EAGAIN)
                return RECV_EMPTY;
            return RECV_FATAL;
        }
        int more = zmq_msg_more(&msg);
        total_frames++;
        if (nf < ACK_FRAMES_MAX) {
            zmq_msg_init(&f[nf]);
            zmq_msg_move(&f[nf++], &msg);
        } else {
            extra_bytes += zmq_msg_size(&msg);
        }
        zmq_msg_close(&msg);
        if (!more)
            break;
    }
    int64_t received_ms = ed_now_ms();
    ed_counters_received(&sh->counters);
    recv_status st = RECV_OK;
    if (nf < 2) { /* only a routing id: cannot happen with a ROUTER */
        for (size_t i = 0; i < nf; i++)
            zmq_msg_close(&f[i]);
        return RECV_OK;
    }
    const void *rid = zmq_msg_data(&f[0]);
    size_t rid_len = zmq_msg_size(&f[0]);
    if (rid_len > 255)
        rid_len = 255;
    /* [rid][""][payload...] from REQ (or a DEALER imitating it), else [rid][payload...] */
    int delim = total_frames >= 3 && zmq_msg_size(&f[1]) == 0;
    size_t first = delim ? 2 : 1;
    size_t npayload = total_frames - first;
    ed_pipe_meta route = {.flags = ED_PIPE_ACKED | (delim ? ED_PIPE_DELIM : 0u), .rid = rid,
                          .rid_len = rid_len};
    zmq_msg_t *payload = &f[first];
    if (npayload != 1) {
        size_t total = extra_bytes;
        for (size_t i = first; i < nf; i++)
            total += zmq_msg_size(&f[i]);
        char why[128];
        snprintf(why, sizeof why, "request has %zu payload frames (%zu bytes); one expected",
                 npayload, total);
        ed_envelope env;
        memset(&env, 0, sizeof env);
        ed_hash_id(zmq_msg_data(payload), zmq_msg_size(payload), env.id);
        if (ed_pipe_send_error(sh, r->to_publisher, &env, ED_ERR_BAD_FRAMES, why,
                               zmq_msg_data(payload), zmq_msg_size(payload), received_ms,
                               &route) < 0)
            st = RECV_FATAL;
        goto done;
    }
    ed_job *job = malloc(sizeof *job);
    if (job == NULL) {
        if (ed_pipe_send_error(sh, r->to_publisher, NULL, ED_ERR_INTERNAL, "out of memory",
                               zmq_msg_data(payload), zmq_msg_size(payload), received_ms,
                               &route) < 0)
            st = RECV_FATAL;
        goto done;
    }
    zmq_msg_init(&job->frame);
    zmq_msg_move(&job->frame, payload);
    job->received_ms = received_ms;
    job->pipe_flags = ED_PIPE_ACKED | ED_PIPE_BYID;
    char err[EX_ERRLEN];
    const void *bytes = zmq_msg_data(&job->frame);
    size_t len = zmq_msg_size(&job->frame);
    size_t max_bytes = atomic_load_explicit(&sh->max_bytes, memory_order_relaxed);
    ed_errcode code = ed_envelope_parse(bytes, len, max_bytes, &job->env, err, sizeof err);
    if (code != ED_ERR_NONE) {
        if (ed_pipe_send_error(sh, r->to_publisher, &job->env, code, err, bytes, len,
                               received_ms, &route) < 0)
            st = RECV_FATAL;
        zmq_msg_close(&job->frame);
        free(job);
        goto done;
    }
    const char *id = job->env.id;
    uint64_t seq = 0;
    int known = 0;
    if (ed_inflight_contains(r->inflight, id)) {
        /* a resend of an article in flight: answered with the first copy */
        if (ed_inflight_add(r->inflight, id, rid, rid_len, delim) < 0)
            ed_log_kv(ED_LOG_ERROR, "acked feed: out of memory; resend not answered", "id", id);
        ed_counters_ack_dup(&sh->counters);
        job_free(job);
        goto done;
    }
    known = ed_journal_lookup_id(sh->journal, id, strlen(id), &seq);
    if (known == 1) {
        /* already journaled (and synced: it left the in-flight table only then) */
        char value[32];
        snprintf(value, sizeof value, "%llu", (unsigned long long)seq);
        ed_counters_ack_dup(&sh->counters);
        if (reply(r, rid, rid_len, delim, "ok", id, strlen(id), value) < 0)
            st = RECV_FATAL;
        job_free(job);
        goto done;
    }
    if (ed_inflight_add(r->inflight, id, rid, rid_len, delim) < 0) {
        /* cannot track it: not taken, no answer; the producer resends */
        ed_log_kv(ED_LOG_ERROR, "acked feed: out of memory; request not taken", "id", id);
        job_free(job);
        goto done;
    }
    if (dispatch(r, job) < 0)
        st = RECV_FATAL;
done:
    for (size_t i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
    return st;
}

/* Returns 1 when main asked to stop (*budget_ms set), 0 otherwise, -1 on ETERM. */
static int read_control(ed_receiver *r, long *budget_ms)
{
    char cmd[32];
    int n = zmq_recv(r->ctl, cmd, sizeof cmd - 1, ZMQ_DONTWAIT);
    if (n < 0)
        return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
    if (n > (int)sizeof cmd - 1)
        n = (int)sizeof cmd - 1;
    cmd[n] = '\0';
    if (strncmp(cmd, "STOP", 4) != 0)
        return 0;
    *budget_ms = cmd[4] == ' ' ? strtol(cmd + 5, NULL, 10) : 0;
    return 1;
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* The stop: no new input from the feed's bound endpoints, then what the feed and ack sockets
 * already hold, for at most budget_ms. Returns 0, or -1 on ETERM. */
static int take_queued(ed_receiver *r, long budget_ms)
{
    for (size_t i = 0; i < r->nfeed_bound; i++)
        if (zmq_unbind(r->feed, r->feed_bound[i]) != 0 && errno == ETERM)
            return -1;
    int64_t deadline = mono_ms() + budget_ms;
    uint64_t taken = 0;
    recv_status st = RECV_OK, ast = r->ack ? RECV_OK : RECV_EMPTY;
    while ((st == RECV_OK || ast == RECV_OK) && mono_ms() < deadline) {
        if (st == RECV_OK) {
            st = receive_one(r);
            taken += st == RECV_OK;
        }
        if (ast == RECV_OK) {
            ast = receive_ack_one(r);
            taken += ast == RECV_OK;
        }
        if (st == RECV_FATAL || ast == RECV_FATAL)
            return -1;
        if (r->notices != NULL && read_notices(r, 0) < 0)
            return -1;
    }
    ed_log_line line;
    if (ed_log_begin(&line, ED_LOG_INFO, "feed closed")) {
        ed_log_int(&line, "queued_taken", (int64_t)taken);
        ed_log_str(&line, "stopped_by", st == RECV_EMPTY && ast == RECV_EMPTY ? "empty" : "time");
        ed_log_end(&line);
    }
    return 0;
}

static void close_all(ed_receiver *r, int linger_ms)
{
    ed_close_socket(r->feed, 0);
    ed_close_socket(r->ack, linger_ms < 0 ? ED_ACK_LINGER_MS : 0);
    ed_close_socket(r->notices, 0);
    ed_close_socket(r->ctl, 0);
    r->ack = r->notices = NULL;
    ed_close_socket(r->to_publisher, linger_ms);
    for (size_t i = 0; i < r->nworkers; i++)
        ed_close_socket(r->to_workers[i], linger_ms);
    r->feed = r->ctl = r->to_publisher = NULL;
}

void *ed_receiver_thread(void *arg)
{
    ed_receiver *r = arg;
    int fatal = 0;
    for (;;) {
        zmq_pollitem_t items[4] = {{r->ctl, 0, ZMQ_POLLIN, 0},
                                   {r->feed, 0, ZMQ_POLLIN, 0},
                                   {r->notices, 0, ZMQ_POLLIN, 0},
                                   {r->ack, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, r->ack ? 4 : 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            fatal = 1;
            break;
        }
        if (items[0].revents & ZMQ_POLLIN) {
            long budget_ms = 0;
            int stop = read_control(r, &budget_ms);
            if (stop < 0 || (stop && take_queued(r, budget_ms) < 0)) {
                fatal = 1;
                break;
            }
            if (stop)
                break;
        }
        if (items[1].revents & ZMQ_POLLIN) {
            recv_status st = RECV_OK;
            for (int i = 0; i < ED_RECEIVE_BATCH && st == RECV_OK; i++)
                st = receive_one(r);
            if (st == RECV_FATAL) {
                fatal = 1;
                break;
            }
        }
        if ((items[2].revents & ZMQ_POLLIN) && read_notices(r, 0) < 0) {
            fatal = 1;
            break;
        }
        if (items[3].revents & ZMQ_POLLIN) {
            recv_status st = RECV_OK;
            for (int i = 0; i < ED_RECEIVE_BATCH && st == RECV_OK; i++)
                st = receive_ack_one(r);
            if (st == RECV_FATAL) {
                fatal = 1;
                break;
            }
        }
    }
    if (!fatal) {
        /* close the feed, then one END per pipe: each arrives after the work before it */
        ed_close_socket(r->feed, 0);
        r->feed = NULL;
        for (size_t i = 0; i < r->nworkers && !fatal; i++)
            if (ed_pipe_send_end(r->to_workers[i]) < 0)
                fatal = 1;
        if (!fatal && ed_pipe_send_end(r->to_publisher) < 0)
            fatal = 1;
        /* answer every acked request taken: the publisher's END notice comes after the last */
        while (!fatal && r->notices != NULL) {
            int rc = read_notices(r, 1);
            if (rc < 0)
                fatal = 1;
            else if (rc == 1)
                break;
        }
        if (!fatal && r->inflight != NULL && ed_inflight_count(r->inflight) > 0)
            ed_log_kv(ED_LOG_WARN, "acked requests left unanswered at exit", "reason",
                      "not journaled");
    }
    if (fatal)
        ed_log(ED_LOG_DEBUG, "receiver: context terminated");
    close_all(r, fatal ? 0 : -1);
    ed_shared_exit(r->sh);
    return NULL;
}
