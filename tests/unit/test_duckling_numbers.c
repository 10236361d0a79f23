/*
 * test_duckling_numbers.c — measures the numbers stage (extract/numbers.c) against the Duckling
 * example corpora in $ENRICHD_SHARED/corpora/normalize/duckling/{fr,en}_{number,ordinal,
 * amount-of-money}.jsonl (see the README.txt there).
 *
 * Each positive row's text is run through ex_extract; it passes when exactly one quantity of the
 * dimension spans the whole text with the expected value (money: also the currency, and min/max
 * for intervals). Negative rows pass when no quantity of the dimension is found.
 * Duckling's generic units are compared as follows: "cent" N is an amount of N/100 in any
 * currency; "unknown" (slang: "42 bucks", "3 balles") accepts any currency; "dinar", "riyal",
 * "rial" accept the ISO codes of the currencies of that name.
 *
 * Rows that need a feature news copy does not want are not dropped: each gets a named reason
 * (excl_reason below), is counted in the "all rows" rate (as the failure it is when the stage
 * misses it), printed in the table "excluded: reason — count" and written with its reason to
 * ./duckling-numbers-excluded.txt. Pass rates are printed per language and dimension over all
 * rows and over in-scope rows; in-scope failures go to ./duckling-numbers-failures.txt. The test
 * fails when an in-scope rate drops below its floor (measured value minus a small margin).
 * Without ENRICHD_SHARED: "SKIP: ... absent", 77.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "internal.h"

/* In-scope floors per dimension (pass rate over in-scope rows of both languages), just under
 * what was measured 2026-11-27, round 3: number 144/146 = 98.6%, ordinal 48/48 = 100%, money
 * 161/164 = 98.2% (fr number 98.1%, ordinal 100%, money 97.2%; en 98.9%, 100%, 98.4%). */
#define FLOOR_NUMBER 0.975
#define FLOOR_ORDINAL 0.99
#define FLOOR_MONEY 0.975

static ex_resources *g_res;
static const char *g_shared;

/* Why a row is out of scope: features news copy does not want. Index 0 = in scope. */
enum {
    X_NONE,
    X_LATENT,
    X_REGIONAL,
    X_COINS,
    X_SPOKEN_CENTS,
    X_ARTICLE_ONE,
    X_VAGUE,
    X_SPOKEN_GROUPS,
    X_SI_PREFIX,
    X_LITRE_LAKH,
    X_KRONA_CRORE,
    X_NONCE,
    X_REF_QUIRK,
    X_N
};
static const char *const excl_name[X_N] = {
    "in scope",
    "latent parse: a bare number the corpus itself marks as latent",
    "regional locale (EN_GB/AU/CA/...): '$' and coin slang mean a local currency; the record has "
    "no country setting",
    "US coin names as amounts ('a dime', 'four quarters', 'twenty nickels'): coin counting, not "
    "how copy states money",
    "spoken cents without a cents word ('$20 43', '3 GBP and one'): in copy the next number is "
    "another quantity",
    "lone article 'un'/'une' as the number 1: in copy it is the article",
    "vague quantifiers as exact numbers ('a few' = 3, 'a couple' = 2, 'single' = 1)",
    "spoken digit groups ('one twenty two' = 122): not written copy",
    "SI prefix on a plain number ('.0012G'): engineering notation; '5G' in copy is the network",
    "'l' as lakh ('30 l'): in copy 'l' is litres",
    "'Kr' as crore ('three hundred Kr'): in copy 'kr' is the krona",
    "nonce slang unit ('pouloutes'): not a currency word of either language",
    "corpus reference takes a range's low end without its multiplier ('7-9 lakh' from 7); we "
    "read 700000",
};

/* Is w (ASCII, lower case) a whole word of text, ignoring ASCII case? */
static bool has_word(const char *text, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = text; *p; p++) {
        if (p > text && isalpha((unsigned char)p[-1]))
            continue;
        size_t k = 0;
        while (k < n && p[k] && tolower((unsigned char)p[k]) == w[k])
            k++;
        if (k == n && !isalpha((unsigned char)p[n]))
            return true;
    }
    return false;
}

