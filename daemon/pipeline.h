/*
 * pipeline.h — what the daemon's threads share and the messages they pass over inproc sockets.
 *
 *   receiver ──PUSH inproc://enrichd.work.<i>──► worker i ──PUSH──┐
 *      └──────────────────PUSH inproc://enrichd.publish──────────┴─► publisher ──PUB──► out
 *
 * Messages:
 *  - receiver → worker: one 8-byte frame holding an ed_job pointer (ownership moves with it);
 *    a 0-byte frame is END (no more work on this pipe).
 *  - receiver/worker → publisher: [topic][record body + NUL][seq_at, 8 bytes native]; the body
 *    frame takes over the record's malloc'd json without copying. A single 0-byte frame is END.
 *  - main → receiver (PAIR inproc://enrichd.ctl): "STOP <ms>": close the feed's bound endpoints,
 *    keep taking the messages already queued in the feed socket for at most <ms>, then END.
 * Every socket belongs to exactly one thread (created by ed_daemon_start in main, handed over
 * when the thread starts). On ETERM (forced shutdown) a thread closes its sockets with LINGER 0.
 * May touch: the sockets and objects named here; no linguistics (the library does that).
 */
#ifndef ENRICHD_PIPELINE_H
#define ENRICHD_PIPELINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <zmq.h>

#include "counters.h"
#include "envelope.h"
#include "record.h"
#include "res_slot.h"
#include "stats.h"

#define ED_INPROC_WORK "inproc://enrichd.work.%d"
#define ED_INPROC_PUBLISH "inproc://enrichd.publish"
#define ED_INPROC_CTL "inproc://enrichd.ctl"
#define ED_WORK_PIPE_HWM 16      /* per side: a worker's queue holds up to ~2x this */
#define ED_PUBLISH_PIPE_HWM 1000
#define ED_OUTPUT_LINGER_MS 2000 /* how long closing the PUB may wait for slow subscribers */
#define ED_RECEIVE_BATCH 64      /* feed messages read between checks of the control socket */

/* State every thread reads; owned by ed_daemon, outlives the threads. */
typedef struct ed_shared {
    const char *instance;           /* immutable while threads run */
    ed_counters counters;
    ed_res_slot resources;
    _Atomic size_t max_bytes;       /* input.max_bytes, live */
    pthread_mutex_t exit_mu;        /* guards alive; exit_cv signalled when a thread ends */
    pthread_cond_t exit_cv;         /* CLOCK_MONOTONIC */
    int alive;                      /* threads started and not yet returned */
    ed_stats stats;                 /* histograms, queue gauges, life state (metrics) */
} ed_shared;

/* One article on its way from the receiver to a worker. The envelope points into frame. */
typedef struct ed_job {
    zmq_msg_t frame;
    ed_envelope env;
    int64_t received_ms;
} ed_job;

typedef struct ed_receiver {
    ed_shared *sh;
    void *feed;          /* PULL, feed endpoints */
    char **feed_bound;   /* actual bound feed endpoints (borrowed from the daemon), for unbind */
    size_t nfeed_bound;
    void *ctl;           /* PAIR, from main */
    void *to_publisher;  /* PUSH */
    void **to_workers;   /* PUSH × nworkers, one per worker (owned array) */
    size_t nworkers;
    zmq_pollitem_t *pollout; /* scratch for waiting on full worker pipes (owned array) */
    size_t next_worker;
} ed_receiver;

typedef struct ed_worker {
    ed_shared *sh;
    int index;
    void *from_receiver; /* PULL */
    void *to_publisher;  /* PUSH */
} ed_worker;

typedef struct ed_publisher {
    ed_shared *sh;
    void *from_pipeline; /* PULL bound to ED_INPROC_PUBLISH */
    void *out;           /* PUB, output endpoints */
    size_t nsenders;     /* ENDs to wait for: workers + receiver */
    uint64_t seq;        /* last seq given */
} ed_publisher;

/* Thread entry points; arg is the matching struct. Each returns NULL after ed_shared_exit. */
void *ed_receiver_thread(void *arg);
void *ed_worker_thread(void *arg);
void *ed_publisher_thread(void *arg);

/* Marks the calling thread as finished (alive--, signal). Last call of every thread. */
void ed_shared_exit(ed_shared *sh);

/* Unix time in milliseconds. */
int64_t ed_now_ms(void);

/* Sends rec to the publisher as [topic][json+NUL][seq_at]. The json buffer moves into the
 * message (rec->json becomes NULL) whether or not the send succeeds. Returns 0 or -1 (errno). */
int ed_pipe_send_record(void *sock, ed_record *rec);
/* Sends END (one empty frame). Returns 0 or -1 (errno). */
int ed_pipe_send_end(void *sock);
/* Sets LINGER then closes; NULL-safe. */
void ed_close_socket(void *sock, int linger_ms);

/* Builds an error record and sends it to the publisher; counts the error. raw/raw_len are the
 * input bytes. env may be NULL. Returns 0, or -1 when the send failed with ETERM. */
int ed_pipe_send_error(ed_shared *sh, void *to_publisher, const ed_envelope *env,
                       ed_errcode code, const char *message, const void *raw, size_t raw_len,
                       int64_t received_ms);

#endif
