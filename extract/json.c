/*
 * json.c — ex_doc_to_json: the article fields of the output record (DESIGN §4, from "lang" to
 * "timing_us", in that order) built from a finished document.
 *
 * May touch: nothing of the document (reads only; safe to call from several threads on one
 * document); allocates the jansson tree it returns and one temporary offset index (malloc'd,
 * freed before returning).
 *
 * Offsets: the library keeps byte offsets; the record promises Unicode code-point offsets into
 * "text". A sparse prefix index is built once per call in one linear pass: the code-point count
 * before every 64th byte. Converting any offset then costs at most 63 byte checks, whatever order
 * the offsets come in (blocks are sorted, entity mentions grouped per entity are not), so no
 * span is ever converted by scanning from the start of the text.
 *
 * Reals: lang_confidence is rounded to 2 decimals; dump with EX_JSON_DUMP_REALS (extract.h) so
 * jansson prints 0.98 rather than 0.97999999999999998.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define CP_STEP_BITS 6 /* one checkpoint every 64 bytes */

typedef struct cp_index {
    const unsigned char *text;
    uint32_t len;
    uint32_t *at; /* at[k] = code points in text[0 .. k << CP_STEP_BITS) */
} cp_index;

static inline uint32_t count_lead_bytes(const unsigned char *p, uint32_t n)
{
    uint32_t cont = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        cont += (uint32_t)__builtin_popcountll(w & ~(w << 1) & 0x8080808080808080ull);
    }
    for (; i < n; i++)
        cont += (p[i] & 0xC0) == 0x80;
    return n - cont;
}

static bool cp_index_build(cp_index *ix, const char *text, uint32_t len)
{
    ix->text = (const unsigned char *)(text ? text : "");
    ix->len = text ? len : 0;
    size_t steps = ((size_t)ix->len >> CP_STEP_BITS) + 1;
    ix->at = malloc(steps * sizeof *ix->at);
    if (!ix->at)
        return false;
    uint32_t cp = 0;
    ix->at[0] = 0;
    for (size_t k = 1; k < steps; k++) {
        cp += count_lead_bytes(ix->text + ((k - 1) << CP_STEP_BITS), 1u << CP_STEP_BITS);
        ix->at[k] = cp;
    }
    return true;
}

/* Code-point offset of byte offset off (clamped to the text). */
static inline uint32_t cp_of(const cp_index *ix, uint32_t off)
{
    if (off > ix->len)
        off = ix->len;
    uint32_t base = off >> CP_STEP_BITS;
    uint32_t from = base << CP_STEP_BITS;
    return ix->at[base] + count_lead_bytes(ix->text + from, off - from);
}

/* ---- building helpers: the first failure sticks, so callers check once at the end ---------- */

typedef struct jb {
    bool ok;
} jb;

static void put(jb *b, json_t *obj, const char *key, json_t *val)
{
    if (!val || !obj) {
        json_decref(val);
        b->ok = false;
    } else if (json_object_set_new(obj, key, val) != 0) { /* steals val even on failure */
        b->ok = false;
    }
}

static void append(jb *b, json_t *arr, json_t *val)
{
    if (!val || !arr) {
        json_decref(val);
        b->ok = false;
    } else if (json_array_append_new(arr, val) != 0) {
        b->ok = false;
    }
}

/* A string we produced ourselves (valid UTF-8) or null. */
static json_t *str_or_null(const char *s)
{
    return s ? json_string_nocheck(s) : json_null();
}

/* A string of unknown provenance: checked; a string that is not valid UTF-8 is left out. */
static void append_checked(jb *b, json_t *arr, const char *s)
{
    if (!s)
        return;
    json_t *v = json_string(s);
    if (v)
        append(b, arr, v);
}

static json_t *span_obj(jb *b, const cp_index *ix, const char *kind, uint32_t start, uint32_t end)
{
    json_t *o = json_object();
    put(b, o, "kind", json_string_nocheck(kind));
    put(b, o, "start", json_integer(cp_of(ix, start)));
    put(b, o, "end", json_integer(cp_of(ix, end)));
    return o;
}

