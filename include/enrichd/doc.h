/*
 * doc.h — the document model that the extraction stages fill, one layer each.
 *
 * Data flows one way: input bytes → text stage (normalised paragraphs) → layout (clean `text`,
 * blocks) → tokens → sentences → lang → stats → … → ex_doc_to_json. A stage reads the layers
 * before it and writes only its own. Every pointer in an ex_doc points into the document's own
 * arena (or into its resources), so ex_doc_free releases everything at once; nothing in here is
 * freed on its own.
 *
 * Offsets inside the library are BYTE offsets (uint32_t, end exclusive). ex_doc_to_json converts
 * them to Unicode code-point offsets, which is what the output record promises.
 */
#ifndef ENRICHD_DOC_H
#define ENRICHD_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "enrichd/extract.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- arena ------------------------------------------------------------------------------------
 * Bump allocator made of chained blocks. Allocation never frees; ex_arena_destroy frees all.
 * Not thread-safe (one document, one thread). Allocation failure returns NULL. */
typedef struct ex_arena ex_arena;

ex_arena *ex_arena_new(size_t first_block);
void ex_arena_destroy(ex_arena *a);
void *ex_arena_alloc(ex_arena *a, size_t size);       /* 16-byte aligned, uninitialised */
void *ex_arena_calloc(ex_arena *a, size_t n, size_t size); /* zeroed; checks overflow */
char *ex_arena_strndup(ex_arena *a, const char *s, size_t n); /* NUL-terminated copy */
size_t ex_arena_used(const ex_arena *a);               /* bytes handed out, for stats */

/* A growable array living in an arena (grows by copying into a larger arena block). */
typedef struct ex_vec {
    void *items;
    uint32_t len, cap;
} ex_vec;
/* Appends one zeroed element of elem_size; returns it, or NULL on allocation failure. */
void *ex_vec_push(ex_arena *a, ex_vec *v, size_t elem_size);

/* ---- spans and layers ------------------------------------------------------------------------ */
typedef struct ex_span {
    uint32_t start, end; /* byte offsets, end exclusive */
} ex_span;

typedef enum ex_block_kind {
    EX_BLOCK_TITLE,
    EX_BLOCK_STANDFIRST,
    EX_BLOCK_BYLINE,
    EX_BLOCK_SUBHEADING,
    EX_BLOCK_BODY,
    EX_BLOCK_PULLQUOTE,
    EX_BLOCK_ATTRIBUTION
} ex_block_kind;
const char *ex_block_kind_name(ex_block_kind k); /* "title", "body", ... static */

typedef struct ex_block {
    ex_block_kind kind;
    uint32_t start, end; /* byte offsets into doc->text */
} ex_block;

typedef enum ex_boiler_kind {
    EX_BOILER_RELATED,
    EX_BOILER_SHARE,
    EX_BOILER_CREDIT,
    EX_BOILER_AD,
    EX_BOILER_NEWSLETTER,
    EX_BOILER_OTHER
} ex_boiler_kind;
const char *ex_boiler_kind_name(ex_boiler_kind k);

typedef struct ex_boiler {
    ex_boiler_kind kind;
    const char *text; /* arena string: the removed line as it stood in the input */
} ex_boiler;

typedef enum ex_tok_kind {
    EX_TOK_WORD,   /* letters, with inner hyphens/apostrophes/dots: "aujourd'hui", "U.S." */
    EX_TOK_NUMBER, /* digits with separators and suffixes: "250 000", "1,5", "3.5bn", "1er" */
    EX_TOK_PUNCT,  /* . , ; : ! ? … « » " ( ) – — etc. */
    EX_TOK_SYMBOL, /* € $ % £ & @ # … */
    EX_TOK_OTHER   /* anything else (emoji, stray marks) */
} ex_tok_kind;

enum ex_tok_flag {
    EX_TF_CAP = 1u << 0,       /* first letter upper case */
    EX_TF_ALLCAPS = 1u << 1,   /* every letter upper case (2+ letters) */
    EX_TF_ELISION = 1u << 2,   /* French elided article/pronoun ending in ': l' d' qu' jusqu' */
    EX_TF_ABBREV = 1u << 3,    /* known abbreviation whose final dot is part of the token */
    EX_TF_HYPHEN = 1u << 4,    /* contains an inner hyphen */
    EX_TF_PARA_START = 1u << 5,/* first token of a paragraph/block */
    EX_TF_SPACE_BEFORE = 1u << 6, /* white space precedes the token */
    EX_TF_QUOTE_OPEN = 1u << 7,   /* opening quotation mark « “ ‹ or a " judged opening */
    EX_TF_QUOTE_CLOSE = 1u << 8,  /* closing quotation mark » ” › or a " judged closing */
    EX_TF_ABBREV_STOP = 1u << 9   /* EX_TF_ABBREV token whose dot also ends the sentence:
                                     "… etc. Le lendemain", "… in the U.S. The …" */
};

