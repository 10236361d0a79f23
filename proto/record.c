/*
 * record.c — builds the output records of docs/schema.json: the article record (envelope echo +
 * ex_doc_to_json) and the error record, written compactly as UTF-8 JSON in one pass by a small
 * JSON writer (several times faster than json_dumps) with the place of "seq" remembered, and
 * splices "seq" in for the publisher.
 * May touch: the jansson values it builds, the caller's ed_record. Reads the envelope and the
 * document, never changes them. No sockets, no threads.
 */
#include "record.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ARTICLE_SCHEMA "enrichd.article/1"
#define ERROR_SCHEMA "enrichd.error/1"
#define HEAD_MAX 256 /* bytes of rejected input quoted in an error record's "head" */

/* ---- time ------------------------------------------------------------------------------------- */

void ed_format_time(int64_t unix_ms, char out[32])
{
    int64_t secs = unix_ms / 1000;
    int64_t ms = unix_ms % 1000;
    if (ms < 0) { /* floor, so that -1 ms is 23:59:59.999 of the day before */
        ms += 1000;
        secs -= 1;
    }
    time_t t = (time_t)secs;
    struct tm tm;
    if (gmtime_r(&t, &tm) == NULL) {
        snprintf(out, 32, "1970-01-01T00:00:00.000Z");
        return;
    }
    long year = (long)tm.tm_year + 1900;
    if (year < 0 || year > 9999) { /* RFC 3339 has four-digit years: clamp */
        snprintf(out, 32, year < 0 ? "0000-01-01T00:00:00.000Z" : "9999-12-31T23:59:59.999Z");
        return;
    }
    snprintf(out, 32, "%04u-%02u-%02uT%02u:%02u:%02u.%03uZ", (unsigned)year % 10000u,
             (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u,
             (unsigned)tm.tm_hour % 100u, (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u,
             (unsigned)ms % 1000u);
}

/* ---- output buffer ---------------------------------------------------------------------------- */

/* A growing byte buffer; the first failure sticks and is checked once at the end. */
typedef struct outbuf {
    char *p;
    size_t len, cap;
    int failed;
} outbuf;

static int ob_reserve(outbuf *b, size_t more)
{
    if (b->failed)
        return -1;
    if (more > SIZE_MAX / 2 - b->len) {
        b->failed = 1;
        return -1;
    }
    size_t need = b->len + more + 1; /* + NUL */
    if (need <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < need)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (p == NULL) {
        b->failed = 1;
        return -1;
    }
    b->p = p;
    b->cap = cap;
    return 0;
}

static void ob_put(outbuf *b, const char *s, size_t n)
{
    if (ob_reserve(b, n) != 0)
        return;
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

static void ob_putc(outbuf *b, char c)
{
    if (ob_reserve(b, 1) != 0)
        return;
    b->p[b->len++] = c;
}

#define OB_LIT(b, lit) ob_put((b), (lit), sizeof(lit) - 1)

/* ---- JSON writer -------------------------------------------------------------------------------
 * Writes jansson values as compact JSON, key order as stored, UTF-8 as is. Faster than
 * json_dumps (one table lookup per byte of a string, runs copied with memcpy) and lets the
 * record be written in one pass with the seq gap where it belongs. */

static const char HEX[] = "0123456789abcdef";

/* 1 for the bytes a JSON string cannot hold raw: controls, '"' and '\\'. */
static const unsigned char MUST_ESCAPE[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    ['"'] = 1, ['\\'] = 1,
};

static void put_escape(outbuf *b, unsigned char c)
{
    char e[6] = {'\\', 0, 0, 0, 0, 0};
    size_t n = 2;
    switch (c) {
    case '"': e[1] = '"'; break;
    case '\\': e[1] = '\\'; break;
    case '\b': e[1] = 'b'; break;
    case '\f': e[1] = 'f'; break;
    case '\n': e[1] = 'n'; break;
    case '\r': e[1] = 'r'; break;
    case '\t': e[1] = 't'; break;
    default:
        e[1] = 'u';
        e[2] = '0';
        e[3] = '0';
        e[4] = HEX[c >> 4];
        e[5] = HEX[c & 15];
        n = 6;
    }
    ob_put(b, e, n);
}

/* s[0..n) is valid UTF-8 (jansson strings are): only controls, '"' and '\\' need escapes. */
static void put_string(outbuf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    if (ob_reserve(b, n + 2) != 0)
        return;
    b->p[b->len++] = '"';
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (MUST_ESCAPE[s[i]]) {
            ob_put(b, str + run, i - run);
            put_escape(b, s[i]);
            run = i + 1;
        }
    }
    ob_put(b, str + run, n - run);
    ob_putc(b, '"');
}

/* Length of the valid UTF-8 sequence at s[i] (1..4) within s[0..n), or 0. Strict. */
static size_t utf8_seq_len(const unsigned char *s, size_t i, size_t n)
{
    unsigned c = s[i];
    if (c < 0x80)
        return 1;
    if (c < 0xC2)
        return 0;
    if (c < 0xE0)
        return (i + 1 < n && (s[i + 1] & 0xC0) == 0x80) ? 2 : 0;
    if (c < 0xF0) {
        if (i + 2 >= n)
            return 0;
        unsigned lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
        return (s[i + 1] >= lo && s[i + 1] <= hi && (s[i + 2] & 0xC0) == 0x80) ? 3 : 0;
    }
    if (c < 0xF5) {
        if (i + 3 >= n)
            return 0;
        unsigned lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
        return (s[i + 1] >= lo && s[i + 1] <= hi && (s[i + 2] & 0xC0) == 0x80 &&
                (s[i + 3] & 0xC0) == 0x80)
                   ? 4
                   : 0;
    }
    return 0;
}

/* Writes the first at most max_in bytes of untrusted bytes s[0..n) as a JSON string: valid UTF-8
 * is kept, every byte that is not part of a valid character, and NUL (which many JSON readers
 * refuse as \u0000), becomes the four characters \xNN (on the wire "\\xNN"), and a valid
 * character that would run past max_in is left out whole. */
static void put_untrusted(outbuf *b, const void *bytes, size_t n, size_t max_in)
{
    const unsigned char *s = bytes ? bytes : (const unsigned char *)"";
    size_t lim = n < max_in ? n : max_in;
    ob_putc(b, '"');
    size_t i = 0;
    while (i < lim) {
        size_t k = s[i] ? utf8_seq_len(s, i, n) : 0; /* judged against the whole input */
        if (k == 0) {
            char e[5] = {'\\', '\\', 'x', "0123456789ABCDEF"[s[i] >> 4],
                         "0123456789ABCDEF"[s[i] & 15]};
            ob_put(b, e, sizeof e);
            i++;
        } else if (i + k > lim) {
            break; /* a whole character straddles the cut: stop before it */
        } else if (k == 1 && MUST_ESCAPE[s[i]]) {
            put_escape(b, s[i]);
            i++;
        } else {
            ob_put(b, (const char *)s + i, k);
            i += k;
        }
    }
    ob_putc(b, '"');
}

static void put_uint(outbuf *b, uint64_t v)
{
    char tmp[24];
    size_t n = sizeof tmp;
    do {
        tmp[--n] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    ob_put(b, tmp + n, sizeof tmp - n);
}

static void put_int(outbuf *b, json_int_t v)
{
    if (v < 0) {
        ob_putc(b, '-');
        put_uint(b, (uint64_t)0 - (uint64_t)v);
    } else {
        put_uint(b, (uint64_t)v);
    }
}

/* Reals with 15 significant digits (0.98, not 0.97999999999999998), always with a '.' or an
 * exponent so they read back as reals. NaN and infinities have no JSON form: failure.
 * From 1e308 up, 17 digits: 15 would round a value near DBL_MAX (1.7976931348623157e308) up to
 * 1.79769313486232e+308, which overflows a double and makes the record unreadable (fuzz_envelope
 * found it in an echoed "meta"). */
static void put_real(outbuf *b, double v)
{
    if (v != v || v > 1.7976931348623157e308 || v < -1.7976931348623157e308) {
        b->failed = 1;
        return;
    }
    char tmp[40];
    int n = v >= 1e308 || v <= -1e308 ? snprintf(tmp, sizeof tmp - 2, "%.17g", v)
                                       : snprintf(tmp, sizeof tmp - 2, "%.15g", v);
    if (n <= 0 || (size_t)n >= sizeof tmp - 2) {
        b->failed = 1;
        return;
    }
    int has_point = 0;
    for (int i = 0; i < n; i++) {
        if (tmp[i] == ',')
            tmp[i] = '.'; /* a locale's decimal comma */
        if (tmp[i] == '.' || tmp[i] == 'e')
            has_point = 1;
    }
    if (!has_point) {
        tmp[n++] = '.';
        tmp[n++] = '0';
    }
    ob_put(b, tmp, (size_t)n);
}

static void put_value(outbuf *b, const json_t *v);

static void put_object_members(outbuf *b, const json_t *obj, int first)
{
    for (void *it = json_object_iter((json_t *)obj); it != NULL;
         it = json_object_iter_next((json_t *)obj, it)) {
        if (!first)
            ob_putc(b, ',');
        first = 0;
        put_string(b, json_object_iter_key(it), json_object_iter_key_len(it));
        ob_putc(b, ':');
        put_value(b, json_object_iter_value(it));
    }
}

static void put_value(outbuf *b, const json_t *v)
{
    if (b->failed)
        return;
    if (v == NULL) {
        OB_LIT(b, "null");
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        ob_putc(b, '{');
        put_object_members(b, v, 1);
        ob_putc(b, '}');
        break;
    case JSON_ARRAY: {
        ob_putc(b, '[');
        size_t n = json_array_size(v);
        for (size_t i = 0; i < n; i++) {
            if (i)
                ob_putc(b, ',');
            put_value(b, json_array_get(v, i));
        }
        ob_putc(b, ']');
        break;
    }
    case JSON_STRING:
        put_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER: put_int(b, json_integer_value(v)); break;
    case JSON_REAL: put_real(b, json_real_value(v)); break;
    case JSON_TRUE: OB_LIT(b, "true"); break;
    case JSON_FALSE: OB_LIT(b, "false"); break;
    case JSON_NULL: OB_LIT(b, "null"); break;
    }
}

/* {"schema":…,"id":…,"instance":…, — and remembers seq_at — then "received":…,"url":…,
 * "source":…,"meta":… . The caller continues with ',' and its own members, then '}'. */
static void put_record_head(outbuf *b, const char *schema, const char *id, const char *instance,
                            const ed_envelope *env, int64_t received_ms, size_t *seq_at)
{
    char when[32];
    ed_format_time(received_ms, when);
    OB_LIT(b, "{\"schema\":");
    put_string(b, schema, strlen(schema));
    OB_LIT(b, ",\"id\":");
    put_untrusted(b, id, strlen(id), SIZE_MAX);
    OB_LIT(b, ",\"instance\":");
    put_untrusted(b, instance, strlen(instance), SIZE_MAX);
    ob_putc(b, ',');
    *seq_at = b->len;
    OB_LIT(b, "\"received\":");
    put_string(b, when, strlen(when));
    OB_LIT(b, ",\"url\":");
    put_value(b, env ? env->url : NULL);
    OB_LIT(b, ",\"source\":");
    put_value(b, env ? env->source : NULL);
    OB_LIT(b, ",\"meta\":");
    put_value(b, env ? env->meta : NULL);
}

/* Hands b's text to rec. Returns 0, or -1 (and frees b) when anything failed. */
static int finish_record(ed_record *rec, outbuf *b, size_t seq_at)
{
    if (b->failed || ob_reserve(b, 0) != 0) {
        free(b->p);
        return -1;
    }
    b->p[b->len] = '\0';
    rec->json = b->p;
    rec->len = b->len;
    rec->seq_at = seq_at;
    return 0;
}

/* ---- records ---------------------------------------------------------------------------------- */

/* The envelope's "authors" as an array of non-empty strings: a string becomes a one-item
 * array, an array keeps its non-empty string items. NULL when there is nothing usable;
 * *unusable is set when the field was present but of another shape. */
static json_t *envelope_authors(const ed_envelope *env, int *unusable)
{
    *unusable = 0;
    if (env == NULL || env->authors == NULL || json_is_null(env->authors))
        return NULL;
    json_t *arr = json_array();
    if (arr == NULL)
        return NULL;
    if (json_is_string(env->authors)) {
        if (json_string_length(env->authors) > 0)
            json_array_append(arr, env->authors);
    } else if (json_is_array(env->authors)) {
        size_t i;
        json_t *v;
        json_array_foreach(env->authors, i, v) {
            if (json_is_string(v) && json_string_length(v) > 0)
                json_array_append(arr, v);
        }
    }
    if (json_array_size(arr) == 0) {
        *unusable = !(json_is_array(env->authors) && json_array_size(env->authors) == 0);
        json_decref(arr);
        return NULL;
    }
    return arr;
}

/* 1 for the record's own keys, which the document's fields never overwrite. */
static int is_record_key(const char *key, size_t len)
{
    static const char *const reserved[] = {"schema", "id", "instance", "seq",
                                           "received", "url", "source", "meta"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0]; i++)
        if (strlen(reserved[i]) == len && memcmp(key, reserved[i], len) == 0)
            return 1;
    return 0;
}

int ed_record_article(ed_record *rec, const ed_envelope *env, const ex_doc *doc,
                      const char *instance, int64_t received_ms)
{
    memset(rec, 0, sizeof *rec);
    if (env == NULL || doc == NULL)
        return -1;
    if (instance == NULL)
        instance = "enrichd";
    json_t *article = ex_doc_to_json(doc);
    if (article == NULL || !json_is_object(article)) {
        json_decref(article);
        return -1;
    }

    /* authors: extraction wins; the envelope's list fills in when extraction found none */
    json_t *authors = NULL;
    json_t *doc_authors = json_object_get(article, "authors");
    if (doc_authors == NULL || json_is_null(doc_authors) ||
        (json_is_array(doc_authors) && json_array_size(doc_authors) == 0)) {
        int unusable = 0;
        authors = envelope_authors(env, &unusable);
        json_t *warnings = json_object_get(article, "warnings");
        if (unusable && json_is_array(warnings))
            json_array_append_new(warnings,
                                  json_string("envelope field 'authors' ignored: "
                                              "expected a string or an array of strings"));
    }

    /* one pass into a buffer sized for the usual case: the text plus its annotations */
    outbuf b = {0};
    json_t *text = json_object_get(article, "text");
    ob_reserve(&b, 4096 + (json_is_string(text) ? json_string_length(text) * 5 / 4 : 0));
    size_t seq_at = 0;
    put_record_head(&b, ARTICLE_SCHEMA, env->id, instance, env, received_ms, &seq_at);
    int authors_written = 0;
    for (void *it = json_object_iter(article); it != NULL; it = json_object_iter_next(article, it)) {
        const char *key = json_object_iter_key(it);
        size_t klen = json_object_iter_key_len(it);
        json_t *value = json_object_iter_value(it);
        if (is_record_key(key, klen))
            continue;
        if (authors != NULL && klen == 7 && memcmp(key, "authors", 7) == 0) {
            value = authors;
            authors_written = 1;
        }
        ob_putc(&b, ',');
        put_string(&b, key, klen);
        ob_putc(&b, ':');
        put_value(&b, value);
    }
    if (authors != NULL && !authors_written) {
        OB_LIT(&b, ",\"authors\":");
        put_value(&b, authors);
    }
    ob_putc(&b, '}');
    json_decref(authors);
    json_decref(article);
    if (finish_record(rec, &b, seq_at) != 0)
        return -1;

    const char *lang = ex_doc_lang(doc);
    if (lang == NULL || lang[0] == '\0')
        lang = "und";
    int w = snprintf(rec->topic, sizeof rec->topic, "article.%s", lang);
    if (w < 0 || (size_t)w >= sizeof rec->topic)
        snprintf(rec->topic, sizeof rec->topic, "article.und");
    return 0;
}

int ed_record_error(ed_record *rec, const ed_envelope *env, ed_errcode code, const char *message,
                    const void *raw, size_t raw_len, const char *instance, int64_t received_ms)
{
    memset(rec, 0, sizeof *rec);
    if (instance == NULL)
        instance = "enrichd";
    if (raw == NULL)
        raw_len = 0;
    char id[33];
    const char *idp;
    if (env != NULL && env->id[0] != '\0') {
        idp = env->id;
    } else {
        ed_hash_id(raw, raw_len, id);
        idp = id;
    }
    const char *codename = ed_errcode_name(code);
    if (message == NULL || message[0] == '\0')
        message = codename;

    outbuf b = {0};
    size_t seq_at = 0;
    put_record_head(&b, ERROR_SCHEMA, idp, instance, env, received_ms, &seq_at);
    OB_LIT(&b, ",\"error\":{\"code\":");
    put_string(&b, codename, strlen(codename));
    OB_LIT(&b, ",\"message\":");
    put_untrusted(&b, message, strlen(message), SIZE_MAX);
    OB_LIT(&b, "},\"bytes\":");
    put_uint(&b, (uint64_t)raw_len);
    OB_LIT(&b, ",\"head\":");
    put_untrusted(&b, raw, raw_len, HEAD_MAX);
    ob_putc(&b, '}');
    if (finish_record(rec, &b, seq_at) != 0)
        return -1;
    snprintf(rec->topic, sizeof rec->topic, "error");
    return 0;
}

char *ed_record_with_seq(const ed_record *rec, uint64_t seq, size_t *outlen)
{
    if (rec == NULL || rec->json == NULL || rec->seq_at > rec->len)
        return NULL;
    char field[40];
    int w = snprintf(field, sizeof field, "\"seq\":%llu,", (unsigned long long)seq);
    if (w < 0 || (size_t)w >= sizeof field)
        return NULL;
    size_t flen = (size_t)w;
    char *out = malloc(rec->len + flen + 1);
    if (out == NULL)
        return NULL;
    memcpy(out, rec->json, rec->seq_at);
    memcpy(out + rec->seq_at, field, flen);
    memcpy(out + rec->seq_at + flen, rec->json + rec->seq_at, rec->len - rec->seq_at);
    out[rec->len + flen] = '\0';
    if (outlen)
        *outlen = rec->len + flen;
    return out;
}

void ed_record_release(ed_record *rec)
{
    if (rec == NULL)
        return;
    free(rec->json);
    rec->json = NULL;
    rec->len = 0;
    rec->seq_at = 0;
}

ed_errcode ed_errcode_of_status(ex_status st)
{
    switch (st) {
    case EX_EEMPTY: return ED_ERR_EMPTY;
    case EX_EINVAL_UTF8: return ED_ERR_INVALID_UTF8;
    default: return ED_ERR_INTERNAL;
    }
}
