/*
 * daemon.c — builds and runs one enrichd pipeline (see daemon.h): loads the resources, creates
 * every socket in the calling thread (binding there so that a bind error fails the start with a
 * clear message), then hands each socket to the one thread that uses it; stops by draining.
 * With a state_dir it opens the journal (<state_dir>/journal) before the threads start and
 * closes it after they ended; the acked feed and replay endpoints exist only then.
 * May touch: the ZeroMQ context and sockets, threads, the resources slot, the journal handle.
 * Not signals.
 */
#include "daemon.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "errmsg.h"
#include "log.h"
#include "metrics.h"
#include "pipeline.h"

struct ed_daemon {
    ed_shared sh;
    int shared_ready;      /* sh's mutex, cond and resources are initialised */
    void *zctx;
    void *ctl;             /* main's end of the receiver's control PAIR */
    ed_receiver receiver;
    ed_publisher publisher;
    ed_worker *workers;
    int nworkers;
    ed_replay replay;      /* its thread runs only with the journal */
    void *replay_ctl;      /* main's end of the replay thread's control PAIR */
    ed_journal *journal;   /* NULL = off; closed by ed_daemon_free after the threads */
    pthread_t *threads;    /* publisher, workers..., receiver, replay */
    size_t nthreads;       /* started */
    char *instance;
    char **feed_eps, **output_eps; /* actual bound endpoints */
    size_t nfeed_eps, noutput_eps;
    char **ack_eps, **replay_eps;
    size_t nack_eps, nreplay_eps;
    int stopped;
    ed_metrics *metrics;   /* HTTP /metrics, /healthz; NULL when off */
    ed_auth *auth;         /* CURVE server key + ZAP handler; NULL when security is off */
};

static void *make_socket(void *zctx, int type, int sndhwm, int rcvhwm, int linger)
{
    void *s = zmq_socket(zctx, type);
    if (s == NULL)
        return NULL;
    if ((sndhwm > 0 && zmq_setsockopt(s, ZMQ_SNDHWM, &sndhwm, sizeof sndhwm) != 0) ||
        (rcvhwm > 0 && zmq_setsockopt(s, ZMQ_RCVHWM, &rcvhwm, sizeof rcvhwm) != 0) ||
        zmq_setsockopt(s, ZMQ_LINGER, &linger, sizeof linger) != 0) {
        zmq_close(s);
        return NULL;
    }
    return s;
}

/* Binds and connects sock to every endpoint of sc; logs the actual bound addresses. */
static int attach_endpoints(void *sock, const char *name, const ed_sock_config *sc,
                            char ***eps, size_t *neps, char *err, size_t errlen)
{
    *eps = calloc(sc->nbind + 1, sizeof **eps);
    if (*eps == NULL)
        return ed_fail(err, errlen, "out of memory");
    for (size_t i = 0; i < sc->nbind; i++) {
        if (zmq_bind(sock, sc->bind[i]) != 0)
            return ed_fail(err, errlen, "cannot bind %s socket to %s: %s", name, sc->bind[i],
                        zmq_strerror(errno));
        char actual[512];
        size_t len = sizeof actual;
        if (zmq_getsockopt(sock, ZMQ_LAST_ENDPOINT, actual, &len) != 0)
            snprintf(actual, sizeof actual, "%s", sc->bind[i]);
        (*eps)[i] = strdup(actual);
        if ((*eps)[i] == NULL)
            return ed_fail(err, errlen, "out of memory");
        *neps = i + 1;
        ed_log_line line;
        if (ed_log_begin_always(&line, ED_LOG_INFO, "listening")) {
            ed_log_str(&line, "socket", name);
            ed_log_str(&line, "endpoint", actual);
            ed_log_end(&line);
        }
        ed_auth_warn_if_exposed(sock, name, actual);
    }
    for (size_t i = 0; i < sc->nconnect; i++) {
        if (zmq_connect(sock, sc->connect[i]) != 0)
            return ed_fail(err, errlen, "cannot connect %s socket to %s: %s", name,
                        sc->connect[i], zmq_strerror(errno));
        ed_log_line line;
        if (ed_log_begin(&line, ED_LOG_INFO, "connecting")) {
            ed_log_str(&line, "socket", name);
            ed_log_str(&line, "endpoint", sc->connect[i]);
            ed_log_end(&line);
        }
        ed_auth_warn_if_exposed(sock, name, sc->connect[i]);
    }
    return 0;
}

