/*
 * fuzz_extract.c — libFuzzer target for the extraction library (ex_extract, ex_doc_to_json) and
 * for the daemon's per-article path, on arbitrary bytes.
 *
 * Resources are loaded once, from $ENRICHD_DATA or else the source tree's data/ (compiled in as
 * ENRICHD_SRC_DATADIR). Each input goes one of two ways:
 *  - a frame that parses as a JSON envelope (first non-blank byte '{'): the daemon's path, i.e.
 *    ed_envelope_parse → ex_extract with the envelope's text, lang, published and title →
 *    ed_record_article → ed_record_with_seq (so dates, hints and titles come from the fuzzer);
 *  - anything else: ex_extract on the raw bytes, with a language hint and a published date
 *    picked by the last byte from a fixed list (none, "fr", "en", a bad code; none, a date, a
 *    date-time, garbage), then ex_doc_to_json.
 * Checks, beyond "no crash, no leak, no UB, no hang": ex_extract only fails with invalid_utf8
 * (and only on invalid UTF-8 or U+0000) or empty; the document's JSON dumps and loads back
 * (valid UTF-8 everywhere); stats.chars is the text's code points; blocks are non-empty, in
 * order and inside the text; every money, percentage and date span is inside the text and its
 * "text" is exactly that span of code points; the record is valid JSON with seq spliced in.
 * Touches nothing but its own memory. Built only with -DENRICHD_FUZZ=ON (scripts/fuzz).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "enrichd/extract.h"
#include "envelope.h"
#include "record.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_extract: check failed: %s (%s:%d)\n", #cond, __FILE__,    \
                    __LINE__);                                                                 \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

#define RECEIVED_MS INT64_C(1700000000000) /* 2023-11-14T22:13:20Z: a fixed reference time */

static ex_resources *g_res;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("ENRICHD_DATA");
    if (!dir || !*dir)
        dir = ENRICHD_SRC_DATADIR;
    char err[EX_ERRLEN];
    g_res = ex_resources_load(dir, NULL, err, sizeof err);
    if (!g_res) {
        fprintf(stderr, "fuzz_extract: cannot load resources from %s: %s\n", dir, err);
        exit(2);
    }
    return 0;
}

/* at[k] = byte offset of code point k of s[0..n), for k = 0..*ncp (at[*ncp] = n). Caller frees. */
static size_t *cp_table(const char *s, size_t n, size_t *ncp)
{
    size_t *at = malloc((n + 1) * sizeof *at);
    FUZZ_CHECK(at != NULL);
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80)
            at[c++] = i;
    at[c] = n;
    *ncp = c;
    return at;
}

/* Checks one array of spans {"text", "start", "end"} against the text (at: its cp_table). */
static void check_spans(json_t *arr, const char *text, const size_t *at, size_t ncp)
{
    FUZZ_CHECK(json_is_array(arr));
    size_t i;
    json_t *item;
    json_array_foreach(arr, i, item) {
        json_int_t s = json_integer_value(json_object_get(item, "start"));
        json_int_t e = json_integer_value(json_object_get(item, "end"));
        FUZZ_CHECK(0 <= s && s <= e && (size_t)e <= ncp);
        json_t *t = json_object_get(item, "text");
        if (!t)
            continue;
        size_t bs = at[s], be = at[e];
        FUZZ_CHECK(json_string_length(t) == be - bs);
        FUZZ_CHECK(memcmp(json_string_value(t), text + bs, be - bs) == 0);
    }
}

/* The document's JSON: dumps, loads back, and its offsets agree with its text. */
static void check_doc(const ex_doc *doc)
{
    json_t *rec = ex_doc_to_json(doc);
    FUZZ_CHECK(rec != NULL);
    char *dump = json_dumps(rec, JSON_COMPACT | EX_JSON_DUMP_REALS);
    FUZZ_CHECK(dump != NULL);
    json_decref(rec);
    json_error_t jerr;
    rec = json_loads(dump, 0, &jerr);
    if (!rec)
        fprintf(stderr, "fuzz_extract: document JSON does not load back: %s\n", jerr.text);
    FUZZ_CHECK(rec != NULL);
    free(dump);

    json_t *jt = json_object_get(rec, "text");
    FUZZ_CHECK(json_is_string(jt));
    const char *text = json_string_value(jt);
    size_t len = json_string_length(jt);
    size_t ncp = 0;
    size_t *at = cp_table(text, len, &ncp);
    json_t *chars = json_object_get(json_object_get(rec, "stats"), "chars");
    FUZZ_CHECK((size_t)json_integer_value(chars) == ncp);

    json_t *blocks = json_object_get(rec, "blocks");
    FUZZ_CHECK(json_is_array(blocks));
    json_int_t prev = 0;
    size_t i;
    json_t *b;
    json_array_foreach(blocks, i, b) {
        json_int_t s = json_integer_value(json_object_get(b, "start"));
        json_int_t e = json_integer_value(json_object_get(b, "end"));
        FUZZ_CHECK(s >= prev && e > s && (size_t)e <= ncp);
        prev = e;
    }
    check_spans(json_object_get(rec, "money"), text, at, ncp);
    check_spans(json_object_get(rec, "percentages"), text, at, ncp);
    check_spans(json_object_get(rec, "dates"), text, at, ncp);
    free(at);
    json_decref(rec);
}

