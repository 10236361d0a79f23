/*
 * tokens.c — the tokens stage: cuts doc->text into tokens (byte offsets, kind, flags) for French
 * and English news copy, and loads the word lists it needs from data/fr and data/en.
 *
 * May touch: doc->tokens (writes); doc->text, doc->text_len, doc->blocks, doc->res (reads);
 * res->tokens (its own data, built by ex_tokens_res_load, freed by ex_tokens_res_free).
 * Calls no other stage. One pass over the bytes: every look-ahead is either bounded (a few
 * bytes) or cached (the e-mail/domain look-ahead), so the stage is linear in the text length.
 *
 * Decisions later stages rely on:
 * - Every byte that is not white space belongs to exactly one token; tokens never cross a block.
 * - French elisions are their own WORD token, apostrophe included, with EX_TF_ELISION
 *   ("l'État" → "l'" "État"; data/fr/elisions.txt). Other inner apostrophes keep the word whole:
 *   "aujourd'hui", "prud'hommes", "O'Neill", and English "don't", "can't" (n't stays on).
 * - English clitics 's 're 've 'll 'd 'm are split off as WORD tokens: "Sam's" → "Sam" "'s", so
 *   the name is a token of its own (data/en/clitics.txt).
 * - Hyphenated words are one token with EX_TF_HYPHEN ("porte-parole", "Jean-Marc", "COVID-19"),
 *   except a French inverted subject pronoun that ends the word: "a-t-il" → "a" "-t-" "il",
 *   "dit-elle" → "dit" "-" "elle" ("-t-" and "-" are PUNCT tokens).
 * - A number is one NUMBER token: digits with inner "," or "." before digits ("1,5", "1.5",
 *   "1,500,000", "3.12.2020"), "10:30", and French digit groups "250 000": a first group of one
 *   to three digits followed by groups of exactly three digits after a single space (so in
 *   "en 2015 300 personnes" the four-digit 2015 takes no group). A letter suffix stays on the
 *   number ("3.5bn", "250m", "1er", "21st", "10h32"), and so does a hyphenated tail
 *   ("19-year-old"). Currency signs and "%" are SYMBOL tokens of their own: "€250m" → "€"
 *   "250m", "49%" → "49" "%"; the money grammar reads the amount from the digits and the
 *   multiplier from the suffix.
 * - Abbreviations keep their final dot with EX_TF_ABBREV ("M.", "etc.", "Ph.D."), as do dotted
 *   acronyms ("U.S.", "J.-C.") and initials before a capitalised name ("J." "K." "Rowling");
 *   dotless titles from the lists ("Mme", "Dr") get EX_TF_ABBREV too. When the dot also closes
 *   the sentence ("… etc. Le lendemain", "… in the U.S. The …", "le plan B. Il …") the token
 *   also has EX_TF_ABBREV_STOP, which the sentences stage reads.
 * - URLs, e-mail addresses and bare domains ("lemonde.fr") are one OTHER token; "#hashtag" and
 *   "@handle" are one WORD token; emoji are OTHER.
 * - Quotation marks are PUNCT with EX_TF_QUOTE_OPEN/CLOSE: « “ ‹ „ open, » ” › close; a straight
 *   " opens after white space/start/an opening bracket when followed by a non-space, closes after
 *   a non-space when followed by space/punctuation/end, and otherwise alternates within the block.
 *   A lone ' gets the same flags, but only by that shape rule.
 * - "..." (two or more dots) and "…" are one PUNCT token; "--" runs are one PUNCT token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <utf8proc.h>
#include "internal.h"

/* ---- resources ------------------------------------------------------------------------------ */

/* Owned by ex_resources (res->tokens); immutable once loaded, read by every worker thread. */
struct ex_tokens_res {
    ex_wordset *abbrev;       /* dot never ends a sentence: "M." "Dr." "p." "n°"; dotless "Mme" */
    ex_wordset *abbrev_final; /* dot may end a sentence: "etc." "Inc." "J.-C." */
    ex_wordset *elisions;     /* lower case with apostrophe: "l'" "qu'" */
    ex_wordset *clitics;      /* lower case with apostrophe: "'s" "'re" */
    ex_wordset *starters;     /* capitalised sentence openers: "Le" "The" "L'" */
};

static void tokens_res_destroy(struct ex_tokens_res *t)
{
    if (!t)
        return;
    ex_wordset_free(t->abbrev);
    ex_wordset_free(t->abbrev_final);
    ex_wordset_free(t->elisions);
    ex_wordset_free(t->clitics);
    ex_wordset_free(t->starters);
    free(t);
}

static ex_status load_list(ex_wordset *set, const char *data_dir, const char *rel, char *err,
                           size_t errlen)
{
    char path[4096];
    int n = snprintf(path, sizeof path, "%s/%s", data_dir, rel);
    if (n < 0 || (size_t)n >= sizeof path)
        return ex_fail(err, errlen, EX_EINVAL, "tokens: data path too long: %s/%s", data_dir, rel);
    if (ex_wordset_load_file(set, path, err, errlen) != 0)
        return EX_EIO;
    return EX_OK;
}