/* Closes every socket no running thread owns (all of them before the threads start). */
static void close_unowned_sockets(ed_daemon *d, size_t threads_started)
{
    /* thread order: publisher (0), workers (1..N), receiver (N+1) */
    if (threads_started < 1) {
        ed_close_socket(d->publisher.from_pipeline, 0);
        ed_close_socket(d->publisher.out, 0);
        d->publisher.from_pipeline = d->publisher.out = NULL;
    }
    for (int i = 0; i < d->nworkers; i++) {
        if (threads_started >= (size_t)i + 2)
            continue;
        ed_close_socket(d->workers[i].from_receiver, 0);
        ed_close_socket(d->workers[i].to_publisher, 0);
        d->workers[i].from_receiver = d->workers[i].to_publisher = NULL;
    }
    if (threads_started < 1) {
        ed_close_socket(d->publisher.notices, 0);
        d->publisher.notices = NULL;
    }
    if (threads_started < (size_t)d->nworkers + 3) {
        ed_close_socket(d->replay.sock, 0);
        ed_close_socket(d->replay.ctl, 0);
        d->replay.sock = d->replay.ctl = NULL;
    }
    if (threads_started < (size_t)d->nworkers + 2) {
        ed_close_socket(d->receiver.feed, 0);
        ed_close_socket(d->receiver.ctl, 0);
        ed_close_socket(d->receiver.to_publisher, 0);
        ed_close_socket(d->receiver.ack, 0);
        ed_close_socket(d->receiver.notices, 0);
        d->receiver.feed = d->receiver.ctl = d->receiver.to_publisher = NULL;
        d->receiver.ack = d->receiver.notices = NULL;
        if (d->receiver.to_workers != NULL)
            for (size_t i = 0; i < d->receiver.nworkers; i++) {
                ed_close_socket(d->receiver.to_workers[i], 0);
                d->receiver.to_workers[i] = NULL;
            }
    }
}

static void free_endpoint_list(char **eps, size_t n)
{
    if (eps == NULL)
        return;
    for (size_t i = 0; i < n; i++)
        free(eps[i]);
    free(eps);
}

/* Adds ms to a CLOCK_MONOTONIC time. */
static struct timespec mono_after(int64_t ms)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    t.tv_sec += (time_t)(ms / 1000);
    t.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (t.tv_nsec >= 1000000000L) {
        t.tv_sec++;
        t.tv_nsec -= 1000000000L;
    }
    return t;
}

static int mono_before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Waits until no thread is alive or the deadline passes, calling tick every ~100 ms.
 * Returns the number of threads still alive. */
static int wait_threads(ed_daemon *d, int64_t timeout_ms, void (*tick)(void *), void *tick_arg)
{
    struct timespec deadline = mono_after(timeout_ms);
    pthread_mutex_lock(&d->sh.exit_mu);
    while (d->sh.alive > 0) {
        struct timespec slice = mono_after(100);
        if (!mono_before(&slice, &deadline))
            slice = deadline;
        int rc = pthread_cond_timedwait(&d->sh.exit_cv, &d->sh.exit_mu, &slice);
        if (d->sh.alive == 0)
            break;
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!mono_before(&now, &deadline))
            break;
        if (rc == ETIMEDOUT && tick != NULL) {
            pthread_mutex_unlock(&d->sh.exit_mu);
            tick(tick_arg);
            pthread_mutex_lock(&d->sh.exit_mu);
        }
    }
    int alive = d->sh.alive;
    pthread_mutex_unlock(&d->sh.exit_mu);
    return alive;
}

