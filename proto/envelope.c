/*
 * envelope.c — turns one feed frame into an ed_envelope (docs/protocol.md, "Feed"): raw UTF-8
 * text, or a JSON envelope object when the first non-blank byte is '{'. Also the UTF-8 checker
 * and the id hash (BLAKE2b-128, libsodium) shared by the daemon and the CLI.
 * May touch: the caller's frame (read only), the jansson tree it creates (owned by the envelope),
 * the caller's err buffer. No sockets, no threads, no global state but libsodium's one-time init.
 */
#include "envelope.h"
#include "errmsg.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const errcode_names[ED_ERR__COUNT] = {
    [ED_ERR_NONE] = "none",
    [ED_ERR_INVALID_UTF8] = "invalid_utf8",
    [ED_ERR_INVALID_JSON] = "invalid_json",
    [ED_ERR_MISSING_TEXT] = "missing_text",
    [ED_ERR_EMPTY] = "empty",
    [ED_ERR_TOO_LARGE] = "too_large",
    [ED_ERR_BAD_FRAMES] = "bad_frames",
    [ED_ERR_INTERNAL] = "internal",
};

const char *ed_errcode_name(ed_errcode code)
{
    if ((int)code < 0 || code >= ED_ERR__COUNT)
        return "internal"; /* never print a code the schema does not know */
    return errcode_names[code];
}

/* ---- UTF-8 ------------------------------------------------------------------------------------ */

#define ASCII_MASK8 UINT64_C(0x8080808080808080)

/* Length of the valid UTF-8 sequence at s[i] (1..4), or 0 when the bytes there are not one.
 * Strict (RFC 3629): no overlongs, no surrogates, nothing above U+10FFFF, no truncation. */
static size_t utf8_seq_len(const unsigned char *s, size_t i, size_t n)
{
    unsigned c = s[i];
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0; /* continuation byte or overlong 2-byte lead */
    if (c < 0xE0) {
        return (i + 1 < n && (s[i + 1] & 0xC0) == 0x80) ? 2 : 0;
    }
    if (c < 0xF0) {
        if (i + 2 >= n)
            return 0;
        unsigned c1 = s[i + 1];
        unsigned lo = (c == 0xE0) ? 0xA0 : 0x80; /* E0: no overlongs */
        unsigned hi = (c == 0xED) ? 0x9F : 0xBF; /* ED: no surrogates */
        if (c1 < lo || c1 > hi || (s[i + 2] & 0xC0) != 0x80)
            return 0;
        return 3;
    }
    if (c < 0xF5) {
        if (i + 3 >= n)
            return 0;
        unsigned c1 = s[i + 1];
        unsigned lo = (c == 0xF0) ? 0x90 : 0x80; /* F0: no overlongs */
        unsigned hi = (c == 0xF4) ? 0x8F : 0xBF; /* F4: nothing above U+10FFFF */
        if (c1 < lo || c1 > hi || (s[i + 2] & 0xC0) != 0x80 || (s[i + 3] & 0xC0) != 0x80)
            return 0;
        return 4;
    }
    return 0;
}

/* Offset of the first byte that does not start a valid UTF-8 sequence, or n when all is valid.
 * ASCII runs are skipped 8 bytes at a time. */
static size_t utf8_first_invalid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        while (i + 8 <= n) {
            uint64_t w;
            memcpy(&w, s + i, sizeof w);
            if (w & ASCII_MASK8)
                break;
            i += 8;
        }
        if (i >= n)
            break;
        if (s[i] < 0x80) {
            i++;
            continue;
        }
        size_t k = utf8_seq_len(s, i, n);
        if (k == 0)
            return i;
        i += k;
    }
    return n;
}

int ed_utf8_valid(const char *s, size_t n)
{
    if (s == NULL)
        return n == 0;
    return utf8_first_invalid(s, n) == n;
}

/* ---- id hash ---------------------------------------------------------------------------------- */

static atomic_int sodium_ready;

