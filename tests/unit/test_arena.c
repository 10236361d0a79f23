/*
 * test_arena.c — unit tests of the library's containers: the per-document arena and ex_vec
 * (extract/arena.c), and the word sets and the UTF-8 lower-caser (extract/wordset.c).
 *
 * Needs no data: the word-set file test writes its own list into a temporary file.
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

#include "internal.h"

/* ---- arena --------------------------------------------------------------------------------- */

static void test_arena_alignment_and_contents(void **state)
{
    (void)state;
    ex_arena *a = ex_arena_new(0);
    assert_non_null(a);
    assert_int_equal(ex_arena_used(a), 0);
    unsigned char *ptrs[500];
    size_t sizes[500];
    for (size_t i = 0; i < 500; i++) {
        sizes[i] = 1 + (i * 37) % 300;
        ptrs[i] = ex_arena_alloc(a, sizes[i]);
        assert_non_null(ptrs[i]);
        assert_int_equal((uintptr_t)ptrs[i] % 16, 0);
        memset(ptrs[i], (int)(i & 0xFF), sizes[i]);
    }
    /* nothing overlapped: every area still holds its own byte */
    for (size_t i = 0; i < 500; i++)
        for (size_t k = 0; k < sizes[i]; k++)
            assert_int_equal(ptrs[i][k], i & 0xFF);
    assert_true(ex_arena_used(a) >= 500 * 16);
    ex_arena_destroy(a);
    ex_arena_destroy(NULL); /* no-op */
}

static void test_arena_large_and_zero(void **state)
{
    (void)state;
    ex_arena *a = ex_arena_new(1024);
    assert_non_null(a);
    char *small = ex_arena_strndup(a, "avant", 5);
    char *big = ex_arena_alloc(a, 1 << 20); /* far larger than a block */
    assert_non_null(big);
    memset(big, 'x', 1 << 20);
    char *after = ex_arena_strndup(a, "après", strlen("après"));
    assert_string_equal(small, "avant");
    assert_string_equal(after, "après");
    assert_int_equal(big[(1 << 20) - 1], 'x');

    void *z = ex_arena_alloc(a, 0); /* a valid, distinct pointer */
    assert_non_null(z);

    int *zeroed = ex_arena_calloc(a, 1000, sizeof(int));
    assert_non_null(zeroed);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(zeroed[i], 0);
    assert_null(ex_arena_calloc(a, SIZE_MAX / 2, 4)); /* overflow is refused */
    assert_null(ex_arena_alloc(a, SIZE_MAX));

    char *s = ex_arena_strndup(a, "l'économie française", 2);
    assert_string_equal(s, "l'");
    assert_true(ex_arena_used(a) >= (1u << 20));
    ex_arena_destroy(a);
}

typedef struct pair {
    uint32_t a, b;
} pair;

static void test_vec_push(void **state)
{
    (void)state;
    ex_arena *a = ex_arena_new(2048);
    ex_vec v = {0}, w = {0};
    /* two vectors grown in turn: neither can always grow in place, contents must survive */
    for (uint32_t i = 0; i < 10000; i++) {
        pair *p = ex_vec_push(a, &v, sizeof *p);
        assert_non_null(p);
        assert_int_equal(p->a, 0); /* zeroed */
        assert_int_equal(p->b, 0);
        p->a = i;
        p->b = i * 3;
        if (i % 3 == 0) {
            uint64_t *q = ex_vec_push(a, &w, sizeof *q);
            assert_non_null(q);
            *q = (uint64_t)i << 33;
        }
    }
    assert_int_equal(v.len, 10000);
    assert_true(v.cap >= v.len);
    for (uint32_t i = 0; i < v.len; i++) {
        assert_int_equal(EX_VEC_AT(v, pair, i).a, i);
        assert_int_equal(EX_VEC_AT(v, pair, i).b, i * 3);
    }
    assert_int_equal(w.len, 3334);
    for (uint32_t i = 0; i < w.len; i++)
        assert_true(EX_VEC_AT(w, uint64_t, i) == (uint64_t)(i * 3) << 33);
    assert_null(ex_vec_push(NULL, &v, 4));
    assert_null(ex_vec_push(a, &v, 0));
    ex_arena_destroy(a);
}

static void test_vec_in_place_growth_is_cheap(void **state)
{
    (void)state;
    /* A lone vector filled in a loop grows in place: the arena hands out about what it holds. */
    ex_arena *a = ex_arena_new(1 << 20);
    ex_vec v = {0};
    for (uint32_t i = 0; i < 100000; i++) {
        uint32_t *p = ex_vec_push(a, &v, sizeof *p);
        assert_non_null(p);
        *p = i;
    }
    assert_true(ex_arena_used(a) <= 2 * 100000 * sizeof(uint32_t) + 64);
    for (uint32_t i = 0; i < v.len; i++)
        assert_int_equal(EX_VEC_AT(v, uint32_t, i), i);
    ex_arena_destroy(a);
}

