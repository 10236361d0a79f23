/*
 * envelope.h — the feed's wire format (docs/protocol.md): one frame that is either raw UTF-8
 * article text or a JSON envelope object. Parsing is cheap and happens in the daemon's receiver
 * thread and in the CLI; no sockets here.
 */
#ifndef ENRICHD_ENVELOPE_H
#define ENRICHD_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* Error codes of rejected input, as they appear in error records ("error.code"). */
typedef enum ed_errcode {
    ED_ERR_NONE = 0,
    ED_ERR_INVALID_UTF8,
    ED_ERR_INVALID_JSON,
    ED_ERR_MISSING_TEXT,
    ED_ERR_EMPTY,
    ED_ERR_TOO_LARGE,
    ED_ERR_BAD_FRAMES,
    ED_ERR_INTERNAL,
    ED_ERR__COUNT
} ed_errcode;

/* "invalid_utf8", "invalid_json", ...; "none" for ED_ERR_NONE. Static string. */
const char *ed_errcode_name(ed_errcode code);

#define ED_ID_MAX 256 /* longest id accepted from an envelope, in bytes */

typedef struct ed_envelope {
    json_t *root;          /* the parsed object (owned), or NULL when the frame was raw text */
    const char *text;      /* article text: points into the frame bytes or into root */
    size_t text_len;
    char id[ED_ID_MAX + 1];/* envelope id, or 32 hex chars of BLAKE2b-128 of the text */
    int id_given;          /* 1 when the id came from the envelope */
    const char *lang;      /* NULL or envelope "lang" (borrowed from root) */
    const char *published; /* NULL or envelope "published" */
    const char *title;     /* NULL or envelope "title" */
    json_t *url, *source, *authors, *meta; /* NULL or borrowed from root; echoed verbatim */
} ed_envelope;

/* Parses one frame. bytes must stay valid while env is used (raw text is not copied).
 * On ED_ERR_NONE env is filled and must be released with ed_envelope_release. On any other
 * code env holds nothing to release (root and every borrowed pointer are NULL) but its id is
 * set, so an error record can name the input: the envelope's own id when it was read and valid
 * before the failure (id_given = 1), else the hash of the raw bytes. err says why in one line.
 * Checks, in order: size (> max_bytes → too_large; 0 = no limit), strict UTF-8 of the whole
 * frame (invalid_utf8), JSON when the first byte after an optional UTF-8 BOM and ASCII blanks
 * (space, tab, CR, LF) is '{' (invalid_json for bad syntax, duplicate keys, a non-object, a field of the wrong
 * type, an id empty or longer than ED_ID_MAX, or U+0000 in id/lang/published/title), text
 * present and a string (missing_text), no U+0000 in the text (invalid_utf8), text not blank
 * (empty: only Unicode White_Space, U+200B..U+200D, U+2060, U+FEFF).
 * null for id/lang/published/title means absent. A raw frame's leading BOM is not text.
 * Without an envelope id, id = ed_hash_id(text) (so raw and enveloped copies match). */
ed_errcode ed_envelope_parse(const void *bytes, size_t len, size_t max_bytes, ed_envelope *env,
                             char *err, size_t errlen);
void ed_envelope_release(ed_envelope *env);

/* Writes 32 lowercase hex chars + NUL of BLAKE2b-128(bytes) into out (>= 33 bytes). */
void ed_hash_id(const void *bytes, size_t len, char out[33]);

/* 1 when s[0..n) is valid UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
int ed_utf8_valid(const char *s, size_t n);

#endif
