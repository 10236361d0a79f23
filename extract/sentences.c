/*
 * sentences.c — the sentences stage: groups doc->tokens into sentences (byte span + token range).
 *
 * May touch: doc->sentences (writes); doc->text and doc->tokens (reads). Calls no other stage and
 * loads no data: the tokens stage has already decided which dots belong to abbreviations,
 * initials and numbers (they are inside WORD/NUMBER tokens) and which abbreviation dots also end
 * a sentence (EX_TF_ABBREV_STOP). One pass over the tokens.
 *
 * Rules:
 * - A sentence never crosses a block: a token with EX_TF_PARA_START always opens one.
 * - A sentence ends after a PUNCT token "." "..." "!" "?" "…" or an EX_TF_ABBREV_STOP token,
 *   together with the closing quotes and brackets and further end marks right after it:
 *   « Il viendra. » | Puis …   ·   (… fin.) | Puis …   ·   Quoi ?! | …
 * - …unless what follows continues the sentence: a word starting in lower case
 *   (« Vraiment ? » dit-il · « Non ! » a-t-il lancé · an unknown abbreviation "env. trente"),
 *   or , ; : — so "…" ends a sentence only before a capital, a digit, a quote or a dash.
 * - A sentence holds at least one word or number: leading marks ("… Et puis") stay with it.
 */
#include <utf8proc.h>
#include "internal.h"

static bool is_end_mark(const char *text, const ex_token *t)
{
    if (t->kind != EX_TOK_PUNCT)
        return false;
    const unsigned char *s = (const unsigned char *)text + t->start;
    unsigned char c = s[0];
    if (c == '.' || c == '!' || c == '?')
        return true;
    return c == 0xE2 && t->end - t->start == 3 && s[1] == 0x80 && s[2] == 0xA6; /* … */
}

static bool is_closer(const char *text, const ex_token *t)
{
    if (t->kind != EX_TOK_PUNCT)
        return false;
    if (t->flags & EX_TF_QUOTE_CLOSE)
        return true;
    unsigned char c = (unsigned char)text[t->start];
    return t->end - t->start == 1 && (c == ')' || c == ']' || c == '}');
}

/* Does token t, right after an end mark (and its closers), continue the same sentence? */
static bool continues_sentence(const char *text, const ex_token *t)
{
    const unsigned char *s = (const unsigned char *)text + t->start;
    if (t->kind == EX_TOK_PUNCT)
        return t->end - t->start == 1 && (s[0] == ',' || s[0] == ';' || s[0] == ':');
    if (t->kind != EX_TOK_WORD)
        return false;
    if (s[0] < 0x80)
        return s[0] >= 'a' && s[0] <= 'z';
    utf8proc_int32_t cp;
    if (utf8proc_iterate(s, (utf8proc_ssize_t)(t->end - t->start), &cp) <= 0)
        return false;
    return utf8proc_category(cp) == UTF8PROC_CATEGORY_LL;
}

ex_status ex_stage_sentences(ex_doc *doc, char *err, size_t errlen)
{
    if (!doc || !doc->arena)
        return ex_fail(err, errlen, EX_EINVAL, "sentences: no document");
    doc->sentences.len = 0;
    uint32_t n = doc->tokens.len;
    if (n == 0 || !doc->text)
        return EX_OK;
    const ex_token *tok = doc->tokens.items;
    const char *text = doc->text;
    uint32_t i = 0;
    while (i < n) {
        uint32_t first = i, stop = n;
        bool content = false;
        for (uint32_t j = i; j < n; j++) {
            const ex_token *t = &tok[j];
            if (j > first && (t->flags & EX_TF_PARA_START)) {
                stop = j;
                break;
            }
            bool abbrev_stop = (t->flags & EX_TF_ABBREV_STOP) != 0;
            if (t->kind == EX_TOK_WORD || t->kind == EX_TOK_NUMBER)
                content = true;
            if (!abbrev_stop && !is_end_mark(text, t))
                continue;
            uint32_t k = j + 1;
            while (k < n && !(tok[k].flags & EX_TF_PARA_START) &&
                   (is_closer(text, &tok[k]) || is_end_mark(text, &tok[k])))
                k++;
            if (k >= n || (tok[k].flags & EX_TF_PARA_START)) {
                stop = k;
                break;
            }
            if (!content || continues_sentence(text, &tok[k])) {
                j = k - 1;
                continue;
            }
            stop = k;
            break;
        }
        ex_sentence *se = ex_vec_push(doc->arena, &doc->sentences, sizeof *se);
        if (!se)
            return ex_fail(err, errlen, EX_ENOMEM, "sentences: out of memory");
        se->tok_start = first;
        se->tok_end = stop;
        se->start = tok[first].start;
        se->end = tok[stop - 1].end;
        i = stop;
    }
    return EX_OK;
}
