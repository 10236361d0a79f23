/*
 * journal.c — the record journal over LMDB (see journal.h). Three named databases in one env:
 *   records: key = seq (8 bytes big-endian, so key order = seq order), value = a 28-byte header
 *            (time_ms i64, raw_total u64, json_len u32, raw_len u32, id_len u16, topic_len u8,
 *            flags u8; native byte order) then topic, id, json, raw;
 *   ids:     key = id, value = seq (8 bytes big-endian), for acked articles only;
 *   meta:    "last_seq" → 8 bytes big-endian.
 * Commits do not fsync (MDB_NOSYNC); the writer calls ed_journal_sync in batches.
 * May touch: the journal directory (LMDB files). No sockets, no threads of its own.
 */
#include "journal.h"
#include "errmsg.h"

#include <errno.h>
#include <lmdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define HDR_LEN 28
#define META_LAST_SEQ "last_seq"
#define RETAIN_PER_APPEND 256 /* deletions per append transaction, at most */

struct ed_journal {
    MDB_env *env;
    MDB_dbi recs, ids, meta;  /* immutable after open */
    ed_journal_opts opts;
    size_t max_key;
    int lock_fd;              /* flock'd <dir>/enrichd.lock: one daemon per journal */
    /* writer's view */
    uint64_t last_seq;
    ed_journal_stats cached;
};

static void put_be64(unsigned char *p, uint64_t v)
{
    for (int i = 7; i >= 0; i--) {
        p[i] = (unsigned char)(v & 0xff);
        v >>= 8;
    }
}

static uint64_t get_be64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = (v << 8) | p[i];
    return v;
}

/* Decodes a stored record; returns 0, or -1 when the value is malformed. */
static int decode(const MDB_val *key, const MDB_val *val, ed_journal_rec *r)
{
    if (key->mv_size != 8 || val->mv_size < HDR_LEN)
        return -1;
    const unsigned char *p = val->mv_data;
    uint32_t json_len, raw_len;
    uint16_t id_len;
    memset(r, 0, sizeof *r);
    r->seq = get_be64(key->mv_data);
    memcpy(&r->time_ms, p, 8);
    memcpy(&r->raw_total, p + 8, 8);
    memcpy(&json_len, p + 16, 4);
    memcpy(&raw_len, p + 20, 4);
    memcpy(&id_len, p + 24, 2);
    size_t topic_len = p[26];
    size_t need = (size_t)HDR_LEN + topic_len + id_len + json_len + raw_len;
    if (need != val->mv_size)
        return -1;
    const char *q = (const char *)p + HDR_LEN;
    r->topic = q;
    r->topic_len = topic_len;
    r->id = q + topic_len;
    r->id_len = id_len;
    r->json = r->id + id_len;
    r->json_len = json_len;
    r->raw = raw_len ? r->json + json_len : NULL;
    r->raw_len = raw_len;
    return 0;
}

static unsigned rec_flags(const MDB_val *val) { return ((const unsigned char *)val->mv_data)[27]; }

static uint64_t used_bytes(MDB_txn *txn, const ed_journal *j)
{
    uint64_t total = 0;
    MDB_dbi dbis[4] = {j->recs, j->ids, j->meta, 1 /* MAIN_DBI: the names */};
    for (int i = 0; i < 4; i++) {
        MDB_stat st;
        if (mdb_stat(txn, dbis[i], &st) == 0)
            total += (uint64_t)(st.ms_branch_pages + st.ms_leaf_pages + st.ms_overflow_pages) *
                     st.ms_psize;
    }
    return total;
}

static uint64_t entries_of(MDB_txn *txn, MDB_dbi dbi)
{
    MDB_stat st;
    return mdb_stat(txn, dbi, &st) == 0 ? (uint64_t)st.ms_entries : 0;
}

static uint64_t first_seq_of(MDB_txn *txn, MDB_dbi dbi)
{
    MDB_cursor *c;
    if (mdb_cursor_open(txn, dbi, &c) != 0)
        return 0;
    MDB_val k, v;
    uint64_t seq = 0;
    if (mdb_cursor_get(c, &k, &v, MDB_FIRST) == 0 && k.mv_size == 8)
        seq = get_be64(k.mv_data);
    mdb_cursor_close(c);
    return seq;
}