ex_status ex_tokens_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen)
{
    if (!res || !data_dir)
        return ex_fail(err, errlen, EX_EINVAL, "tokens: no resources or data directory");
    struct ex_tokens_res *t = calloc(1, sizeof *t);
    if (!t)
        return ex_fail(err, errlen, EX_ENOMEM, "tokens: out of memory");
    t->abbrev = ex_wordset_new();
    t->abbrev_final = ex_wordset_new();
    t->elisions = ex_wordset_new();
    t->clitics = ex_wordset_new();
    t->starters = ex_wordset_new();
    if (!t->abbrev || !t->abbrev_final || !t->elisions || !t->clitics || !t->starters) {
        tokens_res_destroy(t);
        return ex_fail(err, errlen, EX_ENOMEM, "tokens: out of memory");
    }
    static const struct {
        size_t field; /* offset of the set in struct ex_tokens_res */
        const char *rel;
    } lists[] = {
        {offsetof(struct ex_tokens_res, abbrev), "fr/abbreviations.txt"},
        {offsetof(struct ex_tokens_res, abbrev), "en/abbreviations.txt"},
        {offsetof(struct ex_tokens_res, abbrev_final), "fr/abbreviations-final.txt"},
        {offsetof(struct ex_tokens_res, abbrev_final), "en/abbreviations-final.txt"},
        {offsetof(struct ex_tokens_res, elisions), "fr/elisions.txt"},
        {offsetof(struct ex_tokens_res, clitics), "en/clitics.txt"},
        {offsetof(struct ex_tokens_res, starters), "fr/sentence-starters.txt"},
        {offsetof(struct ex_tokens_res, starters), "en/sentence-starters.txt"},
    };
    for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++) {
        ex_wordset *set = *(ex_wordset **)((char *)t + lists[i].field);
        ex_status st = load_list(set, data_dir, lists[i].rel, err, errlen);
        if (st != EX_OK) {
            tokens_res_destroy(t);
            return st;
        }
    }
    tokens_res_destroy(res->tokens);
    res->tokens = t;
    return EX_OK;
}

void ex_tokens_res_free(ex_resources *res)
{
    if (!res)
        return;
    tokens_res_destroy(res->tokens);
    res->tokens = NULL;
}

/* ---- character classes ---------------------------------------------------------------------- */

enum ascii_class { A_SPACE, A_LOWER, A_UPPER, A_DIGIT, A_PUNCT, A_SYMBOL, A_HIGH };

/* ASCII byte → class; bytes >= 0x80 are A_HIGH (decoded separately). Controls count as
 * white space; punctuation: ! " ' ( ) * , - . / : ; ? [ ] { }; other printable ASCII is symbol. */
#define SP A_SPACE
#define LO A_LOWER
#define UP A_UPPER
#define DG A_DIGIT
#define PU A_PUNCT
#define SY A_SYMBOL
#define HI A_HIGH
static const uint8_t k_ascii[256] = {
    SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP,
    SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP, SP,
    SP, PU, PU, SY, SY, SY, SY, PU, PU, PU, PU, SY, PU, PU, PU, PU,
    DG, DG, DG, DG, DG, DG, DG, DG, DG, DG, PU, PU, SY, SY, SY, PU,
    SY, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP,
    UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, UP, PU, SY, PU, SY, SY,
    SY, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO,
    LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, LO, PU, SY, PU, SY, SP,
    HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
    HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI, HI,
};
#undef SP
#undef LO
#undef UP
#undef DG
#undef PU
#undef SY
#undef HI

/* Classes of a decoded code point (non-ASCII). */
enum uclass {
    U_SPACE,
    U_UPPER,   /* Lu, Lt */
    U_LOWER,   /* Ll */
    U_LETTER,  /* Lm, Lo: letters without case */
    U_MARK,    /* combining marks, soft hyphen: continue a word */
    U_DIGIT,   /* non-ASCII digits and numerals: word characters */
    U_PUNCT,
    U_QOPEN,   /* « “ ‹ „ ‘ */
    U_QCLOSE,  /* » ” › ’ */
    U_HYPHEN,  /* U+2010, U+2011: may join a hyphenated word */
    U_SYMBOL,
    U_OTHER    /* emoji, format characters, unassigned */
};

static inline bool is_word_uclass(int u)
{
    return u == U_UPPER || u == U_LOWER || u == U_LETTER || u == U_MARK || u == U_DIGIT;
}

static int uclass_of(uint32_t cp)
{
    if (cp < 0x100) {
        if (cp < 0xA0)
            return U_SPACE; /* C1 controls */
        if ((cp >= 0xC0 && cp <= 0xDE) && cp != 0xD7)
            return U_UPPER;
        if (cp >= 0xDF && cp != 0xF7)
            return U_LOWER;
        switch (cp) {
        case 0xA0: return U_SPACE;
        case 0xAB: return U_QOPEN;
        case 0xBB: return U_QCLOSE;
        case 0xAD: return U_MARK; /* soft hyphen inside a word */
        case 0xB5: return U_LOWER;
        case 0xA1: case 0xA7: case 0xB6: case 0xB7: case 0xBF: return U_PUNCT;
        case 0xB2: case 0xB3: case 0xB9: case 0xBC: case 0xBD: case 0xBE: return U_DIGIT;
        default: return U_SYMBOL; /* ¢ £ ¤ ¥ © ® ° ± ª º × ÷ … */
        }
    }
    switch (cp) {
    case 0x2018: case 0x201C: case 0x201E: case 0x2039: return U_QOPEN;
    case 0x2019: case 0x201D: case 0x203A: return U_QCLOSE;
    case 0x2010: case 0x2011: return U_HYPHEN;
    case 0x200B: case 0x200C: case 0x200D: case 0x2060: case 0xFEFF: case 0x2028: case 0x2029:
        return U_SPACE;
    default: break;
    }
    switch (utf8proc_category((utf8proc_int32_t)cp)) {
    case UTF8PROC_CATEGORY_LU: case UTF8PROC_CATEGORY_LT: return U_UPPER;
    case UTF8PROC_CATEGORY_LL: return U_LOWER;
    case UTF8PROC_CATEGORY_LM: case UTF8PROC_CATEGORY_LO: return U_LETTER;
    case UTF8PROC_CATEGORY_MN: case UTF8PROC_CATEGORY_MC: case UTF8PROC_CATEGORY_ME: return U_MARK;
    case UTF8PROC_CATEGORY_ND: case UTF8PROC_CATEGORY_NL: case UTF8PROC_CATEGORY_NO: return U_DIGIT;
    case UTF8PROC_CATEGORY_PC: case UTF8PROC_CATEGORY_PD: case UTF8PROC_CATEGORY_PS:
    case UTF8PROC_CATEGORY_PE: case UTF8PROC_CATEGORY_PI: case UTF8PROC_CATEGORY_PF:
    case UTF8PROC_CATEGORY_PO:
        return U_PUNCT;
    case UTF8PROC_CATEGORY_SM: case UTF8PROC_CATEGORY_SC: case UTF8PROC_CATEGORY_SK:
        return U_SYMBOL;
    case UTF8PROC_CATEGORY_SO:
        return (cp >= 0x1F000 || (cp >= 0x2600 && cp <= 0x27BF)) ? U_OTHER : U_SYMBOL;
    case UTF8PROC_CATEGORY_ZS: case UTF8PROC_CATEGORY_ZL: case UTF8PROC_CATEGORY_ZP:
    case UTF8PROC_CATEGORY_CC:
        return U_SPACE;
    default:
        return U_OTHER;
    }
}

