/*
 * record.h — output records (docs/schema.json): an enriched article ("enrichd.article/1") or an
 * error record for rejected input ("enrichd.error/1"), serialised to JSON text.
 *
 * A record is built in two steps because `seq` is only known in the publisher thread: a worker
 * (or the receiver, for errors) builds the record body without seq and remembers where seq goes;
 * the publisher splices `"seq":N,` in with ed_record_with_seq. Key order of the final record:
 * schema, id, instance, seq, received, url, source, meta, then the article fields.
 */
#ifndef ENRICHD_RECORD_H
#define ENRICHD_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "envelope.h"
#include "enrichd/extract.h"

typedef struct ed_record {
    char *json;     /* malloc'd, NUL-terminated; owned by the record */
    size_t len;     /* strlen(json) */
    size_t seq_at;  /* byte offset where `"seq":N,` is to be inserted */
    char topic[16]; /* "article.fr", "article.und", "error" */
} ed_record;

/* Formats a Unix-ms time as "2026-11-26T10:00:00.123Z" into out (>= 25 bytes). */
void ed_format_time(int64_t unix_ms, char out[32]);

/* Builds the article record of doc for env. Returns 0, or -1 on allocation failure (or a NULL
 * env/doc). rec->json is owned by the caller (ed_record_release); env and doc may be released
 * right after. url/source/meta are env's values or null. authors: the document's; when it has
 * none, env's "authors" (a string → one item; an array → its non-empty strings; another shape
 * is ignored with a warning). Topic "article." + ex_doc_lang(doc). Compact UTF-8 JSON, reals
 * with 15 significant digits. */
int ed_record_article(ed_record *rec, const ed_envelope *env, const ex_doc *doc,
                      const char *instance, int64_t received_ms);

/* Builds an error record: schema, id, instance, seq, received, url, source, meta, error{code,
 * message}, bytes, head. env may be NULL (id = hash of raw) or a failed parse (its id is used;
 * url/source/meta are null) or a parsed envelope (url/source/meta echoed). message NULL or ""
 * → the code name. raw/raw_len are the input bytes, of which "bytes" gives the size and "head"
 * the first 256 bytes: valid UTF-8 kept, cut before a character crossing byte 256, any other
 * byte and NUL written as the text \xNN (the message is escaped the same way).
 * Returns 0, or -1 on allocation failure. Topic "error". */
int ed_record_error(ed_record *rec, const ed_envelope *env, ed_errcode code, const char *message,
                    const void *raw, size_t raw_len, const char *instance, int64_t received_ms);

/* Returns a new malloc'd NUL-terminated string: the record with `"seq":seq,` spliced in at
 * seq_at; *outlen gets its length. NULL on allocation failure. Caller frees. */
char *ed_record_with_seq(const ed_record *rec, uint64_t seq, size_t *outlen);

void ed_record_release(ed_record *rec);

/* The error code an ex_extract failure gets in its error record (empty → empty, invalid UTF-8 →
 * invalid_utf8, anything else → internal). One mapping for the daemon and the CLI. */
ed_errcode ed_errcode_of_status(ex_status st);

#endif