/* last_seq from meta, or the last key of records when meta has none. */
static uint64_t last_seq_of(MDB_txn *txn, const ed_journal *j)
{
    MDB_val k = {strlen(META_LAST_SEQ), (void *)META_LAST_SEQ}, v;
    uint64_t seq = 0;
    if (mdb_get(txn, j->meta, &k, &v) == 0 && v.mv_size == 8)
        seq = get_be64(v.mv_data);
    MDB_cursor *c;
    if (mdb_cursor_open(txn, j->recs, &c) == 0) {
        MDB_val rk, rv;
        if (mdb_cursor_get(c, &rk, &rv, MDB_LAST) == 0 && rk.mv_size == 8 &&
            get_be64(rk.mv_data) > seq)
            seq = get_be64(rk.mv_data);
        mdb_cursor_close(c);
    }
    return seq;
}

static void fill_stats(MDB_txn *txn, const ed_journal *j, uint64_t last_seq, ed_journal_stats *st)
{
    st->first_seq = first_seq_of(txn, j->recs);
    st->last_seq = last_seq;
    st->records = entries_of(txn, j->recs);
    st->bytes = used_bytes(txn, j);
}

/* Is the oldest record (k, v) past a limit? target_bytes (0 = none) is an extra size bound. */
static int over_limit(MDB_txn *txn, const ed_journal *j, const MDB_val *v, int64_t now_ms,
                      uint64_t target_bytes)
{
    const ed_journal_opts *o = &j->opts;
    if (o->max_records > 0 && entries_of(txn, j->recs) > o->max_records)
        return 1;
    if (o->max_age_s > 0) {
        int64_t t;
        memcpy(&t, v->mv_data, 8);
        if (t < now_ms - (int64_t)o->max_age_s * 1000)
            return 1;
    }
    {
        /* LMDB writes copies of the pages it changes and reuses freed pages only later, so the
         * file needs room beyond the pages in use: keep those under 3/4 of the map. */
        uint64_t cap = j->opts.map_bytes / 4 * 3;
        if (o->max_bytes > 0 && o->max_bytes < cap)
            cap = o->max_bytes;
        uint64_t used = used_bytes(txn, j);
        if (used > cap)
            return 1;
        if (target_bytes > 0 && used > target_bytes)
            return 1;
    }
    return 0;
}

/* Deletes oldest records while a limit is broken, at most max_delete; *deleted gets the count.
 * Returns 0 or an LMDB / errno code. */
static int retain_txn(MDB_txn *txn, const ed_journal *j, int64_t now_ms, size_t max_delete,
                      uint64_t target_bytes, long *deleted)
{
    *deleted = 0;
    MDB_cursor *c;
    int rc = mdb_cursor_open(txn, j->recs, &c);
    if (rc != 0)
        return rc;
    while ((size_t)*deleted < max_delete) {
        MDB_val k, v;
        rc = mdb_cursor_get(c, &k, &v, MDB_FIRST);
        if (rc == MDB_NOTFOUND) {
            rc = 0;
            break;
        }
        if (rc != 0)
            break;
        if (v.mv_size < HDR_LEN || !over_limit(txn, j, &v, now_ms, target_bytes))
            break;
        if (rec_flags(&v) & ED_JOURNAL_INDEX_ID) {
            ed_journal_rec r;
            if (decode(&k, &v, &r) == 0 && r.id_len > 0 && r.id_len <= j->max_key) {
                MDB_val ik = {r.id_len, (void *)r.id}, iv;
                if (mdb_get(txn, j->ids, &ik, &iv) == 0 && iv.mv_size == 8 &&
                    get_be64(iv.mv_data) == r.seq && (rc = mdb_del(txn, j->ids, &ik, NULL)) != 0)
                    break;
            }
        }
        if ((rc = mdb_cursor_del(c, 0)) != 0)
            break;
        (*deleted)++;
    }
    mdb_cursor_close(c);
    return rc;
}

