/*
 * stats.c — stage 6, stats: counts over the clean text for the record's "stats" object.
 *
 * May touch: doc->stats (writes); doc->text, doc->tokens, doc->sentences, doc->blocks (reads).
 * Calls no other stage, loads no data. One pass over the text bytes and one over the tokens.
 *
 *   chars           code points of doc->text
 *   words           tokens of kind WORD or NUMBER
 *   sentences       doc->sentences.len
 *   paragraphs      doc->blocks.len
 *   reading_minutes ceil(words / 230), at least 1 when words > 0 (0 otherwise)
 */
#include <string.h>

#include "internal.h"

#define WORDS_PER_MINUTE 230u

/* Code points in valid UTF-8 s[0..n): the bytes that are not continuation bytes. */
static uint32_t count_code_points(const char *s, uint32_t n)
{
    const unsigned char *p = (const unsigned char *)s;
    uint32_t cont = 0, i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        /* a continuation byte is 10xxxxxx: bit 7 set and bit 6 clear */
        uint64_t c = w & ~(w << 1) & 0x8080808080808080ull;
        cont += (uint32_t)__builtin_popcountll(c);
    }
    for (; i < n; i++)
        cont += (p[i] & 0xC0) == 0x80;
    return n - cont;
}

ex_status ex_stage_stats(ex_doc *doc, char *err, size_t errlen)
{
    if (!doc)
        return ex_fail(err, errlen, EX_EINVAL, "stats: no document");
    ex_stats *s = &doc->stats;
    memset(s, 0, sizeof *s);
    if (doc->text)
        s->chars = count_code_points(doc->text, doc->text_len);
    const ex_token *tok = doc->tokens.items;
    for (uint32_t i = 0; i < doc->tokens.len; i++)
        if (tok[i].kind == EX_TOK_WORD || tok[i].kind == EX_TOK_NUMBER)
            s->words++;
    s->sentences = doc->sentences.len;
    s->paragraphs = doc->blocks.len;
    s->reading_minutes = (s->words + WORDS_PER_MINUTE - 1) / WORDS_PER_MINUTE;
    return EX_OK;
}
