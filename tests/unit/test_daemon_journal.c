/*
 * test_daemon_journal.c — the LMDB record journal (daemon/journal.c): append and read back in
 * seq order, raw bytes kept, the id index, reopening keeps seq and the index, retention by
 * count, age and size (the index follows), a full map frees space instead of failing, seq order
 * is enforced, and last_seq survives a journal emptied by retention.
 * May touch: a temporary directory under $TMPDIR (removed at the end).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "journal.h"

static char tmpdir[] = "/tmp/enrichd-journal-test-XXXXXX";
static int case_no;

/* A fresh journal directory for each case. */
static void new_dir(char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/j%d", tmpdir, ++case_no);
}

static ed_journal *open_j(const char *dir, uint64_t map, uint64_t max_records, uint64_t max_age,
                          uint64_t max_bytes)
{
    ed_journal_opts o = {.map_bytes = map, .max_records = max_records, .max_age_s = max_age,
                         .max_bytes = max_bytes};
    ed_journal *j = NULL;
    char err[256] = "";
    int rc = ed_journal_open(dir, &o, &j, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "open: %s\n", err);
    assert_int_equal(rc, 0);
    assert_non_null(j);
    return j;
}

/* Appends seqs [from, to] with ids "id-<seq>", json of json_len bytes, one transaction each
 * batch of 8; error records (every 5th) carry raw bytes; even seqs are indexed. */
static void append_range(ed_journal *j, uint64_t from, uint64_t to, int64_t time_ms,
                         size_t json_len)
{
    char *json = malloc(json_len + 1);
    assert_non_null(json);
    memset(json, 'x', json_len);
    json[json_len] = '\0';
    static char ids[8][32];
    ed_journal_entry e[8];
    size_t n = 0;
    for (uint64_t s = from; s <= to; s++) {
        snprintf(ids[n], sizeof ids[n], "id-%llu", (unsigned long long)s);
        int is_error = s % 5 == 0;
        e[n] = (ed_journal_entry){.seq = s, .time_ms = time_ms,
                                  .topic = is_error ? "error" : "article.fr", .id = ids[n],
                                  .json = json, .json_len = json_len,
                                  .raw = is_error ? "RAW-BYTES" : NULL,
                                  .raw_len = is_error ? 9 : 0, .raw_total = is_error ? 100 : 0,
                                  .flags = (s % 2 == 0) ? ED_JOURNAL_INDEX_ID : 0};
        if (++n == 8 || s == to) {
            char err[256] = "";
            int rc = ed_journal_append(j, e, n, time_ms, err, sizeof err);
            if (rc != 0)
                fprintf(stderr, "append: %s\n", err);
            assert_int_equal(rc, 0);
            n = 0;
        }
    }
    free(json);
}

typedef struct seen {
    uint64_t seqs[4096];
    size_t n;
    int raw_ok;
    size_t stop_after;
} seen;

static int collect(void *arg, const ed_journal_rec *r)
{
    seen *s = arg;
    if (s->n < 4096)
        s->seqs[s->n] = r->seq;
    s->n++;
    char want_id[32];
    snprintf(want_id, sizeof want_id, "id-%llu", (unsigned long long)r->seq);
    assert_int_equal(r->id_len, strlen(want_id));
    assert_memory_equal(r->id, want_id, r->id_len);
    if (r->seq % 5 == 0) {
        assert_int_equal(r->topic_len, 5);
        assert_memory_equal(r->topic, "error", 5);
        s->raw_ok += r->raw_len == 9 && memcmp(r->raw, "RAW-BYTES", 9) == 0 && r->raw_total == 100;
    } else {
        assert_int_equal(r->raw_len, 0);
    }
    return s->stop_after && s->n >= s->stop_after ? 7 : 0;
}

