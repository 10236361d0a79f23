/*
 * stats.h — the hot-path side of the daemon's metrics: per-worker latency histograms (each
 * extraction stage and the whole ex_extract call), in-flight gauges of the inproc queues, the
 * reload counters and the pipeline's life state. Everything is an atomic updated without locks;
 * a histogram has ONE writer (its worker), so an observation is two relaxed loads and stores,
 * and a scrape (metrics.c) sums the workers' copies. Reads are relaxed snapshots.
 * Ownership: one ed_stats per daemon, inside ed_shared; ed_stats_init allocates the per-worker
 * blocks, ed_stats_release frees them.
 * May touch: its own memory; reads a document's stage timings (ex_doc_stage_us), nothing else.
 */
#ifndef ENRICHD_STATS_H
#define ENRICHD_STATS_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "enrichd/extract.h"

/* Upper bounds of the latency buckets, in microseconds: 1 µs … 100 ms (1-2-5 steps); one more
 * bucket holds everything slower. Changing them changes the exported series. */
#define ED_HISTO_BOUNDS 16
extern const uint32_t ed_histo_bounds_us[ED_HISTO_BOUNDS];

typedef struct ed_histo {
    _Atomic uint64_t bucket[ED_HISTO_BOUNDS + 1]; /* non-cumulative counts */
    _Atomic uint64_t sum_us;
} ed_histo;

/* One worker's block; cache-line aligned so that workers never share a line. */
typedef struct ed_worker_stats {
    alignas(64) _Atomic int64_t queued; /* jobs handed to this worker, not finished yet:
                                           receiver +1 after the hand-over, worker -1 after */
    alignas(64) ed_histo extract;       /* whole ex_extract call, any outcome */
    ed_histo stage[];                   /* one per ex_stage_count(), documents extracted */
} ed_worker_stats;

typedef enum ed_life {
    ED_LIFE_STARTING = 0, /* threads being started */
    ED_LIFE_RUNNING = 1,  /* every thread started */
    ED_LIFE_DRAINING = 2  /* stop asked (SIGTERM/SIGINT) */
} ed_life;

typedef struct ed_stats {
    size_t nworkers;
    size_t nstages;
    ed_worker_stats **workers;          /* owned array of owned blocks */
    alignas(64) _Atomic int64_t publish_queued; /* records sent to the publisher, not taken */
    alignas(64) _Atomic uint64_t reloads;       /* resources swapped in by a reload */
    _Atomic uint64_t reload_failures;   /* reloads refused because the resources failed */
    _Atomic int life;                   /* ed_life */
    int threads_expected;               /* pipeline threads when everything runs */
    int64_t start_ms;                   /* Unix time of the start, ms */
} ed_stats;

/* Allocates one zeroed block per worker. Returns 0, or -1 on allocation failure (s is then
 * safe to ed_stats_release). */
int ed_stats_init(ed_stats *s, size_t nworkers, size_t nstages);
/* Frees the blocks. NULL-safe, idempotent. */
void ed_stats_release(ed_stats *s);

/* Monotonic clock in microseconds (for timing ex_extract). */
int64_t ed_stats_now_us(void);

/* Records us in h. Single writer per histogram: the owning worker. */
static inline void ed_histo_observe(ed_histo *h, uint64_t us)
{
    size_t i = 0;
    while (i < ED_HISTO_BOUNDS && us > ed_histo_bounds_us[i])
        i++;
    atomic_store_explicit(&h->bucket[i],
                          atomic_load_explicit(&h->bucket[i], memory_order_relaxed) + 1,
                          memory_order_relaxed);
    atomic_store_explicit(&h->sum_us,
                          atomic_load_explicit(&h->sum_us, memory_order_relaxed) + us,
                          memory_order_relaxed);
}

/* Worker w ran ex_extract for extract_us; doc (NULL when extraction failed) gives the stage
 * timings. Call from worker w only. */
void ed_stats_extracted(ed_stats *s, size_t w, const ex_doc *doc, uint64_t extract_us);

/* Queue gauges: +1 / -1. Any thread. */
static inline void ed_stats_add(_Atomic int64_t *gauge, int64_t delta)
{
    atomic_fetch_add_explicit(gauge, delta, memory_order_relaxed);
}
static inline _Atomic int64_t *ed_stats_worker_queue(ed_stats *s, size_t w)
{
    return &s->workers[w]->queued;
}

/* Sums h over every worker into counts[ED_HISTO_BOUNDS + 1] and *sum_us. stage is a stage
 * index, or (size_t)-1 for the whole-extraction histogram. */
void ed_stats_histo_sum(const ed_stats *s, size_t stage, uint64_t *counts, uint64_t *sum_us);

#endif