static void join_threads(ed_daemon *d)
{
    for (size_t i = 0; i < d->nthreads; i++)
        pthread_join(d->threads[i], NULL);
    d->nthreads = 0;
}

/* Tears down a start that failed after the context exists; threads_started may be > 0. */
static void abort_start(ed_daemon *d)
{
    ed_metrics_stop(d->metrics);
    d->metrics = NULL;
    if (d->zctx != NULL) {
        if (d->nthreads > 0) {
            zmq_ctx_shutdown(d->zctx);
            close_unowned_sockets(d, d->nthreads);
            if (wait_threads(d, 5000, NULL, NULL) == 0)
                join_threads(d);
        } else {
            close_unowned_sockets(d, 0);
        }
        ed_close_socket(d->ctl, 0);
        ed_close_socket(d->replay_ctl, 0);
        d->ctl = d->replay_ctl = NULL;
        ed_auth_stop(d->auth);
        d->auth = NULL;
        if (d->nthreads == 0)
            zmq_ctx_term(d->zctx);
        d->zctx = NULL;
    }
    d->stopped = 1;
    ed_daemon_free(d);
}

static int create_sockets(ed_daemon *d, const ed_config *cfg, char *err, size_t errlen)
{
    void *z = d->zctx;
    int n = d->nworkers;
    char ep[64];

    /* publisher: output PUB and the pipeline's PULL */
    d->publisher.out = make_socket(z, ZMQ_PUB, cfg->output.hwm, 0, ED_OUTPUT_LINGER_MS);
    d->publisher.from_pipeline = make_socket(z, ZMQ_PULL, 0, ED_PUBLISH_PIPE_HWM, 0);
    if (d->publisher.out == NULL || d->publisher.from_pipeline == NULL)
        return ed_fail(err, errlen, "cannot create sockets: %s", zmq_strerror(errno));
    /* output.backpressure = "block": a send waits while a subscriber's queue is full */
    int nodrop = cfg->output_block;
    d->publisher.block = nodrop;
    if (nodrop && zmq_setsockopt(d->publisher.out, ZMQ_XPUB_NODROP, &nodrop, sizeof nodrop) != 0)
        return ed_fail(err, errlen, "cannot set output.backpressure: %s", zmq_strerror(errno));
    if (zmq_bind(d->publisher.from_pipeline, ED_INPROC_PUBLISH) != 0)
        return ed_fail(err, errlen, "cannot bind %s: %s", ED_INPROC_PUBLISH, zmq_strerror(errno));
    if (ed_auth_apply_server(d->publisher.out, d->auth) != 0)
        return ed_fail(err, errlen, "cannot set CURVE on the output socket: %s", zmq_strerror(errno));
    if (attach_endpoints(d->publisher.out, "output", &cfg->output, &d->output_eps,
                         &d->noutput_eps, err, errlen) < 0)
        return -1;

    /* control pair main → receiver */
    d->ctl = make_socket(z, ZMQ_PAIR, 0, 0, 0);
    d->receiver.ctl = make_socket(z, ZMQ_PAIR, 0, 0, 0);
    if (d->ctl == NULL || d->receiver.ctl == NULL || zmq_bind(d->ctl, ED_INPROC_CTL) != 0 ||
        zmq_connect(d->receiver.ctl, ED_INPROC_CTL) != 0)
        return ed_fail(err, errlen, "cannot create the control socket: %s", zmq_strerror(errno));

    /* receiver → workers, workers → publisher */
    d->receiver.to_publisher = make_socket(z, ZMQ_PUSH, ED_PUBLISH_PIPE_HWM, 0, -1);
    if (d->receiver.to_publisher == NULL ||
        zmq_connect(d->receiver.to_publisher, ED_INPROC_PUBLISH) != 0)
        return ed_fail(err, errlen, "cannot create the receiver's sockets: %s", zmq_strerror(errno));
    for (int i = 0; i < n; i++) {
        snprintf(ep, sizeof ep, ED_INPROC_WORK, i);
        void *push = make_socket(z, ZMQ_PUSH, ED_WORK_PIPE_HWM, 0, -1);
        d->receiver.to_workers[i] = push;
        ed_worker *w = &d->workers[i];
        w->sh = &d->sh;
        w->index = i;
        w->from_receiver = make_socket(z, ZMQ_PULL, 0, ED_WORK_PIPE_HWM, 0);
        w->to_publisher = make_socket(z, ZMQ_PUSH, ED_PUBLISH_PIPE_HWM, 0, -1);
        if (push == NULL || w->from_receiver == NULL || w->to_publisher == NULL ||
            zmq_bind(push, ep) != 0 || zmq_connect(w->from_receiver, ep) != 0 ||
            zmq_connect(w->to_publisher, ED_INPROC_PUBLISH) != 0)
            return ed_fail(err, errlen, "cannot create worker %d's sockets: %s", i,
                        zmq_strerror(errno));
    }

    /* journal: publisher → receiver notices (no HWM: the receiver may be waiting on a full
     * worker pipe, and the publisher must never wait for it), the replay ROUTER */
    if (d->journal != NULL) {
        d->publisher.notices = make_socket(z, ZMQ_PUSH, 0, 0, -1);
        d->receiver.notices = make_socket(z, ZMQ_PULL, 0, 0, 0);
        int unlimited = 0;
        if (d->publisher.notices == NULL || d->receiver.notices == NULL ||
            zmq_setsockopt(d->publisher.notices, ZMQ_SNDHWM, &unlimited, sizeof unlimited) ||
            zmq_setsockopt(d->receiver.notices, ZMQ_RCVHWM, &unlimited, sizeof unlimited) ||
            zmq_bind(d->publisher.notices, ED_INPROC_NOTICE) != 0 ||
            zmq_connect(d->receiver.notices, ED_INPROC_NOTICE) != 0)
            return ed_fail(err, errlen, "cannot create the notice pipe: %s", zmq_strerror(errno));
        d->receiver.inflight = ed_inflight_new();
        if (d->receiver.inflight == NULL)
            return ed_fail(err, errlen, "out of memory");
        d->replay_ctl = make_socket(z, ZMQ_PAIR, 0, 0, 0);
        d->replay.ctl = make_socket(z, ZMQ_PAIR, 0, 0, 0);
        d->replay.sock = make_socket(z, ZMQ_ROUTER, cfg->replay.hwm, 100, 500);
        if (d->replay_ctl == NULL || d->replay.ctl == NULL || d->replay.sock == NULL ||
            zmq_bind(d->replay_ctl, ED_INPROC_REPLAY_CTL) != 0 ||
            zmq_connect(d->replay.ctl, ED_INPROC_REPLAY_CTL) != 0)
            return ed_fail(err, errlen, "cannot create the replay sockets: %s", zmq_strerror(errno));
        int64_t req_guard = 1 << 20;
        zmq_setsockopt(d->replay.sock, ZMQ_MAXMSGSIZE, &req_guard, sizeof req_guard);
        if (ed_auth_apply_server(d->replay.sock, d->auth) != 0)
            return ed_fail(err, errlen, "cannot set CURVE on the replay socket: %s",
                        zmq_strerror(errno));
        if (attach_endpoints(d->replay.sock, "replay", &cfg->replay, &d->replay_eps,
                             &d->nreplay_eps, err, errlen) < 0)
            return -1;
    }

    /* feed last: nothing is read before the rest of the pipeline exists */
    d->receiver.feed = make_socket(z, ZMQ_PULL, 0, cfg->feed.hwm, 0);
    if (d->receiver.feed == NULL)
        return ed_fail(err, errlen, "cannot create the feed socket: %s", zmq_strerror(errno));
    /* The application limit is input.max_bytes (a too_large record); ZMQ_MAXMSGSIZE is only the
     * guard against a peer that would make us buffer gigabytes: libzmq disconnects it. */
    int64_t guard = cfg->max_frame_bytes > 0 ? (int64_t)cfg->max_frame_bytes : -1;
    if (zmq_setsockopt(d->receiver.feed, ZMQ_MAXMSGSIZE, &guard, sizeof guard) != 0)
        return ed_fail(err, errlen, "cannot set the feed's frame guard: %s", zmq_strerror(errno));
    if (ed_auth_apply_server(d->receiver.feed, d->auth) != 0)
        return ed_fail(err, errlen, "cannot set CURVE on the feed socket: %s", zmq_strerror(errno));
    if (attach_endpoints(d->receiver.feed, "feed", &cfg->feed, &d->feed_eps, &d->nfeed_eps,
                         err, errlen) < 0)
        return -1;
    d->receiver.feed_bound = d->feed_eps;
    d->receiver.nfeed_bound = d->nfeed_eps;
    if (d->journal != NULL) {
        /* ack.hwm bounds the requests queued per producer; replies have no HWM: a ROUTER
         * drops what does not fit, and a producer that sent a burst must get every answer
         * (there is one reply per request taken, so they are bounded by what it sent) */
        d->receiver.ack = make_socket(z, ZMQ_ROUTER, 0, cfg->ack.hwm, 0);
        int unlimited = 0;
        if (d->receiver.ack != NULL)
            zmq_setsockopt(d->receiver.ack, ZMQ_SNDHWM, &unlimited, sizeof unlimited);
        if (d->receiver.ack == NULL ||
            zmq_setsockopt(d->receiver.ack, ZMQ_MAXMSGSIZE, &guard, sizeof guard) != 0)
            return ed_fail(err, errlen, "cannot create the ack socket: %s", zmq_strerror(errno));
        if (ed_auth_apply_server(d->receiver.ack, d->auth) != 0)
            return ed_fail(err, errlen, "cannot set CURVE on the ack socket: %s", zmq_strerror(errno));
        if (attach_endpoints(d->receiver.ack, "ack", &cfg->ack, &d->ack_eps, &d->nack_eps, err,
                             errlen) < 0)
            return -1;
    }
    return 0;
}