/* Decodes the code point at s[i] (i < end). Invalid or truncated sequences decode as one byte
 * U+FFFD, so the scanner always advances. */
static inline uint32_t decode(const unsigned char *s, uint32_t i, uint32_t end, uint32_t *len)
{
    unsigned char c = s[i];
    if (c < 0x80) {
        *len = 1;
        return c;
    }
    if (c >= 0xC2 && c <= 0xDF && i + 1 < end && (s[i + 1] & 0xC0) == 0x80) {
        *len = 2;
        return ((uint32_t)(c & 0x1F) << 6) | (s[i + 1] & 0x3F);
    }
    if (c >= 0xE0 && c <= 0xEF && i + 2 < end && (s[i + 1] & 0xC0) == 0x80 &&
        (s[i + 2] & 0xC0) == 0x80) {
        *len = 3;
        return ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
    }
    if (c >= 0xF0 && c <= 0xF4 && i + 3 < end && (s[i + 1] & 0xC0) == 0x80 &&
        (s[i + 2] & 0xC0) == 0x80 && (s[i + 3] & 0xC0) == 0x80) {
        *len = 4;
        return ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3F) << 12) |
               ((uint32_t)(s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
    }
    *len = 1;
    return 0xFFFD;
}

/* Class of the character at s[i] (ASCII mapped onto the same enum); *len gets its length. */
static inline int class_at(const unsigned char *s, uint32_t i, uint32_t end, uint32_t *len)
{
    unsigned char c = s[i];
    if (c < 0x80) {
        *len = 1;
        switch (k_ascii[c]) {
        case A_SPACE: return U_SPACE;
        case A_LOWER: return U_LOWER;
        case A_UPPER: return U_UPPER;
        case A_DIGIT: return U_DIGIT;
        case A_PUNCT: return U_PUNCT;
        default: return U_SYMBOL;
        }
    }
    return uclass_of(decode(s, i, end, len));
}

static inline bool is_digit(unsigned char c) { return c >= '0' && c <= '9'; }
static inline bool is_alpha_ascii(unsigned char c) { return (unsigned char)((c | 0x20) - 'a') < 26; }
static inline bool is_alnum_ascii(unsigned char c) { return is_digit(c) || is_alpha_ascii(c); }
static inline bool is_upper_ascii(unsigned char c) { return c >= 'A' && c <= 'Z'; }

/* Is there a letter (any script) at s[i]? */
static inline bool letter_at(const unsigned char *s, uint32_t i, uint32_t end)
{
    if (i >= end)
        return false;
    if (s[i] < 0x80)
        return is_alpha_ascii(s[i]);
    uint32_t len;
    int u = uclass_of(decode(s, i, end, &len));
    return u == U_UPPER || u == U_LOWER || u == U_LETTER;
}

/* Can a word continue with the character at s[i] (letter, digit, mark)? */
static inline bool wordchar_at(const unsigned char *s, uint32_t i, uint32_t end)
{
    if (i >= end)
        return false;
    if (s[i] < 0x80)
        return is_alnum_ascii(s[i]);
    uint32_t len;
    return is_word_uclass(uclass_of(decode(s, i, end, &len)));
}

static inline bool upper_at(const unsigned char *s, uint32_t i, uint32_t end)
{
    if (i >= end)
        return false;
    if (s[i] < 0x80)
        return is_upper_ascii(s[i]);
    uint32_t len;
    return uclass_of(decode(s, i, end, &len)) == U_UPPER;
}

/* ---- the scanner ----------------------------------------------------------------------------- */

typedef struct tz {
    const unsigned char *s;
    uint32_t block_start, end;       /* the block being cut */
    const struct ex_tokens_res *r;   /* NULL: no word lists (no elisions, no abbreviations) */
    ex_doc *doc;
    uint16_t pending;                /* PARA_START / SPACE_BEFORE for the next token */
    bool dq_open;                    /* a straight " is open in this block */
    bool oom;
    uint32_t run_fail_end;           /* e-mail/domain look-ahead known to fail before here */
} tz;

static inline void emit(tz *z, uint32_t start, uint32_t end, ex_tok_kind kind, unsigned flags)
{
    ex_token *t = ex_vec_push(z->doc->arena, &z->doc->tokens, sizeof *t);
    if (!t) {
        z->oom = true;
        return;
    }
    t->start = start;
    t->end = end;
    t->kind = (uint16_t)kind;
    t->flags = (uint16_t)(flags | z->pending);
    z->pending = 0;
}

static inline bool set_has(const ex_wordset *set, const unsigned char *s, size_t n)
{
    return set && ex_wordset_has(set, (const char *)s, n);
}

/* Case statistics of a word, for CAP / ALLCAPS. */
typedef struct wcase {
    uint32_t cased, upper;
    int first; /* -1 no cased letter yet, 0 lower, 1 upper */
} wcase;

static inline void note_case(wcase *w, int up)
{
    w->cased++;
    w->upper += (uint32_t)up;
    if (w->first < 0)
        w->first = up;
}

static inline unsigned case_flags(const wcase *w)
{
    unsigned f = 0;
    if (w->first == 1)
        f |= EX_TF_CAP;
    if (w->cased >= 2 && w->upper == w->cased)
        f |= EX_TF_ALLCAPS;
    return f;
}

/* Case statistics of s[a..b). */
static wcase case_of(const unsigned char *s, uint32_t a, uint32_t b)
{
    wcase w = {0, 0, -1};
    while (a < b) {
        uint32_t len;
        int u = class_at(s, a, b, &len);
        if (u == U_UPPER)
            note_case(&w, 1);
        else if (u == U_LOWER)
            note_case(&w, 0);
        a += len;
    }
    return w;
}

