/*
 * receiver.c — the receiver thread: owns the feed PULL socket. Reads every message as a whole
 * (all its frames), rejects bad input at once with an error record to the publisher, and hands
 * each good frame to a worker without copying it: the zmq_msg_t moves into an ed_job whose
 * pointer travels down the worker's own inproc pipe (round robin over pipes that are not full).
 * On "STOP <ms>" from main it unbinds the feed's bound endpoints (no new connections or data from
 * them; what they queued stays readable), takes what is already queued in the feed socket for at
 * most <ms> (connect endpoints stay connected: disconnecting would drop their queue), then closes
 * the feed and sends END down every pipe.
 * May touch: feed, ctl, to_workers[], to_publisher (its sockets); counters; queue gauges
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
                                    zmq_msg_data(&msg), zmq_msg_size(&msg), received_ms);
        zmq_msg_close(&msg);
        return rc < 0 ? RECV_FATAL : RECV_OK;
    }

    ed_job *job = malloc(sizeof *job);
    if (job == NULL) {
        int rc = ed_pipe_send_error(sh, r->to_publisher, NULL, ED_ERR_INTERNAL, "out of memory",
                                    zmq_msg_data(&msg), zmq_msg_size(&msg), received_ms);
        zmq_msg_close(&msg);
        return rc < 0 ? RECV_FATAL : RECV_OK;
    }
    /* move first, parse after: small frames live inside the zmq_msg_t itself */
    zmq_msg_init(&job->frame);
    zmq_msg_move(&job->frame, &msg);
    zmq_msg_close(&msg);
    job->received_ms = received_ms;

    char err[EX_ERRLEN];
    const void *bytes = zmq_msg_data(&job->frame);
    size_t len = zmq_msg_size(&job->frame);
    size_t max_bytes = atomic_load_explicit(&sh->max_bytes, memory_order_relaxed);
    ed_errcode code = ed_envelope_parse(bytes, len, max_bytes, &job->env, err, sizeof err);
    if (code != ED_ERR_NONE) {
        int rc = ed_pipe_send_error(sh, r->to_publisher, &job->env, code, err, bytes, len,
                                    received_ms);
        zmq_msg_close(&job->frame);
        free(job);
        return rc < 0 ? RECV_FATAL : RECV_OK;
    }
    return dispatch(r, job) < 0 ? RECV_FATAL : RECV_OK;
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

/* The stop: no new input from bound endpoints, then what the feed socket already holds, for at
 * most budget_ms. Returns 0, or -1 on ETERM. */
static int take_queued(ed_receiver *r, long budget_ms)
{
    for (size_t i = 0; i < r->nfeed_bound; i++)
        if (zmq_unbind(r->feed, r->feed_bound[i]) != 0 && errno == ETERM)
            return -1;
    int64_t deadline = mono_ms() + budget_ms;
    uint64_t taken = 0;
    recv_status st = RECV_OK;
    while (st == RECV_OK && mono_ms() < deadline) {
        st = receive_one(r);
        taken += st == RECV_OK;
    }
    ed_log_line line;
    if (ed_log_begin(&line, ED_LOG_INFO, "feed closed")) {
        ed_log_int(&line, "queued_taken", (int64_t)taken);
        ed_log_str(&line, "stopped_by", st == RECV_EMPTY ? "empty" : "time");
        ed_log_end(&line);
    }
    return st == RECV_FATAL ? -1 : 0;
}

static void close_all(ed_receiver *r, int linger_ms)
{
    ed_close_socket(r->feed, 0);
    ed_close_socket(r->ctl, 0);
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
        zmq_pollitem_t items[2] = {{r->ctl, 0, ZMQ_POLLIN, 0}, {r->feed, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, -1) < 0) {
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
    }
    if (fatal)
        ed_log(ED_LOG_DEBUG, "receiver: context terminated");
    close_all(r, fatal ? 0 : -1);
    ed_shared_exit(r->sh);
    return NULL;
}