/* Opens <state_dir>/journal when state_dir is set. Returns 0 or -1 (err set). */
static int open_journal(ed_daemon *d, const ed_config *cfg, char *err, size_t errlen)
{
    if (cfg->state_dir == NULL || cfg->state_dir[0] == '\0') {
        ed_log(ED_LOG_INFO, "no state_dir: journal off (no acked feed, no replay; seq from 1)");
        return 0;
    }
    char dir[4096];
    if ((size_t)snprintf(dir, sizeof dir, "%s/journal", cfg->state_dir) >= sizeof dir)
        return ed_fail(err, errlen, "state_dir is too long");
    ed_journal_opts o = {.map_bytes = (uint64_t)cfg->journal.map_bytes,
                         .max_records = (uint64_t)cfg->journal.max_records,
                         .max_age_s = (uint64_t)cfg->journal.max_age_s,
                         .max_bytes = (uint64_t)cfg->journal.max_bytes};
    char jerr[512];
    if (ed_journal_open(dir, &o, &d->journal, jerr, sizeof jerr) != 0)
        return ed_fail(err, errlen, "%s", jerr);
    ed_journal_stats st;
    ed_journal_writer_stats(d->journal, &st);
    ed_log_line line;
    if (ed_log_begin(&line, ED_LOG_INFO, "journal open")) {
        ed_log_str(&line, "dir", dir);
        ed_log_int(&line, "records", (int64_t)st.records);
        ed_log_int(&line, "first_seq", (int64_t)st.first_seq);
        ed_log_int(&line, "last_seq", (int64_t)st.last_seq);
        ed_log_int(&line, "bytes", (int64_t)st.bytes);
        ed_log_end(&line);
    }
    d->sh.journal = d->journal;
    d->sh.raw_max = (size_t)cfg->journal.raw_max_bytes;
    d->publisher.seq = ed_journal_last_seq(d->journal);
    d->publisher.sync_records = cfg->journal.sync_records;
    d->publisher.sync_ms = cfg->journal.sync_ms;
    d->replay.sh = &d->sh;
    d->replay.max_limit = cfg->replay_max_limit;
    return 0;
}

