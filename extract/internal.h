/*
 * internal.h — what the extraction library's files share and callers outside extract/ do not
 * see: the resources struct, the word-set helper, and the stage entry points in pipeline order.
 *
 * Each stage is one file with one entry point `ex_stage_<name>(doc, err, errlen)`. It reads the
 * layers earlier stages filled and writes its own; stages never call each other. A stage that
 * needs data has a loader `ex_<name>_res_load(res, data_dir, ...)` and a `ex_<name>_res_free`
 * called by resources.c, and keeps its data behind one pointer in struct ex_resources.
 */
#ifndef ENRICHD_EXTRACT_INTERNAL_H
#define ENRICHD_EXTRACT_INTERNAL_H

#include <stdatomic.h>
#include "enrichd/doc.h"
#include "enrichd/extract.h"

/* ---- word sets: immutable hash sets of UTF-8 strings loaded from text files ----------------
 * File format: one entry per line, UTF-8; '#' starts a comment line; blank lines ignored;
 * leading/trailing white space trimmed. Lookups are exact byte matches (callers fold case
 * first when they want case-insensitive matching). Owned by whoever loaded it. */
typedef struct ex_wordset ex_wordset;
ex_wordset *ex_wordset_new(void);
/* Adds a copy of s[0..n); returns 0, or -1 on allocation failure. */
int ex_wordset_add(ex_wordset *set, const char *s, size_t n);
/* Loads one file into set; returns 0, or -1 with err set (missing file, bad UTF-8, no memory). */
int ex_wordset_load_file(ex_wordset *set, const char *path, char *err, size_t errlen);
bool ex_wordset_has(const ex_wordset *set, const char *s, size_t n);
size_t ex_wordset_size(const ex_wordset *set);
void ex_wordset_free(ex_wordset *set);

/* Lower-cases UTF-8 s[0..n) into out (capacity outcap, NUL-terminated) using utf8proc case
 * folding; returns the length written, or -1 if it does not fit / is not valid UTF-8. */
int ex_utf8_lower(const char *s, size_t n, char *out, size_t outcap);

/* ---- resources ------------------------------------------------------------------------------- */
struct ex_tokens_res; /* tokens.c: abbreviations, elision prefixes */
struct ex_lang_res;   /* lang.c: language models */
struct ex_numbers_res; /* numbers.c: number words, currencies, cue words */
struct ex_dates_res;   /* dates.c: month and weekday names, relative expressions */
struct ex_layout_res;  /* layout_words.c: sections, bylines, furniture, agencies, months */

struct ex_resources {
    atomic_int refs;
    char generation[40];
    ex_options opts;
    char *data_dir; /* malloc'd copy */
    struct ex_tokens_res *tokens;
    struct ex_lang_res *lang;
    struct ex_numbers_res *numbers;
    struct ex_dates_res *dates;
    struct ex_layout_res *layout;
};

ex_status ex_tokens_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen);
void ex_tokens_res_free(ex_resources *res);
ex_status ex_lang_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen);
void ex_lang_res_free(ex_resources *res);
ex_status ex_numbers_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen);
void ex_numbers_res_free(ex_resources *res);
ex_status ex_dates_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen);
void ex_dates_res_free(ex_resources *res);
ex_status ex_layout_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen);
void ex_layout_res_free(ex_resources *res);

/* ---- stages, in pipeline order (pipeline.c holds the table) ---------------------------------- */
ex_status ex_stage_text(ex_doc *doc, char *err, size_t errlen);      /* text.c */
ex_status ex_stage_layout(ex_doc *doc, char *err, size_t errlen);    /* layout.c */
ex_status ex_stage_tokens(ex_doc *doc, char *err, size_t errlen);    /* tokens.c */
ex_status ex_stage_sentences(ex_doc *doc, char *err, size_t errlen); /* sentences.c */
ex_status ex_stage_lang(ex_doc *doc, char *err, size_t errlen);      /* lang.c */
ex_status ex_stage_stats(ex_doc *doc, char *err, size_t errlen);     /* stats.c */
ex_status ex_stage_numbers(ex_doc *doc, char *err, size_t errlen);   /* numbers.c */
ex_status ex_stage_dates(ex_doc *doc, char *err, size_t errlen);     /* dates.c */

/* text.c helper (not a stage): normalises UTF-8 s[0..n) exactly as the text stage does (strict
 * UTF-8 check, NFC, typography, white space). With paras non-NULL, lines become paragraphs
 * (ex_span into *out, one '\n' between them in *out); with paras NULL the input becomes one line
 * (line breaks are spaces). *out is a NUL-terminated string in arena. Returns EX_OK (possibly
 * with *out_len == 0), EX_EINVAL_UTF8 (err gives the byte offset), EX_EINVAL or EX_ENOMEM. */
ex_status ex_text_normalize(ex_arena *arena, const char *s, size_t n, ex_vec *paras, char **out,
                            uint32_t *out_len, char *err, size_t errlen);

/* Formats err (printf-style) and returns st; for one-line error returns. */
ex_status ex_fail(char *err, size_t errlen, ex_status st, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
