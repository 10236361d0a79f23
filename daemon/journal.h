/*
 * journal.h — the durable record journal (LMDB, in <state_dir>/journal): every published record
 * and every error record (with up to raw_max_bytes of the rejected input), keyed by seq; an
 * id → seq index for the articles that came in on the acked feed; the last seq given (so seq
 * keeps growing across restarts even when retention emptied the journal); retention by count,
 * age and size; syncs batched by the caller (ed_journal_sync).
 *
 * Threads: ONE writer (the publisher thread) calls ed_journal_append, _sync and _retain; any
 * thread may call ed_journal_lookup_id, ed_journal_scan and ed_journal_read_stats, which use
 * their own short LMDB read transactions (the env is opened with MDB_NOTLS). The handle is
 * opened and closed by the daemon in its main thread, before the threads start and after they
 * ended. Ownership: ed_journal_open returns a journal owned by the caller (ed_journal_close).
 * Durability: commits do not fsync (MDB_NOSYNC); ed_journal_sync does. A killed process loses
 * nothing committed (the page cache keeps it); a power loss may lose what was committed since
 * the last ed_journal_sync (see docs/config.md, journal.sync_records / journal.sync_ms).
 * One process per journal: open takes an exclusive flock on <dir>/enrichd.lock.
 * May touch: the journal directory and its files (data.mdb, lock.mdb, enrichd.lock). No sockets.
 */
#ifndef ENRICHD_JOURNAL_H
#define ENRICHD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

typedef struct ed_journal ed_journal;

typedef struct ed_journal_opts {
    uint64_t map_bytes;     /* LMDB map size: the most the file can grow to */
    uint64_t max_records;   /* retention: 0 = no limit */
    uint64_t max_age_s;     /* retention: 0 = no limit (age from the record's time_ms) */
    uint64_t max_bytes;     /* retention: pages in use, 0 = none; never above 3/4 of map_bytes */
} ed_journal_opts;

/* Entry flags. */
#define ED_JOURNAL_INDEX_ID 1u /* add id → seq to the id index (acked articles) */

/* One record to append (the writer's view; nothing is kept after the call). */
typedef struct ed_journal_entry {
    uint64_t seq;           /* strictly greater than every seq appended before */
    int64_t time_ms;        /* Unix ms, used by max_age_s */
    const char *topic;      /* ≤ 255 bytes */
    const char *id;         /* ≤ 511 bytes (LMDB key limit); "" allowed (never indexed) */
    const char *json;       /* the record exactly as published (seq included) */
    size_t json_len;
    const void *raw;        /* kept input bytes (error records), may be NULL */
    size_t raw_len;
    uint64_t raw_total;     /* size of the whole input (raw may be a prefix of it) */
    unsigned flags;         /* ED_JOURNAL_INDEX_ID */
} ed_journal_entry;

/* One stored record as a reader sees it; pointers valid only inside the scan callback. */
typedef struct ed_journal_rec {
    uint64_t seq;
    int64_t time_ms;
    const char *topic;      /* not NUL-terminated */
    size_t topic_len;
    const char *id;
    size_t id_len;
    const char *json;
    size_t json_len;
    const void *raw;
    size_t raw_len;
    uint64_t raw_total;
} ed_journal_rec;

typedef struct ed_journal_stats {
    uint64_t first_seq;     /* oldest seq held, 0 when empty */
    uint64_t last_seq;      /* newest seq ever journaled (kept when retention empties it) */
    uint64_t records;       /* records held */
    uint64_t bytes;         /* bytes of LMDB pages in use (what max_bytes bounds) */
    uint64_t synced_seq;    /* last seq known on disk (writer's view; 0 from readers) */
} ed_journal_stats;

/* Opens (creating when needed, mode 0700 directory / 0600 files) the journal in dir. A journal
 * written before is reopened: seq continues after its last seq. Syncs once so what an earlier
 * run committed is on disk. Fails when another process holds the journal. Returns 0 with *out
 * set, or -1 with err set. */
int ed_journal_open(const char *dir, const ed_journal_opts *opts, ed_journal **out, char *err,
                    size_t errlen);
/* Syncs, then closes. NULL-safe. No other thread may use j any more. */
void ed_journal_close(ed_journal *j);

/* ---- writer (one thread) ------------------------------------------------------------------ */

/* Appends n entries in one transaction (committed, not synced), updating last_seq, and applies
 * retention in the same transaction (a bounded number of deletions per call). When the map is
 * full it frees space by retention (oldest records first, down to 3/4 of what is in use) and
 * tries once more. Returns 0, or -1 with err set (nothing of the batch is stored then). */
int ed_journal_append(ed_journal *j, const ed_journal_entry *e, size_t n, int64_t now_ms,
                      char *err, size_t errlen);
/* fsyncs everything committed. Returns 0, or -1 with err set. */
int ed_journal_sync(ed_journal *j, char *err, size_t errlen);
/* Applies retention (age moves on without appends): deletes at most max_delete of the oldest
 * records that break a limit. Returns the number deleted, or -1 with err set. */
long ed_journal_retain(ed_journal *j, int64_t now_ms, size_t max_delete, char *err,
                       size_t errlen);
/* The writer's cached numbers after its last append/sync/retain (no LMDB call). */
void ed_journal_writer_stats(const ed_journal *j, ed_journal_stats *st);
/* Last seq given (0 for a new journal): the writer continues at +1. */
uint64_t ed_journal_last_seq(const ed_journal *j);

/* ---- readers (any thread) ----------------------------------------------------------------- */

/* Looks id up in the index. Returns 1 with *seq set, 0 when absent, -1 on error. */
int ed_journal_lookup_id(ed_journal *j, const char *id, size_t id_len, uint64_t *seq);

/* Visits the records with seq > since in order, stopping when visit returns non-zero or after
 * max_scan records (0 = no limit). *stats gets the snapshot's first/last seq and counts (may be
 * NULL); *last_visited the seq of the last record visited (since when none). Returns 0, the
 * callback's non-zero value when it stopped the scan, or -1 on error (err set). One read
 * transaction: keep callbacks quick (they run while LMDB pages are pinned). */
typedef int (*ed_journal_visit)(void *arg, const ed_journal_rec *rec);
int ed_journal_scan(ed_journal *j, uint64_t since, size_t max_scan, ed_journal_visit visit,
                    void *arg, ed_journal_stats *stats, uint64_t *last_visited, char *err,
                    size_t errlen);

/* A consistent snapshot of first/last seq, records and bytes (synced_seq 0). Returns 0 or -1. */
int ed_journal_read_stats(ed_journal *j, ed_journal_stats *st, char *err, size_t errlen);

#endif
