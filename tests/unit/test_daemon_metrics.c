/*
 * test_daemon_metrics.c — unit tests of the metrics parts of the daemon: the Prometheus text
 * writer (daemon/prom.c: HELP/TYPE lines, escaping, cumulative histogram buckets, +Inf, _sum,
 * _count, special floats), the per-worker histograms (daemon/stats.c: bucket edges, sums over
 * workers), the bind address parser and the metrics config group, and what a scrape and the
 * health check say for a hand-built pipeline state (daemon/metrics.c), with every line of the
 * scrape checked against the format's grammar.
 * May touch: the language packs in $ENRICHD_DATA (read) for the scrape of a real document.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "metrics.h"
#include "pipeline.h"
#include "prom.h"
#include "stats.h"

/* ---- the text writer --------------------------------------------------------------------- */

static char *take(ed_prom *p)
{
    size_t len = 0;
    char *text = ed_prom_take(p, &len);
    assert_non_null(text);
    assert_int_equal(strlen(text), len);
    return text;
}

static void test_family_and_samples(void **state)
{
    (void)state;
    ed_prom p;
    ed_prom_init(&p);
    ed_prom_family(&p, "enrichd_x_total", "counter", "Back\\slash and\nnewline \"quoted\".");
    ed_prom_u64(&p, "enrichd_x_total", NULL, 18446744073709551615ULL);
    const char *labels[] = {"topic", "a\"b\\c\nd", "code", "plain", NULL};
    ed_prom_u64(&p, "enrichd_x_total", labels, 0);
    ed_prom_f64(&p, "enrichd_y", NULL, 0.25);
    char *text = take(&p);
    assert_string_equal(text,
                        "# HELP enrichd_x_total Back\\\\slash and\\nnewline \"quoted\".\n"
                        "# TYPE enrichd_x_total counter\n"
                        "enrichd_x_total 18446744073709551615\n"
                        "enrichd_x_total{topic=\"a\\\"b\\\\c\\nd\",code=\"plain\"} 0\n"
                        "enrichd_y 0.25\n");
    free(text);
    /* p is empty after take; taking again gives "" */
    text = take(&p);
    assert_string_equal(text, "");
    free(text);
}

static void test_special_floats(void **state)
{
    (void)state;
    char buf[32];
    assert_string_equal(ed_prom_format_double(INFINITY, buf, sizeof buf), "+Inf");
    assert_string_equal(ed_prom_format_double(-INFINITY, buf, sizeof buf), "-Inf");
    assert_string_equal(ed_prom_format_double(NAN, buf, sizeof buf), "NaN");
    assert_string_equal(ed_prom_format_double(0.1, buf, sizeof buf), "0.1");
    assert_string_equal(ed_prom_format_double(1e-06, buf, sizeof buf), "1e-06");
    assert_string_equal(ed_prom_format_double(1795750754.091, buf, sizeof buf), "1795750754.091");
    assert_string_equal(ed_prom_format_double(0, buf, sizeof buf), "0");
}

static void test_histogram(void **state)
{
    (void)state;
    ed_prom p;
    ed_prom_init(&p);
    const double bounds[] = {0.001, 0.01, 0.1};
    const uint64_t counts[] = {2, 0, 5, 3}; /* non-cumulative; the last is above 0.1 */
    const char *labels[] = {"stage", "x\"y", NULL};
    ed_prom_histogram(&p, "h_seconds", labels, bounds, 3, counts, 1.5);
    ed_prom_histogram(&p, "g_seconds", NULL, bounds, 3, counts, 0);
    char *text = take(&p);
    assert_string_equal(text,
                        "h_seconds_bucket{stage=\"x\\\"y\",le=\"0.001\"} 2\n"
                        "h_seconds_bucket{stage=\"x\\\"y\",le=\"0.01\"} 2\n"
                        "h_seconds_bucket{stage=\"x\\\"y\",le=\"0.1\"} 7\n"
                        "h_seconds_bucket{stage=\"x\\\"y\",le=\"+Inf\"} 10\n"
                        "h_seconds_sum{stage=\"x\\\"y\"} 1.5\n"
                        "h_seconds_count{stage=\"x\\\"y\"} 10\n"
                        "g_seconds_bucket{le=\"0.001\"} 2\n"
                        "g_seconds_bucket{le=\"0.01\"} 2\n"
                        "g_seconds_bucket{le=\"0.1\"} 7\n"
                        "g_seconds_bucket{le=\"+Inf\"} 10\n"
                        "g_seconds_sum 0\n"
                        "g_seconds_count 10\n");
    free(text);
}