static int excl_reason(const char *dim, const char *text, const char *locale, json_t *row,
                       json_t *expected)
{
    if (json_is_true(json_object_get(row, "latent")))
        return X_LATENT;
    if (locale && strlen(locale) > 2)
        return X_REGIONAL;
    if (!expected || json_is_null(expected))
        return X_NONE;
    if (strcmp(dim, "amount-of-money") == 0) {
        if (has_word(text, "pouloutes"))
            return X_NONCE;
        if (has_word(text, "lakh") && strchr(text, '-'))
            return X_REF_QUIRK;
        if (has_word(text, "dime") || has_word(text, "dimes") || has_word(text, "nickel") ||
            has_word(text, "nickels") || has_word(text, "quarter") || has_word(text, "quarters"))
            return X_COINS;
        json_t *v = json_object_get(expected, "value");
        double x = v ? json_number_value(v) : 0;
        bool frac = v && fabs(x - floor(x)) > 1e-9;
        bool cents_word = has_word(text, "cent") || has_word(text, "cents") ||
                          has_word(text, "c") || has_word(text, "centimes") ||
                          has_word(text, "p") || strstr(text, "¢");
        bool dec = false;
        for (const char *p = text; *p; p++)
            if ((*p == '.' || *p == ',') && isdigit((unsigned char)p[1]))
                dec = true;
        if (frac && !cents_word && !dec && !has_word(text, "point"))
            return X_SPOKEN_CENTS;
        return X_NONE;
    }
    if (strcmp(text, "un") == 0 || strcmp(text, "une") == 0)
        return X_ARTICLE_ONE;
    if (has_word(text, "few") || has_word(text, "couple") || has_word(text, "single"))
        return X_VAGUE;
    if (strcasecmp(text, "one twenty two") == 0)
        return X_SPOKEN_GROUPS;
    size_t n = strlen(text);
    if (n > 1 && (text[n - 1] == 'G') && isdigit((unsigned char)text[n - 2]))
        return X_SI_PREFIX;
    if (has_word(text, "l") && isdigit((unsigned char)text[0]))
        return X_LITRE_LAKH;
    if (has_word(text, "kr"))
        return X_KRONA_CRORE;
    return X_NONE;
}

static bool near(double a, double b) { return fabs(a - b) <= 1e-6 * (fabs(b) + 1); }

/* Does our ISO code match Duckling's unit? (generic units: see the file comment) */
static bool unit_ok(const char *ours, const char *unit)
{
    if (!unit)
        return false;
    if (strcmp(unit, "$") == 0)
        return strcmp(ours, "USD") == 0;
    if (strcmp(unit, "£") == 0)
        return strcmp(ours, "GBP") == 0;
    if (strcmp(unit, "unknown") == 0 || strcmp(unit, "cent") == 0)
        return ours[0] != '\0';
    static const char *const family[][2] = {
        {"dinar", "KWD BHD IQD JOD LYD TND DZD RSD MKD"},
        {"riyal", "SAR QAR OMR YER"},
        {"rial", "IRR OMR YER"},
    };
    for (size_t k = 0; k < sizeof family / sizeof family[0]; k++)
        if (strcmp(unit, family[k][0]) == 0)
            return ours[0] && strstr(family[k][1], ours) != NULL;
    return strcmp(ours, unit) == 0;
}

static double unit_value(json_t *side)
{
    double v = json_number_value(json_object_get(side, "value"));
    const char *unit = json_string_value(json_object_get(side, "unit"));
    return unit && strcmp(unit, "cent") == 0 ? v / 100 : v;
}

static bool check_row(const char *dim, const char *text, const char *lang, json_t *expected)
{
    ex_input in = {0};
    in.text = text;
    in.text_len = strlen(text);
    in.lang_hint = lang;
    ex_doc *doc = NULL;
    char err[256];
    if (ex_extract(g_res, &in, &doc, err, sizeof err) != EX_OK)
        return false;
    bool money = strcmp(dim, "amount-of-money") == 0;
    bool ordinal = strcmp(dim, "ordinal") == 0;
    const ex_vec *v = money ? &doc->money : &doc->numbers;
    uint32_t n = 0;
    const ex_quantity *hit = NULL;
    for (uint32_t i = 0; i < v->len; i++) {
        const ex_quantity *q = &EX_VEC_AT(*v, ex_quantity, i);
        if (!money && (bool)q->ordinal != ordinal)
            continue;
        n++;
        hit = q;
    }
    bool ok;
    if (!expected || json_is_null(expected)) {
        ok = n == 0;
    } else if (n != 1 || hit->start != 0 || hit->end != doc->text_len) {
        ok = false;
    } else if (!money) {
        ok = near(hit->value, json_number_value(json_object_get(expected, "value")));
    } else {
        const char *type = json_string_value(json_object_get(expected, "type"));
        if (type && strcmp(type, "interval") == 0) {
            json_t *from = json_object_get(expected, "from"), *to = json_object_get(expected, "to");
            ok = true;
            if (from && to)
                ok = !isnan(hit->min) && near(hit->min, unit_value(from)) &&
                     near(hit->max, unit_value(to));
            else if (from)
                ok = hit->bound == EX_BOUND_MIN && near(hit->value, unit_value(from));
            else if (to)
                ok = hit->bound == EX_BOUND_MAX && near(hit->value, unit_value(to));
            json_t *side = from ? from : to;
            ok = ok && side &&
                 unit_ok(hit->currency, json_string_value(json_object_get(side, "unit")));
        } else {
            ok = near(hit->value, unit_value(expected)) &&
                 unit_ok(hit->currency, json_string_value(json_object_get(expected, "unit")));
        }
    }
    ex_doc_free(doc);
    return ok;
}

