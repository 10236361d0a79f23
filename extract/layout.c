/*
 * layout.c — stage 2, layout (minimal version): builds the clean `text` and its blocks from the
 * text stage's paragraphs, takes the title from the envelope and the publication date from the
 * envelope or the receive time.
 *
 * May touch: doc->text, text_len, blocks, title, published, published_from, warnings (writes,
 * in the arena); doc->norm, doc->paras, doc->in (reads). Uses ex_text_normalize (a text.c
 * helper, not a stage) to normalise the title like the body. Loads no data.
 *
 * Rules of this version (page-layout detection — section, standfirst, byline, subheadings,
 * furniture — comes later and will grow this file):
 *  - text = paragraphs joined by "\n\n", NUL-terminated; one EX_BLOCK_BODY block each.
 *  - Envelope title: normalised to one line; doc->title is set to it. It opens `text` as an
 *    EX_BLOCK_TITLE block, unless the first paragraph already equals it (byte for byte after
 *    normalisation): then that paragraph becomes the title block instead of a body block.
 *    A title that is not valid UTF-8 or blank is ignored with a warning.
 *  - published: the envelope's value when it is an ISO 8601 date or date-time (YYYY-MM-DD,
 *    optionally followed by T or a space, hh:mm[:ss[.fff]] and Z or ±hh[:]mm), stored as its
 *    date part "YYYY-MM-DD" from "envelope"; a value that is not is ignored with a warning.
 *    Else the UTC date of in.received_ms from "received" when > 0. Else NULL.
 *  - authors stay empty.
 */
#include <string.h>
#include <time.h>

#include "internal.h"

static bool digits(const char *s, int n)
{
    for (int i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return false;
    return true;
}

static int num(const char *s, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

static int days_in_month(int year, int month)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0))
        return 29;
    return days[month - 1];
}

/* Is s[0..n) an ISO 8601 date or date-time (extended format)? On true, date[] = "YYYY-MM-DD". */
static bool iso8601_date(const char *s, size_t n, char date[11])
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n < 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
        !digits(s + 8, 2))
        return false;
    int year = num(s, 4), month = num(s + 5, 2), day = num(s + 8, 2);
    if (year < 1 || month < 1 || month > 12 || day < 1 || day > days_in_month(year, month))
        return false;
    size_t i = 10;
    if (i < n) {
        if (s[i] != 'T' && s[i] != 't' && s[i] != ' ')
            return false;
        i++;
        if (n - i < 5 || !digits(s + i, 2) || s[i + 2] != ':' || !digits(s + i + 3, 2))
            return false;
        if (num(s + i, 2) > 24 || num(s + i + 3, 2) > 59)
            return false;
        i += 5;
        if (i < n && s[i] == ':') {
            if (n - i < 3 || !digits(s + i + 1, 2) || num(s + i + 1, 2) > 60)
                return false;
            i += 3;
            if (i < n && (s[i] == '.' || s[i] == ',')) {
                i++;
                size_t f = i;
                while (i < n && s[i] >= '0' && s[i] <= '9')
                    i++;
                if (i == f)
                    return false;
            }
        }
        if (i < n) {
            if (s[i] == 'Z' || s[i] == 'z') {
                i++;
            } else if (s[i] == '+' || s[i] == '-') {
                i++;
                if (n - i < 2 || !digits(s + i, 2) || num(s + i, 2) > 23)
                    return false;
                i += 2;
                if (i < n && s[i] == ':')
                    i++;
                if (i < n) {
                    if (n - i < 2 || !digits(s + i, 2) || num(s + i, 2) > 59)
                        return false;
                    i += 2;
                }
            }
        }
        if (i != n)
            return false;
    }
    memcpy(date, s, 10);
    date[10] = '\0';
    return true;
}