static void test_large_output_grows(void **state)
{
    (void)state;
    ed_prom p;
    ed_prom_init(&p);
    for (int i = 0; i < 5000; i++)
        ed_prom_u64(&p, "enrichd_many", NULL, (uint64_t)i);
    char *text = take(&p);
    assert_true(strlen(text) > 5000 * 14);
    assert_non_null(strstr(text, "enrichd_many 4999\n"));
    free(text);
}

/* ---- histograms in the hot path ---------------------------------------------------------- */

static void test_histo_buckets(void **state)
{
    (void)state;
    ed_stats s;
    assert_int_equal(ed_stats_init(&s, 2, 3), 0);
    ed_histo *h = &s.workers[0]->stage[1];
    ed_histo_observe(h, 0);       /* le 1 µs */
    ed_histo_observe(h, 1);       /* le 1 µs: a value equal to a bound belongs to it */
    ed_histo_observe(h, 2);       /* le 2 µs */
    ed_histo_observe(h, 3);       /* le 5 µs */
    ed_histo_observe(h, 100000);  /* le 100 ms, the last bound */
    ed_histo_observe(h, 100001);  /* above every bound */
    ed_histo_observe(&s.workers[1]->stage[1], 7); /* the other worker: le 10 µs */
    uint64_t counts[ED_HISTO_BOUNDS + 1], sum;
    ed_stats_histo_sum(&s, 1, counts, &sum);
    assert_int_equal(counts[0], 2);
    assert_int_equal(counts[1], 1);
    assert_int_equal(counts[2], 1);
    assert_int_equal(counts[3], 1);
    assert_int_equal(counts[ED_HISTO_BOUNDS - 1], 1);
    assert_int_equal(counts[ED_HISTO_BOUNDS], 1);
    assert_int_equal(sum, 0 + 1 + 2 + 3 + 100000 + 100001 + 7);
    /* other stages untouched; an unknown stage index sums to zero */
    ed_stats_histo_sum(&s, 0, counts, &sum);
    assert_int_equal(sum, 0);
    ed_stats_histo_sum(&s, 99, counts, &sum);
    assert_int_equal(counts[0], 0);
    /* a failed extraction counts in the whole-extraction histogram only */
    ed_stats_extracted(&s, 1, NULL, 42);
    ed_stats_extracted(&s, 7, NULL, 42); /* no such worker: ignored */
    ed_stats_histo_sum(&s, (size_t)-1, counts, &sum);
    assert_int_equal(sum, 42);
    assert_int_equal(counts[5], 1); /* 42 µs: le 50 µs (bounds 1 2 5 10 20 50 ...) */
    /* bounds ascend from 1 µs to 100 ms */
    assert_int_equal(ed_histo_bounds_us[0], 1);
    assert_int_equal(ed_histo_bounds_us[ED_HISTO_BOUNDS - 1], 100000);
    for (size_t i = 1; i < ED_HISTO_BOUNDS; i++)
        assert_true(ed_histo_bounds_us[i] > ed_histo_bounds_us[i - 1]);
    ed_stats_release(&s);
    ed_stats_release(&s); /* idempotent */
}

/* ---- bind address and config group ------------------------------------------------------- */

static void test_parse_bind(void **state)
{
    (void)state;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    char err[256];
    assert_int_equal(ed_metrics_parse_bind("", &ss, &len, err, sizeof err), 0);
    assert_int_equal(ed_metrics_parse_bind("127.0.0.1:9110", &ss, &len, err, sizeof err), 1);
    assert_int_equal(ss.ss_family, AF_INET);
    assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9110);
    assert_int_equal(ed_metrics_parse_bind("0.0.0.0:0", &ss, &len, err, sizeof err), 1);
    assert_int_equal(ed_metrics_parse_bind("[::1]:65535", &ss, &len, err, sizeof err), 1);
    assert_int_equal(ss.ss_family, AF_INET6);
    assert_int_equal(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 65535);
    const char *bad[] = {"localhost:9110", "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536",
                         "127.0.0.1:-1", "127.0.0.1:9x", ":9110", "::1:9110", "[::1]9110",
                         "[::1:9110", "[]:1", "[127.0.0.1]:1", "1.2.3:80",
                         "127.0.0.1:0000009110", NULL};
    for (int i = 0; bad[i] != NULL; i++) {
        err[0] = '\0';
        if (ed_metrics_parse_bind(bad[i], NULL, NULL, err, sizeof err) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
        assert_non_null(strstr(err, "metrics bind"));
    }
}

