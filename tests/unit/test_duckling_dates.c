/*
 * test_duckling_dates.c — measures the dates stage (extract/dates.c) against the Duckling time
 * corpora in $ENRICHD_SHARED/corpora/normalize/duckling/{fr,en}_time.jsonl.
 *
 * Each row runs through ex_extract with the row's reference date-time as ex_input.published and with
 * resources loaded under the FUTURE bias (the corpus's convention). A positive row passes when
 * the first date found has the expected value at the grain the stage produced (a prefix of the
 * expected timestamp: "2013-02-18" matches "2013-02-18T00:00:00.000-02:00"); a negative row
 * passes when no date is found. Latent rows ("1974" alone, "7") are skipped: the stage never
 * reads a bare number as a date, by design. Pass rates per language and per expected grain are
 * printed, failures go to duckling-dates-failures.txt in the current directory, and the test
 * fails only below FLOOR (the measured rate minus a small margin).
 * Without the corpora or ENRICHD_DATA: prints "SKIP: ... absent" and exits 77.
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

#include "internal.h"

/* Measured 2026-11-27, round 1: 434/2042 = 21.3% overall (fr 32.5%, en 17.9%), with the
 * reference cut to its date. Round 2 (reference passed whole, with its time of day; hour and
 * minute offsets, number-word hours, "le 16", weekday abbreviations, parts of the day, future
 * rolling of past times, "midi et quart", "2015-3-3", "previous week", "ce lundi" ahead):
 * 491/2042 = 24.0% (fr 39.1%, in scope 66.3%; en 19.5%, in scope 40.9%). The floor leaves a small margin. Far from the 90% goal: most misses are kinds news
 * copy does not need (holidays 630 rows, intervals 474, seconds, "3 fridays from now", "the 3rd
 * last week of 2018") or that the stage declines on purpose (bare "15/2", "17 02", "3:30" read
 * as afternoon, times in GMT, lower-case "march", "sat"/"sun" without a period). */
#define FLOOR 0.235

static const char *g_shared;
static ex_resources *g_res;

/* Rows by kind of expected value; "holiday" (Thanksgiving, Diwali...) and "interval" ("from 3 to
 * 5 pm") are kinds news enrichment does not need, and are reported apart from the others. */
enum { G_YEAR, G_MONTH, G_WEEK, G_DAY, G_HOUR, G_MINUTE, G_SECOND, G_OTHER, G_HOLIDAY, G_INTERVAL,
       G_NEG, G_N };
static const char *const gname[] = {"year", "month", "week", "day", "hour", "minute", "second",
                                    "other grain", "holiday", "interval", "negative"};

static int grain_class(const json_t *expected)
{
    if (!expected || json_is_null(expected))
        return G_NEG;
    const char *type = json_string_value(json_object_get(expected, "type"));
    if (!type || strcmp(type, "value") != 0)
        return G_INTERVAL;
    if (json_object_get(expected, "holidayBeta"))
        return G_HOLIDAY;
    const char *g = json_string_value(json_object_get(expected, "grain"));
    for (int k = G_YEAR; k <= G_SECOND; k++)
        if (g && strcmp(g, gname[k]) == 0)
            return k;
    return G_OTHER;
}

/* Runs one row; returns 1 on pass, writes what was found into got. */
static int run_row(const char *lang, const char *text, const char *ref, const json_t *expected,
                   char *got, size_t gotlen)
{
    ex_input in = {0};
    in.text = text;
    in.text_len = strlen(text);
    in.lang_hint = lang;
    in.published = ref;
    ex_doc *doc = NULL;
    char err[256];
    snprintf(got, gotlen, "(none)");
    if (ex_extract(g_res, &in, &doc, err, sizeof err) != EX_OK) {
        snprintf(got, gotlen, "error: %.60s", err);
        return 0;
    }
    int pass = 0;
    if (doc->dates.len > 0) {
        const ex_date *d = &EX_VEC_AT(doc->dates, ex_date, 0);
        snprintf(got, gotlen, "%s (%s)", d->value, ex_grain_name((ex_grain)d->grain));
        const char *want = expected && !json_is_null(expected)
                               ? json_string_value(json_object_get(expected, "value"))
                               : NULL;
        if (want && strncmp(want, d->value, strlen(d->value)) == 0)
            pass = 1;
    } else if (!expected || json_is_null(expected)) {
        pass = 1;
    }
    ex_doc_free(doc);
    return pass;
}

