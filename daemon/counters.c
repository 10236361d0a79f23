/*
 * counters.c — lock-free activity counters (see counters.h). Reads are relaxed snapshots:
 * STATUS lines and logs need no cross-counter consistency.
 * May touch: its own memory only.
 */
#include "counters.h"

#include <stdio.h>
#include <string.h>

void ed_counters_init(ed_counters *c)
{
    atomic_init(&c->received, 0);
    atomic_init(&c->published, 0);
    for (int i = 0; i < ED_ERR__COUNT; i++)
        atomic_init(&c->errors[i], 0);
    atomic_init(&c->other_topics, 0);
    for (int i = 0; i < ED_TOPICS_MAX; i++) {
        c->topics[i].name[0] = '\0';
        atomic_init(&c->topics[i].count, 0);
    }
    atomic_init(&c->ntopics, 0);
    atomic_init(&c->auth_allowed, 0);
    atomic_init(&c->auth_denied, 0);
    atomic_init(&c->journal_bytes, 0);
    atomic_init(&c->journal_records, 0);
    atomic_init(&c->journal_first_seq, 0);
    atomic_init(&c->journal_last_seq, 0);
    atomic_init(&c->journal_synced_seq, 0);
    atomic_init(&c->journal_errors, 0);
    atomic_init(&c->acks_ok, 0);
    atomic_init(&c->acks_error, 0);
    atomic_init(&c->ack_duplicates, 0);
}

void ed_counters_published(ed_counters *c, const char *topic)
{
    atomic_fetch_add_explicit(&c->published, 1, memory_order_relaxed);
    size_t n = atomic_load_explicit(&c->ntopics, memory_order_relaxed);
    for (size_t i = 0; i < n; i++) {
        if (strcmp(c->topics[i].name, topic) == 0) {
            atomic_fetch_add_explicit(&c->topics[i].count, 1, memory_order_relaxed);
            return;
        }
    }
    if (n == ED_TOPICS_MAX) {
        atomic_fetch_add_explicit(&c->other_topics, 1, memory_order_relaxed);
        return;
    }
    snprintf(c->topics[n].name, sizeof c->topics[n].name, "%s", topic);
    atomic_store_explicit(&c->topics[n].count, 1, memory_order_relaxed);
    atomic_store_explicit(&c->ntopics, n + 1, memory_order_release);
}

uint64_t ed_counters_errors_total(const ed_counters *c)
{
    uint64_t total = 0;
    for (int i = 0; i < ED_ERR__COUNT; i++)
        total += atomic_load_explicit(&c->errors[i], memory_order_relaxed);
    return total;
}

uint64_t ed_counters_topic(const ed_counters *c, const char *topic)
{
    size_t n = atomic_load_explicit(&c->ntopics, memory_order_acquire);
    for (size_t i = 0; i < n; i++)
        if (strcmp(c->topics[i].name, topic) == 0)
            return atomic_load_explicit(&c->topics[i].count, memory_order_relaxed);
    return 0;
}

void ed_counters_status(const ed_counters *c, char *out, size_t outlen)
{
    if (outlen == 0)
        return;
    size_t len = 0;
    int w = snprintf(out, outlen, "received=%llu published=%llu errors=%llu",
                     (unsigned long long)atomic_load(&c->received),
                     (unsigned long long)atomic_load(&c->published),
                     (unsigned long long)ed_counters_errors_total(c));
    if (w < 0 || (size_t)w >= outlen)
        return;
    len = (size_t)w;
    const char *sep = " (";
    for (int i = 1; i < ED_ERR__COUNT; i++) {
        uint64_t v = atomic_load_explicit(&c->errors[i], memory_order_relaxed);
        if (v == 0)
            continue;
        w = snprintf(out + len, outlen - len, "%s%s=%llu", sep, ed_errcode_name((ed_errcode)i),
                     (unsigned long long)v);
        if (w < 0 || (size_t)w >= outlen - len)
            return;
        len += (size_t)w;
        sep = " ";
    }
    if (sep[0] == ' ' && sep[1] == '\0')
        snprintf(out + len, outlen - len, ")");
}

void ed_counters_log_fields(const ed_counters *c, ed_log_line *line)
{
    ed_log_int(line, "received", (int64_t)atomic_load(&c->received));
    ed_log_int(line, "published", (int64_t)atomic_load(&c->published));
    ed_log_int(line, "errors", (int64_t)ed_counters_errors_total(c));
    for (int i = 1; i < ED_ERR__COUNT; i++) {
        uint64_t v = atomic_load_explicit(&c->errors[i], memory_order_relaxed);
        if (v == 0)
            continue;
        char key[48];
        snprintf(key, sizeof key, "errors.%s", ed_errcode_name((ed_errcode)i));
        ed_log_int(line, key, (int64_t)v);
    }
    size_t n = atomic_load_explicit(&c->ntopics, memory_order_acquire);
    for (size_t i = 0; i < n; i++) {
        char key[48];
        snprintf(key, sizeof key, "published.%s", c->topics[i].name);
        ed_log_int(line, key, (int64_t)atomic_load(&c->topics[i].count));
    }
    uint64_t allowed = atomic_load(&c->auth_allowed), denied = atomic_load(&c->auth_denied);
    if (allowed > 0 || denied > 0) {
        ed_log_int(line, "auth_allowed", (int64_t)allowed);
        ed_log_int(line, "auth_denied", (int64_t)denied);
    }
    uint64_t last = atomic_load(&c->journal_last_seq), acks = atomic_load(&c->acks_ok) +
                                                               atomic_load(&c->acks_error);
    if (last > 0 || acks > 0 || atomic_load(&c->journal_errors) > 0) {
        ed_log_int(line, "journal.last_seq", (int64_t)last);
        ed_log_int(line, "journal.synced_seq", (int64_t)atomic_load(&c->journal_synced_seq));
        ed_log_int(line, "journal.records", (int64_t)atomic_load(&c->journal_records));
        ed_log_int(line, "journal.errors", (int64_t)atomic_load(&c->journal_errors));
        ed_log_int(line, "acks.ok", (int64_t)atomic_load(&c->acks_ok));
        ed_log_int(line, "acks.error", (int64_t)atomic_load(&c->acks_error));
        ed_log_int(line, "acks.duplicates", (int64_t)atomic_load(&c->ack_duplicates));
    }
}
