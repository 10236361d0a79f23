/*
 * fuzz_envelope.c — libFuzzer target for the feed's wire format (proto/envelope.c) and the error
 * record built for a rejected frame (proto/record.c), on arbitrary bytes.
 *
 * Each input is one frame. It is parsed twice: without a size limit, and with a limit of half its
 * size (the too_large path). Beyond "no crash, no leak, no UB", it checks the contracts of
 * envelope.h and record.h and aborts when one breaks:
 *  - a parsed envelope's text lies inside the frame or inside its JSON root, is valid UTF-8, holds
 *    no U+0000 and is not empty; its id is 1..ED_ID_MAX bytes, 32 hex chars when computed;
 *  - a failed parse leaves nothing to release and still names the input with an id;
 *  - every record (error records for failures, the echo of a parsed envelope) is valid JSON
 *    before and after `seq` is spliced in, with "bytes" equal to the frame's size.
 * Touches nothing but its own memory. Built only with -DENRICHD_FUZZ=ON (scripts/fuzz).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "envelope.h"
#include "record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_envelope: check failed: %s (%s:%d)\n", #cond, __FILE__,   \
                    __LINE__);                                                                 \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

static int is_hex32(const char *id)
{
    if (strlen(id) != 32)
        return 0;
    for (size_t i = 0; i < 32; i++)
        if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f')))
            return 0;
    return 1;
}

/* The record must be one JSON object before and after seq is spliced in. */
static void check_record(const ed_record *rec, size_t frame_size, int is_error)
{
    FUZZ_CHECK(rec->json != NULL);
    FUZZ_CHECK(strlen(rec->json) == rec->len);
    FUZZ_CHECK(rec->seq_at <= rec->len);
    json_error_t jerr;
    json_t *body = json_loadb(rec->json, rec->len, JSON_ALLOW_NUL, &jerr);
    if (!body)
        fprintf(stderr, "fuzz_envelope: record body is not JSON: %s\n%s\n", jerr.text, rec->json);
    FUZZ_CHECK(json_is_object(body));
    json_decref(body);

    size_t n = 0;
    char *full = ed_record_with_seq(rec, INT64_MAX, &n); /* the largest jansson reads back */
    FUZZ_CHECK(full != NULL);
    json_t *obj = json_loadb(full, n, JSON_ALLOW_NUL, &jerr); /* echoes may hold \u0000 */
    if (!obj)
        fprintf(stderr, "fuzz_envelope: record is not JSON: %s\n%s\n", jerr.text, full);
    FUZZ_CHECK(json_is_object(obj));
    FUZZ_CHECK(json_is_integer(json_object_get(obj, "seq")));
    FUZZ_CHECK(json_is_string(json_object_get(obj, "id")));
    if (is_error) {
        FUZZ_CHECK(strcmp(rec->topic, "error") == 0);
        json_t *bytes = json_object_get(obj, "bytes");
        FUZZ_CHECK(json_is_integer(bytes) && (size_t)json_integer_value(bytes) == frame_size);
        FUZZ_CHECK(json_is_string(json_object_get(obj, "head")));
        FUZZ_CHECK(json_is_object(json_object_get(obj, "error")));
    }
    json_decref(obj);
    free(full);
}

static void parse_once(const uint8_t *data, size_t size, size_t max_bytes)
{
    ed_envelope env;
    char err[256];
    memset(&env, 0xA5, sizeof env); /* the parser must fill every field it promises */
    ed_errcode code = ed_envelope_parse(data, size, max_bytes, &env, err, sizeof err);
    FUZZ_CHECK(code >= ED_ERR_NONE && code < ED_ERR__COUNT);
    FUZZ_CHECK(memchr(env.id, '\0', sizeof env.id) != NULL);
    size_t idlen = strlen(env.id);
    FUZZ_CHECK(idlen >= 1 && idlen <= ED_ID_MAX);
    FUZZ_CHECK(env.id_given || is_hex32(env.id));
    FUZZ_CHECK(memchr(err, '\0', sizeof err) != NULL);

    ed_record rec;
    if (code != ED_ERR_NONE) {
        FUZZ_CHECK(env.root == NULL && env.lang == NULL && env.published == NULL &&
                   env.title == NULL && env.url == NULL && env.source == NULL &&
                   env.authors == NULL && env.meta == NULL);
        if (max_bytes && size > max_bytes)
            FUZZ_CHECK(code == ED_ERR_TOO_LARGE);
        FUZZ_CHECK(ed_record_error(&rec, &env, code, err, data, size, "fuzz", 1700000000000) == 0);
        check_record(&rec, size, 1);
        ed_record_release(&rec);
        return;
    }

    FUZZ_CHECK(env.text != NULL && env.text_len > 0);
    if (!env.root) {
        const uint8_t *t = (const uint8_t *)env.text;
        FUZZ_CHECK(t >= data && t + env.text_len <= data + size);
    }
    FUZZ_CHECK(ed_utf8_valid(env.text, env.text_len));
    FUZZ_CHECK(memchr(env.text, '\0', env.text_len) == NULL);
    if (!env.id_given) {
        char want[33];
        ed_hash_id(env.text, env.text_len, want);
        FUZZ_CHECK(strcmp(want, env.id) == 0);
    }
    /* the error path with a parsed envelope echoes url/source/meta */
    FUZZ_CHECK(ed_record_error(&rec, &env, ED_ERR_INTERNAL, "fuzz", data, size, "fuzz",
                               1700000000000) == 0);
    check_record(&rec, size, 1);
    ed_record_release(&rec);
    ed_envelope_release(&env);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    parse_once(data, size, 0);
    if (size > 1)
        parse_once(data, size, size / 2);
    return 0;
}
