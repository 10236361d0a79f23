/*
 * test_daemon_log.c — unit tests of daemon/log.c (JSON-lines output, escaping, level filter,
 * long lines) and daemon/counters.c (totals, per-topic counts, the STATUS line).
 * May touch: a temporary file it creates and removes.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "counters.h"
#include "log.h"

/* Runs fn with the log captured; returns the captured text (malloc'd). */
static char *capture(void (*fn)(void))
{
    FILE *f = tmpfile();
    assert_non_null(f);
    ed_log_set_stream(f);
    fn();
    ed_log_set_stream(NULL);
    long n = ftell(f);
    assert_true(n >= 0);
    char *buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    rewind(f);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return buf;
}

/* Parses one line as a JSON object, failing the test if it is not one. */
static json_t *parse_line(const char *line, size_t len)
{
    json_error_t je;
    json_t *o = json_loadb(line, len, 0, &je);
    if (o == NULL)
        fail_msg("not JSON (%s): %.*s", je.text, (int)len, line);
    assert_true(json_is_object(o));
    return o;
}

static void log_some(void)
{
    ed_log_set_level(ED_LOG_INFO);
    ed_log(ED_LOG_DEBUG, "hidden");
    ed_log_kv(ED_LOG_INFO, "listening", "endpoint", "tcp://127.0.0.1:5557");
    ed_log_line line;
    if (ed_log_begin(&line, ED_LOG_WARN, "quote \" backslash \\ newline \n tab \t bell \a")) {
        ed_log_str(&line, "utf8", "Économie « citée » — 10 €");
        ed_log_str(&line, "bad", "\xff\xfe ok");
        ed_log_str(&line, "null", NULL);
        ed_log_int(&line, "n", -42);
        ed_log_end(&line);
    }
    ed_log_set_level(ED_LOG_ERROR);
    ed_log(ED_LOG_WARN, "hidden too");
    if (ed_log_begin_always(&line, ED_LOG_INFO, "ready"))
        ed_log_end(&line);
    ed_log(ED_LOG_ERROR, "shown");
    ed_log_set_level(ED_LOG_INFO);
}