typedef struct ex_token {
    uint32_t start, end; /* byte offsets into doc->text */
    uint16_t kind;       /* ex_tok_kind */
    uint16_t flags;      /* ex_tok_flag bits */
} ex_token;

typedef struct ex_sentence {
    uint32_t start, end;         /* byte offsets into doc->text */
    uint32_t tok_start, tok_end; /* token index range [tok_start, tok_end) */
} ex_sentence;

typedef struct ex_stats {
    uint32_t chars, words, sentences, paragraphs;
    uint32_t reading_minutes;
} ex_stats;

/* numbers stage: a number, money amount or percentage found in text */
typedef enum ex_bound {
    EX_BOUND_NONE = 0,
    EX_BOUND_MIN, /* "plus de", "more than", "au moins": the value is a lower bound */
    EX_BOUND_MAX  /* "moins de", "jusqu'à", "up to": the value is an upper bound */
} ex_bound;

typedef struct ex_quantity {
    uint32_t start, end;  /* byte offsets into doc->text */
    double value;         /* the amount, percentage or number ("1,5 milliard" → 1.5e9) */
    double min, max;      /* a range's bounds ("entre 10 et 20 millions"); NAN when not a range */
    char currency[4];     /* ISO 4217 for money, "" otherwise */
    uint8_t approx;       /* "près de", "environ", "about", "nearly" */
    uint8_t bound;        /* ex_bound */
    uint8_t currency_inferred; /* currency taken from an earlier amount of the paragraph */
    uint8_t ordinal;      /* numbers: "1er", "deuxième", "21st" */
} ex_quantity;

/* dates stage: an absolute or relative date or time, resolved */
typedef enum ex_grain {
    EX_GRAIN_YEAR,
    EX_GRAIN_MONTH,
    EX_GRAIN_DAY,
    EX_GRAIN_MINUTE
} ex_grain;
const char *ex_grain_name(ex_grain g); /* "year", "month", "day", "minute" */

typedef enum ex_date_bound {
    EX_DATE_BOUND_NONE = 0,
    EX_DATE_BOUND_AFTER, /* "à partir du 8 mars", "after 4pm": from value on, open-ended */
    EX_DATE_BOUND_BEFORE /* "avant 16h", "by the end of the year": up to value */
} ex_date_bound;

typedef struct ex_date {
    uint32_t start, end; /* byte offsets into doc->text */
    char value[32];      /* ISO 8601 at the grain: "2023", "2023-11", "2023-11-17", "2023-11-17T10:32" */
    char value_end[32];  /* an interval's last unit, inclusive, at the same grain ("du 3 au 5 mai"
                            → "…-05-05", "ce soir" → "…T23:59"); "" when not an interval */
    uint8_t grain;       /* ex_grain */
    uint8_t relative;    /* resolved against the reference date ("ce vendredi", "yesterday") */
    uint8_t bound;       /* ex_date_bound */
} ex_date;

#define EX_MAX_STAGES 16

struct ex_doc {
    ex_arena *arena;
    const ex_resources *res; /* borrowed for the duration of ex_extract only */
    ex_input in;             /* the caller's input; pointers borrowed during ex_extract only */

    /* text stage: the input, valid UTF-8, NFC, normalised typography, split into paragraphs */
    char *norm;
    uint32_t norm_len;
    ex_vec paras; /* ex_span into norm, in order, never empty */

    /* layout stage: the clean text and what each part of it is */
    char *text; /* NUL-terminated; blocks joined by "\n\n" */
    uint32_t text_len;
    ex_vec blocks;      /* ex_block */
    ex_vec boilerplate; /* ex_boiler */
    ex_vec subheadings; /* ex_span into text */
    ex_vec authors;     /* const char * (arena strings) */
    const char *section, *title, *standfirst; /* arena strings or NULL */
    const char *published;      /* ISO 8601 (arena) or NULL */
    const char *published_from; /* "envelope" | "byline" | "received" | NULL */

    /* tokens / sentences */
    ex_vec tokens;    /* ex_token */
    ex_vec sentences; /* ex_sentence */

    /* lang */
    char lang[8]; /* "fr", "en", ..., or "und" */
    double lang_confidence;

    /* stats */
    ex_stats stats;

    /* numbers */
    ex_vec numbers;     /* ex_quantity: counts worth keeping, ordinals */
    ex_vec money;       /* ex_quantity with currency */
    ex_vec percentages; /* ex_quantity */

    /* dates */
    ex_vec dates; /* ex_date */

    ex_vec warnings; /* const char * (arena strings) */
    uint64_t stage_us[EX_MAX_STAGES];
};

/* Convenience accessors. */
#define EX_VEC_AT(v, type, i) (((type *)(v).items)[(i)])

/* Adds a warning (printf-style) to doc->warnings; returns EX_OK or EX_ENOMEM. */
ex_status ex_doc_warn(ex_doc *doc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#ifdef __cplusplus
}
#endif
#endif