int ed_journal_open(const char *dir, const ed_journal_opts *opts, ed_journal **out, char *err,
                    size_t errlen)
{
    *out = NULL;
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return ed_fail(err, errlen, "cannot create the journal directory %s: %s", dir,
                     strerror(errno));
    ed_journal *j = calloc(1, sizeof *j);
    if (j == NULL)
        return ed_fail(err, errlen, "out of memory");
    j->opts = *opts;
    /* Two daemons on one journal would give the same seqs twice: refuse the second. */
    char lock_path[4200];
    snprintf(lock_path, sizeof lock_path, "%s/enrichd.lock", dir);
    j->lock_fd = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (j->lock_fd < 0 || flock(j->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        if (j->lock_fd >= 0)
            close(j->lock_fd);
        free(j);
        if (e == EWOULDBLOCK)
            return ed_fail(err, errlen,
                         "the journal in %s is in use by another enrichd (give each instance its "
                         "own state_dir)", dir);
        return ed_fail(err, errlen, "cannot lock %s: %s", lock_path, strerror(e));
    }
    int rc = mdb_env_create(&j->env);
    if (rc == 0)
        rc = mdb_env_set_maxdbs(j->env, 4);
    if (rc == 0)
        rc = mdb_env_set_mapsize(j->env, (size_t)opts->map_bytes);
    if (rc == 0)
        rc = mdb_env_open(j->env, dir, MDB_NOSYNC | MDB_NOTLS, 0600);
    if (rc != 0) {
        ed_fail(err, errlen, "cannot open the journal in %s: %s", dir, mdb_strerror(rc));
        if (j->env != NULL)
            mdb_env_close(j->env);
        close(j->lock_fd);
        free(j);
        return -1;
    }
    j->max_key = (size_t)mdb_env_get_maxkeysize(j->env);
    int stale = 0;
    mdb_reader_check(j->env, &stale); /* reader slots of a killed process */
    MDB_txn *txn;
    rc = mdb_txn_begin(j->env, NULL, 0, &txn);
    if (rc == 0) {
        if ((rc = mdb_dbi_open(txn, "records", MDB_CREATE, &j->recs)) == 0 &&
            (rc = mdb_dbi_open(txn, "ids", MDB_CREATE, &j->ids)) == 0 &&
            (rc = mdb_dbi_open(txn, "meta", MDB_CREATE, &j->meta)) == 0) {
            j->last_seq = last_seq_of(txn, j);
            fill_stats(txn, j, j->last_seq, &j->cached);
            rc = mdb_txn_commit(txn);
        } else {
            mdb_txn_abort(txn);
        }
    }
    if (rc == 0)
        rc = mdb_env_sync(j->env, 1);
    if (rc != 0) {
        ed_fail(err, errlen, "cannot open the journal in %s: %s", dir, mdb_strerror(rc));
        mdb_env_close(j->env);
        close(j->lock_fd);
        free(j);
        return -1;
    }
    j->cached.synced_seq = j->last_seq;
    *out = j;
    return 0;
}

void ed_journal_close(ed_journal *j)
{
    if (j == NULL)
        return;
    mdb_env_sync(j->env, 1);
    mdb_env_close(j->env);
    close(j->lock_fd);
    free(j);
}

/* One append transaction. Returns 0 or an LMDB / errno code (MDB_MAP_FULL when full). */
static int append_txn(ed_journal *j, const ed_journal_entry *e, size_t n, int64_t now_ms,
                      char *err, size_t errlen)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(j->env, NULL, 0, &txn);
    if (rc != 0)
        return rc;
    uint64_t last = j->last_seq;
    for (size_t i = 0; i < n && rc == 0; i++) {
        const ed_journal_entry *x = &e[i];
        size_t topic_len = strlen(x->topic), id_len = strlen(x->id);
        if (topic_len > 255 || id_len > 65535 || x->json_len > UINT32_MAX ||
            x->raw_len > UINT32_MAX || x->seq <= last) {
            ed_fail(err, errlen, "journal: entry seq %llu cannot be stored (bad sizes or order)",
                  (unsigned long long)x->seq);
            rc = EINVAL;
            break;
        }
        unsigned char kb[8];
        put_be64(kb, x->seq);
        MDB_val k = {8, kb};
        MDB_val v = {HDR_LEN + topic_len + id_len + x->json_len + x->raw_len, NULL};
        rc = mdb_put(txn, j->recs, &k, &v, MDB_APPEND | MDB_RESERVE);
        if (rc != 0)
            break;
        unsigned char *p = v.mv_data;
        uint32_t jl = (uint32_t)x->json_len, rl = (uint32_t)x->raw_len;
        uint16_t il = (uint16_t)id_len;
        memcpy(p, &x->time_ms, 8);
        memcpy(p + 8, &x->raw_total, 8);
        memcpy(p + 16, &jl, 4);
        memcpy(p + 20, &rl, 4);
        memcpy(p + 24, &il, 2);
        p[26] = (unsigned char)topic_len;
        p[27] = (unsigned char)(x->flags & 0xff);
        unsigned char *q = p + HDR_LEN;
        memcpy(q, x->topic, topic_len);
        memcpy(q + topic_len, x->id, id_len);
        memcpy(q + topic_len + id_len, x->json, x->json_len);
        if (x->raw_len)
            memcpy(q + topic_len + id_len + x->json_len, x->raw, x->raw_len);
        if ((x->flags & ED_JOURNAL_INDEX_ID) && id_len > 0 && id_len <= j->max_key) {
            MDB_val ik = {id_len, (void *)x->id}, iv = {8, kb};
            rc = mdb_put(txn, j->ids, &ik, &iv, 0);
        }
        last = x->seq;
    }
    if (rc == 0) {
        unsigned char lb[8];
        put_be64(lb, last);
        MDB_val mk = {strlen(META_LAST_SEQ), (void *)META_LAST_SEQ}, mv = {8, lb};
        rc = mdb_put(txn, j->meta, &mk, &mv, 0);
    }
    if (rc == 0) {
        long d = 0;
        rc = retain_txn(txn, j, now_ms, RETAIN_PER_APPEND + n, 0, &d);
    }
    ed_journal_stats st;
    if (rc == 0) {
        fill_stats(txn, j, last, &st);
        rc = mdb_txn_commit(txn);
    } else {
        mdb_txn_abort(txn);
    }
    if (rc == 0) {
        j->last_seq = last;
        st.synced_seq = j->cached.synced_seq;
        j->cached = st;
    }
    return rc;
}

