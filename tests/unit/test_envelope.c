/*
 * test_envelope.c — unit tests of proto/envelope.c: error code names, the strict UTF-8 checker,
 * the BLAKE2b-128 id, and ed_envelope_parse on raw text and JSON envelopes (every error code,
 * the order of the checks, field types, ids, BOM and blanks, NUL characters).
 * May touch: nothing but its own memory. Fixture sentences are written for these tests.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "envelope.h"

#define S(lit) lit, sizeof(lit) - 1 /* a string literal as (bytes, len) */

static const char FR_TEXT[] = "Le ministre de l’Économie a présenté mardi un budget en hausse "
                              "de 3,5 %, « sans nouvel impôt », a-t-il assuré.";

/* Parses bytes and checks the code; returns it. On success the caller releases env. */
static ed_errcode parse(const char *bytes, size_t len, size_t max, ed_envelope *env, char *err,
                        size_t errlen)
{
    memset(env, 0x5A, sizeof *env); /* garbage in: parse must not rely on a zeroed env */
    return ed_envelope_parse(bytes, len, max, env, err, errlen);
}

static int is_hex32(const char *s)
{
    if (strlen(s) != 32)
        return 0;
    for (size_t i = 0; i < 32; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return 0;
    return 1;
}

/* ---- names, UTF-8, hash ------------------------------------------------------------------------ */

static void test_errcode_names(void **state)
{
    (void)state;
    assert_string_equal(ed_errcode_name(ED_ERR_NONE), "none");
    assert_string_equal(ed_errcode_name(ED_ERR_INVALID_UTF8), "invalid_utf8");
    assert_string_equal(ed_errcode_name(ED_ERR_INVALID_JSON), "invalid_json");
    assert_string_equal(ed_errcode_name(ED_ERR_MISSING_TEXT), "missing_text");
    assert_string_equal(ed_errcode_name(ED_ERR_EMPTY), "empty");
    assert_string_equal(ed_errcode_name(ED_ERR_TOO_LARGE), "too_large");
    assert_string_equal(ed_errcode_name(ED_ERR_BAD_FRAMES), "bad_frames");
    assert_string_equal(ed_errcode_name(ED_ERR_INTERNAL), "internal");
    assert_string_equal(ed_errcode_name(ED_ERR__COUNT), "internal");
    assert_string_equal(ed_errcode_name((ed_errcode)-1), "internal");
}

static void test_utf8_valid_sequences(void **state)
{
    (void)state;
    assert_true(ed_utf8_valid(S("")));
    assert_true(ed_utf8_valid(NULL, 0));
    assert_true(ed_utf8_valid(S("plain ASCII sentence, long enough for the 8-byte path.")));
    assert_true(ed_utf8_valid(FR_TEXT, strlen(FR_TEXT)));
    assert_true(ed_utf8_valid(S("\xC2\x80")));             /* U+0080, smallest 2-byte */
    assert_true(ed_utf8_valid(S("\xDF\xBF")));             /* U+07FF */
    assert_true(ed_utf8_valid(S("\xE0\xA0\x80")));         /* U+0800, smallest 3-byte */
    assert_true(ed_utf8_valid(S("\xED\x9F\xBF")));         /* U+D7FF, just below surrogates */
    assert_true(ed_utf8_valid(S("\xEE\x80\x80")));         /* U+E000, just above */
    assert_true(ed_utf8_valid(S("\xEF\xBF\xBF")));         /* U+FFFF */
    assert_true(ed_utf8_valid(S("\xF0\x90\x80\x80")));     /* U+10000 */
    assert_true(ed_utf8_valid(S("\xF4\x8F\xBF\xBF")));     /* U+10FFFF */
    assert_true(ed_utf8_valid(S("Prix : 12\xE2\x82\xAC, ok \xF0\x9F\x98\x80")));
    assert_true(ed_utf8_valid(S("a\0b"))); /* NUL is valid UTF-8; the envelope rejects it */
}

static void test_utf8_invalid_sequences(void **state)
{
    (void)state;
    assert_false(ed_utf8_valid(S("\x80")));                 /* lone continuation */
    assert_false(ed_utf8_valid(S("\xBF")));
    assert_false(ed_utf8_valid(S("\xC0\xAF")));             /* overlong '/' */
    assert_false(ed_utf8_valid(S("\xC1\xBF")));             /* overlong */
    assert_false(ed_utf8_valid(S("\xE0\x80\xAF")));         /* overlong 3-byte */
    assert_false(ed_utf8_valid(S("\xE0\x9F\xBF")));         /* overlong U+07FF */
    assert_false(ed_utf8_valid(S("\xF0\x80\x80\xAF")));     /* overlong 4-byte */
    assert_false(ed_utf8_valid(S("\xF0\x8F\xBF\xBF")));     /* overlong U+FFFF */
    assert_false(ed_utf8_valid(S("\xED\xA0\x80")));         /* surrogate U+D800 */
    assert_false(ed_utf8_valid(S("\xED\xBF\xBF")));         /* surrogate U+DFFF */
    assert_false(ed_utf8_valid(S("\xF4\x90\x80\x80")));     /* U+110000 */
    assert_false(ed_utf8_valid(S("\xF5\x80\x80\x80")));
    assert_false(ed_utf8_valid(S("\xFE")));
    assert_false(ed_utf8_valid(S("\xFF")));
    assert_false(ed_utf8_valid(S("\xC3")));                 /* truncated at the end */
    assert_false(ed_utf8_valid(S("\xE2\x82")));
    assert_false(ed_utf8_valid(S("\xF0\x9F\x98")));
    assert_false(ed_utf8_valid(S("\xC3\x28")));             /* bad continuation */
    assert_false(ed_utf8_valid(S("\xE2\x28\xA1")));
    assert_false(ed_utf8_valid(S("\xE2\x82\x28")));
    assert_false(ed_utf8_valid(S("\xF0\x9F\x28\x80")));
    /* the length given is what counts, not a NUL */
    assert_false(ed_utf8_valid("\xC3\xA9", 1));
    assert_true(ed_utf8_valid("\xC3\xA9\xFF", 2));
}

/* A bad byte at every position of a long ASCII run (exercises the 8-byte fast path edges). */
static void test_utf8_bad_byte_at_every_position(void **state)
{
    (void)state;
    char buf[67];
    for (size_t pos = 0; pos < sizeof buf; pos++) {
        memset(buf, 'a', sizeof buf);
        buf[pos] = (char)0x80;
        assert_false(ed_utf8_valid(buf, sizeof buf));
        /* a valid é there instead is fine when it fits */
        if (pos + 1 < sizeof buf) {
            buf[pos] = (char)0xC3;
            buf[pos + 1] = (char)0xA9;
            assert_true(ed_utf8_valid(buf, sizeof buf));
            /* ... and truncated when cut just after its lead byte */
            assert_false(ed_utf8_valid(buf, pos + 1));
        }
    }
}

static void test_hash_id_known_values(void **state)
{
    (void)state;
    char id[33];
    /* BLAKE2b with a 16-byte digest, unkeyed (Python: hashlib.blake2b(x, digest_size=16)) */
    ed_hash_id("", 0, id);
    assert_string_equal(id, "cae66941d9efbd404e4d88758ea67670");
    ed_hash_id(NULL, 0, id);
    assert_string_equal(id, "cae66941d9efbd404e4d88758ea67670");
    ed_hash_id("abc", 3, id);
    assert_string_equal(id, "cf4ab791c62b8d2b2109c90275287816");
    ed_hash_id(S("Le ministre a d\xC3\xA9menti."), id);
    assert_string_equal(id, "551891c904537f2d930c80bb63f4440e");
    assert_true(is_hex32(id));
    char again[33];
    ed_hash_id(S("Le ministre a d\xC3\xA9menti."), again);
    assert_string_equal(id, again);
    ed_hash_id(S("Le ministre a d\xC3\xA9menti "), again);
    assert_string_not_equal(id, again);
}

/* ---- raw text ----------------------------------------------------------------------------------- */

static void test_raw_text(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    assert_int_equal(parse(FR_TEXT, strlen(FR_TEXT), 0, &env, err, sizeof err), ED_ERR_NONE);
    assert_string_equal(err, "");
    assert_null(env.root);
    assert_ptr_equal(env.text, FR_TEXT); /* not copied */
    assert_int_equal(env.text_len, strlen(FR_TEXT));
    assert_int_equal(env.id_given, 0);
    assert_true(is_hex32(env.id));
    char expect[33];
    ed_hash_id(FR_TEXT, strlen(FR_TEXT), expect);
    assert_string_equal(env.id, expect);
    assert_null(env.lang);
    assert_null(env.published);
    assert_null(env.title);
    assert_null(env.url);
    assert_null(env.source);
    assert_null(env.authors);
    assert_null(env.meta);
    ed_envelope_release(&env);
    ed_envelope_release(&env); /* twice is harmless */
}

static void test_raw_text_not_json(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    /* only '{' makes an envelope: a leading '[' or '"' is prose */
    assert_int_equal(parse(S("[Exclusif] Le ministre démissionne."), 0, &env, err, sizeof err),
                     ED_ERR_NONE);
    assert_null(env.root);
    assert_int_equal(env.text_len, strlen("[Exclusif] Le ministre démissionne."));
    ed_envelope_release(&env);
    assert_int_equal(parse(S("\"Nous irons jusqu'au bout\", dit-elle."), 0, &env, err,
                           sizeof err),
                     ED_ERR_NONE);
    assert_null(env.root);
    ed_envelope_release(&env);
    /* a whole JSON array or string is JSON that is not an object: rejected */
    assert_int_equal(parse(S("[{\"text\": \"Le maire a parlé.\"}]\n"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_non_null(strstr(err, "must be an object"));
    assert_non_null(strstr(err, "array"));
    assert_int_equal(parse(S("  \"Le maire a parlé.\""), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_non_null(strstr(err, "string"));
    /* brackets that do not parse as JSON are prose */
    assert_int_equal(parse(S("[Mise à jour] Le maire a parlé. [Photo]"), 0, &env, err, sizeof err),
                     ED_ERR_NONE);
    ed_envelope_release(&env);
    /* leading blanks are part of the raw text (the text stage trims them) */
    assert_int_equal(parse(S("\n\n  The minister resigned."), 0, &env, err, sizeof err),
                     ED_ERR_NONE);
    assert_int_equal(env.text_len, strlen("\n\n  The minister resigned."));
    ed_envelope_release(&env);
}

static void test_raw_text_bom_is_dropped(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    static const char frame[] = "\xEF\xBB\xBFLa séance est levée.";
    assert_int_equal(parse(S(frame), 0, &env, err, sizeof err), ED_ERR_NONE);
    assert_ptr_equal(env.text, frame + 3);
    assert_int_equal(env.text_len, sizeof frame - 1 - 3);
    char expect[33];
    ed_hash_id(S("La séance est levée."), expect);
    assert_string_equal(env.id, expect); /* same id as without the BOM */
    ed_envelope_release(&env);
}

static void test_raw_invalid_utf8(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    static const char frame[] = "Le d\xE9" "ficit atteint 5 %."; /* Latin-1 é */
    assert_int_equal(parse(S(frame), 0, &env, err, sizeof err), ED_ERR_INVALID_UTF8);
    assert_string_equal(err, "invalid UTF-8 at byte 4 (0xE9)");
    char expect[33];
    ed_hash_id(S(frame), expect);
    assert_string_equal(env.id, expect); /* names the raw bytes */
    assert_int_equal(env.id_given, 0);
    assert_null(env.root);
    assert_null(env.text);
    ed_envelope_release(&env);
}

static void test_raw_nul_is_rejected(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    assert_int_equal(parse(S("Le vote\0 a eu lieu."), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_UTF8);
    assert_non_null(strstr(err, "NUL"));
    assert_non_null(strstr(err, "byte 7"));
}

static void test_raw_empty_and_blank(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    assert_int_equal(parse("", 0, 0, &env, err, sizeof err), ED_ERR_EMPTY);
    assert_string_equal(err, "text is empty or white space only (0 bytes)");
    assert_string_equal(env.id, "cae66941d9efbd404e4d88758ea67670");
    assert_int_equal(parse(NULL, 0, 0, &env, err, sizeof err), ED_ERR_EMPTY);
    assert_int_equal(parse(S(" \t\r\n\v\f "), 0, &env, err, sizeof err), ED_ERR_EMPTY);
    /* NBSP, narrow NBSP, em space, ideographic space, zero-width space, BOM, line separator */
    assert_int_equal(parse(S("\xC2\xA0\xE2\x80\xAF\xE2\x80\x83\xE3\x80\x80\xE2\x80\x8B"
                             "\xEF\xBB\xBF\xE2\x80\xA8\n"),
                           0, &env, err, sizeof err),
                     ED_ERR_EMPTY);
    assert_int_equal(parse(S("\xEF\xBB\xBF"), 0, &env, err, sizeof err), ED_ERR_EMPTY);
    /* one visible character is enough */
    assert_int_equal(parse(S("\xC2\xA0 \xE2\x80\x94 "), 0, &env, err, sizeof err), ED_ERR_NONE);
    ed_envelope_release(&env);
    assert_int_equal(parse(S("\xE3\x80\x80\xF0\x9F\x98\x80"), 0, &env, err, sizeof err),
                     ED_ERR_NONE);
    ed_envelope_release(&env);
}

/* ---- size limit --------------------------------------------------------------------------------- */

static void test_too_large(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    size_t n = 3 * 1024 * 1024;
    char *big = malloc(n);
    assert_non_null(big);
    memset(big, 'a', n);
    assert_int_equal(parse(big, n, 1048576, &env, err, sizeof err), ED_ERR_TOO_LARGE);
    assert_string_equal(err, "frame is 3145728 bytes; input.max_bytes is 1048576");
    char expect[33];
    ed_hash_id(big, n, expect);
    assert_string_equal(env.id, expect);
    /* 0 = no limit */
    assert_int_equal(parse(big, n, 0, &env, err, sizeof err), ED_ERR_NONE);
    assert_int_equal(env.text_len, n);
    ed_envelope_release(&env);
    /* exactly max is fine, one more is not */
    assert_int_equal(parse(big, 1000, 1000, &env, err, sizeof err), ED_ERR_NONE);
    ed_envelope_release(&env);
    assert_int_equal(parse(big, 1001, 1000, &env, err, sizeof err), ED_ERR_TOO_LARGE);
    /* size is checked before UTF-8 and JSON */
    big[0] = '{';
    big[10] = (char)0xFF;
    assert_int_equal(parse(big, 2000, 1000, &env, err, sizeof err), ED_ERR_TOO_LARGE);
    assert_int_equal(parse(big, 2000, 0, &env, err, sizeof err), ED_ERR_INVALID_UTF8);
    free(big);
}

/* ---- envelopes ---------------------------------------------------------------------------------- */

static void test_envelope_all_fields(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    static const char frame[] =
        "{\"id\":\"afp-2023-1120-042\",\"text\":\"Le Parlement a adopté la loi.\\n\\nLe vote "
        "était serré.\",\"lang\":\"fr\",\"published\":\"2023-11-20T08:30:00+01:00\","
        "\"title\":\"La loi adoptée\",\"url\":\"https://example.org/a/42\","
        "\"source\":{\"name\":\"Exemple\"},\"authors\":[\"Jeanne Martin\"],"
        "\"meta\":{\"desk\":\"politique\",\"priority\":2},\"future_field\":[1,2,3]}";
    assert_int_equal(parse(S(frame), 1 << 20, &env, err, sizeof err), ED_ERR_NONE);
    assert_non_null(env.root);
    assert_string_equal(env.id, "afp-2023-1120-042");
    assert_int_equal(env.id_given, 1);
    assert_int_equal(env.text_len, strlen("Le Parlement a adopté la loi.\n\nLe vote était serré."));
    assert_memory_equal(env.text, "Le Parlement a adopté la loi.\n\nLe vote était serré.",
                        env.text_len);
    assert_string_equal(env.lang, "fr");
    assert_string_equal(env.published, "2023-11-20T08:30:00+01:00");
    assert_string_equal(env.title, "La loi adoptée");
    assert_true(json_is_string(env.url));
    assert_string_equal(json_string_value(env.url), "https://example.org/a/42");
    assert_true(json_is_object(env.source));
    assert_true(json_is_array(env.authors));
    assert_int_equal(json_array_size(env.authors), 1);
    assert_true(json_is_object(env.meta));
    assert_int_equal(json_integer_value(json_object_get(env.meta, "priority")), 2);
    ed_envelope_release(&env);
    assert_null(env.root);
    assert_null(env.meta);
}

static void test_envelope_id_from_text_hash(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    assert_int_equal(parse(S("{\"text\":\"The vote was close.\",\"lang\":null}"), 0, &env, err,
                           sizeof err),
                     ED_ERR_NONE);
    assert_int_equal(env.id_given, 0);
    assert_null(env.lang); /* null = absent */
    char raw_id[33];
    ed_hash_id(S("The vote was close."), raw_id);
    assert_string_equal(env.id, raw_id); /* the same article sent raw gets the same id */
    ed_envelope_release(&env);

    /* a re-sent envelope with other metadata keeps its id */
    assert_int_equal(parse(S("{\"url\":\"u\",\"text\":\"The vote was close.\"}"), 0, &env, err,
                           sizeof err),
                     ED_ERR_NONE);
    assert_string_equal(env.id, raw_id);
    ed_envelope_release(&env);
}

static void test_envelope_blanks_and_bom_before_brace(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    assert_int_equal(parse(S(" \r\n\t{\"text\":\"Hausse des prix.\"}\n"), 0, &env, err,
                           sizeof err),
                     ED_ERR_NONE);
    assert_non_null(env.root);
    assert_int_equal(env.text_len, strlen("Hausse des prix."));
    ed_envelope_release(&env);
    assert_int_equal(parse(S("\xEF\xBB\xBF{\"text\":\"Hausse des prix.\"}"), 0, &env, err,
                           sizeof err),
                     ED_ERR_NONE);
    assert_non_null(env.root);
    ed_envelope_release(&env);
    assert_int_equal(parse(S("\xEF\xBB\xBF  \n{\"text\":\"Hausse des prix.\"}"), 0, &env, err,
                           sizeof err),
                     ED_ERR_NONE);
    assert_non_null(env.root);
    ed_envelope_release(&env);
}

static void test_envelope_invalid_json(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    assert_int_equal(parse(S("{\"text\": \"Le vote\", }"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_true(strncmp(err, "invalid JSON at line 1 column ", 30) == 0);
    char expect[33];
    ed_hash_id(S("{\"text\": \"Le vote\", }"), expect);
    assert_string_equal(env.id, expect);
    assert_null(env.root);

    /* line numbers count from the frame start */
    assert_int_equal(parse(S("{\n\"text\": \"a\",\n\"lang\": fr}"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_true(strncmp(err, "invalid JSON at line 3 column", 29) == 0);

    /* trailing data after the object */
    assert_int_equal(parse(S("{\"text\":\"a\"} {\"text\":\"b\"}"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    /* duplicate keys are ambiguous: rejected */
    assert_int_equal(parse(S("{\"text\":\"a\",\"text\":\"b\"}"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_non_null(strstr(err, "duplicate"));
    /* truncated */
    assert_int_equal(parse(S("{\"text\":\"Le gouvernement"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    /* a lone surrogate escape is a JSON error, not a UTF-8 one */
    assert_int_equal(parse(S("{\"text\":\"a\\ud800b\"}"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
}

/* Prose that starts with '{' is read as JSON (first non-blank byte rule, docs/protocol.md). */
static void test_prose_starting_with_brace(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    assert_int_equal(parse(S("{Exclusif} Le ministre de l’Intérieur quitte le gouvernement."), 0,
                           &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_non_null(strstr(err, "invalid JSON at line 1"));
    assert_non_null(strstr(err, "first non-blank byte is '{'"));
    /* the same prose inside an envelope is fine */
    assert_int_equal(parse(S("{\"text\":\"{Exclusif} Le ministre quitte le gouvernement.\"}"), 0,
                           &env, err, sizeof err),
                     ED_ERR_NONE);
    assert_memory_equal(env.text, "{Exclusif}", 10);
    ed_envelope_release(&env);
}

static void test_envelope_invalid_utf8_before_json(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    /* jansson would say invalid JSON; the raw frame check says what is really wrong */
    assert_int_equal(parse(S("{\"text\":\"Caf\xE9 cr\xE8me\"}"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_UTF8);
    assert_string_equal(err, "invalid UTF-8 at byte 12 (0xE9)");
    assert_null(env.root);
}

static void test_envelope_field_types(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    assert_int_equal(parse(S("{\"text\":\"a b\",\"lang\":5}"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_string_equal(err, "field 'lang' must be a string, got an integer");
    assert_int_equal(parse(S("{\"text\":\"a b\",\"id\":42}"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_string_equal(err, "field 'id' must be a string, got an integer");
    assert_int_equal(parse(S("{\"text\":\"a b\",\"published\":[2023,11,20]}"), 0, &env, err,
                           sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_string_equal(err, "field 'published' must be a string, got an array");
    assert_int_equal(parse(S("{\"text\":\"a b\",\"title\":{\"fr\":\"x\"}}"), 0, &env, err,
                           sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_string_equal(err, "field 'title' must be a string, got an object");
    assert_int_equal(parse(S("{\"text\":\"a b\",\"title\":true}"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_string_equal(err, "field 'title' must be a string, got a boolean");
    assert_int_equal(parse(S("{\"text\":\"a b\",\"lang\":1.5}"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_string_equal(err, "field 'lang' must be a string, got a number");
    /* field types are checked before text: a wrong type wins over a missing text */
    assert_int_equal(parse(S("{\"lang\":[]}"), 0, &env, err, sizeof err), ED_ERR_INVALID_JSON);
    /* url, source, authors, meta: any JSON */
    assert_int_equal(parse(S("{\"text\":\"a b\",\"url\":5,\"source\":null,\"authors\":\"X\","
                             "\"meta\":[true]}"),
                           0, &env, err, sizeof err),
                     ED_ERR_NONE);
    assert_true(json_is_integer(env.url));
    assert_true(json_is_null(env.source));
    assert_true(json_is_string(env.authors));
    assert_true(json_is_array(env.meta));
    ed_envelope_release(&env);
}

static void test_envelope_id_rules(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    char frame[600];
    char id[ED_ID_MAX + 2];
    memset(id, 'x', sizeof id);

    id[ED_ID_MAX] = '\0'; /* exactly the limit */
    snprintf(frame, sizeof frame, "{\"id\":\"%s\",\"text\":\"a b\"}", id);
    assert_int_equal(parse(frame, strlen(frame), 0, &env, err, sizeof err), ED_ERR_NONE);
    assert_string_equal(env.id, id);
    ed_envelope_release(&env);

    id[ED_ID_MAX] = 'x';
    id[ED_ID_MAX + 1] = '\0'; /* one too long */
    snprintf(frame, sizeof frame, "{\"id\":\"%s\",\"text\":\"a b\"}", id);
    assert_int_equal(parse(frame, strlen(frame), 0, &env, err, sizeof err), ED_ERR_INVALID_JSON);
    assert_string_equal(err, "field 'id' is 257 bytes long; at most 256 allowed");
    assert_int_equal(env.id_given, 0);
    assert_true(is_hex32(env.id));

    assert_int_equal(parse(S("{\"id\":\"\",\"text\":\"a b\"}"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_string_equal(err, "field 'id' must not be empty");

    /* a multi-byte id is kept byte for byte */
    assert_int_equal(parse(S("{\"id\":\"dépêche-7\",\"text\":\"a b\"}"), 0, &env, err,
                           sizeof err),
                     ED_ERR_NONE);
    assert_string_equal(env.id, "dépêche-7");
    ed_envelope_release(&env);

    /* a valid id survives a later failure, so the error record names it */
    assert_int_equal(parse(S("{\"id\":\"dep-9\",\"text\":\"  \"}"), 0, &env, err, sizeof err),
                     ED_ERR_EMPTY);
    assert_string_equal(env.id, "dep-9");
    assert_int_equal(env.id_given, 1);
    assert_null(env.root);
    assert_int_equal(parse(S("{\"id\":\"dep-10\"}"), 0, &env, err, sizeof err),
                     ED_ERR_MISSING_TEXT);
    assert_string_equal(env.id, "dep-10");
}

static void test_envelope_missing_text(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    assert_int_equal(parse(S("{\"title\":\"Sans texte\"}"), 0, &env, err, sizeof err),
                     ED_ERR_MISSING_TEXT);
    assert_string_equal(err, "envelope has no 'text' field");
    char expect[33];
    ed_hash_id(S("{\"title\":\"Sans texte\"}"), expect);
    assert_string_equal(env.id, expect);
    assert_null(env.root);
    assert_int_equal(parse(S("{}"), 0, &env, err, sizeof err), ED_ERR_MISSING_TEXT);
    assert_int_equal(parse(S("{\"text\":null}"), 0, &env, err, sizeof err), ED_ERR_MISSING_TEXT);
    assert_int_equal(parse(S("{\"text\":12}"), 0, &env, err, sizeof err), ED_ERR_MISSING_TEXT);
    assert_string_equal(err, "field 'text' must be a string, got an integer");
    assert_int_equal(parse(S("{\"text\":[\"Le vote\"]}"), 0, &env, err, sizeof err),
                     ED_ERR_MISSING_TEXT);
    assert_string_equal(err, "field 'text' must be a string, got an array");
}

static void test_envelope_empty_text(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    assert_int_equal(parse(S("{\"text\":\"\"}"), 0, &env, err, sizeof err), ED_ERR_EMPTY);
    assert_string_equal(err, "field 'text' is empty or white space only (0 bytes)");
    assert_int_equal(parse(S("{\"text\":\" \\n\\t\\u00a0\\u202f\\u3000 \"}"), 0, &env, err,
                           sizeof err),
                     ED_ERR_EMPTY);
    assert_int_equal(parse(S("{\"text\":\"\\u200b\\ufeff\"}"), 0, &env, err, sizeof err),
                     ED_ERR_EMPTY);
    assert_int_equal(parse(S("{\"text\":\" . \"}"), 0, &env, err, sizeof err), ED_ERR_NONE);
    ed_envelope_release(&env);
}

static void test_envelope_nul_characters(void **state)
{
    (void)state;
    ed_envelope env;
    char err[256];
    /* \u0000 in text must not truncate it silently: rejected as invalid text */
    assert_int_equal(parse(S("{\"text\":\"Le vote\\u0000 a eu lieu.\"}"), 0, &env, err,
                           sizeof err),
                     ED_ERR_INVALID_UTF8);
    assert_string_equal(err, "field 'text' contains a NUL character (U+0000) at byte 7; "
                             "article text must not");
    assert_null(env.root);
    /* in a string field it is a JSON error naming the field */
    assert_int_equal(parse(S("{\"text\":\"a b\",\"lang\":\"fr\\u0000en\"}"), 0, &env, err,
                           sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_string_equal(err, "field 'lang' contains a NUL character (\\u0000)");
    assert_int_equal(parse(S("{\"text\":\"a b\",\"id\":\"x\\u0000\"}"), 0, &env, err, sizeof err),
                     ED_ERR_INVALID_JSON);
    assert_string_equal(err, "field 'id' contains a NUL character (\\u0000)");
    /* elsewhere (meta) it is echoed as JSON, which is fine */
    assert_int_equal(parse(S("{\"text\":\"a b\",\"meta\":{\"k\":\"\\u0000\"}}"), 0, &env, err,
                           sizeof err),
                     ED_ERR_NONE);
    ed_envelope_release(&env);
}

static void test_error_buffer_small_or_absent(void **state)
{
    (void)state;
    ed_envelope env;
    char err[8];
    memset(err, 'z', sizeof err);
    assert_int_equal(parse(S("{\"text\":1}"), 0, &env, err, sizeof err), ED_ERR_MISSING_TEXT);
    assert_int_equal(strlen(err), sizeof err - 1); /* truncated, terminated */
    assert_int_equal(parse(S("{\"text\":1}"), 0, &env, NULL, 0), ED_ERR_MISSING_TEXT);
    assert_int_equal(parse(S("{\"text\":\"ok go\"}"), 0, &env, NULL, 0), ED_ERR_NONE);
    ed_envelope_release(&env);
    ed_envelope_release(NULL);
}

/* ---- the fast envelope reader against jansson ---------------------------------------------------
 * envelope.c reads envelopes with its own string decoder and falls back to json_loadb; whatever
 * path it takes, the object must equal jansson's, keys in the same order. */

/* Asserts env.root equals jansson's reading of frame, key order included. */
static void assert_same_as_jansson(const char *frame, size_t len, const ed_envelope *env)
{
    json_error_t jerr;
    size_t skip = (len >= 3 && memcmp(frame, "\xEF\xBB\xBF", 3) == 0) ? 3 : 0;
    json_t *ref = json_loadb(frame + skip, len - skip, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL,
                             &jerr);
    if (ref == NULL)
        fail_msg("accepted a frame jansson rejects (%s): %.*s", jerr.text, (int)len, frame);
    if (!json_equal(ref, env->root))
        fail_msg("envelope differs from jansson's reading: %.*s", (int)len, frame);
    void *a = json_object_iter(ref), *b = json_object_iter(env->root);
    while (a && b) {
        assert_string_equal(json_object_iter_key(a), json_object_iter_key(b));
        a = json_object_iter_next(ref, a);
        b = json_object_iter_next(env->root, b);
    }
    assert_true(a == NULL && b == NULL);
    json_decref(ref);
}

static void test_fast_reader_matches_jansson(void **state)
{
    (void)state;
    static const char *const frames[] = {
        "{\"text\":\"Le pr\\u00e9sident a dit : \\\"non\\\".\\nFin.\"}",
        "{ \"text\" : \"a\\/b\\\\c\\b\\f\\r\\t\" , \"lang\" : \"fr\" }",
        "{\"text\":\"emoji \\ud83d\\ude00 et \xF0\x9F\x98\x80\",\"id\":\"\\u0041\\u00E9\"}",
        "\n\t{\r\n\"meta\":{\"a\":[1,2.5,-3e2,{\"b\":\"}]\\\"[{\"}],\"c\":null},\"text\":\"x y\"}\n",
        "{\"url\":\"https://ex.org/?q=\\\"}\\\"\",\"text\":\"x y\",\"source\":true,"
        "\"authors\":[\"A\",\"B\"],\"meta\":-0.5}",
        "{\"\":1,\"cl\xC3\xA9\":\"v\",\"text\":\"x y\",\"z\":[]}",
        "{\"text\":\"x y\",\"meta\":{\"k\":\"\\u0000\"},\"n\":12345678901234}",
        "\xEF\xBB\xBF{\"text\":\"apr\xC3\xA8s le BOM\"}",
        "{\"text\":\"x y\",\"meta\":[[[[[[[[\"deep\"]]]]]]]]}",
        "{\"text\":\"x y\",\"a\":false,\"b\":null,\"c\":0,\"d\":1E+2}",
    };
    for (size_t i = 0; i < sizeof frames / sizeof frames[0]; i++) {
        ed_envelope env;
        char err[256];
        ed_errcode code = parse(frames[i], strlen(frames[i]), 0, &env, err, sizeof err);
        if (code != ED_ERR_NONE)
            fail_msg("frame %zu rejected: %s", i, err);
        assert_same_as_jansson(frames[i], strlen(frames[i]), &env);
        ed_envelope_release(&env);
    }
}

/* Deterministic generator for the differential tests. */
static uint64_t rng_state = 0x9E3779B97F4A7C15u;
static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 32);
}

/* A random string value: ASCII, controls, quotes, backslashes, accents, BMP and astral chars. */
static json_t *random_string(void)
{
    static const char *const pieces[] = {"a", "Z", " ", "\"", "\\", "/", "\n", "\t", "\x01",
                                         "\x1f", "\xC3\xA9", "\xE2\x80\x99", "\xE2\x80\xA8",
                                         "\xF0\x9F\x93\xB0", "{", "}", "[", "]", ",", ":", "0"};
    char buf[256];
    size_t n = 0, count = rng() % 40;
    for (size_t i = 0; i < count; i++) {
        const char *p = pieces[rng() % (sizeof pieces / sizeof pieces[0])];
        size_t k = strlen(p);
        memcpy(buf + n, p, k);
        n += k;
    }
    return json_stringn(buf, n);
}

static json_t *random_value(int depth)
{
    switch (rng() % (depth > 3 ? 5 : 7)) {
    case 0: return random_string();
    case 1: return json_integer((json_int_t)rng() - (json_int_t)(rng() % 1000));
    case 2: return json_real((double)(int32_t)rng() / 64.0);
    case 3: return json_null();
    case 4: return rng() % 2 ? json_true() : json_false();
    case 5: {
        json_t *a = json_array();
        for (uint32_t i = rng() % 4; i > 0; i--)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (uint32_t i = rng() % 4; i > 0; i--) {
            char key[16];
            snprintf(key, sizeof key, "k%u\xC3\xA9", rng() % 100);
            json_object_set_new(o, key, random_value(depth + 1));
        }
        return o;
    }
    }
}

/* Random envelopes written by jansson in every style (ASCII escapes, indentation, compact). */
static void test_fast_reader_random_envelopes(void **state)
{
    (void)state;
    static const size_t styles[] = {JSON_COMPACT, JSON_ENSURE_ASCII, JSON_INDENT(2),
                                    JSON_INDENT(1) | JSON_ENSURE_ASCII | JSON_ESCAPE_SLASH};
    for (int round = 0; round < 3000; round++) {
        json_t *obj = json_object();
        json_t *text = random_string();
        char tbuf[300]; /* never blank: a letter first */
        snprintf(tbuf, sizeof tbuf, "T%s", json_string_value(text));
        json_object_set_new(obj, "text", json_string(tbuf));
        json_decref(text);
        for (uint32_t i = rng() % 5; i > 0; i--) {
            static const char *const keys[] = {"meta", "url", "source", "authors", "x", "y\xC3\xA9"};
            json_object_set_new(obj, keys[rng() % 6], random_value(0));
        }
        char *frame = json_dumps(obj, styles[round % 4]);
        assert_non_null(frame);
        ed_envelope env;
        char err[256];
        ed_errcode code = parse(frame, strlen(frame), 0, &env, err, sizeof err);
        if (code != ED_ERR_NONE)
            fail_msg("random envelope rejected (%s): %s", err, frame);
        assert_true(json_equal(obj, env.root));
        assert_same_as_jansson(frame, strlen(frame), &env);
        ed_envelope_release(&env);
        free(frame);
        json_decref(obj);
    }
}

/* Mutated envelopes: whatever the reader says, jansson must agree on valid vs invalid JSON. */
static void test_fast_reader_mutations(void **state)
{
    (void)state;
    static const char base[] =
        "{\"id\":\"d-1\",\"text\":\"Le \\\"vote\\\" a eu lieu\\u00a0: 52 \\ud83d\\udcf0 %.\","
        "\"meta\":{\"a\":[1,{\"b\":\"c\\\\\"}],\"n\":-2.5e3},\"url\":null}";
    static const char alphabet[] = "{}[]\",:\\u0aZ \n-.eE+d\x01";
    char frame[sizeof base + 8];
    for (int round = 0; round < 20000; round++) {
        memcpy(frame, base, sizeof base);
        size_t len = sizeof base - 1;
        for (uint32_t m = 1 + rng() % 3; m > 0; m--) {
            size_t at = rng() % len;
            switch (rng() % 3) {
            case 0: /* replace */
                frame[at] = alphabet[rng() % (sizeof alphabet - 1)];
                break;
            case 1: /* delete */
                memmove(frame + at, frame + at + 1, len - at - 1);
                len--;
                break;
            default: /* insert */
                if (len + 1 < sizeof frame) {
                    memmove(frame + at + 1, frame + at, len - at);
                    frame[at] = alphabet[rng() % (sizeof alphabet - 1)];
                    len++;
                }
            }
        }
        if (!ed_utf8_valid(frame, len))
            continue;
        ed_envelope env;
        char err[256];
        ed_errcode code = parse(frame, len, 0, &env, err, sizeof err);
        json_error_t jerr;
        size_t lead = 0;
        while (lead < len && strchr(" \t\r\n", frame[lead]) != NULL)
            lead++;
        if (lead == len || frame[lead] != '{') {
            if (code == ED_ERR_NONE)
                ed_envelope_release(&env);
            continue; /* raw text now */
        }
        json_t *ref = json_loadb(frame, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
        if (code == ED_ERR_INVALID_JSON && ref != NULL && strncmp(err, "invalid JSON", 12) == 0)
            fail_msg("said invalid JSON, jansson disagrees: %.*s", (int)len, frame);
        if (code != ED_ERR_INVALID_JSON && ref == NULL)
            fail_msg("accepted invalid JSON (%s): %.*s", jerr.text, (int)len, frame);
        if (code == ED_ERR_NONE) {
            assert_same_as_jansson(frame, len, &env);
            ed_envelope_release(&env);
        }
        json_decref(ref);
    }
}

/* Reading speed of a typical envelope (printed, not asserted: shared machine). */
static void test_envelope_speed_report(void **state)
{
    (void)state;
    char text[4200] = "";
    while (strlen(text) < 4000)
        strcat(text, "Le ministre de l\xE2\x80\x99\xC3\x89" "conomie a pr\xC3\xA9sent\xC3\xA9 "
                     "mercredi un budget \\u00ab sans imp\xC3\xB4t \\u00bb.\\n");
    char frame[4400];
    snprintf(frame, sizeof frame, "{\"id\":\"x\",\"url\":\"u\",\"meta\":{\"a\":[1,2]},\"text\":\"%s\"}",
             text);
    size_t len = strlen(frame);
    int rounds = 2000;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < rounds; i++) {
        ed_envelope env;
        assert_int_equal(ed_envelope_parse(frame, len, 0, &env, NULL, 0), ED_ERR_NONE);
        ed_envelope_release(&env);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# ed_envelope_parse: %.1f us per %zu-byte envelope\n", s / rounds * 1e6, len);
}

/* A quick throughput check of the UTF-8 checker (printed, not asserted: shared machine). */
static void test_utf8_speed_report(void **state)
{
    (void)state;
    size_t n = 8u << 20;
    char *buf = malloc(n);
    assert_non_null(buf);
    for (size_t i = 0; i < n; i++)
        buf[i] = (char)('a' + i % 26);
    for (size_t i = 0; i + 2 < n; i += 61) { /* some é sprinkled in, as in French copy */
        buf[i] = (char)0xC3;
        buf[i + 1] = (char)0xA9;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int ok = 1;
    for (int r = 0; r < 8; r++)
        ok &= ed_utf8_valid(buf, n);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_true(ok);
    double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("# ed_utf8_valid: %.0f MB/s on French-like text\n", 8.0 * (double)n / 1e6 / s);
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errcode_names),
        cmocka_unit_test(test_utf8_valid_sequences),
        cmocka_unit_test(test_utf8_invalid_sequences),
        cmocka_unit_test(test_utf8_bad_byte_at_every_position),
        cmocka_unit_test(test_hash_id_known_values),
        cmocka_unit_test(test_raw_text),
        cmocka_unit_test(test_raw_text_not_json),
        cmocka_unit_test(test_raw_text_bom_is_dropped),
        cmocka_unit_test(test_raw_invalid_utf8),
        cmocka_unit_test(test_raw_nul_is_rejected),
        cmocka_unit_test(test_raw_empty_and_blank),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_envelope_all_fields),
        cmocka_unit_test(test_envelope_id_from_text_hash),
        cmocka_unit_test(test_envelope_blanks_and_bom_before_brace),
        cmocka_unit_test(test_envelope_invalid_json),
        cmocka_unit_test(test_prose_starting_with_brace),
        cmocka_unit_test(test_envelope_invalid_utf8_before_json),
        cmocka_unit_test(test_envelope_field_types),
        cmocka_unit_test(test_envelope_id_rules),
        cmocka_unit_test(test_envelope_missing_text),
        cmocka_unit_test(test_envelope_empty_text),
        cmocka_unit_test(test_envelope_nul_characters),
        cmocka_unit_test(test_error_buffer_small_or_absent),
        cmocka_unit_test(test_fast_reader_matches_jansson),
        cmocka_unit_test(test_fast_reader_random_envelopes),
        cmocka_unit_test(test_fast_reader_mutations),
        cmocka_unit_test(test_utf8_speed_report),
        cmocka_unit_test(test_envelope_speed_report),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
