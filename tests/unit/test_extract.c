/*
 * test_extract.c — end-to-end tests of the extraction library through its public API:
 * ex_resources_load → ex_extract → ex_doc_to_json → ex_doc_free (extract/pipeline.c, layout.c,
 * stats.c, json.c, resources.c, with the real tokens, sentences and lang stages).
 *
 * Checks the record's article fields (order, types), that offsets are code points (texts with é
 * and « »), envelope title handling, published from the envelope vs the receive time, error
 * statuses, and resources generations/references. Articles are written for these tests.
 * Needs ENRICHD_DATA (exits 77 without it). With ENRICHD_SHARED, also runs every article of the
 * shared news corpora through the pipeline and checks the offset invariants on each.
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
#include <time.h>

#include "internal.h"

static ex_resources *g_res;

/* ---- helpers --------------------------------------------------------------------------------- */

static ex_doc *extract_ok(const char *text, const char *title, const char *published,
                          int64_t received_ms, const char *hint)
{
    ex_input in = {.text = text, .text_len = strlen(text), .title = title,
                   .published = published, .received_ms = received_ms, .lang_hint = hint};
    ex_doc *doc = NULL;
    char err[EX_ERRLEN] = "";
    ex_status st = ex_extract(g_res, &in, &doc, err, sizeof err);
    if (st != EX_OK)
        print_error("ex_extract: %s (%s)\n", ex_status_name(st), err);
    assert_int_equal(st, EX_OK);
    assert_non_null(doc);
    return doc;
}

/* Code points in s[0..n). */
static size_t cp_len(const char *s, size_t n)
{
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += ((unsigned char)s[i] & 0xC0) != 0x80;
    return c;
}

