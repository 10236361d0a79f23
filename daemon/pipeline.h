/*
 * pipeline.h — what the daemon's threads share and the messages they pass over inproc sockets.
 *
 *   receiver ──PUSH inproc://enrichd.work.<i>──► worker i ──PUSH──┐
 *      └──────────────────PUSH inproc://enrichd.publish──────────┴─► publisher ──PUB──► out
 *
 *   publisher ──PUSH inproc://enrichd.notice──► receiver   (acked feed: journaled + synced)
 *   replay thread: its own ROUTER, reads the journal with LMDB read transactions
 *
 * Messages:
 *  - receiver → worker: one 8-byte frame holding an ed_job pointer (ownership moves with it);
 *    a 0-byte frame is END (no more work on this pipe).
 *  - receiver/worker → publisher: [topic][record body + NUL][seq_at, 8 bytes native][meta][raw]
 *    where meta = flags (1 byte, ED_PIPE_*), rid_len (1), error code (1), raw_total (8,
 *    native), the ROUTER routing id (rid_len bytes), then the record's id (rest of the frame);
 *    raw = the input bytes kept for the journal (error records, ≤ journal.raw_max_bytes; else
 *    empty). The body frame takes over the record's malloc'd json without copying. A single
 *    0-byte frame is END.
 *  - publisher → receiver (notices, only for ED_PIPE_ACKED records, sent once the record is
 *    journaled and synced): one frame: status (1: ED_NOTICE_*), flags (1), rid_len (1), code
 *    (1), seq (8, native), rid, id. A 0-byte frame is END (the publisher is done).
 *  - main → receiver (PAIR inproc://enrichd.ctl): "STOP <ms>": close the feed's bound endpoints,
 *    keep taking the messages already queued in the feed and ack sockets for at most <ms>, then
 *    END; then keep answering acked requests until the publisher's END notice.
 *  - main → replay (PAIR inproc://enrichd.replayctl): "STOP": close and return.
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
#include "inflight.h"
#include "journal.h"
#include "record.h"
#include "res_slot.h"
#include "stats.h"

#define ED_INPROC_WORK "inproc://enrichd.work.%d"
#define ED_INPROC_PUBLISH "inproc://enrichd.publish"
#define ED_INPROC_CTL "inproc://enrichd.ctl"
#define ED_INPROC_NOTICE "inproc://enrichd.notice"
#define ED_INPROC_REPLAY_CTL "inproc://enrichd.replayctl"
#define ED_PUBLISH_BATCH 64      /* records journaled in one LMDB transaction, at most */
#define ED_ACK_LINGER_MS 2000    /* how long closing the ack ROUTER may wait to send replies */

/* meta flags of a pipeline record */
#define ED_PIPE_ACKED 1u  /* from the acked feed: the publisher sends a notice */
#define ED_PIPE_BYID 2u   /* the receiver answers the waiters of the id (an acked article) */
#define ED_PIPE_DELIM 4u  /* direct reply (not BYID) starts with an empty delimiter frame */
#define ED_PIPE_META_HDR 11 /* flags, rid_len, code, raw_total */

/* notice status */
#define ED_NOTICE_OK 0    /* journaled and synced; seq set */
#define ED_NOTICE_ERROR 1 /* an error record, journaled and synced; code set */
#define ED_NOTICE_LOST 2  /* could not be journaled: no answer (the producer resends) */
#define ED_NOTICE_HDR 12
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
    ed_journal *journal;            /* NULL = journal off; owned by ed_daemon (see journal.h) */
    size_t raw_max;                 /* journal.raw_max_bytes (0 when the journal is off) */
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
    unsigned pipe_flags; /* ED_PIPE_ACKED | ED_PIPE_BYID for the acked feed, else 0 */
} ed_job;

/* What travels with a record besides its body (the meta and raw frames). */
typedef struct ed_pipe_meta {
    unsigned flags;            /* ED_PIPE_* */
    const char *id;            /* the record's id ("" when unknown) */
    const void *rid;           /* ROUTER routing id for a direct reply, or NULL */
    size_t rid_len;            /* ≤ 255 */
    int code;                  /* ed_errcode of an error record, else 0 */
    const void *raw;           /* input bytes to journal (already cut), or NULL */
    size_t raw_len;
    uint64_t raw_total;        /* size of the whole input */
} ed_pipe_meta;

typedef struct ed_receiver {
    ed_shared *sh;
    void *feed;          /* PULL, feed endpoints */
    void *ack;           /* ROUTER, acked feed endpoints (NULL when the journal is off) */
    void *notices;       /* PULL from the publisher (NULL when the journal is off) */
    ed_inflight *inflight; /* acked articles in flight (owned; NULL when ack is NULL) */
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
    void *notices;       /* PUSH to the receiver (NULL when the journal is off) */
    size_t nsenders;     /* ENDs to wait for: workers + receiver */
    uint64_t seq;        /* last seq given (continues the journal's) */
    long long sync_records, sync_ms; /* journal.sync_* */
    int block;           /* output.backpressure = "block" (ZMQ_XPUB_NODROP set on out) */
} ed_publisher;

typedef struct ed_replay {
    ed_shared *sh;
    void *sock;          /* ROUTER, replay endpoints */
    void *ctl;           /* PAIR, from main */
    int max_limit;       /* replay.max_limit */
} ed_replay;

/* Thread entry points; arg is the matching struct. Each returns NULL after ed_shared_exit. */
void *ed_receiver_thread(void *arg);
void *ed_worker_thread(void *arg);
void *ed_publisher_thread(void *arg);
void *ed_replay_thread(void *arg);

/* Marks the calling thread as finished (alive--, signal). Last call of every thread. */
void ed_shared_exit(ed_shared *sh);

/* Unix time in milliseconds. */
int64_t ed_now_ms(void);

/* Sends rec to the publisher as [topic][json+NUL][seq_at][meta][raw] (m may be NULL: no id,
 * no flags). The json buffer moves into the message (rec->json becomes NULL) whether or not the
 * send succeeds. Returns 0 or -1 (errno). */
int ed_pipe_send_record(void *sock, ed_record *rec, const ed_pipe_meta *m);
/* Sends END (one empty frame). Returns 0 or -1 (errno). */
int ed_pipe_send_end(void *sock);
/* Sets LINGER then closes; NULL-safe. */
void ed_close_socket(void *sock, int linger_ms);

/* Builds an error record and sends it to the publisher; counts the error. raw/raw_len are the
 * input bytes (up to sh->raw_max of them go to the journal). env may be NULL. reply: the
 * acked-feed routing (flags ED_PIPE_ACKED [| ED_PIPE_BYID | ED_PIPE_DELIM], rid) or NULL for
 * the plain feed; its id, code and raw fields are ignored. Returns 0, or -1 when the send
 * failed with ETERM. */
int ed_pipe_send_error(ed_shared *sh, void *to_publisher, const ed_envelope *env,
                       ed_errcode code, const char *message, const void *raw, size_t raw_len,
                       int64_t received_ms, const ed_pipe_meta *reply);

#endif
