/*
 * test_record.c — unit tests of proto/record.c: time format, error records (every code, head
 * escaping and cutting, id, echo), the seq splice, and article records built from a real
 * ex_extract document (key order, envelope echo, authors rule, topic, UTF-8 kept).
 * Needs ENRICHD_DATA for the article tests (exits 77 without it). With ENRICHD_RECORD_DUMP set
 * to a file path, also writes every record it builds there as JSON lines (for schema checks).
 * May touch: its own memory and that dump file. Fixture sentences are written for these tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "record.h"

#define S(lit) lit, sizeof(lit) - 1

static ex_resources *g_res;
static FILE *g_dump;

static const int64_t T0 = INT64_C(1764151200123); /* 2025-11-26T10:00:00.123Z */

/* Splices seq, checks the result parses, dumps it; returns the parsed record (caller decrefs). */
static json_t *finish(const ed_record *rec, uint64_t seq)
{
    size_t len = 0;
    char *line = ed_record_with_seq(rec, seq, &len);
    assert_non_null(line);
    assert_int_equal(len, strlen(line));
    if (g_dump) {
        fwrite(line, 1, len, g_dump);
        fputc('\n', g_dump);
    }
    json_error_t jerr;
    json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL)
        fail_msg("record does not parse back: %s in %s", jerr.text, line);
    free(line);
    assert_true(json_is_object(root));
    assert_int_equal(json_integer_value(json_object_get(root, "seq")), (json_int_t)seq);
    return root;
}

/* Asserts the keys of obj are exactly names[0..n) in that order. */
static void assert_key_order(json_t *obj, const char *const *names, size_t n)
{
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        (void)v;
        if (i >= n)
            fail_msg("unexpected key '%s' after the %zu expected ones", key, n);
        if (strcmp(key, names[i]) != 0)
            fail_msg("key %zu is '%s', expected '%s'", i, key, names[i]);
        i++;
    }
    assert_int_equal(i, n);
}

static const char *str_of(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        fail_msg("field '%s' is not a string", key);
    return json_string_value(v);
}

/* ---- time --------------------------------------------------------------------------------------- */