void ed_hash_id(const void *bytes, size_t len, char out[33])
{
    /* sodium_init is itself thread-safe and idempotent; the flag only skips its lock later */
    if (!atomic_load_explicit(&sodium_ready, memory_order_acquire)) {
        if (sodium_init() >= 0)
            atomic_store_explicit(&sodium_ready, 1, memory_order_release);
    }
    unsigned char digest[16];
    static const unsigned char empty = 0;
    crypto_generichash(digest, sizeof digest, len ? bytes : &empty, (unsigned long long)len,
                       NULL, 0);
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < sizeof digest; i++) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    out[32] = '\0';
}

/* ---- helpers ---------------------------------------------------------------------------------- */

/* Bytes of a leading UTF-8 byte-order mark (0 or 3). */
static size_t bom_len(const unsigned char *s, size_t n)
{
    return (n >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF) ? 3 : 0;
}

/* Offset of the first byte after a leading BOM and ASCII blanks (space, tab, CR, LF), or n. */
static size_t first_nonblank(const unsigned char *s, size_t n)
{
    size_t i = bom_len(s, n);
    while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

/* 1 when the code point is "blank" for the empty check: Unicode White_Space, the zero-width
 * characters (U+200B..U+200D, U+2060) and U+FEFF. */
static int is_blank_cp(uint32_t cp)
{
    switch (cp) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x20:
    case 0x85: case 0xA0: case 0x1680:
    case 0x2028: case 0x2029: case 0x202F: case 0x205F: case 0x3000:
    case 0x200B: case 0x200C: case 0x200D: case 0x2060: case 0xFEFF:
        return 1;
    default:
        return cp >= 0x2000 && cp <= 0x200A;
    }
}

/* 1 when valid UTF-8 s[0..n) holds only blank code points. Stops at the first other one. */
static int text_is_blank(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        uint32_t cp;
        size_t k;
        if (c < 0x80) {
            cp = c;
            k = 1;
        } else if (c < 0xE0) {
            cp = ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
            k = 2;
        } else if (c < 0xF0) {
            cp = ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
            k = 3;
        } else {
            return 0; /* nothing above the BMP is blank */
        }
        if (!is_blank_cp(cp))
            return 0;
        i += k;
    }
    return 1;
}

static const char *json_type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "unknown";
}

/* Reads optional string field key of root into *out (NULL when absent or null).
 * Returns 0, or -1 with err set (wrong type or an embedded NUL). */
static int optional_string(json_t *root, const char *key, const char **out, size_t *out_len,
                           char *err, size_t errlen)
{
    json_t *v = json_object_get(root, key);
    *out = NULL;
    if (out_len)
        *out_len = 0;
    if (v == NULL || json_is_null(v))
        return 0;
    if (!json_is_string(v)) {
        ed_fail(err, errlen, "field '%s' must be a string, got %s", key, json_type_name(v));
        return -1;
    }
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (memchr(s, '\0', len) != NULL) {
        ed_fail(err, errlen, "field '%s' contains a NUL character (\\u0000)", key);
        return -1;
    }
    *out = s;
    if (out_len)
        *out_len = len;
    return 0;
}

/* Text checks common to raw frames and envelopes: no NUL, not blank. */
static ed_errcode check_text(const char *text, size_t len, const char *what, char *err,
                             size_t errlen)
{
    const char *nul = memchr(text, '\0', len);
    if (nul != NULL) {
        ed_fail(err, errlen,
                "%s contains a NUL character (U+0000) at byte %zu; article text must not",
                what, (size_t)(nul - text));
        return ED_ERR_INVALID_UTF8;
    }
    if (text_is_blank(text, len)) {
        ed_fail(err, errlen, "%s is empty or white space only (%zu bytes)", what, len);
        return ED_ERR_EMPTY;
    }
    return ED_ERR_NONE;
}

/* ---- fast envelope reader ----------------------------------------------------------------------
 * json_loadb reads about 100 MB/s (one byte at a time through a stream, each string built byte by
 * byte). An envelope is one flat object whose big member is "text": this reader builds the same
 * jansson object several times faster by decoding strings run by run (memcpy between escapes)
 * and handing only the small non-string members (url, meta, ...) to json_loadb. It accepts a
 * subset of what jansson accepts; on anything else it gives up and the caller parses the frame
 * with json_loadb, which then produces the result or the error message. So the outcome is always
 * jansson's. Input: valid UTF-8 (checked before). */