/* ---- look-aheads -------------------------------------------------------------------------- */

static const char *const k_tlds[] = {"com", "net", "org", "fr", "uk", "de", "eu", "io", "info",
                                     "gov", "edu", "be", "ch", "ca", "it", "es", "us", "co",
                                     "tv", "fm", "ly", "me", "ai", "app", "news", "int", "lu"};

static bool is_tld(const unsigned char *s, uint32_t a, uint32_t b)
{
    for (size_t i = 0; i < sizeof k_tlds / sizeof k_tlds[0]; i++) {
        size_t n = strlen(k_tlds[i]);
        if (n == b - a && memcmp(s + a, k_tlds[i], n) == 0)
            return true;
    }
    return false;
}

/* A domain "label(.label)+" starting at s[i] whose last label is letters only (2+): returns its
 * end, or 0. Trailing dots and hyphens are not part of it. */
static uint32_t domain_end(const unsigned char *s, uint32_t i, uint32_t end)
{
    uint32_t p = i, labels = 0, result = 0;
    for (;;) {
        uint32_t ls = p;
        while (p < end && (is_alnum_ascii(s[p]) || s[p] == '-'))
            p++;
        if (p == ls || !is_alnum_ascii(s[ls]))
            break;
        labels++;
        uint32_t le = p;
        while (le > ls && s[le - 1] == '-')
            le--;
        bool alpha = le - ls >= 2;
        for (uint32_t k = ls; alpha && k < le; k++)
            alpha = is_alpha_ascii(s[k]);
        if (labels >= 2 && alpha)
            result = le;
        if (p < end && s[p] == '.' && p + 1 < end && is_alnum_ascii(s[p + 1]))
            p++;
        else
            break;
    }
    return result;
}

/* The rest of a URL from s[i]: up to white space or a quotation mark; trailing punctuation and
 * unbalanced closing brackets are left out. */
static uint32_t url_end(const unsigned char *s, uint32_t i, uint32_t end)
{
    uint32_t p = i;
    int paren = 0, bracket = 0;
    while (p < end) {
        unsigned char c = s[p];
        if (c < 0x80) {
            if (c <= ' ' || c == '"' || c == '<' || c == '>' || c == 127)
                break;
            if (c == '(')
                paren++;
            else if (c == ')' && --paren < 0)
                break;
            else if (c == '[')
                bracket++;
            else if (c == ']' && --bracket < 0)
                break;
            p++;
            continue;
        }
        uint32_t len;
        int u = uclass_of(decode(s, p, end, &len));
        if (u == U_SPACE || u == U_QOPEN || u == U_QCLOSE || u == U_PUNCT)
            break;
        p += len;
    }
    while (p > i && strchr(".,;:!?'", s[p - 1]) != NULL)
        p--;
    return p;
}

/* Does a URL start at s[i]? Returns the length of its scheme or "www." prefix, or 0. */
static uint32_t url_prefix(const unsigned char *s, uint32_t i, uint32_t end)
{
    static const char *const prefixes[] = {"https://", "http://", "www.", "ftp://"};
    for (size_t k = 0; k < sizeof prefixes / sizeof prefixes[0]; k++) {
        size_t n = strlen(prefixes[k]);
        if (end - i > n && strncasecmp((const char *)s + i, prefixes[k], n) == 0 &&
            s[i + n] > ' ')
            return (uint32_t)n;
    }
    return 0;
}

/* "U.S.", "e.g.", "J.-C.": single letters each followed by a dot (a hyphen may join them), two or
 * more of them. Returns the end (after the last dot) or 0; *hyphen tells whether one joined. */
static uint32_t dotted_letters_end(const unsigned char *s, uint32_t i, uint32_t end, bool *hyphen)
{
    uint32_t p = i, count = 0, last = 0;
    bool joined = false; /* a hyphen precedes the letter at p */
    *hyphen = false;
    for (;;) {
        uint32_t len;
        if (p >= end)
            break;
        int u = class_at(s, p, end, &len);
        if (u != U_UPPER && u != U_LOWER && u != U_LETTER)
            break;
        if (p + len >= end || s[p + len] != '.')
            break;
        p += len + 1;
        count++;
        last = p;
        *hyphen = *hyphen || joined;
        joined = p + 1 < end && s[p] == '-' && letter_at(s, p + 1, end);
        if (joined)
            p++;
    }
    if (count < 2 || letter_at(s, last, end))
        return 0;
    return last;
}

/* After an abbreviation's dot at s[q]: does the sentence end there? True at the end of the
 * block, or when the next word (past white space and closing brackets/quotes) is capitalised
 * and either any capital will do (lower-case abbreviation such as "etc.") or it is a sentence
 * opener from the lists ("Le", "The", "L'"). A capitalised word followed by a dot is an initial
 * or an abbreviation, never an opener. */
static bool dot_ends_sentence(const tz *z, uint32_t q, bool any_capital)
{
    const unsigned char *s = z->s;
    uint32_t end = z->end, p = q;
    for (;;) {
        if (p >= end)
            return true;
        uint32_t len;
        int u = class_at(s, p, end, &len);
        if (u == U_SPACE || u == U_QCLOSE || s[p] == ')' || s[p] == ']') {
            p += len;
            continue;
        }
        if (u != U_UPPER)
            return false;
        break;
    }
    if (any_capital)
        return true;
    uint32_t w = p;
    while (p < end && p - w < 32) {
        uint32_t len;
        int u = class_at(s, p, end, &len);
        if (u != U_UPPER && u != U_LOWER && u != U_LETTER && u != U_MARK)
            break;
        p += len;
    }
    if (p < end && s[p] == '.')
        return false;
    if (p + 1 < end && s[p] == '\'' && letter_at(s, p + 1, end))
        p++;
    return z->r && set_has(z->r->starters, s + w, p - w);
}

/* Category of an abbreviation s[a..b) (dot included). */
enum { ABBR_NONE, ABBR_NEVER_FINAL, ABBR_MAY_END };