int ed_daemon_start(const ed_config *cfg, ed_daemon **out, char *err, size_t errlen)
{
    *out = NULL;
    ed_daemon *d = calloc(1, sizeof *d);
    if (d == NULL)
        return ed_fail(err, errlen, "out of memory");
    d->nworkers = ed_config_worker_count(cfg);
    d->instance = strdup(cfg->instance);
    d->workers = calloc((size_t)d->nworkers, sizeof *d->workers);
    d->threads = calloc((size_t)d->nworkers + 3, sizeof *d->threads);
    d->receiver.to_workers = calloc((size_t)d->nworkers, sizeof *d->receiver.to_workers);
    d->receiver.pollout = calloc((size_t)d->nworkers, sizeof *d->receiver.pollout);
    if (d->instance == NULL || d->workers == NULL || d->threads == NULL ||
        d->receiver.to_workers == NULL || d->receiver.pollout == NULL) {
        d->stopped = 1;
        ed_daemon_free(d);
        return ed_fail(err, errlen, "out of memory");
    }
    d->receiver.nworkers = (size_t)d->nworkers;
    if (ed_stats_init(&d->sh.stats, (size_t)d->nworkers, ex_stage_count()) < 0) {
        d->stopped = 1;
        ed_daemon_free(d);
        return ed_fail(err, errlen, "out of memory");
    }
    d->sh.stats.threads_expected = d->nworkers + 2;
    d->sh.stats.start_ms = ed_now_ms();

    char lerr[EX_ERRLEN] = "";
    ex_resources *res = ex_resources_load(cfg->data_dir, NULL, lerr, sizeof lerr);
    if (res == NULL) {
        d->stopped = 1;
        ed_daemon_free(d);
        return ed_fail(err, errlen, "cannot load resources from %s: %s", cfg->data_dir, lerr);
    }

    /* shared state */
    ed_shared *sh = &d->sh;
    sh->instance = d->instance;
    ed_counters_init(&sh->counters);
    atomic_init(&sh->max_bytes, (size_t)cfg->max_bytes);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int init_ok = pthread_mutex_init(&sh->exit_mu, NULL) == 0 &&
                  pthread_cond_init(&sh->exit_cv, &ca) == 0 &&
                  ed_res_slot_init(&sh->resources, res) == 0;
    pthread_condattr_destroy(&ca);
    if (!init_ok) {
        ex_resources_unref(res);
        ed_stats_release(&sh->stats);
        free(d->instance);
        free(d->workers);
        free(d->threads);
        free(d->receiver.to_workers);
        free(d->receiver.pollout);
        free(d);
        return ed_fail(err, errlen, "cannot initialise threads state");
    }
    d->shared_ready = 1;
    d->receiver.sh = &d->sh;
    d->publisher.sh = &d->sh;
    d->publisher.nsenders = (size_t)d->nworkers + 1;

    d->zctx = zmq_ctx_new();
    if (d->zctx == NULL) {
        abort_start(d);
        return ed_fail(err, errlen, "cannot create the ZeroMQ context: %s", zmq_strerror(errno));
    }
    zmq_ctx_set(d->zctx, ZMQ_MAX_SOCKETS, 4 * d->nworkers + 64);
    /* the ZAP handler must be bound before any CURVE server socket is */
    if (ed_auth_start(d->zctx, cfg->curve_secret_key_file, cfg->curve_allowed_keys_dir,
                      &sh->counters, &d->auth, err, errlen) < 0) {
        abort_start(d);
        return -1;
    }
    if (open_journal(d, cfg, err, errlen) < 0 || create_sockets(d, cfg, err, errlen) < 0 ||
        ed_metrics_start(cfg, &d->sh, &d->metrics, err, errlen) < 0) {
        abort_start(d);
        return -1;
    }

    /* hand each socket to its thread: publisher first, the receiver last */
    pthread_mutex_lock(&sh->exit_mu);
    sh->alive = 0;
    pthread_mutex_unlock(&sh->exit_mu);
    int last = d->journal != NULL ? d->nworkers + 1 : d->nworkers;
    for (int i = -1; i <= last; i++) {
        void *(*fn)(void *);
        void *arg;
        if (i == d->nworkers + 1) {
            fn = ed_replay_thread;
            arg = &d->replay;
        } else if (i < 0) {
            fn = ed_publisher_thread;
            arg = &d->publisher;
        } else if (i < d->nworkers) {
            fn = ed_worker_thread;
            arg = &d->workers[i];
        } else {
            fn = ed_receiver_thread;
            arg = &d->receiver;
        }
        pthread_mutex_lock(&sh->exit_mu);
        sh->alive++;
        pthread_mutex_unlock(&sh->exit_mu);
        int rc = pthread_create(&d->threads[d->nthreads], NULL, fn, arg);
        if (rc != 0) {
            pthread_mutex_lock(&sh->exit_mu);
            sh->alive--;
            pthread_mutex_unlock(&sh->exit_mu);
            abort_start(d);
            return ed_fail(err, errlen, "cannot start a thread: %s", strerror(rc));
        }
        d->nthreads++;
    }
    atomic_store(&sh->stats.life, ED_LIFE_RUNNING);
    *out = d;
    return 0;
}

