/*
 * counters.h — the daemon's activity counters: messages received, records published (in total
 * and per topic) and error records per ed_errcode. Lock-free atomics: any thread increments,
 * main reads them for STATUS= and the shutdown log. One process-wide instance, owned by the
 * daemon (ed_daemon) and passed by pointer to the threads.
 * May touch: its own memory only.
 */
#ifndef ENRICHD_COUNTERS_H
#define ENRICHD_COUNTERS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "envelope.h"
#include "log.h"

#define ED_TOPICS_MAX 32   /* distinct topics counted by name; more fall into "other" */
#define ED_TOPIC_LEN 16    /* as ed_record.topic */

typedef struct ed_topic_count {
    char name[ED_TOPIC_LEN];  /* written once by the publisher before it is published */
    _Atomic uint64_t count;
} ed_topic_count;

typedef struct ed_counters {
    _Atomic uint64_t received;             /* messages returned by zmq_msg_recv on the feed */
    _Atomic uint64_t published;            /* records sent on the output */
    _Atomic uint64_t errors[ED_ERR__COUNT]; /* error records built, per code */
    _Atomic uint64_t other_topics;         /* published under a topic past ED_TOPICS_MAX */
    ed_topic_count topics[ED_TOPICS_MAX];
    _Atomic size_t ntopics;                /* release-stored after a slot's name is written */
    /* CURVE (auth.c's ZAP handler): handshakes allowed / denied */
    _Atomic uint64_t auth_allowed;
    _Atomic uint64_t auth_denied;
    /* issue 5 — journal gauges (written by the publisher after each append/sync/retention;
     * 0 when the journal is off) and acked-feed counters (receiver) */
    _Atomic uint64_t journal_bytes;        /* LMDB pages in use */
    _Atomic uint64_t journal_records;      /* records held */
    _Atomic uint64_t journal_first_seq;    /* oldest seq held (0 = empty) */
    _Atomic uint64_t journal_last_seq;     /* newest seq journaled */
    _Atomic uint64_t journal_synced_seq;   /* newest seq known on disk */
    _Atomic uint64_t journal_errors;       /* appends or syncs that failed (records published
                                              unjournaled / acks withheld) */
    _Atomic uint64_t acks_ok;              /* ["ok"] replies sent on the acked feed */
    _Atomic uint64_t acks_error;           /* ["error"] replies sent */
    _Atomic uint64_t ack_duplicates;       /* resends answered without a new record */
} ed_counters;

void ed_counters_init(ed_counters *c);

static inline void ed_counters_received(ed_counters *c)
{
    atomic_fetch_add_explicit(&c->received, 1, memory_order_relaxed);
}
static inline void ed_counters_error(ed_counters *c, ed_errcode code)
{
    if ((int)code > 0 && code < ED_ERR__COUNT)
        atomic_fetch_add_explicit(&c->errors[code], 1, memory_order_relaxed);
}

static inline void ed_counters_ack_reply(ed_counters *c, int ok)
{
    atomic_fetch_add_explicit(ok ? &c->acks_ok : &c->acks_error, 1, memory_order_relaxed);
}
static inline void ed_counters_ack_dup(ed_counters *c)
{
    atomic_fetch_add_explicit(&c->ack_duplicates, 1, memory_order_relaxed);
}

/* Counts one published record under topic. Call from ONE thread only (the publisher): it is
 * the only writer of the topic table. */
void ed_counters_published(ed_counters *c, const char *topic);

/* Sum of errors over every code. */
uint64_t ed_counters_errors_total(const ed_counters *c);
/* Count published under topic so far (0 when never seen). */
uint64_t ed_counters_topic(const ed_counters *c, const char *topic);

/* One line for sd_notify STATUS=: "received=N published=N errors=N (too_large=1 ...)". */
void ed_counters_status(const ed_counters *c, char *out, size_t outlen);
/* Adds received, published, errors and one field per non-zero error code / topic (and
 * auth_allowed / auth_denied when not zero) to a log line. */
void ed_counters_log_fields(const ed_counters *c, ed_log_line *line);

#endif