static void test_append_scan_reopen(void **state)
{
    (void)state;
    char dir[256];
    new_dir(dir, sizeof dir);
    ed_journal *j = open_j(dir, 64u << 20, 0, 0, 0);
    assert_int_equal(ed_journal_last_seq(j), 0);
    append_range(j, 1, 20, 1000, 300);
    char err[256];
    assert_int_equal(ed_journal_sync(j, err, sizeof err), 0);
    ed_journal_stats st;
    ed_journal_writer_stats(j, &st);
    assert_int_equal(st.first_seq, 1);
    assert_int_equal(st.last_seq, 20);
    assert_int_equal(st.records, 20);
    assert_int_equal(st.synced_seq, 20);
    assert_true(st.bytes > 20 * 300);

    seen s;
    memset(&s, 0, sizeof s);
    uint64_t last = 0;
    assert_int_equal(ed_journal_scan(j, 12, 0, collect, &s, &st, &last, err, sizeof err), 0);
    assert_int_equal(s.n, 8);
    for (size_t i = 0; i < s.n; i++)
        assert_int_equal(s.seqs[i], 13 + i);
    assert_int_equal(s.raw_ok, 2); /* 15 and 20 */
    assert_int_equal(last, 20);
    assert_int_equal(st.first_seq, 1);
    assert_int_equal(st.last_seq, 20);

    /* max_scan and a callback that stops */
    memset(&s, 0, sizeof s);
    assert_int_equal(ed_journal_scan(j, 0, 3, collect, &s, NULL, &last, err, sizeof err), 0);
    assert_int_equal(s.n, 3);
    assert_int_equal(last, 3);
    memset(&s, 0, sizeof s);
    s.stop_after = 2;
    assert_int_equal(ed_journal_scan(j, 0, 0, collect, &s, NULL, &last, err, sizeof err), 7);
    assert_int_equal(last, 2);

    uint64_t seq = 0;
    assert_int_equal(ed_journal_lookup_id(j, "id-4", 4, &seq), 1);
    assert_int_equal(seq, 4);
    assert_int_equal(ed_journal_lookup_id(j, "id-5", 4, &seq), 0); /* odd: not indexed */
    assert_int_equal(ed_journal_lookup_id(j, "", 0, &seq), 0);

    /* seq must grow */
    ed_journal_entry bad = {.seq = 20, .topic = "error", .id = "x", .json = "{}", .json_len = 2};
    assert_int_equal(ed_journal_append(j, &bad, 1, 1000, err, sizeof err), -1);
    ed_journal_close(j);

    /* reopen: seq continues, the index is still there */
    j = open_j(dir, 64u << 20, 0, 0, 0);
    /* a second opener of the same journal is refused (it would give the same seqs) */
    ed_journal_opts o = {.map_bytes = 64u << 20};
    ed_journal *j2 = NULL;
    assert_int_equal(ed_journal_open(dir, &o, &j2, err, sizeof err), -1);
    assert_null(j2);
    assert_non_null(strstr(err, "in use"));
    assert_int_equal(ed_journal_last_seq(j), 20);
    assert_int_equal(ed_journal_lookup_id(j, "id-18", 5, &seq), 1);
    assert_int_equal(seq, 18);
    append_range(j, 21, 22, 1000, 10);
    assert_int_equal(ed_journal_read_stats(j, &st, err, sizeof err), 0);
    assert_int_equal(st.records, 22);
    assert_int_equal(st.last_seq, 22);
    ed_journal_close(j);
}

static void test_retention_count_and_index(void **state)
{
    (void)state;
    char dir[256], err[256];
    new_dir(dir, sizeof dir);
    ed_journal *j = open_j(dir, 64u << 20, 10, 0, 0);
    append_range(j, 1, 40, 1000, 100);
    ed_journal_stats st;
    assert_int_equal(ed_journal_read_stats(j, &st, err, sizeof err), 0);
    assert_int_equal(st.records, 10);
    assert_int_equal(st.first_seq, 31);
    assert_int_equal(st.last_seq, 40);
    uint64_t seq;
    assert_int_equal(ed_journal_lookup_id(j, "id-30", 5, &seq), 0); /* deleted with its record */
    assert_int_equal(ed_journal_lookup_id(j, "id-32", 5, &seq), 1);
    seen s;
    memset(&s, 0, sizeof s);
    uint64_t last;
    assert_int_equal(ed_journal_scan(j, 0, 0, collect, &s, &st, &last, err, sizeof err), 0);
    assert_int_equal(s.n, 10);
    assert_int_equal(s.seqs[0], 31);
    ed_journal_close(j);
}