int ed_daemon_reload(ed_daemon *d, const ed_config *new_cfg, char *err, size_t errlen)
{
    char lerr[EX_ERRLEN] = "";
    ed_auth_list *keys = NULL; /* the CURVE allow-list, re-read from its directory */
    if (ed_auth_reload_prepare(d->auth, new_cfg->curve_secret_key_file,
                               new_cfg->curve_allowed_keys_dir, &keys, err, errlen) < 0) {
        atomic_fetch_add(&d->sh.stats.reload_failures, 1);
        return -1;
    }
    ex_resources *res = ex_resources_load(new_cfg->data_dir, NULL, lerr, sizeof lerr);
    if (res == NULL) {
        atomic_fetch_add(&d->sh.stats.reload_failures, 1);
        ed_auth_list_free(keys);
        return ed_fail(err, errlen, "cannot load resources from %s: %s", new_cfg->data_dir, lerr);
    }
    ed_auth_reload_commit(d->auth, keys, new_cfg->curve_secret_key_file,
                          new_cfg->curve_allowed_keys_dir);
    ed_res_slot_swap(&d->sh.resources, res);
    atomic_fetch_add(&d->sh.stats.reloads, 1);
    atomic_store(&d->sh.max_bytes, (size_t)new_cfg->max_bytes);
    return 0;
}