static void check_status(ex_status st, const char *text, size_t len, const char *err)
{
    if (st == EX_OK || st == EX_EEMPTY)
        return;
    if (st == EX_EINVAL_UTF8 && (!ed_utf8_valid(text, len) || memchr(text, '\0', len)))
        return;
    fprintf(stderr, "fuzz_extract: unexpected status %s: %s\n", ex_status_name(st), err);
    abort();
}

/* The daemon's path for an envelope frame. */
static void run_envelope(const uint8_t *data, size_t size, ed_envelope *env)
{
    ex_input in = {.text = env->text, .text_len = env->text_len, .lang_hint = env->lang,
                   .published = env->published, .title = env->title,
                   .received_ms = RECEIVED_MS};
    ex_doc *doc = NULL;
    char err[EX_ERRLEN] = "";
    ex_status st = ex_extract(g_res, &in, &doc, err, sizeof err);
    check_status(st, env->text, env->text_len, err);
    if (st == EX_OK) {
        FUZZ_CHECK(doc != NULL);
        check_doc(doc);
        ed_record rec;
        FUZZ_CHECK(ed_record_article(&rec, env, doc, "fuzz", RECEIVED_MS) == 0);
        size_t n = 0;
        char *full = ed_record_with_seq(&rec, 42, &n);
        FUZZ_CHECK(full != NULL);
        json_error_t jerr;
        json_t *obj = json_loadb(full, n, JSON_ALLOW_NUL, &jerr); /* echoes may hold \u0000 */
        if (!obj)
            fprintf(stderr, "fuzz_extract: article record is not JSON: %s\n", jerr.text);
        FUZZ_CHECK(json_is_object(obj));
        FUZZ_CHECK(json_integer_value(json_object_get(obj, "seq")) == 42);
        json_decref(obj);
        free(full);
        ed_record_release(&rec);
    } else {
        FUZZ_CHECK(doc == NULL);
    }
    ex_doc_free(doc);
}

static const char *const HINTS[] = {NULL, "fr", "en", "zz-Latn-\xC3\xA9"};
static const char *const PUBLISHED[] = {NULL, "2024-05-22", "2024-05-22T07:30:00+02:00",
                                        "31/02/99 25h61"};

/* The library alone on raw bytes. */
static void run_raw(const uint8_t *data, size_t size)
{
    unsigned pick = size ? data[size - 1] : 0;
    ex_input in = {.text = (const char *)data, .text_len = size,
                   .lang_hint = HINTS[pick % 4], .published = PUBLISHED[(pick / 4) % 4],
                   .title = (pick & 0x10) ? "Titre donn\xC3\xA9 par l\xE2\x80\x99" "enveloppe" : NULL,
                   .received_ms = RECEIVED_MS};
    ex_doc *doc = NULL;
    char err[EX_ERRLEN] = "";
    ex_status st = ex_extract(g_res, &in, &doc, err, sizeof err);
    check_status(st, (const char *)data, size, err);
    if (st == EX_OK) {
        FUZZ_CHECK(doc != NULL);
        check_doc(doc);
    } else {
        FUZZ_CHECK(doc == NULL);
    }
    ex_doc_free(doc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ed_envelope env;
    char err[256];
    if (ed_envelope_parse(data, size, 0, &env, err, sizeof err) == ED_ERR_NONE) {
        int enveloped = env.root != NULL;
        if (enveloped)
            run_envelope(data, size, &env);
        ed_envelope_release(&env);
        if (enveloped)
            return 0;
    }
    run_raw(data ? data : (const uint8_t *)"", size);
    return 0;
}