static void test_format_time(void **state)
{
    (void)state;
    char out[32];
    ed_format_time(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    ed_format_time(T0, out);
    assert_string_equal(out, "2025-11-26T10:00:00.123Z");
    assert_int_equal(strlen(out), 24);
    ed_format_time(INT64_C(951782400000), out);
    assert_string_equal(out, "2000-02-29T00:00:00.000Z");
    ed_format_time(INT64_C(4102444799999), out);
    assert_string_equal(out, "2099-12-31T23:59:59.999Z");
    ed_format_time(-1, out);
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    ed_format_time(INT64_C(7), out);
    assert_string_equal(out, "1970-01-01T00:00:00.007Z");
}

/* ---- error records ------------------------------------------------------------------------------ */

static const char *const ERROR_KEYS[] = {"schema", "id", "instance", "seq", "received", "url",
                                         "source", "meta", "error", "bytes", "head"};

static void test_error_record_every_code(void **state)
{
    (void)state;
    static const char raw[] = "{\"text\": 12}";
    for (int c = ED_ERR_INVALID_UTF8; c < ED_ERR__COUNT; c++) {
        ed_record rec;
        char msg[64];
        snprintf(msg, sizeof msg, "message for %s", ed_errcode_name((ed_errcode)c));
        assert_int_equal(ed_record_error(&rec, NULL, (ed_errcode)c, msg, S(raw), "enrichd-1", T0),
                         0);
        assert_string_equal(rec.topic, "error");
        assert_int_equal(rec.len, strlen(rec.json));
        json_t *r = finish(&rec, 7);
        assert_key_order(r, ERROR_KEYS, sizeof ERROR_KEYS / sizeof ERROR_KEYS[0]);
        assert_string_equal(str_of(r, "schema"), "enrichd.error/1");
        char id[33];
        ed_hash_id(S(raw), id);
        assert_string_equal(str_of(r, "id"), id);
        assert_string_equal(str_of(r, "instance"), "enrichd-1");
        assert_string_equal(str_of(r, "received"), "2025-11-26T10:00:00.123Z");
        assert_true(json_is_null(json_object_get(r, "url")));
        assert_true(json_is_null(json_object_get(r, "source")));
        assert_true(json_is_null(json_object_get(r, "meta")));
        json_t *e = json_object_get(r, "error");
        assert_string_equal(str_of(e, "code"), ed_errcode_name((ed_errcode)c));
        assert_string_equal(str_of(e, "message"), msg);
        assert_int_equal(json_object_size(e), 2);
        assert_int_equal(json_integer_value(json_object_get(r, "bytes")), sizeof raw - 1);
        assert_string_equal(str_of(r, "head"), raw);
        json_decref(r);
        ed_record_release(&rec);
        assert_null(rec.json);
    }
}

/* The error record of a real failed parse: its message and id travel as they are. */
static void test_error_record_from_parse(void **state)
{
    (void)state;
    static const char frame[] = "{\"id\":\"dep-9\",\"text\":\"   \"}";
    ed_envelope env;
    char err[256];
    ed_errcode code = ed_envelope_parse(S(frame), 0, &env, err, sizeof err);
    assert_int_equal(code, ED_ERR_EMPTY);
    ed_record rec;
    assert_int_equal(ed_record_error(&rec, &env, code, err, S(frame), "enrichd-1", T0), 0);
    json_t *r = finish(&rec, 1);
    assert_string_equal(str_of(r, "id"), "dep-9");
    assert_string_equal(str_of(json_object_get(r, "error"), "code"), "empty");
    assert_string_equal(str_of(json_object_get(r, "error"), "message"), err);
    json_decref(r);
    ed_record_release(&rec);

    /* message NULL: the code name stands in */
    assert_int_equal(ed_record_error(&rec, &env, ED_ERR_INTERNAL, NULL, NULL, 0, "i", T0), 0);
    r = finish(&rec, 2);
    assert_string_equal(str_of(json_object_get(r, "error"), "message"), "internal");
    assert_int_equal(json_integer_value(json_object_get(r, "bytes")), 0);
    assert_string_equal(str_of(r, "head"), "");
    json_decref(r);
    ed_record_release(&rec);
}

/* An error after a good parse (an extraction failure) echoes url, source and meta. */
static void test_error_record_echoes_parsed_envelope(void **state)
{
    (void)state;
    static const char frame[] = "{\"id\":\"a1\",\"text\":\"Le vote.\",\"url\":\"https://ex.org/1\","
                                "\"source\":\"Exemple\",\"meta\":{\"desk\":\"eco\"}}";
    ed_envelope env;
    char err[256];
    assert_int_equal(ed_envelope_parse(S(frame), 0, &env, err, sizeof err), ED_ERR_NONE);
    ed_record rec;
    assert_int_equal(ed_record_error(&rec, &env, ED_ERR_INTERNAL, "stage failed", S(frame),
                                     "enrichd-1", T0),
                     0);
    ed_envelope_release(&env); /* the record owns its text: env may go first */
    json_t *r = finish(&rec, 3);
    assert_string_equal(str_of(r, "id"), "a1");
    assert_string_equal(str_of(r, "url"), "https://ex.org/1");
    assert_string_equal(str_of(r, "source"), "Exemple");
    assert_string_equal(str_of(json_object_get(r, "meta"), "desk"), "eco");
    json_decref(r);
    ed_record_release(&rec);
}

static void test_error_head_escaping(void **state)
{
    (void)state;
    ed_record rec;
    /* Latin-1 bytes: each invalid byte becomes the text \xNN */
    static const char latin1[] = "Caf\xE9 cr\xE8me \xFF";
    assert_int_equal(ed_record_error(&rec, NULL, ED_ERR_INVALID_UTF8, "bad", S(latin1), "i", T0),
                     0);
    assert_non_null(strstr(rec.json, "\"head\":\"Caf\\\\xE9 cr\\\\xE8me \\\\xFF\""));
    json_t *r = finish(&rec, 1);
    assert_string_equal(str_of(r, "head"), "Caf\\xE9 cr\\xE8me \\xFF");
    assert_int_equal(json_integer_value(json_object_get(r, "bytes")), sizeof latin1 - 1);
    json_decref(r);
    ed_record_release(&rec);

    /* input that ends mid-character: the stray lead byte is escaped */
    assert_int_equal(ed_record_error(&rec, NULL, ED_ERR_INVALID_UTF8, "bad", S("d\xC3\xA9j\xC3"),
                                     "i", T0),
                     0);
    r = finish(&rec, 1);
    assert_string_equal(str_of(r, "head"), "d\xC3\xA9j\\xC3");
    json_decref(r);
    ed_record_release(&rec);

    /* overlong, surrogate and NUL bytes become \xNN text; quote and backslash are JSON-escaped */
    assert_int_equal(ed_record_error(&rec, NULL, ED_ERR_INVALID_UTF8, "bad",
                                     S("a\xC0\xAF" "b\xED\xA0\x80" "c\0d\"e\\"), "i", T0),
                     0);
    assert_true(ed_utf8_valid(rec.json, rec.len));
    r = finish(&rec, 1);
    assert_string_equal(str_of(r, "head"), "a\\xC0\\xAFb\\xED\\xA0\\x80c\\x00d\"e\\");
    json_decref(r);
    ed_record_release(&rec);

    /* a message with invalid UTF-8 (e.g. quoting the input) is escaped the same way */
    assert_int_equal(ed_record_error(&rec, NULL, ED_ERR_INVALID_JSON, "near '\xE9t\xE9'",
                                     S("x"), "i", T0),
                     0);
    r = finish(&rec, 1);
    assert_string_equal(str_of(json_object_get(r, "error"), "message"), "near '\\xE9t\\xE9'");
    json_decref(r);
    ed_record_release(&rec);
}

static void test_error_head_cut_at_256(void **state)
{
    (void)state;
    char raw[400];
    ed_record rec;
    json_t *r;

    /* ASCII: exactly 256 bytes kept; bytes counts everything */
    memset(raw, 'a', sizeof raw);
    assert_int_equal(ed_record_error(&rec, NULL, ED_ERR_TOO_LARGE, "big", raw, sizeof raw, "i", T0),
                     0);
    r = finish(&rec, 1);
    assert_int_equal(strlen(str_of(r, "head")), 256);
    assert_int_equal(json_integer_value(json_object_get(r, "bytes")), 400);
    json_decref(r);
    ed_record_release(&rec);

    /* "é" on bytes 255..256 straddles the cut: left out whole, not escaped */
    memset(raw, 'a', sizeof raw);
    raw[255] = (char)0xC3;
    raw[256] = (char)0xA9;
    assert_int_equal(ed_record_error(&rec, NULL, ED_ERR_TOO_LARGE, "big", raw, sizeof raw, "i", T0),
                     0);
    r = finish(&rec, 1);
    assert_int_equal(strlen(str_of(r, "head")), 255);
    assert_null(strchr(str_of(r, "head"), '\\'));
    json_decref(r);
    ed_record_release(&rec);

    /* "é" on bytes 254..255 ends at the cut: kept */
    memset(raw, 'a', sizeof raw);
    raw[254] = (char)0xC3;
    raw[255] = (char)0xA9;
    assert_int_equal(ed_record_error(&rec, NULL, ED_ERR_TOO_LARGE, "big", raw, sizeof raw, "i", T0),
                     0);
    r = finish(&rec, 1);
    assert_int_equal(strlen(str_of(r, "head")), 256);
    assert_memory_equal(str_of(r, "head") + 254, "\xC3\xA9", 2);
    json_decref(r);
    ed_record_release(&rec);

    /* a 4-byte emoji across the cut (bytes 254..257) */
    memset(raw, 'a', sizeof raw);
    memcpy(raw + 254, "\xF0\x9F\x98\x80", 4);
    assert_int_equal(ed_record_error(&rec, NULL, ED_ERR_TOO_LARGE, "big", raw, sizeof raw, "i", T0),
                     0);
    r = finish(&rec, 1);
    assert_int_equal(strlen(str_of(r, "head")), 254);
    json_decref(r);
    ed_record_release(&rec);

    /* all invalid: 256 input bytes become 256 escapes */
    memset(raw, 0xFF, sizeof raw);
    assert_int_equal(ed_record_error(&rec, NULL, ED_ERR_INVALID_UTF8, "bad", raw, sizeof raw, "i",
                                     T0),
                     0);
    r = finish(&rec, 1);
    assert_int_equal(strlen(str_of(r, "head")), 256 * 4);
    json_decref(r);
    ed_record_release(&rec);
}

/* ---- seq splice --------------------------------------------------------------------------------- */

static void test_seq_splice(void **state)
{
    (void)state;
    ed_record rec;
    assert_int_equal(ed_record_error(&rec, NULL, ED_ERR_EMPTY, "blank", S("  "), "x", T0), 0);
    const char *body = rec.json + rec.seq_at;
    assert_true(strncmp(body, "\"received\":", 11) == 0);
    assert_true(rec.seq_at > 0 && rec.json[rec.seq_at - 1] == ',');

    size_t len;
    char *out = ed_record_with_seq(&rec, 42, &len);
    assert_non_null(out);
    assert_non_null(strstr(out, ",\"instance\":\"x\",\"seq\":42,\"received\":\"2025-11-26T10:00:00.123Z\""));
    assert_int_equal(len, rec.len + strlen("\"seq\":42,"));
    free(out);

    out = ed_record_with_seq(&rec, 0, NULL);
    assert_non_null(strstr(out, "\"instance\":\"x\",\"seq\":0,\"received\""));
    free(out);
    out = ed_record_with_seq(&rec, UINT64_MAX, &len);
    assert_non_null(strstr(out, "\"seq\":18446744073709551615,\"received\""));
    free(out);

    /* the record without seq is itself valid JSON (seq goes between two keys) */
    json_error_t jerr;
    json_t *bare = json_loads(rec.json, 0, &jerr);
    assert_non_null(bare);
    assert_null(json_object_get(bare, "seq"));
    json_decref(bare);

    /* a bad seq_at is refused, not trusted */
    ed_record bad = rec;
    bad.seq_at = rec.len + 1;
    assert_null(ed_record_with_seq(&bad, 1, &len));
    ed_record_release(&rec);
    ed_record_release(&rec);
    assert_null(ed_record_with_seq(&rec, 1, &len));
}

/* Escapes in id and instance move seq_at: the splice must still land between instance and
 * received. */
static void test_seq_splice_after_escaped_strings(void **state)
{
    (void)state;
    static const char frame[] = "{\"id\":\"a\\\"b\\\\c\\u00e9\\n\\u2028\",\"text\":\"x y\"}";
    ed_envelope env;
    char err[256];
    assert_int_equal(ed_envelope_parse(S(frame), 0, &env, err, sizeof err), ED_ERR_NONE);
    ed_record rec;
    assert_int_equal(ed_record_error(&rec, &env, ED_ERR_INTERNAL, "x", S(frame),
                                     "nœud \"2\"\t/", T0),
                     0);
    ed_envelope_release(&env);
    json_t *r = finish(&rec, 99);
    assert_string_equal(str_of(r, "id"), "a\"b\\c\xC3\xA9\n\xE2\x80\xA8");
    assert_string_equal(str_of(r, "instance"), "nœud \"2\"\t/");
    assert_key_order(r, ERROR_KEYS, sizeof ERROR_KEYS / sizeof ERROR_KEYS[0]);
    json_decref(r);
    ed_record_release(&rec);
}

/* The writer against jansson's reader: echoed values come back equal, reals are short. */
static void test_echo_fidelity(void **state)
{
    (void)state;
    static const char frame[] =
        "{\"text\":\"x y\",\"url\":[1,-2,9223372036854775807,-9223372036854775808,0.5,-0.0,"
        "5.0,1e300,2.5e-8,true,false,null,\"\",[],{}],"
        "\"source\":{\"nom\":\"Agence \\\"France\\\"\",\"clé\":\"tab\\there\\u0001\\u001f\\\\ /\\u2028\"},"
        "\"meta\":{\"a\":{\"b\":{\"c\":[[[\"d\u00e9\\u0000e\"]]]}},\"k\\u00e9k\":1,\"\":2}}";
    ed_envelope env;
    char err[256];
    assert_int_equal(ed_envelope_parse(S(frame), 0, &env, err, sizeof err), ED_ERR_NONE);
    ed_record rec;
    assert_int_equal(ed_record_error(&rec, &env, ED_ERR_INTERNAL, "x", S(frame), "i", T0), 0);
    char *line = ed_record_with_seq(&rec, 5, NULL);
    json_error_t jerr;
    json_t *r = json_loads(line, JSON_ALLOW_NUL | JSON_REJECT_DUPLICATES, &jerr);
    if (r == NULL)
        fail_msg("%s: %s", jerr.text, line);
    assert_true(json_equal(json_object_get(r, "url"), env.url));
    assert_true(json_equal(json_object_get(r, "source"), env.source));
    assert_true(json_equal(json_object_get(r, "meta"), env.meta));
    assert_non_null(strstr(line, "[1,-2,9223372036854775807,-9223372036854775808,0.5,-0.0,5.0,"
                                 "1e+300,2.5e-08,true,false,null,\"\",[],{}]"));
    assert_non_null(strstr(line, "\"tab\\there\\u0001\\u001f\\\\ /\xE2\x80\xA8\""));
    json_decref(r);
    free(line);
    ed_envelope_release(&env);
    ed_record_release(&rec);

    /* 15 significant digits: 0.1 + 0.2 is written 0.3 */
    assert_int_equal(ed_envelope_parse(S("{\"text\":\"x y\",\"meta\":0.30000000000000004}"), 0,
                                       &env, err, sizeof err),
                     ED_ERR_NONE);
    assert_int_equal(ed_record_error(&rec, &env, ED_ERR_INTERNAL, "x", S("x"), "i", T0), 0);
    assert_non_null(strstr(rec.json, "\"meta\":0.3,"));
    ed_envelope_release(&env);
    ed_record_release(&rec);

    /* the largest doubles read back (15 digits would round DBL_MAX up past it; fuzz_envelope) */
    static const char big[] = "{\"text\":\"x\",\"meta\":[1.7976931348623157e308,"
                              "-1.7976931348623157e308,1.797693134862315e308,1e308]}";
    assert_int_equal(ed_envelope_parse(S(big), 0, &env, err, sizeof err), ED_ERR_NONE);
    assert_int_equal(ed_record_error(&rec, &env, ED_ERR_INTERNAL, "x", S(big), "i", T0), 0);
    line = ed_record_with_seq(&rec, 6, NULL);
    r = json_loads(line, 0, &jerr);
    if (r == NULL)
        fail_msg("%s: %s", jerr.text, line);
    assert_true(json_equal(json_object_get(r, "meta"), env.meta));
    json_decref(r);
    free(line);
    ed_envelope_release(&env);
    ed_record_release(&rec);
}

/* ---- article records ---------------------------------------------------------------------------- */

static const char *const ARTICLE_HEAD_KEYS[] = {"schema", "id", "instance", "seq", "received",
                                                "url", "source", "meta", "lang"};

/* Parses frame, extracts it, builds the article record. Returns the parsed record with seq. */
static json_t *article_of(const char *frame, size_t len, ed_record *rec_out)
{
    if (g_res == NULL)
        skip();
    ed_envelope env;
    char err[EX_ERRLEN];
    ed_errcode code = ed_envelope_parse(frame, len, 0, &env, err, sizeof err);
    if (code != ED_ERR_NONE)
        fail_msg("parse failed: %s", err);
    ex_input in = {.text = env.text,
                   .text_len = env.text_len,
                   .lang_hint = env.lang,
                   .published = env.published,
                   .title = env.title,
                   .received_ms = T0};
    ex_doc *doc = NULL;
    ex_status st = ex_extract(g_res, &in, &doc, err, sizeof err);
    if (st != EX_OK)
        fail_msg("ex_extract failed: %s", err);
    ed_record rec;
    assert_int_equal(ed_record_article(&rec, &env, doc, "enrichd-1", T0), 0);
    json_t *ref = ex_doc_to_json(doc);
    assert_non_null(ref);
    ex_doc_free(doc);
    ed_envelope_release(&env); /* the record stands alone */
    json_t *r = finish(&rec, 42);
    /* every document field is in the record, equal (authors and warnings may gain items) */
    const char *key;
    json_t *v;
    json_object_foreach(ref, key, v) {
        if (strcmp(key, "authors") == 0 || strcmp(key, "warnings") == 0)
            continue;
        if (!json_equal(v, json_object_get(r, key)))
            fail_msg("record field '%s' differs from ex_doc_to_json", key);
    }
    json_decref(ref);
    if (rec_out)
        *rec_out = rec;
    else
        ed_record_release(&rec);
    return r;
}

static void test_article_record_envelope(void **state)
{
    (void)state;
    static const char frame[] =
        "{\"id\":\"afp-77\",\"lang\":\"fr\",\"published\":\"2023-11-20\","
        "\"url\":\"https://example.org/eco/77\",\"source\":{\"name\":\"Exemple\"},"
        "\"meta\":{\"desk\":\"éco\",\"n\":[1,2]},\"authors\":[\"Jeanne Martin\",3,\"\"],"
        "\"text\":\"Le gouvernement a présenté mercredi son budget pour 2024. « Nous tenons "
        "nos engagements », a déclaré le ministre.\\n\\nLe déficit devrait atteindre 4,4 % "
        "du PIB l’an prochain.\"}";
    ed_record rec;
    json_t *r = article_of(S(frame), &rec);

    /* key order: the record's own fields, then the document's from "lang" on */
    size_t i = 0;
    const char *key;
    json_t *v;
    json_object_foreach(r, key, v) {
        (void)v;
        if (i < sizeof ARTICLE_HEAD_KEYS / sizeof ARTICLE_HEAD_KEYS[0])
            assert_string_equal(key, ARTICLE_HEAD_KEYS[i]);
        i++;
    }
    assert_true(i > 20);
    assert_string_equal(str_of(r, "schema"), "enrichd.article/1");
    assert_string_equal(str_of(r, "id"), "afp-77");
    assert_string_equal(str_of(r, "instance"), "enrichd-1");
    assert_int_equal(json_integer_value(json_object_get(r, "seq")), 42);
    assert_string_equal(str_of(r, "received"), "2025-11-26T10:00:00.123Z");
    assert_string_equal(str_of(r, "url"), "https://example.org/eco/77");
    assert_string_equal(str_of(json_object_get(r, "source"), "name"), "Exemple");
    assert_string_equal(str_of(json_object_get(r, "meta"), "desk"), "éco");
    assert_int_equal(json_array_size(json_object_get(json_object_get(r, "meta"), "n")), 2);
    assert_string_equal(str_of(r, "lang"), "fr");
    assert_string_equal(rec.topic, "article.fr");

    /* the envelope's authors fill in (only their non-empty strings) */
    json_t *authors = json_object_get(r, "authors");
    assert_int_equal(json_array_size(authors), 1);
    assert_string_equal(json_string_value(json_array_get(authors, 0)), "Jeanne Martin");

    /* UTF-8 is kept, not \u-escaped; reals are short */
    assert_non_null(strstr(rec.json, "présenté"));
    assert_null(strstr(rec.json, "\\u00e9"));
    assert_null(strstr(rec.json, "99999999"));
    assert_null(strstr(rec.json, "00000001"));
    assert_non_null(strstr(rec.json, "\"instance\":\"enrichd-1\",\"received\":"));
    /* the text is the document's */
    assert_non_null(strstr(str_of(r, "text"), "Nous tenons nos engagements"));
    assert_true(json_is_object(json_object_get(r, "stats")));
    json_decref(r);
    ed_record_release(&rec);
}

static void test_article_record_raw_text(void **state)
{
    (void)state;
    static const char frame[] = "The central bank raised its key rate on Thursday to 5.25%, "
                                "its highest level in 22 years, the governor said.\n\nMarkets had "
                                "expected the move.";
    ed_record rec;
    json_t *r = article_of(S(frame), &rec);
    char id[33];
    ed_hash_id(S(frame), id);
    assert_string_equal(str_of(r, "id"), id);
    assert_true(json_is_null(json_object_get(r, "url")));
    assert_true(json_is_null(json_object_get(r, "source")));
    assert_true(json_is_null(json_object_get(r, "meta")));
    assert_int_equal(json_array_size(json_object_get(r, "authors")), 0);
    char topic[16];
    snprintf(topic, sizeof topic, "article.%s", str_of(r, "lang"));
    assert_string_equal(rec.topic, topic);
    assert_true(strcmp(rec.topic, "article.en") == 0 || strcmp(rec.topic, "article.und") == 0);
    json_decref(r);
    ed_record_release(&rec);
}

static void test_article_record_authors_rules(void **state)
{
    (void)state;
    /* a single string becomes a one-item list */
    json_t *r = article_of(S("{\"authors\":\"Paul Durand\",\"text\":\"Les salariés de l’usine "
                             "ont voté la grève jeudi soir.\"}"),
                           NULL);
    json_t *authors = json_object_get(r, "authors");
    assert_int_equal(json_array_size(authors), 1);
    assert_string_equal(json_string_value(json_array_get(authors, 0)), "Paul Durand");
    json_decref(r);

    /* an unusable shape is ignored with a warning */
    r = article_of(S("{\"authors\":{\"name\":\"Paul Durand\"},\"text\":\"Les salariés de "
                     "l’usine ont voté la grève jeudi soir.\"}"),
                   NULL);
    assert_int_equal(json_array_size(json_object_get(r, "authors")), 0);
    json_t *warnings = json_object_get(r, "warnings");
    int found = 0;
    for (size_t i = 0; i < json_array_size(warnings); i++)
        found |= strstr(json_string_value(json_array_get(warnings, i)), "authors") != NULL;
    assert_true(found);
    json_decref(r);

    /* an empty list is no warning */
    r = article_of(S("{\"authors\":[],\"text\":\"Les salariés ont voté la grève.\"}"), NULL);
    warnings = json_object_get(r, "warnings");
    for (size_t i = 0; i < json_array_size(warnings); i++)
        assert_null(strstr(json_string_value(json_array_get(warnings, i)), "authors"));
    json_decref(r);
}

static void test_article_record_seq_splices(void **state)
{
    (void)state;
    ed_record rec;
    json_t *r = article_of(S("{\"id\":\"s\\\"1\",\"text\":\"Le vote a eu lieu hier.\"}"), &rec);
    json_decref(r);
    for (uint64_t seq = 1; seq < 2000; seq = seq * 3 + 1) {
        json_t *again = finish(&rec, seq);
        assert_string_equal(str_of(again, "id"), "s\"1");
        json_decref(again);
    }
    ed_record_release(&rec);
}

static void test_article_record_bad_arguments(void **state)
{
    (void)state;
    ed_record rec;
    ed_envelope env;
    memset(&env, 0, sizeof env);
    assert_int_equal(ed_record_article(&rec, &env, NULL, "i", T0), -1);
    assert_null(rec.json);
    assert_int_equal(ed_record_article(&rec, NULL, NULL, "i", T0), -1);
}

static int setup_resources(void **state)
{
    (void)state;
    const char *data = getenv("ENRICHD_DATA");
    if (data == NULL || data[0] == '\0')
        return 0; /* article tests skip */
    char err[EX_ERRLEN];
    g_res = ex_resources_load(data, NULL, err, sizeof err);
    if (g_res == NULL) {
        fprintf(stderr, "cannot load resources from %s: %s\n", data, err);
        return -1;
    }
    return 0;
}

static int teardown_resources(void **state)
{
    (void)state;
    ex_resources_unref(g_res);
    g_res = NULL;
    return 0;
}

static void test_errcode_of_status(void **state)
{
    (void)state;
    assert_int_equal(ed_errcode_of_status(EX_EEMPTY), ED_ERR_EMPTY);
    assert_int_equal(ed_errcode_of_status(EX_EINVAL_UTF8), ED_ERR_INVALID_UTF8);
    assert_int_equal(ed_errcode_of_status(EX_ENOMEM), ED_ERR_INTERNAL);
    assert_int_equal(ed_errcode_of_status(EX_EINTERNAL), ED_ERR_INTERNAL);
}

int main(void)
{
    const char *data = getenv("ENRICHD_DATA");
    if (data == NULL || data[0] == '\0') {
        printf("SKIP: ENRICHD_DATA absent (article records need the language packs)\n");
        return 77;
    }
    const char *dump = getenv("ENRICHD_RECORD_DUMP");
    if (dump && dump[0]) {
        g_dump = fopen(dump, "w");
        if (g_dump == NULL) {
            perror(dump);
            return 1;
        }
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errcode_of_status),
        cmocka_unit_test(test_format_time),
        cmocka_unit_test(test_error_record_every_code),
        cmocka_unit_test(test_error_record_from_parse),
        cmocka_unit_test(test_error_record_echoes_parsed_envelope),
        cmocka_unit_test(test_error_head_escaping),
        cmocka_unit_test(test_error_head_cut_at_256),
        cmocka_unit_test(test_seq_splice),
        cmocka_unit_test(test_seq_splice_after_escaped_strings),
        cmocka_unit_test(test_echo_fidelity),
        cmocka_unit_test(test_article_record_envelope),
        cmocka_unit_test(test_article_record_raw_text),
        cmocka_unit_test(test_article_record_authors_rules),
        cmocka_unit_test(test_article_record_seq_splices),
        cmocka_unit_test(test_article_record_bad_arguments),
    };
    int failed = cmocka_run_group_tests(tests, setup_resources, teardown_resources);
    if (g_dump)
        fclose(g_dump);
    return failed;
}