/* A date or time of the dates stage (DESIGN §4; docs/schema.json $defs/date). */
static json_t *date_obj(jb *b, const ex_doc *doc, const cp_index *ix, const ex_date *d)
{
    json_t *o = json_object();
    uint32_t s = d->start < doc->text_len ? d->start : doc->text_len;
    uint32_t e = d->end < doc->text_len ? d->end : doc->text_len;
    put(b, o, "text", json_stringn_nocheck(doc->text + s, e > s ? e - s : 0));
    put(b, o, "start", json_integer(cp_of(ix, s)));
    put(b, o, "end", json_integer(cp_of(ix, e)));
    put(b, o, "value", json_string_nocheck(d->value));
    put(b, o, "grain", json_string_nocheck(ex_grain_name((ex_grain)d->grain)));
    put(b, o, "relative", json_boolean(d->relative));
    if (d->value_end[0]) /* an interval: "du 3 au 5 mai", "this weekend", "Q4 2018" */
        put(b, o, "value_end", json_string_nocheck(d->value_end));
    if (d->bound) /* an open interval: "à partir du 8 mars", "before 4pm" */
        put(b, o, "bound",
            json_string_nocheck(d->bound == EX_DATE_BOUND_AFTER ? "after" : "before"));
    return o;
}

/* A money amount or percentage of the numbers stage (DESIGN §4; docs/schema.json). */
static json_t *quantity_obj(jb *b, const ex_doc *doc, const cp_index *ix, const ex_quantity *q,
                            bool money)
{
    json_t *o = json_object();
    uint32_t s = q->start < doc->text_len ? q->start : doc->text_len;
    uint32_t e = q->end < doc->text_len ? q->end : doc->text_len;
    put(b, o, "text", json_stringn_nocheck(doc->text + s, e > s ? e - s : 0));
    put(b, o, "start", json_integer(cp_of(ix, s)));
    put(b, o, "end", json_integer(cp_of(ix, e)));
    put(b, o, money ? "amount" : "value", json_real(q->value));
    if (money) {
        put(b, o, "currency", json_string_nocheck(q->currency));
        put(b, o, "approx", json_boolean(q->approx));
    } else if (q->approx) {
        put(b, o, "approx", json_true());
    }
    if (!isnan(q->min) && !isnan(q->max)) {
        put(b, o, "min", json_real(q->min));
        put(b, o, "max", json_real(q->max));
    }
    if (q->bound == EX_BOUND_MIN || q->bound == EX_BOUND_MAX)
        put(b, o, "bound", json_string_nocheck(q->bound == EX_BOUND_MIN ? "min" : "max"));
    if (money && q->currency_inferred)
        put(b, o, "currency_inferred", json_true());
    return o;
}