/* Byte offset of code point cp in s (s NUL-terminated). */
static size_t byte_of_cp(const char *s, size_t cp)
{
    size_t i = 0, c = 0;
    while (s[i] && c < cp) {
        i++;
        while (((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        c++;
    }
    assert_int_equal(c, cp);
    return i;
}

/* The record's text between code-point offsets start and end, as a new string. */
static char *cp_slice(json_t *rec, json_int_t start, json_int_t end)
{
    const char *text = json_string_value(json_object_get(rec, "text"));
    assert_non_null(text);
    assert_true(start >= 0 && end >= start);
    size_t a = byte_of_cp(text, (size_t)start), b = byte_of_cp(text, (size_t)end);
    char *out = malloc(b - a + 1);
    assert_non_null(out);
    memcpy(out, text + a, b - a);
    out[b - a] = '\0';
    return out;
}

static json_t *block(json_t *rec, size_t i)
{
    json_t *b = json_array_get(json_object_get(rec, "blocks"), i);
    assert_non_null(b);
    return b;
}

static void check_block_at(json_t *rec, size_t i, const char *kind, const char *expected,
                           int line)
{
    json_t *b = block(rec, i);
    const char *k = json_string_value(json_object_get(b, "kind"));
    json_int_t s = json_integer_value(json_object_get(b, "start"));
    json_int_t e = json_integer_value(json_object_get(b, "end"));
    char *got = cp_slice(rec, s, e);
    if (!k || strcmp(k, kind) != 0 || strcmp(got, expected) != 0)
        print_error("line %d: block %zu: kind %s [%s], want %s [%s]\n", line, i, k ? k : "?",
                    got, kind, expected);
    assert_string_equal(k, kind);
    assert_string_equal(got, expected);
    free(got);
}
#define check_block(rec, i, kind, expected) check_block_at((rec), (i), (kind), (expected), __LINE__)

static const char *const ARTICLE_KEYS[] = {
    "lang",     "lang_confidence", "section",  "title",       "standfirst", "authors",
    "published", "published_from", "text",     "blocks",      "subheadings", "boilerplate",
    "stats",    "entities",        "quotes",   "money",       "percentages", "dates",
    "keywords", "summary",         "warnings", "timing_us"};
#define N_ARTICLE_KEYS (sizeof ARTICLE_KEYS / sizeof ARTICLE_KEYS[0])

/* ---- the record ------------------------------------------------------------------------------ */

static const char *ARTICLE_FR =
    "Le prix de l’électricité a augmenté de 12\u00A0% en un an, selon l’Insee.\n"
    "\n"
    "« C’est une hausse inédite », a déclaré mardi la ministre de la Transition énergétique.\n"
    "\n"
    "Les ménages les plus modestes recevront une aide de 150\u00A0euros.";

static void test_record_fields(void **state)
{
    (void)state;
    ex_doc *doc = extract_ok(ARTICLE_FR, "Le prix de l’énergie s’envole",
                             "2023-11-20T08:30:00+01:00", 1700000000000, NULL);
    assert_string_equal(ex_doc_lang(doc), "fr");
    json_t *rec = ex_doc_to_json(doc);
    assert_non_null(rec);

    /* every field, in DESIGN §4 order, nothing else */
    assert_int_equal(json_object_size(rec), N_ARTICLE_KEYS);
    size_t k = 0;
    for (void *it = json_object_iter(rec); it; it = json_object_iter_next(rec, it), k++)
        assert_string_equal(json_object_iter_key(it), ARTICLE_KEYS[k]);

    /* types */
    assert_string_equal(json_string_value(json_object_get(rec, "lang")), "fr");
    json_t *conf = json_object_get(rec, "lang_confidence");
    assert_true(json_is_real(conf));
    double c = json_real_value(conf);
    assert_true(c > 0.5 && c <= 1.0);
    assert_true(c * 100 - (double)(long)(c * 100 + 0.5) < 1e-9); /* two decimals */
    assert_true(json_is_null(json_object_get(rec, "section")));
    assert_true(json_is_null(json_object_get(rec, "standfirst")));
    assert_string_equal(json_string_value(json_object_get(rec, "title")),
                        "Le prix de l'énergie s'envole");
    assert_true(json_is_array(json_object_get(rec, "authors")));
    assert_int_equal(json_array_size(json_object_get(rec, "authors")), 0);
    assert_string_equal(json_string_value(json_object_get(rec, "published")), "2023-11-20");
    assert_string_equal(json_string_value(json_object_get(rec, "published_from")), "envelope");
    for (size_t i = 13; i <= 20; i++) { /* entities .. warnings: empty arrays for now */
        json_t *a = json_object_get(rec, ARTICLE_KEYS[i]);
        assert_true(json_is_array(a));
        if (strcmp(ARTICLE_KEYS[i], "money") == 0 || strcmp(ARTICLE_KEYS[i], "percentages") == 0)
            continue; /* filled by the numbers stage: tests/unit/test_numbers.c checks them */
        if (strcmp(ARTICLE_KEYS[i], "dates") == 0)
            continue; /* filled by the dates stage: tests/unit/test_dates.c checks them */
        assert_int_equal(json_array_size(a), 0);
    }
    assert_true(json_is_array(json_object_get(rec, "subheadings")));
    assert_true(json_is_array(json_object_get(rec, "boilerplate")));

    /* text: title first, then the paragraphs, normalised, joined by blank lines */
    const char *text = json_string_value(json_object_get(rec, "text"));
    assert_string_equal(text,
                        "Le prix de l'énergie s'envole\n\n"
                        "Le prix de l'électricité a augmenté de 12 % en un an, selon l'Insee.\n\n"
                        "« C'est une hausse inédite », a déclaré mardi la ministre de la "
                        "Transition énergétique.\n\n"
                        "Les ménages les plus modestes recevront une aide de 150 euros.");

    /* blocks: code-point offsets, so slicing by code points gives each part back */
    assert_int_equal(json_array_size(json_object_get(rec, "blocks")), 4);
    check_block(rec, 0, "title", "Le prix de l'énergie s'envole");
    check_block(rec, 1, "body",
                "Le prix de l'électricité a augmenté de 12 % en un an, selon l'Insee.");
    check_block(rec, 2, "body",
                "« C'est une hausse inédite », a déclaré mardi la ministre de la Transition "
                "énergétique.");
    check_block(rec, 3, "body", "Les ménages les plus modestes recevront une aide de 150 euros.");
    /* and they are not byte offsets: the title has one é (2 bytes), paragraph 1 three more */
    json_int_t start2 = json_integer_value(json_object_get(block(rec, 2), "start"));
    const char *p2 = strstr(text, "« C'est");
    assert_non_null(p2);
    assert_int_equal(start2, (json_int_t)cp_len(text, (size_t)(p2 - text)));
    assert_int_equal((json_int_t)(p2 - text) - start2, 4);
    json_int_t end2 = json_integer_value(json_object_get(block(rec, 2), "end"));
    assert_int_equal(end2 - start2,
                     (json_int_t)cp_len(p2, strlen("« C'est une hausse inédite », a déclaré mardi "
                                                   "la ministre de la Transition énergétique.")));

    /* stats */
    json_t *stats = json_object_get(rec, "stats");
    assert_int_equal(json_integer_value(json_object_get(stats, "chars")),
                     (json_int_t)cp_len(text, strlen(text)));
    assert_int_equal(json_integer_value(json_object_get(stats, "paragraphs")), 4);
    assert_int_equal(json_integer_value(json_object_get(stats, "sentences")), 4);
    json_int_t words = json_integer_value(json_object_get(stats, "words"));
    assert_true(words >= 45 && words <= 60);
    assert_int_equal(json_integer_value(json_object_get(stats, "reading_minutes")), 1);

    /* timing: total, then one key per stage in pipeline order; total is their sum */
    json_t *timing = json_object_get(rec, "timing_us");
    assert_int_equal(json_object_size(timing), 1 + ex_stage_count());
    void *it = json_object_iter(timing);
    assert_string_equal(json_object_iter_key(it), "total");
    json_int_t sum = 0;
    for (size_t i = 0; i < ex_stage_count(); i++) {
        it = json_object_iter_next(timing, it);
        assert_string_equal(json_object_iter_key(it), ex_stage_name(i));
        assert_true(json_is_integer(json_object_iter_value(it)));
        assert_int_equal(json_integer_value(json_object_iter_value(it)),
                         (json_int_t)ex_doc_stage_us(doc, i));
        sum += json_integer_value(json_object_iter_value(it));
    }
    assert_int_equal(json_integer_value(json_object_get(timing, "total")), sum);

    /* the documented dump flag prints the rounded confidence as written */
    char *dumped = json_dumps(rec, JSON_COMPACT | EX_JSON_DUMP_REALS);
    assert_non_null(dumped);
    const char *lc = strstr(dumped, "\"lang_confidence\":");
    assert_non_null(lc);
    lc += strlen("\"lang_confidence\":");
    assert_true(strcspn(lc, ",") <= 4); /* "0.97", "1.0" */
    free(dumped);

    json_decref(rec);
    ex_doc_free(doc);
}

static void test_stage_table(void **state)
{
    (void)state;
    static const char *const names[] = {"text", "layout", "tokens", "sentences", "lang",
                                        "stats", "numbers", "dates"};
    const size_t n = sizeof names / sizeof names[0];
    assert_int_equal(ex_stage_count(), n);
    for (size_t i = 0; i < n; i++)
        assert_string_equal(ex_stage_name(i), names[i]);
    assert_null(ex_stage_name(n));
    assert_string_equal(ex_status_name(EX_EINVAL_UTF8), "invalid_utf8");
    assert_string_equal(ex_status_name(EX_EEMPTY), "empty");
    assert_string_equal(ex_status_name(EX_EINTERNAL), "internal");
    assert_string_equal(ex_block_kind_name(EX_BLOCK_ATTRIBUTION), "attribution");
    assert_string_equal(ex_boiler_kind_name(EX_BOILER_NEWSLETTER), "newsletter");
}

/* ---- the title ------------------------------------------------------------------------------- */

static void test_title_equal_to_first_paragraph(void **state)
{
    (void)state;
    /* the text already opens with the title: it is not repeated, it becomes the title block */
    ex_doc *doc = extract_ok("L’usine de Florange ferme ses portes\n\n"
                             "Les 600 salariés ont appris la nouvelle jeudi matin.",
                             "L'usine de  Florange ferme ses\u00A0portes", NULL, 0, NULL);
    json_t *rec = ex_doc_to_json(doc);
    assert_string_equal(json_string_value(json_object_get(rec, "text")),
                        "L'usine de Florange ferme ses portes\n\n"
                        "Les 600 salariés ont appris la nouvelle jeudi matin.");
    assert_int_equal(json_array_size(json_object_get(rec, "blocks")), 2);
    check_block(rec, 0, "title", "L'usine de Florange ferme ses portes");
    check_block(rec, 1, "body", "Les 600 salariés ont appris la nouvelle jeudi matin.");
    assert_string_equal(json_string_value(json_object_get(rec, "title")),
                        "L'usine de Florange ferme ses portes");
    json_decref(rec);
    ex_doc_free(doc);

    /* no title: every paragraph is a body block, title is null */
    doc = extract_ok("Les 600 salariés ont appris la nouvelle jeudi matin.", NULL, NULL, 0, NULL);
    rec = ex_doc_to_json(doc);
    assert_true(json_is_null(json_object_get(rec, "title")));
    check_block(rec, 0, "body", "Les 600 salariés ont appris la nouvelle jeudi matin.");
    json_decref(rec);
    ex_doc_free(doc);

    /* a blank or invalid title is ignored, with a warning */
    doc = extract_ok("The plant will close in March.", " \u200B ", NULL, 0, NULL);
    rec = ex_doc_to_json(doc);
    assert_true(json_is_null(json_object_get(rec, "title")));
    assert_int_equal(json_array_size(json_object_get(rec, "warnings")), 1);
    assert_int_equal(json_array_size(json_object_get(rec, "blocks")), 1);
    json_decref(rec);
    ex_doc_free(doc);
    doc = extract_ok("The plant will close in March.", "Plant \xC3\x28loses", NULL, 0, NULL);
    rec = ex_doc_to_json(doc);
    assert_true(json_is_null(json_object_get(rec, "title")));
    const char *w = json_string_value(json_array_get(json_object_get(rec, "warnings"), 0));
    assert_non_null(w);
    assert_non_null(strstr(w, "title"));
    json_decref(rec);
    ex_doc_free(doc);
}

/* ---- published ------------------------------------------------------------------------------- */

static void check_published_at(const char *published, int64_t received_ms, const char *want,
                               const char *want_from, size_t want_warnings, int line)
{
    ex_doc *doc = extract_ok("The council met on Tuesday.", NULL, published, received_ms, NULL);
    json_t *rec = ex_doc_to_json(doc);
    json_t *p = json_object_get(rec, "published"), *f = json_object_get(rec, "published_from");
    if (!want) {
        assert_true(json_is_null(p));
        assert_true(json_is_null(f));
    } else {
        if (!json_is_string(p) || strcmp(json_string_value(p), want) != 0)
            print_error("line %d: published [%s] from [%s], want %s\n", line,
                        json_is_string(p) ? json_string_value(p) : "null",
                        json_is_string(f) ? json_string_value(f) : "null", want);
        assert_string_equal(json_string_value(p), want);
        assert_string_equal(json_string_value(f), want_from);
    }
    assert_int_equal(json_array_size(json_object_get(rec, "warnings")), want_warnings);
    json_decref(rec);
    ex_doc_free(doc);
}
#define check_published(p, r, want, from, nw) \
    check_published_at((p), (r), (want), (from), (nw), __LINE__)

static void test_published(void **state)
{
    (void)state;
    const int64_t received = 1700000000000; /* 2023-11-14T22:13:20Z */
    check_published("2023-11-20", received, "2023-11-20", "envelope", 0);
    check_published("2023-11-20T08:30:00+01:00", received, "2023-11-20", "envelope", 0);
    check_published("2023-11-20T23:59:59.250Z", 0, "2023-11-20", "envelope", 0);
    check_published("2024-02-29 10:00", 0, "2024-02-29", "envelope", 0);
    check_published(" 2023-11-20T08:30-0500 ", 0, "2023-11-20", "envelope", 0);
    /* not ISO 8601: the receive date, with a warning */
    check_published("20 novembre 2023", received, "2023-11-14", "received", 1);
    check_published("2023-02-29", received, "2023-11-14", "received", 1);
    check_published("2023-11-20T25:00", received, "2023-11-14", "received", 1);
    check_published("2023-11-20Tmidi", received, "2023-11-14", "received", 1);
    check_published("2023-13-01", 0, NULL, NULL, 1);
    /* nothing at all */
    check_published(NULL, received, "2023-11-14", "received", 0);
    check_published(NULL, 0, NULL, NULL, 0);
    check_published("", 0, NULL, NULL, 0);
}

/* ---- language, errors, resources ------------------------------------------------------------- */

static void test_lang_hint_and_english(void **state)
{
    (void)state;
    const char *en = "The government said on Monday that it would raise the minimum wage by "
                     "3% next year, a move unions called long overdue.";
    ex_doc *doc = extract_ok(en, NULL, NULL, 0, NULL);
    assert_string_equal(ex_doc_lang(doc), "en");
    ex_doc_free(doc);
    doc = extract_ok(en, NULL, NULL, 0, "fr");
    assert_string_equal(ex_doc_lang(doc), "fr"); /* the envelope's hint wins */
    json_t *rec = ex_doc_to_json(doc);
    assert_true(json_real_value(json_object_get(rec, "lang_confidence")) == 1.0);
    json_decref(rec);
    ex_doc_free(doc);
}

static void test_errors(void **state)
{
    (void)state;
    char err[EX_ERRLEN];
    ex_doc *doc = (ex_doc *)&err; /* must be reset to NULL on failure */
    ex_input in = {.text = "Le pr\xC3\xA9sident a \xED\xA0\x80 dit."};
    in.text_len = strlen(in.text);
    assert_int_equal(ex_extract(g_res, &in, &doc, err, sizeof err), EX_EINVAL_UTF8);
    assert_null(doc);
    assert_non_null(strstr(err, "byte 16"));
    in.text = " \n\u00A0\t\n";
    in.text_len = strlen(in.text);
    assert_int_equal(ex_extract(g_res, &in, &doc, err, sizeof err), EX_EEMPTY);
    assert_null(doc);
    in.text = "Texte.";
    in.text_len = 6;
    assert_int_equal(ex_extract(NULL, &in, &doc, err, sizeof err), EX_EINVAL);
    assert_int_equal(ex_extract(g_res, NULL, &doc, err, sizeof err), EX_EINVAL);
    assert_int_equal(ex_extract(g_res, &in, NULL, err, sizeof err), EX_EINVAL);
    in.text = NULL;
    assert_int_equal(ex_extract(g_res, &in, &doc, err, sizeof err), EX_EINVAL);
    ex_doc_free(NULL);
    assert_null(ex_doc_to_json(NULL));
}

static void test_resources(void **state)
{
    (void)state;
    char err[EX_ERRLEN];
    const char *data = getenv("ENRICHD_DATA");
    ex_resources *r2 = ex_resources_load(data, NULL, err, sizeof err);
    assert_non_null(r2);
    const char *g1 = ex_resources_generation(g_res), *g2 = ex_resources_generation(r2);
    assert_true(strlen(g1) > 10);
    assert_string_not_equal(g1, g2);
    assert_int_equal(atomic_load(&r2->refs), 1);
    assert_ptr_equal(ex_resources_ref(r2), r2);
    assert_int_equal(atomic_load(&r2->refs), 2);
    ex_resources_unref(r2);
    assert_int_equal(atomic_load(&r2->refs), 1);
    ex_resources_unref(r2); /* frees; ASan checks nothing leaks */
    ex_resources_unref(NULL);

    assert_null(ex_resources_load("/nonexistent/enrichd-data", NULL, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/enrichd-data"));
    assert_null(ex_resources_load(NULL, NULL, err, sizeof err));
}

/* ---- the shared news corpora: invariants on real articles ----------------------------------- */

static void check_doc_invariants(const ex_doc *doc, json_t *rec)
{
    const char *text = json_string_value(json_object_get(rec, "text"));
    assert_non_null(text);
    assert_string_equal(text, doc->text);
    size_t ncp = cp_len(text, strlen(text));
    json_t *blocks = json_object_get(rec, "blocks");
    assert_int_equal(json_array_size(blocks), doc->blocks.len);
    json_int_t prev = 0;
    for (size_t i = 0; i < json_array_size(blocks); i++) {
        json_t *b = json_array_get(blocks, i);
        json_int_t s = json_integer_value(json_object_get(b, "start"));
        json_int_t e = json_integer_value(json_object_get(b, "end"));
        assert_true(s >= prev && e > s && (size_t)e <= ncp);
        const ex_block *bl = &EX_VEC_AT(doc->blocks, ex_block, i);
        assert_int_equal(s, (json_int_t)cp_len(text, bl->start));
        assert_int_equal(e - s, (json_int_t)cp_len(text + bl->start, bl->end - bl->start));
        prev = e;
    }
    assert_int_equal(json_integer_value(json_object_get(json_object_get(rec, "stats"), "chars")),
                     (json_int_t)ncp);
    /* normalised: no CR, no NBSP, no zero-width space, no runs of spaces, no ’ between letters */
    assert_null(strchr(text, '\r'));
    assert_null(strstr(text, "\u00A0"));
    assert_null(strstr(text, "\u200B"));
    assert_null(strstr(text, "  "));
}

static void run_corpus(const char *path, size_t *articles, size_t *bytes, double *secs)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        json_error_t jerr;
        json_t *a = json_loads(line, 0, &jerr);
        assert_non_null(a);
        const char *text = json_string_value(json_object_get(a, "text"));
        const char *title = json_string_value(json_object_get(a, "title"));
        const char *date = json_string_value(json_object_get(a, "date"));
        if (!text) {
            json_decref(a);
            continue;
        }
        ex_input in = {.text = text, .text_len = json_string_length(json_object_get(a, "text")),
                       .title = title, .published = date, .received_ms = 1700000000000};
        ex_doc *doc = NULL;
        char err[EX_ERRLEN];
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        ex_status st = ex_extract(g_res, &in, &doc, err, sizeof err);
        json_t *rec = st == EX_OK ? ex_doc_to_json(doc) : NULL;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        *secs += (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
        if (st != EX_OK)
            print_error("%s: %s\n", path, err);
        assert_int_equal(st, EX_OK);
        assert_non_null(rec);
        check_doc_invariants(doc, rec);
        if (title && *title) /* the title always opens the text */
            assert_int_equal(EX_VEC_AT(doc->blocks, ex_block, 0).kind, EX_BLOCK_TITLE);
        (*articles)++;
        *bytes += in.text_len;
        json_decref(rec);
        ex_doc_free(doc);
        json_decref(a);
    }
    free(line);
    fclose(f);
}

static void test_shared_corpora(void **state)
{
    (void)state;
    const char *shared = getenv("ENRICHD_SHARED");
    if (!shared) {
        print_message("SKIP: ENRICHD_SHARED absent, corpus invariants not checked\n");
        skip();
    }
    static const char *const files[] = {"corpora/news/wikinews-fr-2012/wikinews_fr.jsonl",
                                        "corpora/news/gum-wikinews-en/gum_wikinews_en.jsonl"};
    size_t articles = 0, bytes = 0;
    double secs = 0;
    for (size_t i = 0; i < 2; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", shared, files[i]);
        run_corpus(path, &articles, &bytes, &secs);
    }
    if (articles == 0) {
        print_message("SKIP: news corpora absent under %s\n", shared);
        skip();
    }
    print_message("corpus: %zu articles, %.1f MB, %.0f articles/s (ex_extract + to_json)\n",
                  articles, bytes / 1e6, articles / secs);
}

static int setup(void **state)
{
    (void)state;
    char err[EX_ERRLEN];
    g_res = ex_resources_load(getenv("ENRICHD_DATA"), NULL, err, sizeof err);
    if (!g_res) {
        print_error("resources: %s\n", err);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    ex_resources_unref(g_res);
    return 0;
}

int main(void)
{
    if (!getenv("ENRICHD_DATA")) {
        printf("SKIP: ENRICHD_DATA absent\n");
        return 77;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record_fields),
        cmocka_unit_test(test_stage_table),
        cmocka_unit_test(test_title_equal_to_first_paragraph),
        cmocka_unit_test(test_published),
        cmocka_unit_test(test_lang_hint_and_english),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_resources),
        cmocka_unit_test(test_shared_corpora),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