static int abbrev_category(const tz *z, uint32_t a, uint32_t b)
{
    if (!z->r || b - a > 24)
        return ABBR_NONE;
    const unsigned char *s = z->s;
    if (set_has(z->r->abbrev, s + a, b - a))
        return ABBR_NEVER_FINAL;
    if (set_has(z->r->abbrev_final, s + a, b - a))
        return ABBR_MAY_END;
    /* "Etc." at the start of a sentence: retry with the first letter in lower case */
    if (b - a >= 3 && is_upper_ascii(s[a]) && !is_upper_ascii(s[a + 1])) {
        char buf[25];
        memcpy(buf, s + a, b - a);
        buf[0] = (char)(buf[0] | 0x20);
        if (ex_wordset_has(z->r->abbrev, buf, b - a))
            return ABBR_NEVER_FINAL;
        if (ex_wordset_has(z->r->abbrev_final, buf, b - a))
            return ABBR_MAY_END;
    }
    return ABBR_NONE;
}

/* Emits an abbreviation token s[a..b) of category cat with its EX_TF_ABBREV_STOP decision. */
static uint32_t emit_abbrev(tz *z, uint32_t a, uint32_t b, int cat)
{
    wcase w = case_of(z->s, a, b);
    unsigned f = case_flags(&w) | EX_TF_ABBREV;
    if (cat == ABBR_MAY_END && dot_ends_sentence(z, b, w.first == 0))
        f |= EX_TF_ABBREV_STOP;
    emit(z, a, b, EX_TOK_WORD, f);
    return b;
}

/* An e-mail address, domain or glued abbreviation starting at the word s[p0..): the run of
 * [A-Za-z0-9._%+-] from p0. Returns the end of the token it emitted, or 0 (and remembers that
 * every later start inside this run fails too). */
static uint32_t glued_run(tz *z, uint32_t p0)
{
    const unsigned char *s = z->s;
    uint32_t end = z->end, r = p0;
    while (r < end && (is_alnum_ascii(s[r]) || s[r] == '.' || s[r] == '-' || s[r] == '_' ||
                       s[r] == '+' || s[r] == '%'))
        r++;
    if (r < end && s[r] == '@' && r > p0) {
        uint32_t d = domain_end(s, r + 1, end);
        if (d) {
            emit(z, p0, d, EX_TOK_OTHER, 0);
            return d;
        }
    }
    /* bare domain "lemonde.fr", "Amazon.com", maybe with a path */
    uint32_t t = r;
    while (t > p0 && (s[t - 1] == '.' || s[t - 1] == '-'))
        t--;
    uint32_t last_dot = 0;
    bool plain = true;
    for (uint32_t k = p0; k < t; k++) {
        if (s[k] == '.')
            last_dot = k;
        else if (!is_alnum_ascii(s[k]) && s[k] != '-')
            plain = false;
    }
    if (plain && last_dot > p0 && is_tld(s, last_dot + 1, t) && domain_end(s, p0, t) == t) {
        uint32_t e = t;
        if (e < end && s[e] == '/')
            e = url_end(s, e, end);
        emit(z, p0, e, EX_TOK_OTHER, 0);
        return e;
    }
    /* "Ph.D.", "a.m.": a listed abbreviation spelled with inner dots */
    if (r > p0 && s[r - 1] == '.') {
        int cat = abbrev_category(z, p0, r);
        if (cat != ABBR_NONE && !letter_at(s, r, end))
            return emit_abbrev(z, p0, r, cat);
    }
    z->run_fail_end = r;
    return 0;
}

/* Inverted subject after a hyphen at s[h]: "-il", "-elle", "-t-il", "-t-on", "-je", "-ce" that
 * ends the word. Returns the end of the pronoun and sets *pron to its start, or 0. */
static uint32_t inversion_end(const unsigned char *s, uint32_t h, uint32_t end, uint32_t *pron)
{
    static const char *const pronouns[] = {"il", "ils", "elle", "elles", "on",
                                           "je", "tu", "ce"};
    uint32_t q = h + 1;
    bool euphonic = false;
    if (q + 2 < end && s[q] == 't' && s[q + 1] == '-') {
        euphonic = true;
        q += 2;
    }
    uint32_t p = q;
    while (p < end && p - q < 6 && s[p] >= 'a' && s[p] <= 'z')
        p++;
    if (p == q || (p < end && (wordchar_at(s, p, end) || s[p] == '-' || s[p] == '\'')))
        return 0;
    size_t n = p - q;
    size_t count = euphonic ? 5 : sizeof pronouns / sizeof pronouns[0];
    for (size_t i = 0; i < count; i++) {
        if (strlen(pronouns[i]) == n && memcmp(s + q, pronouns[i], n) == 0) {
            *pron = q;
            return p;
        }
    }
    return 0;
}

/* English clitic after the apostrophe at s[a]: "'s", "'re" … ending the word. Returns its end
 * or 0. */
static uint32_t clitic_end(const tz *z, uint32_t a)
{
    const unsigned char *s = z->s;
    uint32_t p = a + 1, end = z->end;
    while (p < end && p - a <= 3 && is_alpha_ascii(s[p]))
        p++;
    if (p - a > 3 || wordchar_at(s, p, end) || (p < end && s[p] == '\''))
        return 0;
    char buf[4];
    for (uint32_t k = a; k < p; k++)
        buf[k - a] = (char)(s[k] | (s[k] >= 'A' && s[k] <= 'Z' ? 0x20 : 0));
    return (z->r && ex_wordset_has(z->r->clitics, buf, p - a)) ? p : 0;
}

/* Is s[a..b) (apostrophe included) a listed elision? ASCII case folded. */
static bool is_elision(const tz *z, uint32_t a, uint32_t b)
{
    if (!z->r || b - a > 9)
        return false;
    char buf[10];
    for (uint32_t k = a; k < b; k++) {
        unsigned char c = z->s[k];
        if (c >= 0x80)
            return false;
        buf[k - a] = (char)(c >= 'A' && c <= 'Z' ? c | 0x20 : c);
    }
    return ex_wordset_has(z->r->elisions, buf, b - a);
}

/* ---- words ---------------------------------------------------------------------------------- */

