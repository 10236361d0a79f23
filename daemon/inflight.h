/*
 * inflight.h — the receiver's table of acked articles in flight: id → the producers waiting for
 * its acknowledgement (ROUTER routing id + whether their request had an empty delimiter frame).
 * A resend of an id already in flight only adds a waiter, so the article is extracted and
 * published once and every copy is answered with the same seq.
 * Single-threaded: owned and used by the receiver thread only. Ownership: ed_inflight_new
 * returns a table owned by the caller (ed_inflight_free); ids and routing ids are copied in.
 * May touch: its own memory only.
 */
#ifndef ENRICHD_INFLIGHT_H
#define ENRICHD_INFLIGHT_H

#include <stddef.h>

typedef struct ed_inflight ed_inflight;

ed_inflight *ed_inflight_new(void);
void ed_inflight_free(ed_inflight *t);

/* 1 when id has an entry. */
int ed_inflight_contains(const ed_inflight *t, const char *id);
/* Adds a waiter for id (creating the entry when there is none). rid_len ≤ 255.
 * Returns 1 when the entry existed (a resend), 0 when it was created, -1 out of memory. */
int ed_inflight_add(ed_inflight *t, const char *id, const void *rid, size_t rid_len, int delim);
/* Removes id's entry, calling visit (may be NULL) for each waiter in arrival order. Returns the
 * number of waiters (0 when id had no entry). */
typedef void (*ed_inflight_visit)(void *arg, const void *rid, size_t rid_len, int delim);
size_t ed_inflight_take(ed_inflight *t, const char *id, ed_inflight_visit visit, void *arg);
/* Entries (distinct ids) in the table. */
size_t ed_inflight_count(const ed_inflight *t);

#endif
