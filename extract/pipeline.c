/*
 * pipeline.c — ex_extract: creates a document and runs the stages over it in order, timing each;
 * plus the small shared helpers (ex_fail, ex_doc_warn, names of statuses, kinds and stages).
 *
 * May touch: the document it creates (its arena, in, res, stage_us, warnings) and the caller's
 * err buffer. Owns no sockets, no threads, no globals that change. Each stage is one file with
 * one entry point and fills its own layer; this file is the only one that calls them.
 *
 * The stages, in order (docs/architecture.md has the picture):
 *   text       text.c       UTF-8 check, NFC, typography, white space → doc->norm, doc->paras
 *   layout     layout.c     section, title, standfirst, bylines, furniture → clean text, blocks
 *   tokens     tokens.c     tokens with byte offsets, kinds and flags
 *   sentences  sentences.c  sentence spans over the tokens
 *   lang       lang.c       language code and confidence (envelope hint wins)
 *   stats      stats.c      chars, words, sentences, paragraphs, reading time
 * json.c then turns the document into the record's article fields (byte → code-point offsets).
 *
 * Memory: the ex_doc itself lives in its own arena, whose first block is sized from the input
 * (about eight bytes per input byte covers norm, text, tokens and sentences of a news article,
 * so a typical document is a single malloc); ex_doc_free destroys the arena and with it
 * everything. The input's pointers and the resources are borrowed only while ex_extract runs:
 * they are cleared from the document before it is returned.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "internal.h"

typedef ex_status (*stage_fn)(ex_doc *doc, char *err, size_t errlen);

static const struct {
    const char *name;
    stage_fn run;
} STAGES[] = {
    {"text", ex_stage_text},       {"layout", ex_stage_layout}, {"tokens", ex_stage_tokens},
    {"sentences", ex_stage_sentences}, {"lang", ex_stage_lang}, {"stats", ex_stage_stats},
    {"numbers", ex_stage_numbers},     {"dates", ex_stage_dates},
};
#define STAGE_COUNT (sizeof STAGES / sizeof STAGES[0])
_Static_assert(STAGE_COUNT <= EX_MAX_STAGES, "too many stages for ex_doc.stage_us");

#define ARENA_BYTES_PER_INPUT_BYTE 8u
#define ARENA_BASE (16u << 10)
#define ARENA_FIRST_MAX (64u << 20)
#define INPUT_MAX ((size_t)1 << 30) /* offsets are uint32_t; leave room for every layer */

size_t ex_stage_count(void)
{
    return STAGE_COUNT;
}

const char *ex_stage_name(size_t i)
{
    return i < STAGE_COUNT ? STAGES[i].name : NULL;
}

uint64_t ex_doc_stage_us(const ex_doc *doc, size_t i)
{
    return doc && i < STAGE_COUNT ? doc->stage_us[i] : 0;
}

const char *ex_doc_lang(const ex_doc *doc)
{
    return doc && doc->lang[0] ? doc->lang : "und";
}

void ex_doc_free(ex_doc *doc)
{
    if (doc)
        ex_arena_destroy(doc->arena); /* the document lives in its own arena */
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

ex_status ex_extract(const ex_resources *res, const ex_input *in, ex_doc **out, char *err,
                     size_t errlen)
{
    if (out)
        *out = NULL;
    if (!res || !in || !out)
        return ex_fail(err, errlen, EX_EINVAL, "extract: missing resources, input or output");
    if (!in->text && in->text_len)
        return ex_fail(err, errlen, EX_EINVAL, "extract: no input text");
    if (in->text_len > INPUT_MAX)
        return ex_fail(err, errlen, EX_EINVAL, "extract: input too large (%zu bytes, limit %zu)",
                       in->text_len, INPUT_MAX);

    size_t first = ARENA_BASE + in->text_len * ARENA_BYTES_PER_INPUT_BYTE;
    if (first > ARENA_FIRST_MAX)
        first = ARENA_FIRST_MAX;
    ex_arena *arena = ex_arena_new(first);
    ex_doc *doc = arena ? ex_arena_calloc(arena, 1, sizeof *doc) : NULL;
    if (!doc) {
        ex_arena_destroy(arena);
        return ex_fail(err, errlen, EX_ENOMEM, "extract: out of memory");
    }
    doc->arena = arena;
    doc->res = res;
    doc->in = *in;
    memcpy(doc->lang, "und", 4);

    for (size_t i = 0; i < STAGE_COUNT; i++) {
        uint64_t t0 = now_ns();
        ex_status st = STAGES[i].run(doc, err, errlen);
        doc->stage_us[i] = (now_ns() - t0 + 500) / 1000;
        if (st != EX_OK) {
            ex_doc_free(doc);
            return st;
        }
    }
    /* borrowed only during extraction */
    doc->res = NULL;
    doc->in.text = NULL;
    doc->in.lang_hint = NULL;
    doc->in.published = NULL;
    doc->in.title = NULL;
    *out = doc;
    return EX_OK;
}

ex_status ex_fail(char *err, size_t errlen, ex_status st, const char *fmt, ...)
{
    if (err && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return st;
}

ex_status ex_doc_warn(ex_doc *doc, const char *fmt, ...)
{
    if (!doc || !doc->arena)
        return EX_EINVAL;
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) {
        va_end(ap2);
        return EX_EINVAL;
    }
    char *s = ex_arena_alloc(doc->arena, (size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    if (!s)
        return EX_ENOMEM;
    const char **slot = ex_vec_push(doc->arena, &doc->warnings, sizeof *slot);
    if (!slot)
        return EX_ENOMEM;
    *slot = s;
    return EX_OK;
}

const char *ex_status_name(ex_status st)
{
    switch (st) {
    case EX_OK: return "ok";
    case EX_EINVAL_UTF8: return "invalid_utf8";
    case EX_EEMPTY: return "empty";
    case EX_ENOMEM: return "out_of_memory";
    case EX_EINVAL: return "invalid_argument";
    case EX_EIO: return "io_error";
    case EX_EINTERNAL: return "internal";
    }
    return "unknown";
}

const char *ex_block_kind_name(ex_block_kind k)
{
    switch (k) {
    case EX_BLOCK_TITLE: return "title";
    case EX_BLOCK_STANDFIRST: return "standfirst";
    case EX_BLOCK_BYLINE: return "byline";
    case EX_BLOCK_SUBHEADING: return "subheading";
    case EX_BLOCK_BODY: return "body";
    case EX_BLOCK_PULLQUOTE: return "pullquote";
    case EX_BLOCK_ATTRIBUTION: return "attribution";
    }
    return "body";
}

const char *ex_boiler_kind_name(ex_boiler_kind k)
{
    switch (k) {
    case EX_BOILER_RELATED: return "related";
    case EX_BOILER_SHARE: return "share";
    case EX_BOILER_CREDIT: return "credit";
    case EX_BOILER_AD: return "ad";
    case EX_BOILER_NEWSLETTER: return "newsletter";
    case EX_BOILER_OTHER: return "other";
    }
    return "other";
}