/* Frees space after MDB_MAP_FULL: deletes the oldest records until the pages in use are at
 * most 3/4 of what they were. Returns the number deleted, or -1. */
static long free_space(ed_journal *j, int64_t now_ms)
{
    MDB_txn *txn;
    if (mdb_txn_begin(j->env, NULL, 0, &txn) != 0)
        return -1;
    uint64_t target = used_bytes(txn, j) / 4 * 3;
    if (target == 0)
        target = 1;
    long d = 0;
    if (retain_txn(txn, j, now_ms, (size_t)-1, target, &d) != 0 || d == 0) {
        mdb_txn_abort(txn);
        return -1;
    }
    if (mdb_txn_commit(txn) != 0)
        return -1;
    /* LMDB reuses the pages a transaction freed only once a later one has committed (the
     * previous snapshot stays valid until then): commit one empty write to release them. */
    if (mdb_txn_begin(j->env, NULL, 0, &txn) == 0) {
        unsigned char lb[8];
        put_be64(lb, j->last_seq);
        MDB_val mk = {strlen(META_LAST_SEQ), (void *)META_LAST_SEQ}, mv = {8, lb};
        if (mdb_put(txn, j->meta, &mk, &mv, 0) == 0)
            mdb_txn_commit(txn);
        else
            mdb_txn_abort(txn);
    }
    return d;
}

int ed_journal_append(ed_journal *j, const ed_journal_entry *e, size_t n, int64_t now_ms,
                      char *err, size_t errlen)
{
    if (n == 0)
        return 0;
    if (err && errlen)
        err[0] = '\0';
    int rc = append_txn(j, e, n, now_ms, err, errlen);
    if (rc == MDB_MAP_FULL) {
        long freed = free_space(j, now_ms);
        if (freed > 0)
            rc = append_txn(j, e, n, now_ms, err, errlen);
        if (rc == MDB_MAP_FULL)
            return ed_fail(err, errlen,
                         "journal full (journal.map_bytes = %llu) even after deleting %ld old "
                         "records: records not journaled",
                         (unsigned long long)j->opts.map_bytes, freed > 0 ? freed : 0L);
    }
    if (rc != 0) {
        if (err && errlen && err[0] == '\0')
            ed_fail(err, errlen, "journal append failed: %s", mdb_strerror(rc));
        return -1;
    }
    return 0;
}

int ed_journal_sync(ed_journal *j, char *err, size_t errlen)
{
    int rc = mdb_env_sync(j->env, 1);
    if (rc != 0)
        return ed_fail(err, errlen, "journal sync failed: %s", mdb_strerror(rc));
    j->cached.synced_seq = j->last_seq;
    return 0;
}

