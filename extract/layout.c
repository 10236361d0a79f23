/*
 * layout.c — stage 2, layout: tells what each paragraph of a page copy is (section label, title,
 * standfirst, byline, subheading, body, pull quote and its attribution, page furniture), fills
 * section, title, standfirst, authors, published and builds the clean `text` with its blocks.
 *
 * May touch: doc->text, text_len, blocks, boilerplate, subheadings, authors, section, title,
 * standfirst, published, published_from, warnings (writes, in the arena); doc->norm, doc->paras,
 * doc->in, doc->res->layout (reads). Uses ex_text_normalize (a text.c helper, not a stage) for
 * the envelope title, and layout_words.c for its word table, dates, names and line shapes.
 * Calls no stage.
 *
 * Input: the text stage's paragraphs (one per line of the page copy; NFC; no-break spaces are
 * spaces; quotes « » “ ” " and dashes – — - kept as typed). Rules, in order:
 *  1. Furniture: a short paragraph (at most 40 words, 400 bytes) that matches a phrase of
 *     data/{fr,en}/layout-furniture.txt (modes line / head / any / contains / near, see that
 *     file) is removed from `text` and listed in `boilerplate` with its kind; after a bare
 *     "À LIRE AUSSI :" the next short line (the linked headline) is related too. Nothing else
 *     is dropped as furniture: if every paragraph looks like furniture, all are kept as body.
 *  2. Section: the first paragraph, when it is a label of data/{fr,en}/layout-sections.txt, a
 *     breadcrumb with one ("Accueil > Économie"), a line of at most three words right before the
 *     envelope title, or one or two words before a longer headline, becomes `section` and leaves
 *     `text`. Only when something follows it.
 *  3. Title: the envelope title wins; when the next paragraph equals it, that paragraph is the
 *     title block, else the title opens `text`. Without one, the first paragraph is the title
 *     when it looks like one (at most 300 bytes and 35 words, no final period, no lower-case
 *     start, not a byline or a dated line) and something follows it.
 *  4. Header: bylines after the title ("Par A, B et C", "By A and B", "Par A, publié le …",
 *     "Publié le 20/11/2023 à 10h32, mis à jour le …", "Updated Nov. 20, 2023 …", "A | Reporter",
 *     "Par la rédaction", agency signatures "(AFP)", "— Reuters") and a date alone next to one
 *     ("8 February 2024", "Le 12/03/2024 à 07h45") are byline lines: their names go to
 *     `authors` (roles dropped), their dates to the published date (first publication wins over
 *     an update), and the lines leave `text` (fields only; no "byline" block is written). The
 *     paragraph after the title is the standfirst when a byline or a dateline follows it.
 *  5. Body: a paragraph that is one quotation followed by a short attribution line ("Satya
 *     Nadella, PDG de Microsoft", "— Jane Doe, CEO") gives a pullquote and an attribution block;
 *     a short line between body paragraphs (at most 14 words, 8 for a question, no final period,
 *     colon or comma) is a subheading; a byline among the last two paragraphs is a byline.
 *  6. Published: the envelope's ISO 8601 date wins ("envelope"); then a byline's publication
 *     date, then the date of a dateline opening one of the first paragraphs ("22 mai 2012. –",
 *     "2 janvier 2018 . –", "Thursday, May 7, 2015"; a dateline stays in the body), then a
 *     byline's update date (all "byline"); then the receive time ("received"); else NULL.
 *  7. Authors: the named ones; an agency ("(AFP)", "PARIS (AFP) –") only when nobody is named.
 *  `text` = title, standfirst, subheadings, body, pull quotes and attributions, joined by "\n\n"
 *  (section, byline lines and furniture left out), NUL-terminated.
 *  Every test is a bounded look at a short line or at a paragraph's two ends, so the stage is
 *  linear in the input and never allocates per character.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "layout_internal.h"

enum role {
    R_BODY,
    R_SECTION,
    R_TITLE,
    R_STANDFIRST,
    R_BYLINE,
    R_SUB,
    R_PULL,
    R_ATTR,
    R_FURN,
    R_WEAK /* furniture only next to furniture (while classifying) */
};

typedef struct lpara {
    uint32_t s, e; /* byte span in doc->norm */
    uint8_t role;  /* enum role */
    uint8_t boiler; /* ex_boiler_kind when R_FURN */
} lpara;

#define MAX_NAMES 8
#define FURN_MAX_WORDS 40
#define FURN_MAX_BYTES 400
#define BYLINE_MAX_BYTES 240
#define HEADER_MAX 12   /* paragraphs looked at for bylines after the title */
#define DATELINE_SCAN 15 /* first kept paragraphs searched for a dated dateline */

typedef struct byline_info {
    uint32_t name_s[MAX_NAMES], name_e[MAX_NAMES]; /* offsets into the paragraph */
    unsigned nn;
    bool has_pub, has_upd;
    bool agency; /* a signature of agencies only: "(AFP)", "— Reuters" */
    lay_ymd pub, upd;
} byline_info;

typedef struct lstate {
    ex_doc *doc;
    const struct ex_layout_res *r;
    lpara *p;
    uint32_t np;
    bool have_pub, have_dl, have_upd; /* dates found: byline publication, dateline, update */
    lay_ymd pub, dl, upd;
    ex_vec agencies;           /* const char *: agency signatures, authors only when alone */
    uint32_t dl_agency_s, dl_agency_e; /* "PARIS (AFP) –": the agency, in paragraph dl_agency_p */
    uint32_t dl_agency_p;
    bool have_dl_agency;
    uint8_t *not_byline; /* per paragraph: 1 once parse_byline said no (it is asked again) */
} lstate;

/* ---- small helpers over one paragraph -------------------------------------------------------- */

static inline const char *ptext(const lstate *st, uint32_t i)
{
    return st->doc->norm + st->p[i].s;
}

static inline size_t plen(const lstate *st, uint32_t i)
{
    return st->p[i].e - st->p[i].s;
}