static void test_duckling(void **state)
{
    (void)state;
    static const char *const langs[] = {"fr", "en"};
    FILE *fails = fopen("duckling-dates-failures.txt", "w");
    assert_non_null(fails);
    unsigned all_pass = 0, all_total = 0;
    for (int li = 0; li < 2; li++) {
        char path[4096], line[8192];
        snprintf(path, sizeof path, "%s/corpora/normalize/duckling/%s_time.jsonl", g_shared,
                 langs[li]);
        FILE *f = fopen(path, "r");
        assert_non_null(f);
        unsigned pass = 0, total = 0, latent = 0, gp[G_N] = {0}, gt[G_N] = {0};
        unsigned scope_pass = 0, scope_total = 0; /* without holidays, intervals, seconds */
        while (fgets(line, sizeof line, f)) {
            json_t *row = json_loads(line, 0, NULL);
            if (!row)
                continue;
            const char *text = json_string_value(json_object_get(row, "text"));
            const char *ref = json_string_value(json_object_get(row, "ref_time"));
            const char *dim = json_string_value(json_object_get(row, "dim"));
            json_t *expected = json_object_get(row, "expected");
            if (!text || !ref || !dim || strcmp(dim, "time") != 0) {
                json_decref(row);
                continue;
            }
            if (json_is_true(json_object_get(row, "latent"))) {
                latent++;
                json_decref(row);
                continue;
            }
            char got[128];
            int cls = grain_class(expected);
            int ok = run_row(langs[li], text, ref, expected, got, sizeof got);
            total++;
            gt[cls]++;
            bool in_scope = cls != G_HOLIDAY && cls != G_INTERVAL && cls != G_SECOND &&
                            cls != G_OTHER;
            scope_total += in_scope;
            scope_pass += in_scope && ok;
            if (ok) {
                pass++;
                gp[cls]++;
            } else {
                const char *want = expected && !json_is_null(expected)
                                       ? json_string_value(json_object_get(expected, "value"))
                                       : NULL;
                fprintf(fails, "%s\t%s\t%s\twant %s\tgot %s\n", langs[li], gname[cls], text,
                        want ? want : "(none)", got);
            }
            json_decref(row);
        }
        fclose(f);
        printf("duckling dates %s: %u/%u = %.1f%% (latent rows skipped: %u)\n", langs[li], pass,
               total, total ? 100.0 * pass / total : 0.0, latent);
        printf("  in scope (no holiday/interval/second/other): %u/%u = %.1f%%\n", scope_pass,
               scope_total, scope_total ? 100.0 * scope_pass / scope_total : 0.0);
        for (int k = 0; k < G_N; k++)
            if (gt[k])
                printf("  %-12s %u/%u\n", gname[k], gp[k], gt[k]);
        all_pass += pass;
        all_total += total;
    }
    fclose(fails);
    double rate = all_total ? (double)all_pass / all_total : 0.0;
    printf("duckling dates overall %u/%u = %.1f%% (floor %.1f%%)\n", all_pass, all_total,
           100 * rate, 100 * FLOOR);
    assert_true(all_total > 1000);
    assert_true(rate >= FLOOR);
}

int main(void)
{
    g_shared = getenv("ENRICHD_SHARED");
    const char *data = getenv("ENRICHD_DATA");
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/corpora/normalize/duckling/fr_time.jsonl",
             g_shared ? g_shared : "");
    FILE *pf = g_shared ? fopen(probe, "r") : NULL;
    if (!pf || !data) {
        if (pf)
            fclose(pf);
        printf("SKIP: ENRICHD_SHARED duckling time corpora or ENRICHD_DATA absent\n");
        return 77;
    }
    fclose(pf);
    char err[256];
    ex_options opts = {.future_bias = 1};
    g_res = ex_resources_load(data, &opts, err, sizeof err);
    if (!g_res) {
        fprintf(stderr, "resources: %s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_duckling)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ex_resources_unref(g_res);
    return rc;
}