typedef struct wstate {
    wcase c;
    bool hyphen, apostrophe, ascii;
} wstate;

/* The word s[p0..p) stopped on a dot at s[p]. Handles e-mails, domains, dotted acronyms,
 * listed abbreviations and initials; returns the end of what it emitted, or 0 when the dot is
 * plain punctuation. */
static uint32_t word_dot(tz *z, uint32_t p0, uint32_t p, const wstate *w)
{
    const unsigned char *s = z->s;
    uint32_t end = z->end, q = p + 1;
    uint32_t first_len;
    (void)class_at(s, p0, end, &first_len);
    bool single = first_len == p - p0 && !w->hyphen && !w->apostrophe;
    if (q < end && (is_alnum_ascii(s[q]) || (single && s[q] == '-'))) {
        if (w->ascii && !w->apostrophe && p0 >= z->run_fail_end) {
            uint32_t r = glued_run(z, p0);
            if (r)
                return r;
        }
        if (single) {
            bool hy;
            uint32_t r = dotted_letters_end(s, p0, end, &hy);
            if (r) {
                int cat = abbrev_category(z, p0, r);
                if (cat == ABBR_NONE)
                    cat = hy ? ABBR_NEVER_FINAL : ABBR_MAY_END; /* "J.-M." vs "U.S." */
                return emit_abbrev(z, p0, r, cat);
            }
        }
        /* a title glued to its name: "M.Dupont" */
        if (!w->hyphen && !w->apostrophe && is_upper_ascii(s[q]) &&
            abbrev_category(z, p0, q) == ABBR_NEVER_FINAL)
            return emit_abbrev(z, p0, q, ABBR_NEVER_FINAL);
        return 0;
    }
    if (w->hyphen || w->apostrophe)
        return 0;
    int cat = abbrev_category(z, p0, q);
    if (cat != ABBR_NONE)
        return emit_abbrev(z, p0, q, cat);
    /* an initial: one capital letter, a dot, white space, a capitalised word ("J. K. Rowling") */
    if (single && w->c.first == 1 && q < end && s[q] == ' ') {
        uint32_t n = q;
        while (n < end && s[n] == ' ')
            n++;
        if (upper_at(s, n, end)) {
            unsigned f = EX_TF_CAP | EX_TF_ABBREV;
            if (dot_ends_sentence(z, q, false))
                f |= EX_TF_ABBREV_STOP;
            emit(z, p0, q, EX_TOK_WORD, f);
            return q;
        }
    }
    return 0;
}

/* Emits a finished word s[p0..p), looking up dotless titles ("Mme", "Dr"). */
static void emit_word(tz *z, uint32_t p0, uint32_t p, const wstate *w)
{
    unsigned f = case_flags(&w->c);
    if (w->hyphen)
        f |= EX_TF_HYPHEN;
    if (z->r && p - p0 <= 5 && is_upper_ascii(z->s[p0]) && !w->hyphen && !w->apostrophe &&
        set_has(z->r->abbrev, z->s + p0, p - p0)) {
        /* a two-letter title ("Me", "Dr") only before a capitalised name */
        uint32_t n = p;
        while (n < z->end && z->s[n] == ' ')
            n++;
        if (p - p0 >= 3 || (n > p && upper_at(z->s, n, z->end)))
            f |= EX_TF_ABBREV;
    }
    emit(z, p0, p, EX_TOK_WORD, f);
}

/* A word starting at s[p0] (a letter, mark or non-ASCII digit). Returns the end of the last
 * token emitted. */
static uint32_t scan_word(tz *z, uint32_t p0)
{
    const unsigned char *s = z->s;
    uint32_t end = z->end, p = p0;
    unsigned char c0 = s[p0];
    if (c0 == 'h' || c0 == 'w' || c0 == 'f' || c0 == 'H' || c0 == 'W' || c0 == 'F') {
        uint32_t pre = url_prefix(s, p0, end);
        if (pre) {
            uint32_t e = url_end(s, p0 + pre, end);
            emit(z, p0, e, EX_TOK_OTHER, 0);
            return e;
        }
    }
    wstate w = {{0, 0, -1}, false, false, true};
    for (;;) {
        while (p < end) {
            unsigned char c = s[p];
            if (c < 0x80) {
                uint8_t k = k_ascii[c];
                if (k == A_LOWER)
                    note_case(&w.c, 0);
                else if (k == A_UPPER)
                    note_case(&w.c, 1);
                else if (k != A_DIGIT)
                    break;
                p++;
            } else {
                uint32_t len;
                int u = uclass_of(decode(s, p, end, &len));
                if (u == U_UPPER)
                    note_case(&w.c, 1);
                else if (u == U_LOWER)
                    note_case(&w.c, 0);
                else if (!is_word_uclass(u))
                    break;
                w.ascii = false;
                p += len;
            }
        }
        if (p >= end)
            break;
        unsigned char c = s[p];
        if (c == '-' || (c == 0xE2 && p + 2 < end && s[p + 1] == 0x80 &&
                         (s[p + 2] == 0x90 || s[p + 2] == 0x91))) {
            uint32_t hl = c == '-' ? 1 : 3;
            if (!wordchar_at(s, p + hl, end))
                break;
            if (c == '-') {
                uint32_t pron, pe = inversion_end(s, p, end, &pron);
                if (pe) {
                    emit_word(z, p0, p, &w);
                    emit(z, p, pron, EX_TOK_PUNCT, 0);
                    emit(z, pron, pe, EX_TOK_WORD, 0);
                    return pe;
                }
            } else {
                w.ascii = false;
            }
            w.hyphen = true;
            p += hl;
            continue;
        }
        if (c == '\'') {
            if (!wordchar_at(s, p + 1, end))
                break;
            if (!w.hyphen && !w.apostrophe && is_elision(z, p0, p + 1)) {
                emit(z, p0, p + 1, EX_TOK_WORD, case_flags(&w.c) | EX_TF_ELISION);
                return p + 1;
            }
            uint32_t ce = clitic_end(z, p);
            if (ce) {
                emit_word(z, p0, p, &w);
                emit(z, p, ce, EX_TOK_WORD, 0);
                return ce;
            }
            if (!letter_at(s, p + 1, end))
                break;
            w.apostrophe = true;
            p++;
            continue;
        }
        if (c == '.') {
            uint32_t r = word_dot(z, p0, p, &w);
            if (r)
                return r;
            break;
        }
        if (c == '&' && is_upper_ascii(s[p - 1]) && p + 1 < end && is_upper_ascii(s[p + 1])) {
            p++; /* "AT&T", "R&D" */
            continue;
        }
        if (c == '@' && w.ascii && !w.apostrophe) {
            uint32_t d = domain_end(s, p + 1, end);
            if (d) {
                emit(z, p0, d, EX_TOK_OTHER, 0);
                return d;
            }
            break;
        }
        if (c == 0xC2 && p + 1 < end && (s[p + 1] == 0xB0 || s[p + 1] == 0xBA) && p - p0 <= 2 &&
            z->r && set_has(z->r->abbrev, s + p0, p + 2 - p0)) {
            emit(z, p0, p + 2, EX_TOK_WORD, case_flags(&w.c) | EX_TF_ABBREV); /* "n°" */
            return p + 2;
        }
        break;
    }
    emit_word(z, p0, p, &w);
    return p;
}

