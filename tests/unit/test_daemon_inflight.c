/*
 * test_daemon_inflight.c — the acked feed's in-flight table (daemon/inflight.c): a first add
 * creates the entry, resends add waiters in order, take answers every waiter once and removes
 * the entry, many ids survive the table growing, long routing ids are cut at 255 bytes.
 * May touch: nothing outside its memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "inflight.h"

typedef struct calls {
    char rids[8][8];
    int delims[8];
    size_t n;
} calls;

static void record_call(void *arg, const void *rid, size_t rid_len, int delim)
{
    calls *c = arg;
    if (c->n < 8) {
        size_t k = rid_len < 7 ? rid_len : 7;
        memcpy(c->rids[c->n], rid, k);
        c->rids[c->n][k] = '\0';
        c->delims[c->n] = delim;
    }
    c->n++;
}

static void test_waiters(void **state)
{
    (void)state;
    ed_inflight *t = ed_inflight_new();
    assert_non_null(t);
    assert_int_equal(ed_inflight_contains(t, "a"), 0);
    assert_int_equal(ed_inflight_add(t, "a", "p1", 2, 0), 0);
    assert_int_equal(ed_inflight_add(t, "a", "p2", 2, 1), 1);
    assert_int_equal(ed_inflight_add(t, "b", "p3", 2, 0), 0);
    assert_int_equal(ed_inflight_add(t, "a", "p1", 2, 0), 1);
    assert_true(ed_inflight_contains(t, "a"));
    assert_int_equal(ed_inflight_count(t), 2);

    calls c;
    memset(&c, 0, sizeof c);
    assert_int_equal(ed_inflight_take(t, "a", record_call, &c), 3);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.rids[0], "p1");
    assert_string_equal(c.rids[1], "p2");
    assert_int_equal(c.delims[1], 1);
    assert_string_equal(c.rids[2], "p1");
    assert_int_equal(ed_inflight_contains(t, "a"), 0);
    assert_int_equal(ed_inflight_take(t, "a", record_call, &c), 0);
    assert_int_equal(c.n, 3);
    assert_int_equal(ed_inflight_take(t, "b", NULL, NULL), 1);
    assert_int_equal(ed_inflight_count(t), 0);
    ed_inflight_free(t);
    ed_inflight_free(NULL);
}

static void test_many_and_long_rid(void **state)
{
    (void)state;
    ed_inflight *t = ed_inflight_new();
    char id[32];
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "id-%d", i);
        assert_int_equal(ed_inflight_add(t, id, "r", 1, 0), 0);
    }
    assert_int_equal(ed_inflight_count(t), 5000);
    for (int i = 0; i < 5000; i += 2) {
        snprintf(id, sizeof id, "id-%d", i);
        assert_int_equal(ed_inflight_take(t, id, NULL, NULL), 1);
    }
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "id-%d", i);
        assert_int_equal(ed_inflight_contains(t, id), i % 2);
    }
    unsigned char rid[300];
    memset(rid, 'x', sizeof rid);
    assert_int_equal(ed_inflight_add(t, "long", rid, sizeof rid, 0), 0);
    ed_inflight_free(t); /* frees the entries still held */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_waiters),
        cmocka_unit_test(test_many_and_long_rid),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
