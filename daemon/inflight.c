/*
 * inflight.c — chained hash table id → waiter list for the acked feed (see inflight.h).
 * FNV-1a hash, power-of-two buckets doubled when entries outnumber them.
 * May touch: its own memory only.
 */
#include "inflight.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct waiter {
    struct waiter *next;
    int delim;
    size_t rid_len;
    unsigned char rid[];
} waiter;

typedef struct entry {
    struct entry *next;
    uint64_t hash;
    waiter *first, *last;
    char id[];
} entry;

struct ed_inflight {
    entry **buckets;
    size_t nbuckets; /* power of two */
    size_t count;
};

static uint64_t fnv1a(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

ed_inflight *ed_inflight_new(void)
{
    ed_inflight *t = calloc(1, sizeof *t);
    if (t == NULL)
        return NULL;
    t->nbuckets = 64;
    t->buckets = calloc(t->nbuckets, sizeof *t->buckets);
    if (t->buckets == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

static void free_entry(entry *e)
{
    for (waiter *w = e->first, *next; w != NULL; w = next) {
        next = w->next;
        free(w);
    }
    free(e);
}

void ed_inflight_free(ed_inflight *t)
{
    if (t == NULL)
        return;
    for (size_t i = 0; i < t->nbuckets; i++)
        for (entry *e = t->buckets[i], *next; e != NULL; e = next) {
            next = e->next;
            free_entry(e);
        }
    free(t->buckets);
    free(t);
}

static entry **find(const ed_inflight *t, const char *id, uint64_t h)
{
    entry **pp = &t->buckets[h & (t->nbuckets - 1)];
    while (*pp != NULL && !((*pp)->hash == h && strcmp((*pp)->id, id) == 0))
        pp = &(*pp)->next;
    return pp;
}

int ed_inflight_contains(const ed_inflight *t, const char *id)
{
    return *find(t, id, fnv1a(id)) != NULL;
}

static void grow(ed_inflight *t)
{
    size_t n = t->nbuckets * 2;
    entry **b = calloc(n, sizeof *b);
    if (b == NULL)
        return; /* keep the old size: slower, still correct */
    for (size_t i = 0; i < t->nbuckets; i++)
        for (entry *e = t->buckets[i], *next; e != NULL; e = next) {
            next = e->next;
            e->next = b[e->hash & (n - 1)];
            b[e->hash & (n - 1)] = e;
        }
    free(t->buckets);
    t->buckets = b;
    t->nbuckets = n;
}

int ed_inflight_add(ed_inflight *t, const char *id, const void *rid, size_t rid_len, int delim)
{
    if (rid_len > 255)
        rid_len = 255;
    waiter *w = malloc(sizeof *w + rid_len);
    if (w == NULL)
        return -1;
    w->next = NULL;
    w->delim = delim;
    w->rid_len = rid_len;
    if (rid_len)
        memcpy(w->rid, rid, rid_len);
    uint64_t h = fnv1a(id);
    entry **pp = find(t, id, h);
    if (*pp != NULL) {
        (*pp)->last->next = w;
        (*pp)->last = w;
        return 1;
    }
    size_t idlen = strlen(id);
    entry *e = malloc(sizeof *e + idlen + 1);
    if (e == NULL) {
        free(w);
        return -1;
    }
    memcpy(e->id, id, idlen + 1);
    e->hash = h;
    e->first = e->last = w;
    e->next = NULL;
    *pp = e;
    if (++t->count > t->nbuckets)
        grow(t);
    return 0;
}

size_t ed_inflight_take(ed_inflight *t, const char *id, ed_inflight_visit visit, void *arg)
{
    entry **pp = find(t, id, fnv1a(id));
    entry *e = *pp;
    if (e == NULL)
        return 0;
    *pp = e->next;
    t->count--;
    size_t n = 0;
    for (waiter *w = e->first; w != NULL; w = w->next, n++)
        if (visit != NULL)
            visit(arg, w->rid, w->rid_len, w->delim);
    free_entry(e);
    return n;
}

size_t ed_inflight_count(const ed_inflight *t) { return t->count; }