/* Bullets and arrows that may open a furniture line or a signature. */
static size_t bullet_at(const char *s, size_t n, size_t i)
{
    if (i >= n)
        return 0;
    uint32_t cp;
    size_t l = lay_decode(s + i, n - i, &cp);
    switch (cp) {
    case '>':
    case '(':
    case '[':
    case 0x2022: /* • */
    case 0x00B7: /* · */
    case 0x25B6: /* ▶ */
    case 0x25BA: /* ► */
    case 0x2192: /* → */
    case 0x203A: /* › */
    case 0x00BB: /* » */
        return l;
    default:
        return 0;
    }
}

/* Separators that may follow a furniture head ("À LIRE AUSSI :", "LIRE AUSSI >"). */
static bool is_separator(uint32_t cp)
{
    switch (cp) {
    case ':':
    case '>':
    case '|':
    case '/':
    case '-':
    case 0x2013:
    case 0x2014:
    case 0x2192:
    case 0x203A:
    case 0x00BB:
    case 0x25B6:
    case 0x25BA:
    case 0x2022:
    case 0x00B7:
        return true;
    default:
        return false;
    }
}

static bool is_wordchar(uint32_t cp)
{
    return lay_is_letter(cp) || (cp >= '0' && cp <= '9') || cp == '\'' || cp == '#';
}

/* ---- furniture ------------------------------------------------------------------------------- */

/* Ends of up to max words of low[pos..ln) (word boundaries after a word character, and after a
 * lone symbol such as "©"). Returns how many. */
static unsigned word_bounds(const char *low, size_t ln, size_t pos, size_t *ends, unsigned max)
{
    unsigned k = 0;
    size_t i = pos;
    bool in_word = false;
    while (i < ln && k < max) {
        uint32_t cp;
        size_t l = lay_decode(low + i, ln - i, &cp);
        bool wc = is_wordchar(cp) || ((cp == '-' || cp == '.') && in_word && i + l < ln &&
                                      low[i + l] != ' ');
        if (!wc && cp != ' ' && !in_word && i == pos) {
            ends[k++] = i + l; /* a symbol phrase: "©" */
            i += l;
            continue;
        }
        if (in_word && !wc)
            ends[k++] = i;
        in_word = wc;
        i += l;
    }
    if (in_word && k < max)
        ends[k++] = ln;
    return k;
}

#define FM(k) (1u << (k))
#define FM_ALL                                                                                     \
    (FM(LW_FURN_LINE) | FM(LW_FURN_HEAD) | FM(LW_FURN_ANY) | FM(LW_FURN_NEAR) |                  \
     FM(LW_FURN_CONTAINS))
#define FM_LINE (FM(LW_FURN_LINE) | FM(LW_FURN_NEAR))

/* The longest phrase of one of the furniture kinds in mask starting at low[pos] (want_val >= 0:
 * of that boilerplate kind only). */
static const lw_entry *furn_phrase(const lstate *st, const char *low, size_t ln, size_t pos,
                                   unsigned mask, int want_val, size_t *end)
{
    size_t ends[8];
    unsigned k = word_bounds(low, ln, pos, ends, 8);
    /* most words open no phrase: one lookup says so */
    if (k == 0 || !lw_has_low(st->r, low + pos, ends[0] - pos, LW_FURN_FIRST, NULL))
        return NULL;
    while (k-- > 0) {
        const lw_entry *a, *b;
        if (!lw_range(st->r, low + pos, ends[k] - pos, &a, &b))
            continue;
        for (; a < b; a++) {
            if (!(mask & FM(a->kind)))
                continue;
            if (want_val >= 0 && a->val != want_val)
                continue;
            *end = ends[k];
            return a;
        }
    }
    return NULL;
}

/* Skips spaces and punctuation that is not a word character. */
static size_t skip_punct(const char *s, size_t n, size_t i)
{
    while (i < n) {
        uint32_t cp;
        size_t l = lay_decode(s + i, n - i, &cp);
        if (is_wordchar(cp))
            break;
        i += l;
    }
    return i;
}

static bool has_lower_letter(const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        i += lay_decode(s + i, n - i, &cp);
        if (lay_is_lower(cp))
            return true;
    }
    return false;
}

/* The paragraph's furniture match. */
typedef struct furn_match {
    ex_boiler_kind kind;
    bool weak; /* one "near" phrase alone ("Facebook"): furniture only next to its kind */
    bool bare; /* a related head with nothing after it ("À LIRE AUSSI :"): the next line is
                  the linked headline */
} furn_match;

/* A run of line phrases of one kind from low[j] to the end, punctuation between them. */
static bool line_run(const lstate *st, const char *low, size_t ln, const lw_entry *e, size_t end,
                     furn_match *m)
{
    int val = e->val;
    bool all_near = e->kind == LW_FURN_NEAR;
    unsigned count = 1;
    size_t j = skip_punct(low, ln, end);
    while (j < ln && count < 16) {
        size_t e2;
        const lw_entry *x = furn_phrase(st, low, ln, j, FM_LINE, val, &e2);
        if (!x)
            return false;
        all_near = all_near && x->kind == LW_FURN_NEAR;
        count++;
        j = skip_punct(low, ln, e2);
    }
    if (j < ln)
        return false;
    m->kind = (ex_boiler_kind)val;
    m->weak = all_near && count == 1;
    return true;
}

/* Is the paragraph furniture? Its lower-cased form (digit runs read as one '#', so "Voir les 14
 * commentaires" matches "voir les # commentaires") is matched against the phrase table. */