static void test_retention_age_keeps_last_seq(void **state)
{
    (void)state;
    char dir[256], err[256];
    new_dir(dir, sizeof dir);
    ed_journal *j = open_j(dir, 64u << 20, 0, 60, 0);
    append_range(j, 1, 10, 1000000, 100);          /* t = 1000 s */
    append_range(j, 11, 15, 1050000, 100);         /* t = 1050 s */
    ed_journal_stats st;
    ed_journal_writer_stats(j, &st);
    assert_int_equal(st.records, 15);
    /* at t = 1070 s the first ten are older than 60 s */
    assert_int_equal(ed_journal_retain(j, 1070000, 1000, err, sizeof err), 10);
    ed_journal_writer_stats(j, &st);
    assert_int_equal(st.records, 5);
    assert_int_equal(st.first_seq, 11);
    /* at t = 2000 s everything goes; last_seq stays */
    assert_int_equal(ed_journal_retain(j, 2000000, 1000, err, sizeof err), 5);
    assert_int_equal(ed_journal_retain(j, 2000000, 1000, err, sizeof err), 0);
    assert_int_equal(ed_journal_read_stats(j, &st, err, sizeof err), 0);
    assert_int_equal(st.records, 0);
    assert_int_equal(st.first_seq, 0);
    assert_int_equal(st.last_seq, 15);
    ed_journal_close(j);
    j = open_j(dir, 64u << 20, 0, 60, 0);
    assert_int_equal(ed_journal_last_seq(j), 15);
    ed_journal_close(j);
}

static void test_retention_size(void **state)
{
    (void)state;
    char dir[256], err[256];
    new_dir(dir, sizeof dir);
    uint64_t max = 256 * 1024;
    ed_journal *j = open_j(dir, 16u << 20, 0, 0, max);
    append_range(j, 1, 400, 1000, 4000); /* ~1.6 MB written */
    ed_journal_stats st;
    assert_int_equal(ed_journal_read_stats(j, &st, err, sizeof err), 0);
    assert_true(st.bytes <= max);
    assert_true(st.records > 20);
    assert_true(st.records < 400);
    assert_int_equal(st.last_seq, 400);
    assert_int_equal(st.first_seq, 400 - st.records + 1);
    ed_journal_close(j);
}

static void test_map_full_frees_space(void **state)
{
    (void)state;
    char dir[256], err[256];
    new_dir(dir, sizeof dir);
    /* no size limit, a 2 MiB map, 8 MB of records: the map fills again and again */
    ed_journal *j = open_j(dir, 2u << 20, 0, 0, 0);
    append_range(j, 1, 2000, 1000, 4000);
    ed_journal_stats st;
    assert_int_equal(ed_journal_read_stats(j, &st, err, sizeof err), 0);
    assert_int_equal(st.last_seq, 2000);
    assert_true(st.records > 0 && st.records < 2000);
    /* the newest records are the ones kept */
    assert_int_equal(st.first_seq + st.records - 1, 2000);
    /* a single record larger than the map cannot be stored: an error, not a crash */
    size_t big = 3u << 20;
    char *json = calloc(1, big);
    assert_non_null(json);
    ed_journal_entry e = {.seq = 2001, .topic = "article.en", .id = "big", .json = json,
                          .json_len = big};
    assert_int_equal(ed_journal_append(j, &e, 1, 1000, err, sizeof err), -1);
    assert_non_null(strstr(err, "journal"));
    free(json);
    /* and the journal still works */
    append_range(j, 2001, 2002, 1000, 10);
    assert_int_equal(ed_journal_last_seq(j), 2002);
    ed_journal_close(j);
}

static void test_open_errors(void **state)
{
    (void)state;
    ed_journal_opts o = {.map_bytes = 1u << 20};
    ed_journal *j = (ed_journal *)1;
    char err[256] = "";
    assert_int_equal(ed_journal_open("/proc/enrichd-no-such/journal", &o, &j, err, sizeof err), -1);
    assert_null(j);
    assert_true(err[0] != '\0');
    ed_journal_close(NULL);
}

int main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_append_scan_reopen),
        cmocka_unit_test(test_retention_count_and_index),
        cmocka_unit_test(test_retention_age_keeps_last_seq),
        cmocka_unit_test(test_retention_size),
        cmocka_unit_test(test_map_full_frees_space),
        cmocka_unit_test(test_open_errors),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return failed;
}