int ed_daemon_stop(ed_daemon *d, int timeout_ms, void (*tick)(void *), void *tick_arg)
{
    if (d->stopped)
        return 0;
    d->stopped = 1;
    /* /healthz answers 503 "draining" from now; the HTTP server closes once the pipeline has */
    atomic_store(&d->sh.stats.life, ED_LIFE_DRAINING);
    /* half the drain for taking what the feed socket already holds, the rest to finish it */
    char cmd[32];
    int n = snprintf(cmd, sizeof cmd, "STOP %d", timeout_ms / 2);
    if (zmq_send(d->ctl, cmd, (size_t)n, 0) < 0)
        ed_log_kv(ED_LOG_ERROR, "cannot signal the receiver", "error", zmq_strerror(errno));
    if (d->replay_ctl != NULL && zmq_send(d->replay_ctl, "STOP", 4, 0) < 0)
        ed_log_kv(ED_LOG_ERROR, "cannot signal the replay thread", "error", zmq_strerror(errno));
    int alive = wait_threads(d, timeout_ms, tick, tick_arg);
    ed_metrics_stop(d->metrics);
    d->metrics = NULL;
    if (alive == 0) {
        join_threads(d);
        ed_close_socket(d->ctl, 0);
        ed_close_socket(d->replay_ctl, 0);
        d->ctl = d->replay_ctl = NULL;
        ed_auth_stop(d->auth);
        d->auth = NULL;
        zmq_ctx_term(d->zctx);
        d->zctx = NULL;
        return 0;
    }
    ed_log_line line;
    if (ed_log_begin(&line, ED_LOG_ERROR, "drain timed out; closing with LINGER 0")) {
        ed_log_int(&line, "drain_timeout_ms", timeout_ms);
        ed_log_int(&line, "threads_alive", alive);
        ed_counters_log_fields(&d->sh.counters, &line);
        ed_log_end(&line);
    }
    zmq_ctx_shutdown(d->zctx); /* blocked calls in every thread return ETERM */
    alive = wait_threads(d, 1000, tick, tick_arg);
    ed_close_socket(d->ctl, 0);
    ed_close_socket(d->replay_ctl, 0);
    d->ctl = d->replay_ctl = NULL;
    ed_auth_stop(d->auth); /* its thread left on ETERM */
    d->auth = NULL;
    if (alive == 0) {
        join_threads(d);
        zmq_ctx_term(d->zctx);
        d->zctx = NULL;
    }
    return -1;
}