static bool furniture(const lstate *st, const char *s, size_t n, furn_match *m)
{
    memset(m, 0, sizeof *m);
    if (n == 0 || n > FURN_MAX_BYTES)
        return false;
    bool short_line = lay_count_words(s, n, 13) <= 12 && !lay_ends_period(s, n);
    char low[FURN_MAX_BYTES * 3];
    if (!short_line) {
        /* only a phrase at the start can match: look at the first word before anything else */
        size_t cut = n < 48 ? n : 48;
        while (cut < n && cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
        int l0 = ex_utf8_lower(s, cut, low, sizeof low);
        if (l0 <= 0)
            return false;
        size_t p0 = lay_skip_spaces(low, (size_t)l0, bullet_at(low, (size_t)l0, 0));
        for (size_t k = p0; k < (size_t)l0; k++)
            if (low[k] >= '0' && low[k] <= '9')
                low[k] = '#'; /* one digit is enough to stand for the run here */
        size_t w1;
        if (word_bounds(low, (size_t)l0, p0, &w1, 1) == 0)
            return false;
        size_t wl = w1 - p0;
        if (low[p0] == '#') /* a digit run reads as one '#' */
            wl = 1;
        if (!lw_has_low(st->r, low + p0, wl, LW_FURN_FIRST, NULL))
            return false;
    }
    if (lay_count_words(s, n, FURN_MAX_WORDS + 1) > FURN_MAX_WORDS)
        return false;
    int lnl = ex_utf8_lower(s, n, low, sizeof low);
    if (lnl <= 0)
        return false;
    bool same_len = (size_t)lnl == n;
    size_t ln = 0;
    for (size_t i = 0; i < (size_t)lnl; i++) { /* digit runs → '#' */
        if (low[i] >= '0' && low[i] <= '9') {
            if (ln > 0 && low[ln - 1] == '#')
                continue;
            low[ln++] = '#';
            same_len = false;
        } else {
            low[ln++] = low[i];
        }
    }
    size_t pos = bullet_at(low, ln, 0);
    pos = lay_skip_spaces(low, ln, pos);
    size_t end = 0;
    const lw_entry *e = furn_phrase(st, low, ln, pos, FM_ALL & ~FM(LW_FURN_CONTAINS), -1, &end);
    if (e && e->kind == LW_FURN_ANY) {
        m->kind = (ex_boiler_kind)e->val;
        return true;
    }
    if (e && e->kind == LW_FURN_HEAD) {
        size_t j = lay_skip_spaces(low, ln, end);
        uint32_t cp = 0;
        if (j < ln)
            lay_decode(low + j, ln - j, &cp);
        /* "LIRE AUSSI Le titre": a related head in capitals needs no separator. A credit
         * takes ':' '/' '|' only, so that a headline "PHOTOS - Les plus belles images" stays */
        bool related = e->val == EX_BOILER_RELATED;
        bool caps = related && same_len && !has_lower_letter(s + pos, end - pos) && end - pos >= 3;
        bool sep = is_separator(cp) &&
                   (e->val != EX_BOILER_CREDIT || cp == ':' || cp == '/' || cp == '|');
        if (j >= ln || sep || caps || skip_punct(low, ln, j) >= ln) {
            m->kind = (ex_boiler_kind)e->val;
            m->bare = m->kind == EX_BOILER_RELATED && skip_punct(low, ln, j) >= ln;
            return true;
        }
        /* a head phrase may also be a whole line of its own kind ("Lire la suite") */
        e = furn_phrase(st, low, ln, pos, FM_LINE, -1, &end);
    }
    if (e && line_run(st, low, ln, e, end, m))
        return true;
    /* a short line with no final period that contains a telling word ("Recevez chaque lundi
     * notre newsletter Sport") */
    if (short_line) {
        for (size_t i = pos; i < ln; i++) {
            if (i > pos && low[i - 1] != ' ')
                continue;
            const lw_entry *x = furn_phrase(st, low, ln, i, FM(LW_FURN_CONTAINS), -1, &end);
            if (x) {
                m->kind = (ex_boiler_kind)x->val;
                return true;
            }
        }
    }
    return false;
}

/* ---- bylines --------------------------------------------------------------------------------- */

/* A phrase of the given kind starting at s[i] (up to five words): returns its end, or i. */
static size_t phrase_at(const lstate *st, const char *s, size_t n, size_t i, int kind)
{
    size_t ends[5];
    unsigned k = 0;
    size_t j = i;
    while (k < 5 && j < n) {
        size_t e = lay_word_end(s, n, j);
        if (e == j) {
            if (s[j] == '&' || s[j] == '.') { /* "&", and "st." style abbreviations */
                e = j + 1;
            } else {
                break;
            }
        } else if (e < n && s[e] == '.' && k == 0) {
            ends[k++] = e; /* also try the word with its dot below */
            if (lw_has(st->r, s + i, e + 1 - i, kind, NULL))
                return e + 1;
        }
        ends[k++] = e;
        if (e >= n || s[e] != ' ')
            break;
        j = e + 1;
    }
    while (k-- > 0)
        if (lw_has(st->r, s + i, ends[k] - i, kind, NULL))
            return ends[k];
    return i;
}

/* Agencies only: "AFP", "(AFP)", "— Reuters", "AFP/Reuters", "avec AFP", "AFP et Reuters". */
static bool agency_signature(const lstate *st, const char *s, size_t n, byline_info *b)
{
    if (n > 80)
        return false;
    size_t i = 0, m = n;
    size_t d = lay_dash_at(s, n, 0);
    if (d)
        i = lay_skip_spaces(s, n, d);
    while (m > i && (s[m - 1] == '.' || s[m - 1] == ' '))
        m--;
    if (i < m && s[i] == '(' && s[m - 1] == ')') {
        i++;
        m--;
    }
    size_t w = phrase_at(st, s, m, i, LW_WITH);
    if (w > i)
        i = lay_skip_spaces(s, m, w);
    unsigned found = 0;
    while (i < m && found < MAX_NAMES) {
        size_t e = i;
        /* the longest agency name that ends at a separator */
        size_t best = i;
        for (size_t j = i; j <= m && j - i <= 40; j++) {
            if (j == m || s[j] == '/' || s[j] == ',' || s[j] == ' ') {
                if (j > i && lw_has(st->r, s + i, j - i, LW_AGENCY, NULL))
                    best = j;
            }
        }
        if (best == i)
            return false;
        e = best;
        b->name_s[found] = (uint32_t)i;
        b->name_e[found] = (uint32_t)e;
        found++;
        if (e == m)
            break;
        i = e;
        if (s[i] == '/' || s[i] == ',')
            i++;
        i = lay_skip_spaces(s, m, i);
        size_t c = phrase_at(st, s, m, i, LW_CONJ);
        if (c > i)
            i = lay_skip_spaces(s, m, c);
    }
    if (found == 0 || (i < m && found == MAX_NAMES))
        return false;
    b->nn = found;
    b->agency = true;
    return true;
}

static size_t name_list(const lstate *st, const char *s, size_t n, size_t i, byline_info *b);

/* Dates of a byline from byte from: each is a publication date unless an update marker
 * ("mis à jour", "updated") comes before it (after the last publication marker). */
static bool byline_dates(const lstate *st, const char *s, size_t n, size_t from, byline_info *b)
{
    bool update = false, any = false;
    size_t i = from;
    while (i < n) {
        uint32_t cp;
        size_t l = lay_decode(s + i, n - i, &cp);
        bool start = i == from || s[i - 1] == ' ' || s[i - 1] == ',' || s[i - 1] == '(';
        if (start && (lay_is_letter(cp) || (cp >= '0' && cp <= '9'))) {
            size_t e;
            lay_ymd d;
            if (lay_date_at(st->r, s, n, i, &d, &e)) {
                if (update && !b->has_upd) {
                    b->upd = d;
                    b->has_upd = true;
                } else if (!update && !b->has_pub) {
                    b->pub = d;
                    b->has_pub = true;
                }
                any = true;
                i = e;
                continue;
            }
            if (lay_is_letter(cp)) {
                size_t e2 = phrase_at(st, s, n, i, LW_BY); /* "Posted on … by Jane Doe" */
                if (e2 > i && e2 < n && s[e2] == ' ' && b->nn == 0) {
                    size_t ne = name_list(st, s, n, e2 + 1, b);
                    if (b->nn > 0) {
                        i = ne;
                        continue;
                    }
                }
                e2 = phrase_at(st, s, n, i, LW_UPDATED);
                if (e2 > i) {
                    update = true;
                    i = e2;
                    continue;
                }
                e2 = phrase_at(st, s, n, i, LW_PUBLISHED);
                if (e2 > i) {
                    update = false;
                    i = e2;
                    continue;
                }
                i = lay_word_end(s, n, i);
                continue;
            }
        }
        i += l;
    }
    return any;
}

/* Names after "Par"/"By": "A", "A et B", "A, B et C", "A and B", "A & B". Returns the end. */
static size_t name_list(const lstate *st, const char *s, size_t n, size_t i, byline_info *b)
{
    size_t end = i;
    while (b->nn < MAX_NAMES) {
        unsigned t;
        size_t e = lay_name_at(st->r, s, n, i, &t);
        if (e == i)
            break;
        b->name_s[b->nn] = (uint32_t)i;
        b->name_e[b->nn] = (uint32_t)e;
        b->nn++;
        end = e;
        size_t j = e;
        if (j < n && s[j] == ',') {
            size_t k = lay_skip_spaces(s, n, j + 1);
            lay_ymd dd;
            size_t de;
            if (lay_date_at(st->r, s, n, k, &dd, &de))
                break; /* "By A, July 2, 2024" */
            size_t c = phrase_at(st, s, n, k, LW_CONJ); /* "A, B, et C" */
            if (c > k)
                k = lay_skip_spaces(s, n, c);
            unsigned t2;
            size_t e2 = lay_name_at(st->r, s, n, k, &t2);
            /* the next item must be a name followed by a separator or the end, not the start
             * of a phrase ("Par A, Publié le …" is a marker, caught by the caller) */
            if (e2 == k || phrase_at(st, s, n, k, LW_PUBLISHED) > k ||
                phrase_at(st, s, n, k, LW_UPDATED) > k)
                break;
            i = k;
            continue;
        }
        if (j < n && s[j] == ' ') {
            size_t k = j + 1;
            size_t c = phrase_at(st, s, n, k, LW_CONJ);
            if (c > k && c < n && s[c] == ' ') {
                unsigned t2;
                size_t k2 = c + 1;
                if (lay_name_at(st->r, s, n, k2, &t2) > k2) {
                    i = k2;
                    continue;
                }
            }
        }
        break;
    }
    return end;
}

/* Bylines that open with a word of the lists: agency signatures, "Publié le …", "Updated …",
 * "Par la rédaction", "Par A, B et C". 1: a byline, 0: not one, -1: none of these shapes. */
static int byline_led(const lstate *st, const char *s, size_t n, size_t i, byline_info *b)
{
    if (agency_signature(st, s, n, b))
        return 1;
    memset(b, 0, sizeof *b);

    /* "Publié le 20/11/2023 à 10h32, mis à jour le …", "Updated Nov. 20, 2023", "Published 9
     * February 2024": a date line */
    if (phrase_at(st, s, n, i, LW_PUBLISHED) > i || phrase_at(st, s, n, i, LW_UPDATED) > i) {
        /* not a sentence: "Publié le 3 mars 2024, le rapport a fait grand bruit." stays body */
        unsigned w = lay_count_words(s, n, 18);
        if (w > 16 || (w > 10 && lay_ends_period(s, n)))
            return 0;
        if (byline_dates(st, s, n, i, b))
            return 1;
        /* no full date but a time: "Publié aujourd'hui à 10h32", "Updated 2 hours ago" */
        bool digit = false;
        for (size_t k = i; k < n && !digit; k++)
            digit = s[k] >= '0' && s[k] <= '9';
        return digit && w <= 8 && !lay_ends_period(s, n) ? 1 : 0;
    }

    /* "Par la rédaction", "De notre envoyée spéciale à Kiev", "By Staff": nobody named */
    size_t an = phrase_at(st, s, n, i, LW_ANON);
    if (an > i && (an == n || s[an] == ' ' || s[an] == ',') &&
        lay_count_words(s + an, n - an, 10) <= 8 && !lay_ends_period(s, n)) {
        byline_dates(st, s, n, an, b);
        return 1;
    }

    /* "Par A, B et C[, publié le …]", "By A and B" */
    size_t by = phrase_at(st, s, n, i, LW_BY);
    if (by > i && by < n && s[by] == ' ') {
        size_t j = by + 1;
        size_t end = name_list(st, s, n, j, b);
        if (b->nn == 0)
            return 0;
        size_t t = lay_skip_spaces(s, n, end);
        if (t >= n)
            return 1;
        uint32_t cp;
        size_t sl = lay_decode(s + t, n - t, &cp);
        size_t dl = lay_dash_at(s, n, t);
        bool sep = cp == ',' || cp == '|' || cp == '(' || cp == '/' || cp == 0x2022 ||
                   cp == 0xB7 || dl > 0;
        size_t tt = sep ? lay_skip_spaces(s, n, t + (dl ? dl : sl)) : t;
        bool marker = phrase_at(st, s, n, tt, LW_PUBLISHED) > tt ||
                      phrase_at(st, s, n, tt, LW_UPDATED) > tt ||
                      phrase_at(st, s, n, tt, LW_WITH) > tt;
        lay_ymd dd;
        size_t de;
        bool date = lay_date_at(st->r, s, n, tt, &dd, &de);
        if (!sep && !marker && !date)
            return 0; /* "Par Internet les usagers …": a sentence */
        bool dates = byline_dates(st, s, n, end, b);
        if (!dates && (lay_ends_period(s, n) || lay_count_words(s + t, n - t, 14) > 12))
            return 0;
        return 1;
    }

    return -1;
}

static bool parse_byline(const lstate *st, const char *s, size_t n, byline_info *b)
{
    memset(b, 0, sizeof *b);
    if (n == 0 || n > BYLINE_MAX_BYTES)
        return false;
    size_t i = 0;
    size_t d = lay_dash_at(s, n, 0);
    if (d && d < n && s[d] == ' ')
        i = d + 1;
    size_t bl = bullet_at(s, n, i);
    if (bl && s[i] != '(')
        i += bl;
    i = lay_skip_spaces(s, n, i);
    /* the led shapes all open with a word of the byline lists ("par", "publié", "afp"…): one
     * lookup rules them out for most paragraphs */
    size_t j0 = i < n && s[i] == '(' ? i + 1 : i;
    size_t w0 = lay_word_end(s, n, j0);
    if (w0 > j0 && lw_has(st->r, s + j0, w0 - j0, LW_BYFIRST, NULL)) {
        int led = byline_led(st, s, n, i, b);
        if (led >= 0)
            return led == 1;
        memset(b, 0, sizeof *b);
    }
    /* "Thierry Derouet, publié le 20 novembre 2023": a name, a comma, a date marker */
    {
        unsigned t;
        size_t e = lay_name_at(st->r, s, n, i, &t);
        if (e > i && t >= 2 && e + 2 < n && s[e] == ',') {
            size_t k = lay_skip_spaces(s, n, e + 1);
            if (phrase_at(st, s, n, k, LW_PUBLISHED) > k ||
                phrase_at(st, s, n, k, LW_UPDATED) > k) {
                byline_info tmp;
                memset(&tmp, 0, sizeof tmp);
                if (byline_dates(st, s, n, k, &tmp) && lay_count_words(s, n, 18) <= 16) {
                    *b = tmp;
                    b->name_s[0] = (uint32_t)i;
                    b->name_e[0] = (uint32_t)e;
                    b->nn = 1;
                    return true;
                }
            }
        }
    }

    /* "Jane Doe | Reporter" */
    const char *bar = memchr(s, '|', n);
    if (bar) {
        size_t k = (size_t)(bar - s);
        size_t m = k;
        while (m > i && s[m - 1] == ' ')
            m--;
        unsigned t;
        size_t e = lay_name_at(st->r, s, m, i, &t);
        if (e == m && t >= 2 && lay_count_words(bar + 1, n - k - 1, 10) <= 8 &&
            !lay_ends_period(s, n)) {
            b->name_s[0] = (uint32_t)i;
            b->name_e[0] = (uint32_t)e;
            b->nn = 1;
            byline_dates(st, s, n, k + 1, b);
            return true;
        }
    }
    return false;
}

/* ---- titles, subheadings, pull quotes -------------------------------------------------------- */

/* "Satya Nadella, PDG de Microsoft", "Greg Brockman – Cofondateur d'OpenAI", "— Jane Doe, CEO" */
static bool attribution_like(const lstate *st, const char *s, size_t n)
{
    if (n == 0 || n > 160 || lay_count_words(s, n, 17) > 16 || lay_ends_period(s, n))
        return false;
    size_t i = 0, d = lay_dash_at(s, n, 0);
    if (d) {
        i = lay_skip_spaces(s, n, d);
        unsigned t;
        return lay_name_at(st->r, s, n, i, &t) > i;
    }
    unsigned t;
    size_t e = lay_name_at(st->r, s, n, 0, &t);
    if (e == 0 || t < 2)
        return false;
    size_t j = lay_skip_spaces(s, n, e);
    return j >= n || s[j] == ',' || s[j] == '(' || lay_dash_at(s, n, j) > 0;
}

/* ---- published ------------------------------------------------------------------------------- */

static ex_status set_published(lstate *st, char *err, size_t errlen)
{
    ex_doc *doc = st->doc;
    char date[16];
    const char *pub = doc->in.published;
    doc->published = NULL;
    doc->published_from = NULL;
    if (pub && *pub) {
        if (lay_iso8601_date(pub, strlen(pub), date)) {
            doc->published = ex_arena_strndup(doc->arena, date, 10);
            doc->published_from = "envelope";
            return doc->published ? EX_OK
                                  : ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
        }
        if (ex_doc_warn(doc, "published ignored: not an ISO 8601 date") != EX_OK)
            return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
    }
    const lay_ymd *d = st->have_pub ? &st->pub
                       : st->have_dl ? &st->dl
                       : st->have_upd ? &st->upd
                                      : NULL;
    if (d) {
        snprintf(date, sizeof date, "%04d-%02d-%02d", d->y, d->m, d->d);
        doc->published = ex_arena_strndup(doc->arena, date, 10);
        doc->published_from = "byline";
        return doc->published ? EX_OK : ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
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
    return EX_OK;
}

/* ---- the stage ------------------------------------------------------------------------------- */

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

/* A section label: one of data/{fr,en}/layout-sections.txt, or a breadcrumb of two to four
 * short parts of which one is a known label ("Accueil > Économie > Entreprises"). */
static bool section_label(const lstate *st, const char *s, size_t n)
{
    if (n == 0 || n > 80)
        return false;
    if (lw_has(st->r, s, n, LW_SECTION, NULL))
        return true;
    unsigned parts = 0;
    bool known = false;
    size_t a = 0;
    for (size_t i = 0; i <= n;) {
        uint32_t cp = 0;
        size_t l = i < n ? lay_decode(s + i, n - i, &cp) : 0;
        bool sep = i == n || cp == '>' || cp == '/' || cp == '|' || cp == 0x203A || cp == 0xBB ||
                   cp == 0x2192;
        if (!sep) {
            i += l;
            continue;
        }
        size_t x = a, y = i;
        while (x < y && s[x] == ' ')
            x++;
        while (y > x && s[y - 1] == ' ')
            y--;
        if (y == x || lay_count_words(s + x, y - x, 4) > 3 || !lay_title_like(s + x, y - x))
            return false;
        known = known || lw_has(st->r, s + x, y - x, LW_SECTION, NULL);
        parts++;
        if (i == n)
            break;
        i += l;
        a = i;
    }
    return parts >= 2 && parts <= 4 && known;
}

/* First paragraph at or after i that is not furniture (np when none). */
static uint32_t next_kept(const lstate *st, uint32_t i)
{
    while (i < st->np && st->p[i].role == R_FURN)
        i++;
    return i;
}

/* Adds the byline's names to doc->authors (no duplicates); and its dates to the state. */
static bool take_byline(lstate *st, uint32_t i, const byline_info *b)
{
    ex_doc *doc = st->doc;
    const char *s = ptext(st, i);
    ex_vec *list = b->agency ? &st->agencies : &doc->authors;
    for (unsigned k = 0; k < b->nn; k++) {
        uint32_t a = b->name_s[k], e = b->name_e[k];
        bool dup = false;
        for (uint32_t j = 0; j < list->len && !dup; j++) {
            const char *x = EX_VEC_AT(*list, const char *, j);
            dup = strlen(x) == e - a && memcmp(x, s + a, e - a) == 0;
        }
        if (dup)
            continue;
        const char **slot = ex_vec_push(doc->arena, list, sizeof *slot);
        if (!slot)
            return false;
        *slot = ex_arena_strndup(doc->arena, s + a, e - a);
        if (!*slot)
            return false;
    }
    if (b->has_pub && !st->have_pub) {
        st->pub = b->pub;
        st->have_pub = true;
    }
    if (b->has_upd && !st->have_upd) {
        st->upd = b->upd;
        st->have_upd = true;
    }
    st->p[i].role = R_BYLINE;
    return true;
}

static bool is_byline(const lstate *st, uint32_t i, byline_info *b)
{
    if (st->not_byline[i])
        return false;
    if (parse_byline(st, ptext(st, i), plen(st, i), b))
        return true;
    st->not_byline[i] = 1;
    return false;
}

static bool opens_dateline(const lstate *st, uint32_t i)
{
    lay_ymd d;
    bool dated;
    uint32_t as, ae;
    return lay_dateline(st->r, ptext(st, i), plen(st, i), &d, &dated, &as, &ae);
}

/* Does the paragraph open with a dateline that carries a date ("22 mai 2012. –", a date
 * alone)? A headline may open like a place dateline ("PHOTOS - …"), not like this. */
static bool opens_dated_line(const lstate *st, uint32_t i)
{
    lay_ymd d;
    bool dated;
    uint32_t as, ae;
    return lay_dateline(st->r, ptext(st, i), plen(st, i), &d, &dated, &as, &ae) && dated;
}

/* A line that is only a date, maybe with a time: "Thursday, May 7, 2015", "8 February 2024",
 * "Thu 14 Mar 2024 07.00 GMT", "Le 12/03/2024 à 07h45". */
static bool date_only(const lstate *st, uint32_t i, lay_ymd *d)
{
    const char *s = ptext(st, i);
    size_t n = plen(st, i);
    if (n == 0 || n > 80)
        return false;
    size_t k = 0, w = lay_word_end(s, n, 0);
    if (w > 0 && w < n && s[w] == ' ' && lw_has(st->r, s, w, LW_DATEPREFIX, NULL))
        k = w + 1;
    size_t e;
    if (!lay_date_at(st->r, s, n, k, d, &e) || n - e > 40)
        return false;
    unsigned letters = 0;
    for (size_t j = e; j < n;) {
        uint32_t cp;
        j += lay_decode(s + j, n - j, &cp);
        letters += lay_is_letter(cp);
    }
    return letters <= 6;
}

/* Decides every paragraph's role. Returns false on allocation failure. */
static bool classify(lstate *st, uint32_t title_len)
{
    ex_doc *doc = st->doc;
    lpara *p = st->p;
    uint32_t np = st->np;
    byline_info b;

    /* 1. furniture; a weak line ("Facebook") only next to furniture of its kind; the line
     * after a bare related head is its headline */
    uint32_t kept = 0;
    bool any_weak = false;
    for (uint32_t i = 0; i < np; i++) {
        furn_match fm;
        if (furniture(st, ptext(st, i), plen(st, i), &fm)) {
            p[i].role = fm.weak ? R_WEAK : R_FURN;
            p[i].boiler = (uint8_t)fm.kind;
            any_weak = any_weak || fm.weak;
            if (fm.bare && i + 1 < np &&
                lay_count_words(ptext(st, i + 1), plen(st, i + 1), 30) <= 25 &&
                !lay_ends_period(ptext(st, i + 1), plen(st, i + 1)) &&
                !furniture(st, ptext(st, i + 1), plen(st, i + 1), &fm)) {
                p[i + 1].role = R_FURN;
                p[i + 1].boiler = EX_BOILER_RELATED;
                i++;
            }
        }
    }
    if (any_weak) {
        for (uint32_t i = 1; i < np; i++) /* forward, then backward: chains from an anchor */
            if (p[i].role == R_WEAK && p[i - 1].role == R_FURN && p[i - 1].boiler == p[i].boiler)
                p[i].role = R_FURN;
        for (uint32_t i = np; i-- > 1;)
            if (p[i - 1].role == R_WEAK && p[i].role == R_FURN && p[i - 1].boiler == p[i].boiler)
                p[i - 1].role = R_FURN;
        for (uint32_t i = 0; i < np; i++)
            if (p[i].role == R_WEAK)
                p[i].role = R_BODY;
    }
    for (uint32_t i = 0; i < np; i++)
        kept += p[i].role != R_FURN;
    if (kept == 0)
        for (uint32_t i = 0; i < np; i++)
            p[i].role = R_BODY;

    /* 2. section label */
    uint32_t f = next_kept(st, 0);
    if (f >= np)
        return true;
    uint32_t f2 = next_kept(st, f + 1);
    if (f2 < np) {
        const char *s = ptext(st, f);
        size_t n = plen(st, f);
        bool label = section_label(st, s, n);
        if (!label && doc->title && plen(st, f2) == title_len &&
            memcmp(ptext(st, f2), doc->title, title_len) == 0 && lay_count_words(s, n, 4) <= 3 &&
            !lay_ends_period(s, n) && lay_title_like(s, n))
            label = true;
        /* an unlisted label: one or two words, then a longer headline, then more text */
        if (!label && !doc->title && n <= 30 && lay_count_words(s, n, 3) <= 2 &&
            lay_title_like(s, n) && !memchr(s, ':', n) && next_kept(st, f2 + 1) < np &&
            lay_title_like(ptext(st, f2), plen(st, f2)) &&
            lay_count_words(ptext(st, f2), plen(st, f2), 5) >= 4 && !is_byline(st, f, &b) &&
            !is_byline(st, f2, &b) && !opens_dateline(st, f2)) {
            bool digit = false;
            for (size_t k = 0; k < n && !digit; k++)
                digit = s[k] >= '0' && s[k] <= '9';
            label = !digit;
        }
        if (label) {
            p[f].role = R_SECTION;
            f = f2;
        }
    }

    /* 3. title */
    bool have_title = doc->title != NULL;
    uint32_t h = f;
    if (doc->title) {
        if (plen(st, f) == title_len && memcmp(ptext(st, f), doc->title, title_len) == 0) {
            p[f].role = R_TITLE;
            h = next_kept(st, f + 1);
        }
    } else if (next_kept(st, f + 1) < np && lay_title_like(ptext(st, f), plen(st, f)) &&
               !is_byline(st, f, &b) && !opens_dated_line(st, f)) {
        p[f].role = R_TITLE;
        have_title = true;
        h = next_kept(st, f + 1);
    }

    /* 4. header: bylines, standfirst, bylines */
    bool standfirst_done = false, prev_byline = false;
    uint32_t looked = 0;
    uint32_t i = h;
    while (i < np && looked < HEADER_MAX) {
        if (p[i].role == R_FURN) {
            i++;
            continue;
        }
        looked++;
        if (is_byline(st, i, &b)) {
            if (!take_byline(st, i, &b))
                return false;
            prev_byline = true;
            i++;
            continue;
        }
        /* a date alone next to a byline is a date line: "By A" / "8 February 2024" */
        lay_ymd dd;
        if (date_only(st, i, &dd)) {
            uint32_t nx = next_kept(st, i + 1);
            if (prev_byline || (nx < np && is_byline(st, nx, &b))) {
                memset(&b, 0, sizeof b);
                b.has_pub = true;
                b.pub = dd;
                if (!take_byline(st, i, &b))
                    return false;
                prev_byline = true;
                i++;
                continue;
            }
        }
        prev_byline = false;
        if (!have_title || standfirst_done)
            break;
        standfirst_done = true;
        uint32_t nx = next_kept(st, i + 1);
        const char *s = ptext(st, i);
        size_t n = plen(st, i);
        if (nx < np && !opens_dateline(st, i) && !lay_quote_only(s, n) &&
            lay_count_words(s, n, 6) >= 5 && (is_byline(st, nx, &b) || opens_dateline(st, nx))) {
            p[i].role = R_STANDFIRST;
            i++;
            continue;
        }
        break;
    }

    /* 5. body */
    uint32_t body_from = i;
    uint32_t last = np, last2 = np; /* the last two kept paragraphs */
    for (uint32_t k = np; k-- > body_from;) {
        if (p[k].role == R_BODY) {
            if (last == np)
                last = k;
            else {
                last2 = k;
                break;
            }
        }
    }
    bool seen_body = false;
    for (i = body_from; i < np; i++) {
        if (p[i].role != R_BODY)
            continue;
        const char *s = ptext(st, i);
        size_t n = plen(st, i);
        uint32_t nx = next_kept(st, i + 1);
        if (lay_quote_only(s, n) && nx < np && p[nx].role == R_BODY &&
            attribution_like(st, ptext(st, nx), plen(st, nx))) {
            p[i].role = R_PULL;
            p[nx].role = R_ATTR;
            i = nx;
            seen_body = true;
            continue;
        }
        if ((i == last || i == last2) && i > body_from && is_byline(st, i, &b)) {
            if (!take_byline(st, i, &b))
                return false;
            continue;
        }
        if (seen_body && nx < np && p[nx].role == R_BODY && lay_subheading_like(s, n) &&
            !lay_subheading_like(ptext(st, nx), plen(st, nx)) && !opens_dateline(st, i)) {
            p[i].role = R_SUB;
            continue;
        }
        seen_body = true;
    }

    /* 6. a dated dateline among the first kept paragraphs */
    uint32_t scanned = 0;
    for (i = 0; i < np && scanned < DATELINE_SCAN && !st->have_dl; i++) {
        if (p[i].role != R_BODY && p[i].role != R_STANDFIRST)
            continue;
        scanned++;
        lay_ymd d;
        bool dated;
        uint32_t as, ae;
        if (lay_dateline(st->r, ptext(st, i), plen(st, i), &d, &dated, &as, &ae)) {
            if (dated) {
                st->dl = d;
                st->have_dl = true;
            }
            if (ae > as && !st->have_dl_agency) {
                st->have_dl_agency = true;
                st->dl_agency_p = i;
                st->dl_agency_s = as;
                st->dl_agency_e = ae;
            }
        }
    }

    /* 7. authors: the named ones; agencies only when they sign alone */
    if (doc->authors.len == 0 && st->agencies.len > 0) {
        doc->authors = st->agencies;
    } else if (doc->authors.len == 0 && st->have_dl_agency) {
        const char **slot = ex_vec_push(doc->arena, &doc->authors, sizeof *slot);
        if (!slot || !(*slot = ex_arena_strndup(doc->arena,
                                                 ptext(st, st->dl_agency_p) + st->dl_agency_s,
                                                 st->dl_agency_e - st->dl_agency_s)))
            return false;
    }
    return true;
}

static ex_block_kind block_kind(uint8_t role)
{
    switch (role) {
    case R_TITLE:
        return EX_BLOCK_TITLE;
    case R_STANDFIRST:
        return EX_BLOCK_STANDFIRST;
    case R_BYLINE:
        return EX_BLOCK_BYLINE;
    case R_SUB:
        return EX_BLOCK_SUBHEADING;
    case R_PULL:
        return EX_BLOCK_PULLQUOTE;
    case R_ATTR:
        return EX_BLOCK_ATTRIBUTION;
    default:
        return EX_BLOCK_BODY;
    }
}

ex_status ex_stage_layout(ex_doc *doc, char *err, size_t errlen)
{
    if (!doc || !doc->arena || !doc->norm)
        return ex_fail(err, errlen, EX_EINVAL, "layout: no normalised text");
    if (!doc->res || !doc->res->layout)
        return ex_fail(err, errlen, EX_EINVAL, "layout: resources not loaded");
    doc->blocks.len = 0;
    doc->boilerplate.len = 0;
    doc->subheadings.len = 0;
    doc->authors.len = 0;
    doc->section = doc->standfirst = NULL;
    uint32_t title_len;
    ex_status rc = set_title(doc, &title_len, err, errlen);
    if (rc != EX_OK)
        return rc;

    lstate st = {0};
    st.doc = doc;
    st.r = doc->res->layout;
    st.np = doc->paras.len;
    st.p = ex_arena_calloc(doc->arena, st.np ? st.np : 1, sizeof *st.p);
    st.not_byline = ex_arena_calloc(doc->arena, st.np ? st.np : 1, 1);
    if (!st.p || !st.not_byline)
        return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
    const ex_span *paras = doc->paras.items;
    for (uint32_t i = 0; i < st.np; i++) {
        st.p[i].s = paras[i].start;
        st.p[i].e = paras[i].end;
        st.p[i].role = R_BODY;
    }
    if (!classify(&st, title_len))
        return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
    rc = set_published(&st, err, errlen);
    if (rc != EX_OK)
        return rc;

    bool title_in_text = false;
    for (uint32_t i = 0; i < st.np && !title_in_text; i++)
        title_in_text = st.p[i].role == R_TITLE;
    bool title_block = doc->title && !title_in_text;

    /* size: every paragraph, "\n\n" between parts, the title, the NUL */
    size_t size = 1;
    for (uint32_t i = 0; i < st.np; i++)
        size += (size_t)plen(&st, i) + 2;
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
    for (uint32_t i = 0; i < st.np; i++) {
        const lpara *pp = &st.p[i];
        const char *s = ptext(&st, i);
        uint32_t len = (uint32_t)plen(&st, i);
        if (pp->role == R_FURN) {
            ex_boiler *bo = ex_vec_push(doc->arena, &doc->boilerplate, sizeof *bo);
            if (!bo || !(bo->text = ex_arena_strndup(doc->arena, s, len)))
                return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
            bo->kind = (ex_boiler_kind)pp->boiler;
            continue;
        }
        if (pp->role == R_BYLINE)
            continue; /* authors and dates are fields; the line itself leaves the text */
        if (pp->role == R_SECTION) {
            if (!(doc->section = ex_arena_strndup(doc->arena, s, len)))
                return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
            continue;
        }
        if (o > 0) {
            text[o++] = '\n';
            text[o++] = '\n';
        }
        memcpy(text + o, s, len);
        if (!push_block(doc, block_kind(pp->role), o, o + len))
            return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
        if (pp->role == R_SUB) {
            ex_span *sp = ex_vec_push(doc->arena, &doc->subheadings, sizeof *sp);
            if (!sp)
                return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
            sp->start = o;
            sp->end = o + len;
        } else if (pp->role == R_TITLE && !doc->title) {
            if (!(doc->title = ex_arena_strndup(doc->arena, s, len)))
                return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
        } else if (pp->role == R_STANDFIRST && !doc->standfirst) {
            if (!(doc->standfirst = ex_arena_strndup(doc->arena, s, len)))
                return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
        }
        o += len;
    }
    text[o] = '\0';
    doc->text = text;
    doc->text_len = o;
    return EX_OK;
}
