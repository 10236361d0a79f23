/*
 * extract.h — the public API of the enrichd extraction library.
 *
 * The library turns one article (text plus a few envelope hints) into an enriched document and
 * its JSON. It owns no sockets and no threads: callers may run ex_extract() from any number of
 * threads at once on one shared, immutable ex_resources.
 *
 * Errors: functions return an ex_status (EX_OK == 0) or NULL, and write a one-line reason into
 * the caller's err buffer (errlen bytes, always NUL-terminated when errlen > 0).
 */
#ifndef ENRICHD_EXTRACT_H
#define ENRICHD_EXTRACT_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

#define EX_ERRLEN 256 /* a comfortable size for err buffers */

typedef enum ex_status {
    EX_OK = 0,
    EX_EINVAL_UTF8 = 1, /* input text is not valid UTF-8 */
    EX_EEMPTY = 2,      /* input text is empty or white space only */
    EX_ENOMEM = 3,      /* allocation failed */
    EX_EINVAL = 4,      /* bad argument (NULL text, bad option) */
    EX_EIO = 5,         /* a data file could not be read or parsed */
    EX_EINTERNAL = 6    /* a stage failed an internal check */
} ex_status;

/* Short machine name of a status ("invalid_utf8", "empty", ...). Static string. */
const char *ex_status_name(ex_status st);

/* ---- resources ------------------------------------------------------------------------------
 * Immutable, reference-counted bundle of everything the stages read: language packs from
 * data/<lang>/ (word lists, tables), fingerprints for language identification, and later models
 * and gazetteers. Loaded once; shared read-only by every thread. */
typedef struct ex_resources ex_resources;

typedef struct ex_options {
    int future_bias;   /* 0 (default): a bare weekday is the last one; 1: the next one */
} ex_options;

/* Loads resources from data_dir (the repo's data/ or the installed copy). opts may be NULL.
 * Returns a new object with one reference owned by the caller, or NULL with err set. */
ex_resources *ex_resources_load(const char *data_dir, const ex_options *opts, char *err,
                                size_t errlen);
/* Takes one more reference (thread-safe); returns res. */
ex_resources *ex_resources_ref(ex_resources *res);
/* Drops one reference (thread-safe); frees on the last. NULL is a no-op. */
void ex_resources_unref(ex_resources *res);
/* A short string that changes with each load (for logs and metrics). Owned by res. */
const char *ex_resources_generation(const ex_resources *res);

/* ---- one article ----------------------------------------------------------------------------- */
typedef struct ex_input {
    const char *text;      /* required: article bytes (UTF-8 expected, checked); borrowed */
    size_t text_len;       /* bytes in text */
    const char *lang_hint; /* NULL or a language code from the envelope ("fr", "en"): wins */
    const char *published; /* NULL or ISO 8601 date / date-time from the envelope */
    const char *title;     /* NULL or the envelope's title: wins over a title found in text */
    int64_t received_ms;   /* receive time, Unix ms: last-resort reference date */
} ex_input;

typedef struct ex_doc ex_doc; /* defined in doc.h for the stages */

/* Runs every stage on in. On EX_OK *out is a new document owned by the caller (ex_doc_free).
 * On failure *out is NULL and err says why. All memory of a document lives in one arena. */
ex_status ex_extract(const ex_resources *res, const ex_input *in, ex_doc **out, char *err,
                     size_t errlen);

/* The document's language code ("fr", "en", "und"). Owned by doc. */
const char *ex_doc_lang(const ex_doc *doc);

/* Builds the article part of the output record (every field of DESIGN §4 from "lang" to
 * "timing_us"; offsets in code points). Returns a new reference (caller json_decref's it),
 * or NULL on allocation failure. */
json_t *ex_doc_to_json(const ex_doc *doc);
/* Flag to OR into json_dumps() flags for documents: prints reals with 10 significant digits,
 * so a rounded 0.98 is written "0.98" and not jansson's default "0.97999999999999998". */
#define EX_JSON_DUMP_REALS JSON_REAL_PRECISION(10)

/* Frees the document and its arena. NULL is a no-op. */
void ex_doc_free(ex_doc *doc);

/* Names and count of the stages, in pipeline order (for benchmarks). Static strings. */
size_t ex_stage_count(void);
const char *ex_stage_name(size_t i);
/* Microseconds spent in stage i for doc. */
uint64_t ex_doc_stage_us(const ex_doc *doc, size_t i);

#ifdef __cplusplus
}
#endif
#endif