static void test_config_group(void **state)
{
    (void)state;
    ed_config cfg, def;
    char err[ED_CONFIG_ERRLEN];
    assert_int_equal(ed_config_defaults(&def, err, sizeof err), 0);
    assert_string_equal(def.metrics_bind, "127.0.0.1:9110");
    assert_int_equal(def.metrics_max_connections, 16);
    assert_int_equal(def.metrics_idle_timeout_s, 10);

    assert_int_equal(ed_config_load_string("metrics = { bind = \"[::1]:0\"; max_connections = 4;"
                                           " idle_timeout_s = 2; };\n",
                                           "m.conf", &cfg, err, sizeof err),
                     0);
    assert_string_equal(cfg.metrics_bind, "[::1]:0");
    assert_int_equal(cfg.metrics_max_connections, 4);
    assert_int_equal(cfg.metrics_idle_timeout_s, 2);
    assert_int_equal(ed_config_diff(&def, &cfg), ED_SET_METRICS);
    assert_true(ED_SET_METRICS & ED_SET_RESTART_MASK);
    assert_string_equal(ed_config_setting_name(ED_SET_METRICS), "metrics");
    ed_config_free(&cfg);

    assert_int_equal(ed_config_load_string("metrics = { bind = \"\"; };\n", "m.conf", &cfg, err,
                                           sizeof err),
                     0);
    assert_string_equal(cfg.metrics_bind, "");
    ed_config_free(&cfg);

    static const struct {
        const char *text, *want;
    } bad[] = {
        {"metrics = { bind = \"localhost:9110\"; };\n", "m.conf:1: metrics bind"},
        {"\nmetrics = { bnd = \"127.0.0.1:1\"; };\n", "m.conf:2:"},
        {"metrics = { max_connections = 0; };\n", "m.conf:1:"},
        {"metrics = { idle_timeout_s = 3601; };\n", "m.conf:1:"},
        {"metrics = \"127.0.0.1:9110\";\n", "m.conf:1:"},
        {"metrics = { bind = 9110; };\n", "m.conf:1:"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        if (ed_config_load_string(bad[i].text, "m.conf", &cfg, err, sizeof err) != -1)
            fail_msg("accepted: %s", bad[i].text);
        if (strstr(err, bad[i].want) == NULL)
            fail_msg("error \"%s\" lacks \"%s\"", err, bad[i].want);
        ed_config_free(&cfg);
    }
    ed_config_free(&def);
}

/* ---- a scrape of a hand-built pipeline state --------------------------------------------- */

/* Checks every line against the text format: "# HELP name text", "# TYPE name type", or
 * "name{label="value",...} value", where every sample belongs to a family declared before it
 * (histogram samples by their _bucket/_sum/_count suffix) and no family is declared twice. */
static void check_grammar(const char *text)
{
    char families[128][96];
    size_t nfam = 0;
    const char *line = text;
    while (*line) {
        const char *end = strchr(line, '\n');
        assert_non_null(end); /* every line ends with \n */
        size_t len = (size_t)(end - line);
        char buf[1024];
        assert_true(len < sizeof buf);
        memcpy(buf, line, len);
        buf[len] = '\0';
        if (strncmp(buf, "# HELP ", 7) == 0) {
            assert_non_null(strchr(buf + 7, ' '));
        } else if (strncmp(buf, "# TYPE ", 7) == 0) {
            char name[96], type[32];
            assert_int_equal(sscanf(buf + 7, "%95s %31s", name, type), 2);
            assert_true(strcmp(type, "counter") == 0 || strcmp(type, "gauge") == 0 ||
                        strcmp(type, "histogram") == 0);
            for (size_t i = 0; i < nfam; i++)
                if (strcmp(families[i], name) == 0)
                    fail_msg("family %s declared twice", name);
            assert_true(nfam < 128);
            snprintf(families[nfam++], sizeof families[0], "%s", name);
        } else {
            const char *p = buf;
            assert_true(isalpha((unsigned char)*p) || *p == '_' || *p == ':');
            while (isalnum((unsigned char)*p) || *p == '_' || *p == ':')
                p++;
            size_t nlen = (size_t)(p - buf);
            int owned = 0;
            for (size_t i = 0; i < nfam && !owned; i++) {
                size_t flen = strlen(families[i]);
                if (strncmp(buf, families[i], flen) != 0)
                    continue;
                const char *rest = buf + flen;
                size_t rlen = nlen - flen;
                owned = rlen == 0 || (rlen == 7 && strncmp(rest, "_bucket", 7) == 0) ||
                        (rlen == 4 && strncmp(rest, "_sum", 4) == 0) ||
                        (rlen == 6 && strncmp(rest, "_count", 6) == 0);
            }
            if (!owned)
                fail_msg("sample without a TYPE line before it: %s", buf);
            if (*p == '{') {
                p++;
                for (;;) {
                    assert_true(isalpha((unsigned char)*p) || *p == '_');
                    while (isalnum((unsigned char)*p) || *p == '_')
                        p++;
                    assert_int_equal(*p++, '=');
                    assert_int_equal(*p++, '"');
                    while (*p != '"') {
                        assert_true(*p != '\0');
                        if (*p == '\\') {
                            p++;
                            assert_true(*p == '\\' || *p == '"' || *p == 'n');
                        }
                        p++;
                    }
                    p++;
                    if (*p == ',') {
                        p++;
                        continue;
                    }
                    assert_int_equal(*p++, '}');
                    break;
                }
            }
            assert_int_equal(*p++, ' ');
            char *vend = NULL;
            if (strcmp(p, "+Inf") != 0 && strcmp(p, "-Inf") != 0 && strcmp(p, "NaN") != 0) {
                strtod(p, &vend);
                if (vend == p || *vend != '\0')
                    fail_msg("bad value in: %s", buf);
            }
        }
        line = end + 1;
    }
}

/* The value of the sample line that starts with series (name + labels) + ' '; -1 if none. */
static double sample(const char *text, const char *series)
{
    size_t n = strlen(series);
    for (const char *line = text; *line; line = strchr(line, '\n') + 1) {
        if (strncmp(line, series, n) == 0 && line[n] == ' ')
            return strtod(line + n + 1, NULL);
    }
    return -1;
}

typedef struct fake {
    ed_shared sh;
    ex_resources *res;
} fake;

static void fake_init(fake *f, ex_resources *res)
{
    memset(f, 0, sizeof *f);
    f->sh.instance = "unit";
    ed_counters_init(&f->sh.counters);
    assert_int_equal(ed_stats_init(&f->sh.stats, 2, ex_stage_count()), 0);
    f->sh.stats.threads_expected = 4;
    f->sh.stats.start_ms = ed_now_ms() - 1500;
    assert_int_equal(pthread_mutex_init(&f->sh.exit_mu, NULL), 0);
    assert_int_equal(ed_res_slot_init(&f->sh.resources, res), 0);
    f->sh.alive = 4;
}

static void fake_release(fake *f)
{
    ed_res_slot_destroy(&f->sh.resources);
    pthread_mutex_destroy(&f->sh.exit_mu);
    ed_stats_release(&f->sh.stats);
}

static char *scrape(fake *f)
{
    ed_prom p;
    ed_prom_init(&p);
    ed_metrics_render(&f->sh, &p);
    char *text = take(&p);
    check_grammar(text);
    return text;
}

static void test_health(void **state)
{
    (void)state;
    fake f;
    fake_init(&f, NULL);
    char why[128];
    assert_int_equal(ed_metrics_health(&f.sh, why, sizeof why), 0);
    assert_string_equal(why, "starting");
    atomic_store(&f.sh.stats.life, ED_LIFE_RUNNING);
    assert_int_equal(ed_metrics_health(&f.sh, why, sizeof why), 0);
    assert_string_equal(why, "resources not loaded");
    f.sh.alive = 3;
    assert_int_equal(ed_metrics_health(&f.sh, why, sizeof why), 0);
    assert_string_equal(why, "a pipeline thread has exited (3 of 4 running)");
    atomic_store(&f.sh.stats.life, ED_LIFE_DRAINING);
    assert_int_equal(ed_metrics_health(&f.sh, why, sizeof why), 0);
    assert_string_equal(why, "draining");
    char *text = scrape(&f);
    assert_true(sample(text, "enrichd_healthy") == 0);
    assert_true(sample(text, "enrichd_draining") == 1);
    assert_true(sample(text, "enrichd_threads_running") == 3);
    assert_non_null(strstr(text, "enrichd_resources_info{generation=\"\"} 1\n"));
    free(text);
    fake_release(&f);
}

static void test_scrape(void **state)
{
    (void)state;
    const char *data = getenv("ENRICHD_DATA");
    if (data == NULL)
        data = "data";
    char err[EX_ERRLEN] = "";
    ex_resources *res = ex_resources_load(data, NULL, err, sizeof err);
    if (res == NULL)
        fail_msg("cannot load %s: %s (set ENRICHD_DATA)", data, err);
    fake f;
    fake_init(&f, res);
    atomic_store(&f.sh.stats.life, ED_LIFE_RUNNING);

    /* two received, one published, one error; worker 1 holds a job, the publisher one record */
    ed_counters_received(&f.sh.counters);
    ed_counters_received(&f.sh.counters);
    ed_counters_published(&f.sh.counters, "article.en");
    ed_counters_published(&f.sh.counters, "odd\"topic");
    ed_counters_error(&f.sh.counters, ED_ERR_TOO_LARGE);
    ed_stats_add(ed_stats_worker_queue(&f.sh.stats, 1), 1);
    ed_stats_add(&f.sh.stats.publish_queued, 1);
    ed_stats_add(&f.sh.stats.publish_queued, -2); /* a -1 that overtook its +1: shows 0 */
    atomic_fetch_add(&f.sh.stats.reloads, 3);

    /* one real document through worker 0 */
    const char *text_in = "Bridge reopens\n\nThe mayor said on Monday that the bridge would "
                          "reopen in March, after repairs costing 2 million dollars.";
    ex_input in = {.text = text_in, .text_len = strlen(text_in)};
    ex_doc *doc = NULL;
    assert_int_equal(ex_extract(res, &in, &doc, err, sizeof err), EX_OK);
    ed_stats_extracted(&f.sh.stats, 0, doc, 250);
    uint64_t total_us = 0;
    for (size_t i = 0; i < ex_stage_count(); i++)
        total_us += ex_doc_stage_us(doc, i);
    ex_doc_free(doc);

    char why[64];
    assert_int_equal(ed_metrics_health(&f.sh, why, sizeof why), 1);
    assert_string_equal(why, "ok");

    char *text = scrape(&f);
    char series[256];
    snprintf(series, sizeof series, "enrichd_build_info{version=\"%s\"}", ENRICHD_VERSION);
    assert_true(sample(text, series) == 1);
    assert_true(sample(text, "enrichd_uptime_seconds") >= 1.5);
    assert_true(sample(text, "enrichd_workers") == 2);
    assert_true(sample(text, "enrichd_healthy") == 1);
    assert_true(sample(text, "enrichd_received_total") == 2);
    assert_true(sample(text, "enrichd_published_total{topic=\"article.en\"}") == 1);
    assert_true(sample(text, "enrichd_published_total{topic=\"odd\\\"topic\"}") == 1);
    /* every code, zeros included */
    for (int i = 1; i < ED_ERR__COUNT; i++) {
        snprintf(series, sizeof series, "enrichd_errors_total{code=\"%s\"}",
                 ed_errcode_name((ed_errcode)i));
        assert_true(sample(text, series) == (i == ED_ERR_TOO_LARGE ? 1 : 0));
    }
    assert_true(sample(text, "enrichd_worker_queue_jobs{worker=\"0\"}") == 0);
    assert_true(sample(text, "enrichd_worker_queue_jobs{worker=\"1\"}") == 1);
    assert_true(sample(text, "enrichd_publisher_queue_records") == 0);
    assert_true(sample(text, "enrichd_resources_reloads_total") == 3);
    snprintf(series, sizeof series, "enrichd_resources_info{generation=\"%s\"}",
             ex_resources_generation(res));
    assert_true(sample(text, series) == 1);
    /* one histogram per stage, each with the one document */
    double stage_sum = 0;
    for (size_t i = 0; i < ex_stage_count(); i++) {
        snprintf(series, sizeof series, "enrichd_stage_seconds_count{stage=\"%s\"}",
                 ex_stage_name(i));
        assert_true(sample(text, series) == 1);
        snprintf(series, sizeof series, "enrichd_stage_seconds_bucket{stage=\"%s\",le=\"+Inf\"}",
                 ex_stage_name(i));
        assert_true(sample(text, series) == 1);
        snprintf(series, sizeof series, "enrichd_stage_seconds_sum{stage=\"%s\"}",
                 ex_stage_name(i));
        stage_sum += sample(text, series);
    }
    assert_true(fabs(stage_sum - (double)total_us / 1e6) < 1e-9);
    assert_true(sample(text, "enrichd_extract_seconds_count") == 1);
    assert_true(sample(text, "enrichd_extract_seconds_bucket{le=\"0.0002\"}") == 0);
    assert_true(sample(text, "enrichd_extract_seconds_bucket{le=\"0.0005\"}") == 1);
    assert_true(fabs(sample(text, "enrichd_extract_seconds_sum") - 0.00025) < 1e-12);
    free(text);
    fake_release(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_family_and_samples),
        cmocka_unit_test(test_special_floats),
        cmocka_unit_test(test_histogram),
        cmocka_unit_test(test_large_output_grows),
        cmocka_unit_test(test_histo_buckets),
        cmocka_unit_test(test_parse_bind),
        cmocka_unit_test(test_config_group),
        cmocka_unit_test(test_health),
        cmocka_unit_test(test_scrape),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