/* ---- numbers -------------------------------------------------------------------------------- */

static uint32_t scan_number(tz *z, uint32_t p0)
{
    const unsigned char *s = z->s;
    uint32_t end = z->end, p = p0;
    while (p < end && is_digit(s[p]))
        p++;
    uint32_t first = p - p0;
    bool joined = false;
    /* French digit groups: "250 000", "1 500 000" — a first group of 1–3 digits, then groups of
     * exactly three digits each after one space and not followed by another digit. */
    if (first <= 3) {
        while (p + 4 <= end && s[p] == ' ' && is_digit(s[p + 1]) && is_digit(s[p + 2]) &&
               is_digit(s[p + 3]) && !(p + 4 < end && is_digit(s[p + 4]))) {
            p += 4;
            joined = true;
        }
    }
    /* decimal and thousands separators: "1,5" "1.5" "1,500,000" "3.12.2020" */
    while (p + 1 < end && (s[p] == ',' || s[p] == '.') && is_digit(s[p + 1])) {
        p++;
        while (p < end && is_digit(s[p]))
            p++;
        joined = true;
    }
    /* clock time "10:30" */
    if (!joined && first <= 2 && p + 2 < end && s[p] == ':' && is_digit(s[p + 1]) &&
        is_digit(s[p + 2]) && !(p + 3 < end && is_digit(s[p + 3])))
        p += 3;
    /* suffix: "1er" "21st" "3.5bn" "10h32" "1m80" */
    if (letter_at(s, p, end)) {
        while (p < end) {
            uint32_t len;
            int u = class_at(s, p, end, &len);
            if (u != U_UPPER && u != U_LOWER && u != U_LETTER && u != U_MARK && u != U_DIGIT)
                break;
            p += len;
        }
    }
    unsigned flags = 0;
    /* hyphenated tail: "19-year-old" */
    while (p + 1 < end && s[p] == '-' && letter_at(s, p + 1, end)) {
        flags |= EX_TF_HYPHEN;
        p++;
        while (wordchar_at(s, p, end)) {
            uint32_t len;
            (void)class_at(s, p, end, &len);
            p += len;
        }
    }
    emit(z, p0, p, EX_TOK_NUMBER, flags);
    return p;
}

/* ---- punctuation and symbols -------------------------------------------------------------- */

/* Is the character before s[p] (in the block) white space or an opening bracket/quote/dash? */
static bool opens_after(const tz *z, uint32_t p)
{
    if (p <= z->block_start)
        return true;
    const unsigned char *s = z->s;
    unsigned char c = s[p - 1];
    if (c < 0x80)
        return k_ascii[c] == A_SPACE || c == '(' || c == '[' || c == '{' || c == '-' || c == '/';
    uint32_t b = p - 1;
    while (b > z->block_start && (s[b] & 0xC0) == 0x80)
        b--;
    uint32_t len;
    int u = uclass_of(decode(s, b, p, &len));
    if (u == U_SPACE || u == U_QOPEN)
        return true;
    return u == U_PUNCT && (s[b] == 0xE2 && s[b + 1] == 0x80 && (s[b + 2] == 0x93 || s[b + 2] == 0x94));
}

/* Is s[p] (after a quote mark) the end of the block, white space or closing punctuation? */
static bool closes_before(const tz *z, uint32_t p)
{
    if (p >= z->end)
        return true;
    unsigned char c = z->s[p];
    if (c < 0x80)
        return k_ascii[c] == A_SPACE || (c != '(' && c != '[' && c != '{' && k_ascii[c] == A_PUNCT &&
                                         c != '"' && c != '\'');
    uint32_t len;
    int u = uclass_of(decode(z->s, p, z->end, &len));
    return u == U_SPACE || u == U_QCLOSE || (u == U_PUNCT && c == 0xE2 && z->s[p + 1] == 0x80 &&
                                             z->s[p + 2] == 0xA6);
}