static ex_status set_published(ex_doc *doc, char *err, size_t errlen)
{
    char date[11];
    const char *pub = doc->in.published;
    if (pub && *pub) {
        if (iso8601_date(pub, strlen(pub), date)) {
            doc->published = ex_arena_strndup(doc->arena, date, 10);
            doc->published_from = "envelope";
            return doc->published ? EX_OK
                                  : ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
        }
        if (ex_doc_warn(doc, "published ignored: not an ISO 8601 date") != EX_OK)
            return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
    }
    if (doc->in.received_ms > 0) {
        time_t secs = (time_t)(doc->in.received_ms / 1000);
        struct tm tm;
        if (gmtime_r(&secs, &tm) && strftime(date, sizeof date, "%Y-%m-%d", &tm) == 10) {
            doc->published = ex_arena_strndup(doc->arena, date, 10);
            doc->published_from = "received";
            return doc->published ? EX_OK
                                  : ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
        }
    }
    doc->published = NULL;
    doc->published_from = NULL;
    return EX_OK;
}

/* Normalises the envelope title into doc->title (NULL when absent, blank or invalid). */
static ex_status set_title(ex_doc *doc, uint32_t *title_len, char *err, size_t errlen)
{
    doc->title = NULL;
    *title_len = 0;
    if (!doc->in.title)
        return EX_OK;
    char why[EX_ERRLEN] = "";
    char *t = NULL;
    uint32_t n = 0;
    ex_status st = ex_text_normalize(doc->arena, doc->in.title, strlen(doc->in.title), NULL, &t,
                                     &n, why, sizeof why);
    if (st == EX_ENOMEM)
        return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
    if (st != EX_OK || n == 0) {
        if (ex_doc_warn(doc, "title ignored: %s", st != EX_OK ? why : "blank") != EX_OK)
            return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
        return EX_OK;
    }
    doc->title = t;
    *title_len = n;
    return EX_OK;
}

static bool push_block(ex_doc *doc, ex_block_kind kind, uint32_t start, uint32_t end)
{
    ex_block *b = ex_vec_push(doc->arena, &doc->blocks, sizeof *b);
    if (!b)
        return false;
    b->kind = kind;
    b->start = start;
    b->end = end;
    return true;
}

ex_status ex_stage_layout(ex_doc *doc, char *err, size_t errlen)
{
    if (!doc || !doc->arena || !doc->norm)
        return ex_fail(err, errlen, EX_EINVAL, "layout: no normalised text");
    doc->blocks.len = 0;
    uint32_t title_len;
    ex_status st = set_title(doc, &title_len, err, errlen);
    if (st == EX_OK)
        st = set_published(doc, err, errlen);
    if (st != EX_OK)
        return st;

    const ex_span *paras = doc->paras.items;
    uint32_t np = doc->paras.len;
    bool title_is_first = false;
    if (doc->title && np > 0 && paras[0].end - paras[0].start == title_len &&
        memcmp(doc->norm + paras[0].start, doc->title, title_len) == 0)
        title_is_first = true;
    bool title_block = doc->title && !title_is_first;

    /* size: every paragraph, "\n\n" between parts, the title, the NUL */
    size_t size = 1;
    for (uint32_t i = 0; i < np; i++)
        size += (size_t)(paras[i].end - paras[i].start) + 2;
    if (title_block)
        size += title_len + 2;
    if (size >= UINT32_MAX)
        return ex_fail(err, errlen, EX_EINVAL, "layout: text too large");
    char *text = ex_arena_alloc(doc->arena, size);
    if (!text)
        return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");

    uint32_t o = 0;
    if (title_block) {
        memcpy(text, doc->title, title_len);
        o = title_len;
        if (!push_block(doc, EX_BLOCK_TITLE, 0, o))
            return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
    }
    for (uint32_t i = 0; i < np; i++) {
        if (o > 0) {
            text[o++] = '\n';
            text[o++] = '\n';
        }
        uint32_t len = paras[i].end - paras[i].start;
        memcpy(text + o, doc->norm + paras[i].start, len);
        ex_block_kind kind = (i == 0 && title_is_first) ? EX_BLOCK_TITLE : EX_BLOCK_BODY;
        if (!push_block(doc, kind, o, o + len))
            return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
        o += len;
    }
    text[o] = '\0';
    doc->text = text;
    doc->text_len = o;
    return EX_OK;
}