json_t *ex_doc_to_json(const ex_doc *doc)
{
    if (!doc)
        return NULL;
    cp_index ix;
    if (!cp_index_build(&ix, doc->text, doc->text_len))
        return NULL;
    jb b = {true};
    json_t *root = json_object();
    if (!root) {
        free(ix.at);
        return NULL;
    }

    put(&b, root, "lang", json_string_nocheck(ex_doc_lang(doc)));
    put(&b, root, "lang_confidence", json_real(round(doc->lang_confidence * 100.0) / 100.0));
    put(&b, root, "section", str_or_null(doc->section));
    put(&b, root, "title", str_or_null(doc->title));
    put(&b, root, "standfirst", str_or_null(doc->standfirst));

    json_t *authors = json_array();
    for (uint32_t i = 0; i < doc->authors.len; i++)
        append_checked(&b, authors, EX_VEC_AT(doc->authors, const char *, i));
    put(&b, root, "authors", authors);

    put(&b, root, "published", str_or_null(doc->published));
    put(&b, root, "published_from", str_or_null(doc->published_from));
    put(&b, root, "text", doc->text ? json_stringn_nocheck(doc->text, doc->text_len)
                                    : json_string_nocheck(""));

    json_t *blocks = json_array();
    for (uint32_t i = 0; i < doc->blocks.len; i++) {
        const ex_block *bl = &EX_VEC_AT(doc->blocks, ex_block, i);
        append(&b, blocks, span_obj(&b, &ix, ex_block_kind_name(bl->kind), bl->start, bl->end));
    }
    put(&b, root, "blocks", blocks);

    json_t *subs = json_array();
    for (uint32_t i = 0; i < doc->subheadings.len && doc->text; i++) {
        const ex_span *sp = &EX_VEC_AT(doc->subheadings, ex_span, i);
        uint32_t s = sp->start < doc->text_len ? sp->start : doc->text_len;
        uint32_t e = sp->end < doc->text_len ? sp->end : doc->text_len;
        append(&b, subs, json_stringn_nocheck(doc->text + s, e > s ? e - s : 0));
    }
    put(&b, root, "subheadings", subs);

    json_t *boiler = json_array();
    for (uint32_t i = 0; i < doc->boilerplate.len; i++) {
        const ex_boiler *bo = &EX_VEC_AT(doc->boilerplate, ex_boiler, i);
        json_t *t = bo->text ? json_string(bo->text) : NULL;
        if (!t)
            continue;
        json_t *o = json_object();
        put(&b, o, "kind", json_string_nocheck(ex_boiler_kind_name(bo->kind)));
        put(&b, o, "text", t);
        append(&b, boiler, o);
    }
    put(&b, root, "boilerplate", boiler);

    json_t *stats = json_object();
    put(&b, stats, "chars", json_integer(doc->stats.chars));
    put(&b, stats, "words", json_integer(doc->stats.words));
    put(&b, stats, "sentences", json_integer(doc->stats.sentences));
    put(&b, stats, "paragraphs", json_integer(doc->stats.paragraphs));
    put(&b, stats, "reading_minutes", json_integer(doc->stats.reading_minutes));
    put(&b, root, "stats", stats);

    put(&b, root, "entities", json_array());    /* entities stage: not built yet */
    put(&b, root, "quotes", json_array());      /* quotes stage: not built yet */
    json_t *money = json_array();
    for (uint32_t i = 0; i < doc->money.len && doc->text; i++)
        append(&b, money, quantity_obj(&b, doc, &ix, &EX_VEC_AT(doc->money, ex_quantity, i), true));
    put(&b, root, "money", money); /* numbers stage */
    json_t *pcts = json_array();
    for (uint32_t i = 0; i < doc->percentages.len && doc->text; i++)
        append(&b, pcts,
               quantity_obj(&b, doc, &ix, &EX_VEC_AT(doc->percentages, ex_quantity, i), false));
    put(&b, root, "percentages", pcts); /* numbers stage */
    json_t *dates = json_array();
    for (uint32_t i = 0; i < doc->dates.len && doc->text; i++)
        append(&b, dates, date_obj(&b, doc, &ix, &EX_VEC_AT(doc->dates, ex_date, i)));
    put(&b, root, "dates", dates); /* dates stage */
    put(&b, root, "keywords", json_array());    /* keywords stage: not built yet */
    put(&b, root, "summary", json_array());     /* summary stage: not built yet */

    json_t *warnings = json_array();
    for (uint32_t i = 0; i < doc->warnings.len; i++)
        append_checked(&b, warnings, EX_VEC_AT(doc->warnings, const char *, i));
    put(&b, root, "warnings", warnings);

    json_t *timing = json_object();
    uint64_t total = 0;
    size_t n = ex_stage_count();
    for (size_t i = 0; i < n; i++)
        total += ex_doc_stage_us(doc, i);
    put(&b, timing, "total", json_integer((json_int_t)total));
    for (size_t i = 0; i < n; i++)
        put(&b, timing, ex_stage_name(i), json_integer((json_int_t)ex_doc_stage_us(doc, i)));
    put(&b, root, "timing_us", timing);

    free(ix.at);
    if (!b.ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}