static void test_duckling(void **state)
{
    (void)state;
    static const char *const langs[] = {"fr", "en"};
    static const char *const dims[] = {"number", "ordinal", "amount-of-money"};
    static const double floors[] = {FLOOR_NUMBER, FLOOR_ORDINAL, FLOOR_MONEY};
    FILE *fails = fopen("duckling-numbers-failures.txt", "w");
    FILE *excl = fopen("duckling-numbers-excluded.txt", "w");
    assert_non_null(fails);
    assert_non_null(excl);
    unsigned xcount[X_N] = {0}, xpass[X_N] = {0};
    unsigned dim_pass[3] = {0}, dim_total[3] = {0};
    unsigned all_pass = 0, all_total = 0;
    printf("duckling %-20s %18s %18s\n", "", "all rows", "in scope");
    for (int l = 0; l < 2; l++) {
        for (int d = 0; d < 3; d++) {
            char path[4096];
            snprintf(path, sizeof path, "%s/corpora/normalize/duckling/%s_%s.jsonl", g_shared,
                     langs[l], dims[d]);
            FILE *f = fopen(path, "r");
            assert_non_null(f);
            char line[8192];
            unsigned pass = 0, total = 0, in_pass = 0, in_total = 0;
            while (fgets(line, sizeof line, f)) {
                json_t *row = json_loads(line, 0, NULL);
                if (!row)
                    continue;
                const char *text = json_string_value(json_object_get(row, "text"));
                const char *locale = json_string_value(json_object_get(row, "locale"));
                json_t *exp = json_object_get(row, "expected");
                if (!text) {
                    json_decref(row);
                    continue;
                }
                int why = excl_reason(dims[d], text, locale, row, exp);
                bool ok = check_row(dims[d], text, langs[l], exp);
                total++;
                pass += ok;
                char *e = exp ? json_dumps(exp, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
                if (why == X_NONE) {
                    in_total++;
                    in_pass += ok;
                    if (!ok)
                        fprintf(fails, "%s %s\t%s\t%s\n", langs[l], dims[d], text,
                                e ? e : "null");
                } else {
                    xcount[why]++;
                    xpass[why] += ok;
                    fprintf(excl, "%s %s\t%s\t%s\t%s\t%s\n", langs[l], dims[d],
                            ok ? "pass" : "fail", text, e ? e : "null", excl_name[why]);
                }
                free(e);
                json_decref(row);
            }
            fclose(f);
            printf("duckling %s %-16s %4u/%4u = %5.1f%%  %4u/%4u = %5.1f%%\n", langs[l], dims[d],
                   pass, total, total ? 100.0 * pass / total : 0.0, in_pass, in_total,
                   in_total ? 100.0 * in_pass / in_total : 0.0);
            dim_pass[d] += in_pass;
            dim_total[d] += in_total;
            all_pass += pass;
            all_total += total;
        }
    }
    fclose(fails);
    fclose(excl);
    printf("excluded (reason — count, of which the stage still passes):\n");
    for (int k = 1; k < X_N; k++)
        if (xcount[k])
            printf("  %s — %u (%u pass)\n", excl_name[k], xcount[k], xpass[k]);
    printf("duckling all rows %u/%u = %.1f%%\n", all_pass, all_total,
           all_total ? 100.0 * all_pass / all_total : 0.0);
    for (int d = 0; d < 3; d++) {
        double rate = dim_total[d] ? (double)dim_pass[d] / dim_total[d] : 0;
        printf("duckling in scope %-16s %u/%u = %.1f%% (floor %.1f%%)\n", dims[d], dim_pass[d],
               dim_total[d], 100 * rate, 100 * floors[d]);
        assert_true(rate >= floors[d]);
    }
}

int main(void)
{
    g_shared = getenv("ENRICHD_SHARED");
    const char *data = getenv("ENRICHD_DATA");
    char probe[4096];
    snprintf(probe, sizeof probe, "%s/corpora/normalize/duckling/fr_number.jsonl",
             g_shared ? g_shared : "");
    FILE *pf = g_shared ? fopen(probe, "r") : NULL;
    if (!pf || !data) {
        printf("SKIP: ENRICHD_SHARED duckling corpora or ENRICHD_DATA absent\n");
        return 77;
    }
    fclose(pf);
    char err[256];
    g_res = ex_resources_load(data, NULL, err, sizeof err);
    if (!g_res) {
        printf("resources: %s\n", err);
        return 1;
    }
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_duckling)};
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    ex_resources_unref(g_res);
    return rc;
}