/* ---- word sets ------------------------------------------------------------------------------- */

static void test_wordset_basic(void **state)
{
    (void)state;
    ex_wordset *set = ex_wordset_new();
    assert_non_null(set);
    assert_int_equal(ex_wordset_size(set), 0);
    assert_false(ex_wordset_has(set, "M.", 2));
    assert_int_equal(ex_wordset_add(set, "M.", 2), 0);
    assert_int_equal(ex_wordset_add(set, "Mme", 3), 0);
    assert_int_equal(ex_wordset_add(set, "M.", 2), 0); /* duplicate: kept once */
    assert_int_equal(ex_wordset_size(set), 2);
    assert_true(ex_wordset_has(set, "M.", 2));
    assert_true(ex_wordset_has(set, "Mme Dupont", 3)); /* length-delimited lookups */
    assert_false(ex_wordset_has(set, "M", 1));
    assert_false(ex_wordset_has(set, "mme", 3)); /* exact bytes */
    /* growth: thousands of entries, all found, none invented */
    char buf[32];
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof buf, "mot%d", i);
        assert_int_equal(ex_wordset_add(set, buf, (size_t)n), 0);
    }
    assert_int_equal(ex_wordset_size(set), 5002);
    for (int i = 0; i < 5000; i++) {
        int n = snprintf(buf, sizeof buf, "mot%d", i);
        assert_true(ex_wordset_has(set, buf, (size_t)n));
        n = snprintf(buf, sizeof buf, "mot%d", i + 5000);
        assert_false(ex_wordset_has(set, buf, (size_t)n));
    }
    ex_wordset_free(set);
    ex_wordset_free(NULL);
}

static void test_wordset_file(void **state)
{
    (void)state;
    char path[] = "/tmp/enrichd_test_wordset_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    fputs("\xEF\xBB\xBF# liste d'essai\n"
          "  l'  \n"
          "\n"
          "aujourd'hui\r\n"
          "\t# un commentaire indenté\n"
          "économie\n"
          "dernier sans fin de ligne",
          f);
    fclose(f);
    ex_wordset *set = ex_wordset_new();
    char err[EX_ERRLEN] = "";
    assert_int_equal(ex_wordset_load_file(set, path, err, sizeof err), 0);
    assert_int_equal(ex_wordset_size(set), 4);
    assert_true(ex_wordset_has(set, "l'", 2));
    assert_true(ex_wordset_has(set, "aujourd'hui", strlen("aujourd'hui")));
    assert_true(ex_wordset_has(set, "économie", strlen("économie")));
    assert_true(ex_wordset_has(set, "dernier sans fin de ligne", 25));
    assert_false(ex_wordset_has(set, "# liste d'essai", 15));

    /* a file with invalid UTF-8 is refused and named */
    f = fopen(path, "w");
    fputs("bon\nmauvais\xC3\x28\n", f);
    fclose(f);
    ex_wordset *bad = ex_wordset_new();
    assert_int_equal(ex_wordset_load_file(bad, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "UTF-8"));
    assert_non_null(strstr(err, ":2"));
    ex_wordset_free(bad);
    unlink(path);

    assert_int_equal(ex_wordset_load_file(set, "/nonexistent/enrichd/list.txt", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "/nonexistent/enrichd/list.txt"));
    ex_wordset_free(set);
}

static void test_utf8_lower(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(ex_utf8_lower("L'ÉTAT", strlen("L'ÉTAT"), out, sizeof out),
                     (int)strlen("l'état"));
    assert_string_equal(out, "l'état");
    assert_int_equal(ex_utf8_lower("Œuvre À Ça", strlen("Œuvre À Ça"), out, sizeof out),
                     (int)strlen("œuvre à ça"));
    assert_string_equal(out, "œuvre à ça");
    ex_utf8_lower("Straße", strlen("Straße"), out, sizeof out); /* full folding */
    assert_string_equal(out, "strasse");
    assert_int_equal(ex_utf8_lower("", 0, out, sizeof out), 0);
    assert_string_equal(out, "");
    /* too small for the result plus NUL, or invalid UTF-8: -1 */
    assert_int_equal(ex_utf8_lower("ABCD", 4, out, 4), -1);
    assert_int_equal(ex_utf8_lower("ABCD", 4, out, 5), 4);
    assert_int_equal(ex_utf8_lower("a\xC3", 2, out, sizeof out), -1);
    assert_int_equal(ex_utf8_lower("\xED\xA0\x80", 3, out, sizeof out), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_arena_alignment_and_contents),
        cmocka_unit_test(test_arena_large_and_zero),
        cmocka_unit_test(test_vec_push),
        cmocka_unit_test(test_vec_in_place_growth_is_cheap),
        cmocka_unit_test(test_wordset_basic),
        cmocka_unit_test(test_wordset_file),
        cmocka_unit_test(test_utf8_lower),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
