/*
 * stats.c — per-worker histograms and queue gauges (see stats.h): allocation, the per-document
 * update a worker makes after ex_extract, and the sums a scrape reads.
 * May touch: its own memory; reads stage timings of a document.
 */
#include "stats.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

const uint32_t ed_histo_bounds_us[ED_HISTO_BOUNDS] = {
    1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000,
};

int ed_stats_init(ed_stats *s, size_t nworkers, size_t nstages)
{
    memset(s, 0, sizeof *s);
    atomic_init(&s->publish_queued, 0);
    atomic_init(&s->reloads, 0);
    atomic_init(&s->reload_failures, 0);
    atomic_init(&s->life, ED_LIFE_STARTING);
    s->nstages = nstages;
    s->workers = calloc(nworkers ? nworkers : 1, sizeof *s->workers);
    if (s->workers == NULL)
        return -1;
    size_t size = sizeof(ed_worker_stats) + nstages * sizeof(ed_histo);
    size = (size + 63) / 64 * 64; /* aligned_alloc wants a multiple of the alignment */
    for (size_t i = 0; i < nworkers; i++) {
        /* zeroed memory is a valid initial state for these lock-free atomics */
        ed_worker_stats *w = aligned_alloc(64, size);
        if (w == NULL)
            return -1;
        memset(w, 0, size);
        s->workers[i] = w;
        s->nworkers = i + 1;
    }
    return 0;
}

void ed_stats_release(ed_stats *s)
{
    if (s == NULL || s->workers == NULL)
        return;
    for (size_t i = 0; i < s->nworkers; i++)
        free(s->workers[i]);
    free(s->workers);
    s->workers = NULL;
    s->nworkers = 0;
}

int64_t ed_stats_now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

void ed_stats_extracted(ed_stats *s, size_t w, const ex_doc *doc, uint64_t extract_us)
{
    if (w >= s->nworkers)
        return;
    ed_worker_stats *ws = s->workers[w];
    ed_histo_observe(&ws->extract, extract_us);
    if (doc == NULL)
        return;
    for (size_t i = 0; i < s->nstages; i++)
        ed_histo_observe(&ws->stage[i], ex_doc_stage_us(doc, i));
}

void ed_stats_histo_sum(const ed_stats *s, size_t stage, uint64_t *counts, uint64_t *sum_us)
{
    memset(counts, 0, (ED_HISTO_BOUNDS + 1) * sizeof *counts);
    *sum_us = 0;
    for (size_t w = 0; w < s->nworkers; w++) {
        const ed_histo *h;
        if (stage == (size_t)-1)
            h = &s->workers[w]->extract;
        else if (stage < s->nstages)
            h = &s->workers[w]->stage[stage];
        else
            return;
        for (size_t b = 0; b <= ED_HISTO_BOUNDS; b++)
            counts[b] += atomic_load_explicit(&h->bucket[b], memory_order_relaxed);
        *sum_us += atomic_load_explicit(&h->sum_us, memory_order_relaxed);
    }
}