long ed_journal_retain(ed_journal *j, int64_t now_ms, size_t max_delete, char *err, size_t errlen)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(j->env, NULL, 0, &txn);
    if (rc != 0)
        return ed_fail(err, errlen, "journal retention: %s", mdb_strerror(rc));
    long d = 0;
    rc = retain_txn(txn, j, now_ms, max_delete, 0, &d);
    if (rc != 0 || d == 0) {
        mdb_txn_abort(txn);
        return rc != 0 ? ed_fail(err, errlen, "journal retention: %s", mdb_strerror(rc)) : 0;
    }
    ed_journal_stats st;
    fill_stats(txn, j, j->last_seq, &st);
    rc = mdb_txn_commit(txn);
    if (rc != 0)
        return ed_fail(err, errlen, "journal retention: %s", mdb_strerror(rc));
    st.synced_seq = j->cached.synced_seq;
    j->cached = st;
    return d;
}

void ed_journal_writer_stats(const ed_journal *j, ed_journal_stats *st) { *st = j->cached; }

uint64_t ed_journal_last_seq(const ed_journal *j) { return j->last_seq; }

int ed_journal_lookup_id(ed_journal *j, const char *id, size_t id_len, uint64_t *seq)
{
    if (id_len == 0 || id_len > j->max_key)
        return 0;
    MDB_txn *txn;
    if (mdb_txn_begin(j->env, NULL, MDB_RDONLY, &txn) != 0)
        return -1;
    MDB_val k = {id_len, (void *)id}, v;
    int rc = mdb_get(txn, j->ids, &k, &v);
    int found = 0;
    if (rc == 0 && v.mv_size == 8) {
        *seq = get_be64(v.mv_data);
        found = 1;
    } else if (rc != MDB_NOTFOUND) {
        found = -1;
    }
    mdb_txn_abort(txn);
    return found;
}

int ed_journal_scan(ed_journal *j, uint64_t since, size_t max_scan, ed_journal_visit visit,
                    void *arg, ed_journal_stats *stats, uint64_t *last_visited, char *err,
                    size_t errlen)
{
    if (last_visited)
        *last_visited = since;
    MDB_txn *txn;
    int rc = mdb_txn_begin(j->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0)
        return ed_fail(err, errlen, "journal read: %s", mdb_strerror(rc));
    if (stats != NULL) {
        fill_stats(txn, j, last_seq_of(txn, j), stats);
        stats->synced_seq = 0;
    }
    MDB_cursor *c;
    if ((rc = mdb_cursor_open(txn, j->recs, &c)) != 0) {
        mdb_txn_abort(txn);
        return ed_fail(err, errlen, "journal read: %s", mdb_strerror(rc));
    }
    int result = 0;
    if (since < UINT64_MAX) {
        unsigned char kb[8];
        put_be64(kb, since + 1);
        MDB_val k = {8, kb}, v;
        size_t scanned = 0;
        rc = mdb_cursor_get(c, &k, &v, MDB_SET_RANGE);
        while (rc == 0 && (max_scan == 0 || scanned < max_scan)) {
            ed_journal_rec r;
            if (decode(&k, &v, &r) != 0) {
                result = ed_fail(err, errlen, "journal read: malformed record");
                break;
            }
            scanned++;
            if (last_visited)
                *last_visited = r.seq;
            int stop = visit(arg, &r);
            if (stop != 0) {
                result = stop;
                break;
            }
            rc = mdb_cursor_get(c, &k, &v, MDB_NEXT);
        }
        if (result == 0 && rc != 0 && rc != MDB_NOTFOUND)
            result = ed_fail(err, errlen, "journal read: %s", mdb_strerror(rc));
    }
    mdb_cursor_close(c);
    mdb_txn_abort(txn);
    return result;
}

int ed_journal_read_stats(ed_journal *j, ed_journal_stats *st, char *err, size_t errlen)
{
    MDB_txn *txn;
    int rc = mdb_txn_begin(j->env, NULL, MDB_RDONLY, &txn);
    if (rc != 0)
        return ed_fail(err, errlen, "journal read: %s", mdb_strerror(rc));
    fill_stats(txn, j, last_seq_of(txn, j), st);
    st->synced_seq = 0;
    mdb_txn_abort(txn);
    return 0;
}