static uint32_t scan_ascii_punct(tz *z, uint32_t p)
{
    const unsigned char *s = z->s;
    uint32_t end = z->end;
    unsigned char c = s[p];
    switch (c) {
    case '.': {
        uint32_t q = p + 1;
        while (q < end && s[q] == '.')
            q++;
        emit(z, p, q, EX_TOK_PUNCT, 0); /* "." or "..." */
        return q;
    }
    case '-': {
        uint32_t q = p + 1;
        while (q < end && s[q] == '-')
            q++;
        emit(z, p, q, EX_TOK_PUNCT, 0);
        return q;
    }
    case '"': {
        bool before = opens_after(z, p), after = closes_before(z, p + 1);
        unsigned f;
        if (before && !after)
            f = EX_TF_QUOTE_OPEN;
        else if (!before && after)
            f = EX_TF_QUOTE_CLOSE;
        else
            f = z->dq_open ? EX_TF_QUOTE_CLOSE : EX_TF_QUOTE_OPEN;
        z->dq_open = f == EX_TF_QUOTE_OPEN;
        emit(z, p, p + 1, EX_TOK_PUNCT, f);
        return p + 1;
    }
    case '\'': {
        bool before = opens_after(z, p), after = closes_before(z, p + 1);
        unsigned f = 0;
        if (before && !after)
            f = EX_TF_QUOTE_OPEN;
        else if (!before && after)
            f = EX_TF_QUOTE_CLOSE;
        emit(z, p, p + 1, EX_TOK_PUNCT, f);
        return p + 1;
    }
    case '#':
    case '@': {
        /* "#hashtag", "@handle" */
        uint32_t q = p + 1;
        wcase w = {0, 0, -1};
        while (q < end) {
            uint32_t len;
            int u = class_at(s, q, end, &len);
            if (u == U_UPPER)
                note_case(&w, 1);
            else if (u == U_LOWER)
                note_case(&w, 0);
            else if (!is_word_uclass(u) && s[q] != '_')
                break;
            q += len;
        }
        if (q > p + 1 && !(c == '#' && is_digit(s[p + 1]) && q == p + 2)) {
            emit(z, p, q, EX_TOK_WORD, case_flags(&w));
            return q;
        }
        emit(z, p, p + 1, EX_TOK_SYMBOL, 0);
        return p + 1;
    }
    default:
        emit(z, p, p + 1, k_ascii[c] == A_PUNCT ? EX_TOK_PUNCT : EX_TOK_SYMBOL, 0);
        return p + 1;
    }
}

/* A non-ASCII character that starts a token (not a word character, not a space). */
static uint32_t scan_unicode_other(tz *z, uint32_t p, uint32_t len, int u)
{
    const unsigned char *s = z->s;
    uint32_t end = z->end, q = p + len;
    switch (u) {
    case U_QOPEN:
        emit(z, p, q, EX_TOK_PUNCT, EX_TF_QUOTE_OPEN);
        return q;
    case U_QCLOSE:
        emit(z, p, q, EX_TOK_PUNCT, EX_TF_QUOTE_CLOSE);
        return q;
    case U_PUNCT:
    case U_HYPHEN:
        emit(z, p, q, EX_TOK_PUNCT, 0); /* … – — • ¿ ¡ */
        return q;
    case U_SYMBOL:
        emit(z, p, q, EX_TOK_SYMBOL, 0); /* € £ ° § © */
        return q;
    default:
        break;
    }
    /* emoji and the like: keep variation selectors, skin tones, joiners and what they join */
    while (q < end) {
        uint32_t l2, c2 = decode(s, q, end, &l2);
        if (c2 == 0x200D) {
            q += l2;
            if (q < end) {
                (void)decode(s, q, end, &l2);
                q += l2;
            }
            continue;
        }
        if ((c2 >= 0xFE00 && c2 <= 0xFE0F) || (c2 >= 0x1F3FB && c2 <= 0x1F3FF) ||
            (c2 >= 0x1F1E6 && c2 <= 0x1F1FF) || (c2 >= 0xE0020 && c2 <= 0xE007F) ||
            (c2 >= 0x80 && uclass_of(c2) == U_MARK)) {
            q += l2;
            continue;
        }
        break;
    }
    emit(z, p, q, EX_TOK_OTHER, 0);
    return q;
}

/* Cuts s[start..end) (one block) into tokens. */
static void tokenize_block(tz *z, uint32_t start, uint32_t end)
{
    const unsigned char *s = z->s;
    z->block_start = start;
    z->end = end;
    z->dq_open = false;
    z->pending = EX_TF_PARA_START;
    if (start > 0 && k_ascii[s[start - 1]] == A_SPACE)
        z->pending |= EX_TF_SPACE_BEFORE;
    uint32_t p = start;
    while (p < end && !z->oom) {
        unsigned char c = s[p];
        if (c < 0x80) {
            switch (k_ascii[c]) {
            case A_SPACE:
                z->pending |= EX_TF_SPACE_BEFORE;
                p++;
                break;
            case A_LOWER:
            case A_UPPER:
                p = scan_word(z, p);
                break;
            case A_DIGIT:
                p = scan_number(z, p);
                break;
            default:
                p = scan_ascii_punct(z, p);
                break;
            }
            continue;
        }
        uint32_t len, cp = decode(s, p, end, &len);
        int u = uclass_of(cp);
        if (u == U_SPACE) {
            z->pending |= EX_TF_SPACE_BEFORE;
            p += len;
        } else if (is_word_uclass(u)) {
            p = scan_word(z, p);
        } else {
            p = scan_unicode_other(z, p, len, u);
        }
    }
}

ex_status ex_stage_tokens(ex_doc *doc, char *err, size_t errlen)
{
    if (!doc || !doc->arena)
        return ex_fail(err, errlen, EX_EINVAL, "tokens: no document");
    doc->tokens.len = 0;
    if (!doc->text || doc->text_len == 0)
        return EX_OK;
    tz z = {0};
    z.s = (const unsigned char *)doc->text;
    z.doc = doc;
    z.r = doc->res ? doc->res->tokens : NULL;
    uint32_t n = doc->text_len;
    if (doc->blocks.len == 0) {
        /* no layout: the blocks are the text's blank-line separated paragraphs */
        uint32_t a = 0;
        for (uint32_t i = 0; i + 1 < n; i++) {
            if (z.s[i] == '\n' && z.s[i + 1] == '\n') {
                tokenize_block(&z, a, i);
                while (i + 1 < n && z.s[i + 1] == '\n')
                    i++;
                a = i + 1;
            }
        }
        tokenize_block(&z, a, n);
    } else {
        for (uint32_t b = 0; b < doc->blocks.len && !z.oom; b++) {
            const ex_block *blk = &EX_VEC_AT(doc->blocks, ex_block, b);
            uint32_t a = blk->start, e = blk->end < n ? blk->end : n;
            if (a < e)
                tokenize_block(&z, a, e);
        }
    }
    if (z.oom)
        return ex_fail(err, errlen, EX_ENOMEM, "tokens: out of memory");
    return EX_OK;
}