void ed_daemon_free(ed_daemon *d)
{
    if (d == NULL)
        return;
    if (d->nthreads > 0 || d->zctx != NULL) {
        /* threads still running (a stop that timed out): leave them to the process exit */
        return;
    }
    if (d->shared_ready) {
        ed_res_slot_destroy(&d->sh.resources);
        pthread_cond_destroy(&d->sh.exit_cv);
        pthread_mutex_destroy(&d->sh.exit_mu);
    }
    ed_metrics_stop(d->metrics);
    ed_stats_release(&d->sh.stats);
    free_endpoint_list(d->feed_eps, d->nfeed_eps);
    free_endpoint_list(d->output_eps, d->noutput_eps);
    free_endpoint_list(d->ack_eps, d->nack_eps);
    free_endpoint_list(d->replay_eps, d->nreplay_eps);
    ed_inflight_free(d->receiver.inflight);
    ed_journal_close(d->journal);
    free(d->receiver.to_workers);
    free(d->receiver.pollout);
    free(d->workers);
    free(d->threads);
    free(d->instance);
    free(d);
}

const ed_counters *ed_daemon_counters(const ed_daemon *d) { return &d->sh.counters; }

int ed_daemon_workers(const ed_daemon *d) { return d->nworkers; }

void ed_daemon_generation(ed_daemon *d, char *out, size_t outlen)
{
    ex_resources *res = ed_res_slot_acquire(&d->sh.resources);
    const char *gen = res ? ex_resources_generation(res) : NULL;
    snprintf(out, outlen, "%s", gen ? gen : "");
    ex_resources_unref(res);
}

const char *ed_daemon_endpoint(const ed_daemon *d, const char *socket_name, size_t i)
{
    if (strcmp(socket_name, "feed") == 0)
        return i < d->nfeed_eps ? d->feed_eps[i] : NULL;
    if (strcmp(socket_name, "output") == 0)
        return i < d->noutput_eps ? d->output_eps[i] : NULL;
    if (strcmp(socket_name, "metrics") == 0)
        return i == 0 ? ed_metrics_endpoint(d->metrics) : NULL;
    if (strcmp(socket_name, "ack") == 0)
        return i < d->nack_eps ? d->ack_eps[i] : NULL;
    if (strcmp(socket_name, "replay") == 0)
        return i < d->nreplay_eps ? d->replay_eps[i] : NULL;
    return NULL;
}