static void test_lines(void **state)
{
    (void)state;
    char *out = capture(log_some);
    const char *p = out;
    int n = 0;
    json_t *objs[4] = {NULL, NULL, NULL, NULL};
    while (*p) {
        const char *nl = strchr(p, '\n');
        assert_non_null(nl);
        assert_true(n < 4);
        objs[n++] = parse_line(p, (size_t)(nl - p));
        p = nl + 1;
    }
    assert_int_equal(n, 4);
    json_t *a = objs[0], *b = objs[1], *r = objs[2], *c = objs[3];
    assert_string_equal(json_string_value(json_object_get(a, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(a, "msg")), "listening");
    assert_string_equal(json_string_value(json_object_get(a, "endpoint")), "tcp://127.0.0.1:5557");
    const char *ts = json_string_value(json_object_get(a, "ts"));
    assert_non_null(ts);
    assert_int_equal(strlen(ts), 24); /* 2026-11-27T01:00:00.000Z */
    assert_int_equal(ts[10], 'T');
    assert_int_equal(ts[19], '.');
    assert_int_equal(ts[23], 'Z');
    assert_string_equal(json_string_value(json_object_get(b, "level")), "warn");
    assert_string_equal(json_string_value(json_object_get(b, "msg")),
                        "quote \" backslash \\ newline \n tab \t bell \a");
    assert_string_equal(json_string_value(json_object_get(b, "utf8")), "Économie « citée » — 10 €");
    assert_string_equal(json_string_value(json_object_get(b, "bad")), "\xef\xbf\xbd\xef\xbf\xbd ok");
    assert_true(json_is_null(json_object_get(b, "null")));
    assert_int_equal(json_integer_value(json_object_get(b, "n")), -42);
    assert_string_equal(json_string_value(json_object_get(r, "msg")), "ready");
    assert_string_equal(json_string_value(json_object_get(r, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(c, "msg")), "shown");
    for (int i = 0; i < n; i++)
        json_decref(objs[i]);
    free(out);
}

static void log_long(void)
{
    char big[5000];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    ed_log_line line;
    assert_true(ed_log_begin(&line, ED_LOG_ERROR, "long"));
    ed_log_str(&line, "first", big);
    ed_log_str(&line, "second", "dropped");
    ed_log_int(&line, "third", 3);
    ed_log_end(&line);
}

static void test_long_line_stays_json(void **state)
{
    (void)state;
    char *out = capture(log_long);
    size_t len = strlen(out);
    assert_true(len <= ED_LOG_LINE_MAX);
    assert_int_equal(out[len - 1], '\n');
    json_t *o = parse_line(out, len - 1);
    assert_string_equal(json_string_value(json_object_get(o, "msg")), "long");
    assert_true(strlen(json_string_value(json_object_get(o, "first"))) > 1000);
    json_decref(o);
    free(out);
}

static void test_levels(void **state)
{
    (void)state;
    ed_log_level l;
    assert_int_equal(ed_log_level_parse("debug", &l), 0);
    assert_int_equal(l, ED_LOG_DEBUG);
    assert_int_equal(ed_log_level_parse("error", &l), 0);
    assert_int_equal(l, ED_LOG_ERROR);
    assert_int_equal(ed_log_level_parse("warning", &l), -1);
    assert_int_equal(ed_log_level_parse(NULL, &l), -1);
    assert_string_equal(ed_log_level_name(ED_LOG_WARN), "warn");
    ed_log_set_level(ED_LOG_WARN);
    assert_int_equal(ed_log_get_level(), ED_LOG_WARN);
    ed_log_line line;
    assert_int_equal(ed_log_begin(&line, ED_LOG_INFO, "x"), 0);
    ed_log_set_level(ED_LOG_INFO);
}

static void test_counters(void **state)
{
    (void)state;
    ed_counters c;
    ed_counters_init(&c);
    char status[256];
    ed_counters_status(&c, status, sizeof status);
    assert_string_equal(status, "received=0 published=0 errors=0");
    for (int i = 0; i < 5; i++)
        ed_counters_received(&c);
    ed_counters_error(&c, ED_ERR_TOO_LARGE);
    ed_counters_error(&c, ED_ERR_TOO_LARGE);
    ed_counters_error(&c, ED_ERR_BAD_FRAMES);
    ed_counters_error(&c, ED_ERR_NONE);   /* ignored */
    ed_counters_error(&c, ED_ERR__COUNT); /* ignored */
    ed_counters_published(&c, "article.fr");
    ed_counters_published(&c, "article.fr");
    ed_counters_published(&c, "error");
    assert_int_equal(ed_counters_errors_total(&c), 3);
    assert_int_equal(ed_counters_topic(&c, "article.fr"), 2);
    assert_int_equal(ed_counters_topic(&c, "error"), 1);
    assert_int_equal(ed_counters_topic(&c, "article.en"), 0);
    ed_counters_status(&c, status, sizeof status);
    char want[256];
    snprintf(want, sizeof want, "received=5 published=3 errors=3 (%s=2 %s=1)",
             ed_errcode_name(ED_ERR_TOO_LARGE), ed_errcode_name(ED_ERR_BAD_FRAMES));
    assert_string_equal(status, want);
    /* a short buffer is cut, never overrun */
    char tiny[12];
    ed_counters_status(&c, tiny, sizeof tiny);
    assert_true(strlen(tiny) < sizeof tiny);
    /* more topics than slots fall into "other" */
    for (int i = 0; i < ED_TOPICS_MAX + 3; i++) {
        char t[16];
        snprintf(t, sizeof t, "article.x%d", i);
        ed_counters_published(&c, t);
    }
    assert_int_equal(atomic_load(&c.other_topics), 5); /* 2 slots were already taken */
    assert_int_equal(atomic_load(&c.published), 3 + ED_TOPICS_MAX + 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_long_line_stays_json),
        cmocka_unit_test(test_levels),
        cmocka_unit_test(test_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