/* 1 for the bytes that end a run inside a JSON string: '"', '\\' and the controls (invalid raw). */
static const unsigned char STRING_STOP[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};

static const char *skip_ws(const char *p, const char *end)
{
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
        p++;
    return p;
}

static int hex4(const char *p, const char *end, uint32_t *out)
{
    if (end - p < 4)
        return -1;
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t put_utf8(char *o, uint32_t cp)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Decodes the JSON string whose opening quote is at *pp into out (room for end - *pp bytes:
 * a decoded string is never longer than its JSON form). Sets *pp past the closing quote.
 * Returns the decoded length, or -1 when the string is not one this reader accepts. */
static long decode_string(const char **pp, const char *end, char *out)
{
    const unsigned char *p = (const unsigned char *)*pp + 1;
    const unsigned char *e = (const unsigned char *)end;
    size_t o = 0;
    for (;;) {
        const unsigned char *run = p;
        while (p < e && !STRING_STOP[*p])
            p++;
        memcpy(out + o, run, (size_t)(p - run));
        o += (size_t)(p - run);
        if (p >= e || *p < 0x20)
            return -1;
        if (*p == '"') {
            *pp = (const char *)p + 1;
            return (long)o;
        }
        /* backslash */
        if (p + 1 >= e)
            return -1;
        unsigned char c = p[1];
        p += 2;
        switch (c) {
        case '"': out[o++] = '"'; break;
        case '\\': out[o++] = '\\'; break;
        case '/': out[o++] = '/'; break;
        case 'b': out[o++] = '\b'; break;
        case 'f': out[o++] = '\f'; break;
        case 'n': out[o++] = '\n'; break;
        case 'r': out[o++] = '\r'; break;
        case 't': out[o++] = '\t'; break;
        case 'u': {
            uint32_t cp;
            if (hex4((const char *)p, end, &cp) != 0)
                return -1;
            p += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return -1; /* lone low surrogate */
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                uint32_t lo;
                if (e - p < 6 || p[0] != '\\' || p[1] != 'u' ||
                    hex4((const char *)p + 2, end, &lo) != 0 || lo < 0xDC00 || lo > 0xDFFF)
                    return -1;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            o += put_utf8(out + o, cp);
            break;
        }
        default:
            return -1;
        }
    }
}

/* End of the JSON value that starts at p (not a string), found by bracket counting; the value
 * itself is checked by json_loadb afterwards. NULL when there is none. */
static const char *skip_value(const char *p, const char *end)
{
    if (p >= end)
        return NULL;
    if (*p != '{' && *p != '[') {
        const char *q = p;
        while (q < end && *q != ',' && *q != '}' && *q != ']' && *q != ' ' && *q != '\t' &&
               *q != '\n' && *q != '\r')
            q++;
        return q > p ? q : NULL;
    }
    size_t depth = 0;
    while (p < end) {
        char c = *p++;
        if (c == '"') {
            while (p < end && *p != '"')
                p += (*p == '\\' && p + 1 < end) ? 2 : 1;
            if (p >= end)
                return NULL;
            p++;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (--depth == 0)
                return p;
        }
    }
    return NULL;
}

/* The envelope object of s[0..n) (no BOM), or NULL when this reader does not accept it. */
static json_t *fast_parse_envelope(const char *s, size_t n)
{
    const char *p = skip_ws(s, s + n), *end = s + n;
    if (p >= end || *p != '{')
        return NULL;
    char *scratch = malloc(n + 1);
    json_t *obj = json_object();
    if (scratch == NULL || obj == NULL)
        goto fail;
    p = skip_ws(p + 1, end);
    if (p < end && *p == '}') {
        p++;
    } else {
        for (;;) {
            if (p >= end || *p != '"')
                goto fail;
            long klen = decode_string(&p, end, scratch);
            if (klen < 0 || memchr(scratch, '\0', (size_t)klen) != NULL ||
                json_object_getn(obj, scratch, (size_t)klen) != NULL)
                goto fail; /* NUL in a key or a duplicate key: jansson words the error */
            size_t key_len = (size_t)klen;
            char key_small[64];
            char *key = key_len < sizeof key_small ? key_small : malloc(key_len + 1);
            if (key == NULL)
                goto fail;
            memcpy(key, scratch, key_len);
            p = skip_ws(p, end);
            json_t *value = NULL;
            if (p < end && *p == ':') {
                p = skip_ws(p + 1, end);
                if (p < end && *p == '"') {
                    long vlen = decode_string(&p, end, scratch);
                    if (vlen >= 0)
                        value = json_stringn_nocheck(scratch, (size_t)vlen);
                } else {
                    const char *q = skip_value(p, end);
                    if (q != NULL) {
                        json_error_t jerr;
                        value = json_loadb(p, (size_t)(q - p),
                                           JSON_DECODE_ANY | JSON_REJECT_DUPLICATES |
                                               JSON_ALLOW_NUL,
                                           &jerr);
                        p = q;
                    }
                }
            }
            int rc = value ? json_object_setn_new_nocheck(obj, key, key_len, value) : -1;
            if (key != key_small)
                free(key);
            if (rc != 0)
                goto fail;
            p = skip_ws(p, end);
            if (p < end && *p == ',') {
                p = skip_ws(p + 1, end);
                continue;
            }
            if (p < end && *p == '}') {
                p++;
                break;
            }
            goto fail;
        }
    }
    if (skip_ws(p, end) != end)
        goto fail;
    free(scratch);
    return obj;
fail:
    free(scratch);
    json_decref(obj);
    return NULL;
}

/* Parses the envelope object of frame s[0..n) (valid UTF-8, first non-blank byte '{'). */
static ed_errcode parse_json_envelope(const char *s, size_t n, ed_envelope *env, char *err,
                                      size_t errlen)
{
    json_error_t jerr;
    size_t skip = bom_len((const unsigned char *)s, n); /* jansson does not skip a BOM */
    json_t *root = fast_parse_envelope(s + skip, n - skip);
    if (root == NULL)
        root = json_loadb(s + skip, n - skip, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &jerr);
    if (root == NULL) {
        ed_fail(err, errlen,
                "invalid JSON at line %d column %d: %s (a frame whose first non-blank byte is "
                "'{' is read as a JSON envelope)",
                jerr.line, jerr.column, jerr.text);
        return ED_ERR_INVALID_JSON;
    }
    if (!json_is_object(root)) {
        ed_fail(err, errlen, "envelope must be a JSON object, got %s", json_type_name(root));
        json_decref(root);
        return ED_ERR_INVALID_JSON;
    }

    const char *id = NULL;
    size_t id_len = 0;
    if (optional_string(root, "id", &id, &id_len, err, errlen) != 0 ||
        optional_string(root, "lang", &env->lang, NULL, err, errlen) != 0 ||
        optional_string(root, "published", &env->published, NULL, err, errlen) != 0 ||
        optional_string(root, "title", &env->title, NULL, err, errlen) != 0) {
        json_decref(root);
        return ED_ERR_INVALID_JSON;
    }
    if (id != NULL && id_len == 0) {
        ed_fail(err, errlen, "field 'id' must not be empty");
        json_decref(root);
        return ED_ERR_INVALID_JSON;
    }
    if (id_len > ED_ID_MAX) {
        ed_fail(err, errlen, "field 'id' is %zu bytes long; at most %d allowed", id_len,
                ED_ID_MAX);
        json_decref(root);
        return ED_ERR_INVALID_JSON;
    }
    if (id != NULL) {
        /* from here on an error record names the input by its own id */
        memcpy(env->id, id, id_len);
        env->id[id_len] = '\0';
        env->id_given = 1;
    }

    json_t *text = json_object_get(root, "text");
    if (text == NULL || json_is_null(text)) {
        ed_fail(err, errlen, "envelope has no 'text' field");
        json_decref(root);
        return ED_ERR_MISSING_TEXT;
    }
    if (!json_is_string(text)) {
        ed_fail(err, errlen, "field 'text' must be a string, got %s", json_type_name(text));
        json_decref(root);
        return ED_ERR_MISSING_TEXT;
    }
    env->text = json_string_value(text);
    env->text_len = json_string_length(text);
    ed_errcode code = check_text(env->text, env->text_len, "field 'text'", err, errlen);
    if (code != ED_ERR_NONE) {
        json_decref(root);
        return code;
    }

    env->url = json_object_get(root, "url");
    env->source = json_object_get(root, "source");
    env->authors = json_object_get(root, "authors");
    env->meta = json_object_get(root, "meta");
    env->root = root;
    return ED_ERR_NONE;
}

/* Leaves env as a failed parse: nothing to release, the id kept (given id or hash of raw). */
static void reset_after_failure(ed_envelope *env, const void *bytes, size_t len)
{
    char id[ED_ID_MAX + 1];
    int given = env->id_given;
    if (given)
        memcpy(id, env->id, sizeof id);
    memset(env, 0, sizeof *env);
    if (given) {
        memcpy(env->id, id, sizeof id);
        env->id_given = 1;
    } else {
        ed_hash_id(bytes, len, env->id);
    }
}

/* A frame that opens with '[' or '"', closes with the matching ']' or '"', and parses as one
 * JSON value is a producer that meant to send JSON but sent a non-object: reject it rather than
 * enrich "[1, 2]" as prose. Prose that merely starts with '[' or '"' ("[Exclusif] …", "\"Non\",
 * dit-il") does not parse and stays raw text. The end check keeps the common case free. */
static int frame_is_json_non_object(const char *s, size_t n)
{
    if (s[0] != '[' && s[0] != '"')
        return 0;
    size_t last = n;
    while (last > 0 && (s[last - 1] == ' ' || s[last - 1] == '\t' || s[last - 1] == '\n' ||
                        s[last - 1] == '\r'))
        last--;
    if (last < 2 || s[last - 1] != (s[0] == '[' ? ']' : '"'))
        return 0;
    json_error_t jerr;
    json_t *v = json_loadb(s, last, JSON_DECODE_ANY, &jerr);
    if (v == NULL)
        return 0;
    json_decref(v);
    return 1;
}

ed_errcode ed_envelope_parse(const void *bytes, size_t len, size_t max_bytes, ed_envelope *env,
                             char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    memset(env, 0, sizeof *env);
    if (bytes == NULL && len > 0) {
        ed_fail(err, errlen, "no frame bytes");
        ed_hash_id("", 0, env->id);
        return ED_ERR_INTERNAL;
    }
    const char *s = bytes ? bytes : "";
    ed_errcode code = ED_ERR_NONE;

    if (max_bytes > 0 && len > max_bytes) {
        ed_fail(err, errlen, "frame is %zu bytes; input.max_bytes is %zu", len, max_bytes);
        code = ED_ERR_TOO_LARGE;
    } else {
        size_t bad = utf8_first_invalid(s, len);
        if (bad < len) {
            ed_fail(err, errlen, "invalid UTF-8 at byte %zu (0x%02X)", bad,
                    (unsigned)(unsigned char)s[bad]);
            code = ED_ERR_INVALID_UTF8;
        }
    }
    if (code == ED_ERR_NONE) {
        size_t start = first_nonblank((const unsigned char *)s, len);
        if (start < len && s[start] == '{') {
            code = parse_json_envelope(s, len, env, err, errlen);
        } else if (start < len && frame_is_json_non_object(s + start, len - start)) {
            ed_fail(err, errlen, "a JSON envelope must be an object; this frame is a JSON %s",
                    s[start] == '[' ? "array" : "string");
            code = ED_ERR_INVALID_JSON;
        } else {
            size_t skip = bom_len((const unsigned char *)s, len); /* the BOM is not text */
            env->text = s + skip;
            env->text_len = len - skip;
            code = check_text(env->text, env->text_len, "text", err, errlen);
        }
    }
    if (code != ED_ERR_NONE) {
        reset_after_failure(env, s, len);
        return code;
    }
    if (!env->id_given)
        ed_hash_id(env->text, env->text_len, env->id);
    return ED_ERR_NONE;
}

void ed_envelope_release(ed_envelope *env)
{
    if (env == NULL)
        return;
    json_decref(env->root);
    env->root = NULL;
    env->text = NULL;
    env->text_len = 0;
    env->lang = env->published = env->title = NULL;
    env->url = env->source = env->authors = env->meta = NULL;
}
