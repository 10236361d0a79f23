/*
 * numbers.c — the numbers stage: numbers, money amounts and percentages in French and English
 * news copy ("1,5 milliard d'euros", "$10m-$20m", "près de 49 %", "vingt et un", "21st").
 *
 * May touch: doc->numbers, doc->money, doc->percentages (writes); doc->text, doc->tokens,
 * doc->blocks, doc->lang, doc->res (reads); res->numbers (its own tables, built by
 * ex_numbers_res_load from data/{fr,en}/numbers.txt, currencies.txt, number-cues.txt and
 * data/common/currency-symbols.txt, number-suffixes.txt; freed by ex_numbers_res_free).
 * Calls no other stage.
 *
 * One left-to-right pass over the tokens: at each token a quantity is read (digits with their
 * separators and suffix, or a run of number words), then a bounded look-around of a few tokens
 * finds its currency, percent sign, cue words ("près de", "up to") and the second end of a range.
 * The pass resumes after what was consumed, so the stage is linear in the number of tokens.
 *
 * Decimal separator: "1,500,000" (repeated → thousands), "1,5" (group not of three → decimal);
 * one separator before exactly three digits is read by language ("1,500" is 1.5 in French,
 * 1500 in English). A range's "amount" is its lower end; min and max carry both ends.
 * Codes glued to digits are read ("USD1,23", "GBP3.01", "42MYR", "RM42"), and cents after an
 * amount with its currency when a cents word follows ("20 dollars 43 cents", "1 euro et 23
 * centimes", "$2 and 50c"); without the cents word the next number is left alone.
 * Cents with no currency ("ten cents", "10¢") take the paragraph's currency, else the language's.
 * Fractions "1/5" (numerator below denominator, no leading zero, not part of a date; names such
 * as "9/11" and "24/7" from data/common/number-names.txt are skipped whole), ".77", spelled
 * points ("two point two million", "trois virgule cinq"), tens glued or dashed to a unit
 * ("twentyfifth", "thirty—first"), restatements ("forty-five (45)"), "a dollar"/"un euro", and
 * currency words marked "+pre" in the tables that may come first ("ringgit 42").
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"

/* ---- resources: a small open-addressing string map ------------------------------------------ */

enum nw_kind { NW_UNIT, NW_ONE, NW_HUNDRED, NW_MULT, NW_ORD, NW_ORDH, NW_ORDM, NW_AND, NW_POINT };
enum cue_kind { CUE_APPROX = 1, CUE_MIN, CUE_MAX, CUE_FROM, CUE_PCT, CUE_EXACT, CUE_NEG, CUE_NAME };

typedef struct nmap_entry {
    char *key; /* malloc'd, normalised */
    size_t keylen;
    double value;
    int kind;
    char code[4];
} nmap_entry;

typedef struct nmap {
    nmap_entry *slots;
    size_t cap, len;
} nmap;

/* Owned by ex_resources (res->numbers); immutable once loaded. Index 0 = fr, 1 = en. */
struct ex_numbers_res {
    nmap words[2];      /* number words */
    nmap currencies[2]; /* currency words → ISO */
    nmap cues[2];       /* cue phrases → cue_kind */
    nmap symbols;       /* currency signs and codes → ISO */
    nmap names;         /* "9/11", "24/7": names that only look like numbers (kind 0) */
    nmap suffixes;      /* "bn" → mult, "er" → ord */
    bool word_first[256]; /* first bytes of number words (lower case): a cheap pre-filter */
    uint32_t pre_shape[256]; /* like word_shape, for the first word of "+pre" currency phrases */
    uint32_t cur_shape[256]; /* like word_shape, for the first word of every currency phrase */
    bool tens_first[256];    /* first bytes of tens words: "twentyfifth" may be glued */
    uint32_t word_shape[256]; /* per first byte: bit min(len, 31) set if a word has that length */
    uint32_t word_shape2[256][32]; /* the same per first byte and second byte (& 31) */
};

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h;
}

static const nmap_entry *nmap_get(const nmap *m, const char *s, size_t n)
{
    if (!m->cap)
        return NULL;
    size_t i = hash_bytes(s, n) & (m->cap - 1);
    while (m->slots[i].key) {
        if (m->slots[i].keylen == n && memcmp(m->slots[i].key, s, n) == 0)
            return &m->slots[i];
        i = (i + 1) & (m->cap - 1);
    }
    return NULL;
}

static inline unsigned char ascii_lower(unsigned char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (unsigned char)(ch + 32) : ch;
}

/* nmap_get on the ASCII-lower-cased bytes of s, without copying them: for one token with no
 * white space and no typographic apostrophe (what norm_key would leave as is but for case). */
static const nmap_entry *nmap_get_folded(const nmap *m, const char *s, size_t n)
{
    if (!m->cap)
        return NULL;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ ascii_lower((unsigned char)s[i])) * 1099511628211ull;
    size_t i = h & (m->cap - 1);
    while (m->slots[i].key) {
        const nmap_entry *en = &m->slots[i];
        if (en->keylen == n) {
            size_t j = 0;
            while (j < n && (unsigned char)en->key[j] == ascii_lower((unsigned char)s[j]))
                j++;
            if (j == n)
                return en;
        }
        i = (i + 1) & (m->cap - 1);
    }
    return NULL;
}

static int nmap_put(nmap *m, const char *key, double value, int kind, const char *code)
{
    if ((m->len + 1) * 2 > m->cap) {
        size_t ncap = m->cap ? m->cap * 2 : 64;
        nmap_entry *ns = calloc(ncap, sizeof *ns);
        if (!ns)
            return -1;
        for (size_t i = 0; i < m->cap; i++) {
            if (!m->slots[i].key)
                continue;
            size_t j = hash_bytes(m->slots[i].key, m->slots[i].keylen) & (ncap - 1);
            while (ns[j].key)
                j = (j + 1) & (ncap - 1);
            ns[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = ns;
        m->cap = ncap;
    }
    size_t n = strlen(key);
    size_t i = hash_bytes(key, n) & (m->cap - 1);
    while (m->slots[i].key) {
        if (strcmp(m->slots[i].key, key) == 0)
            return 0; /* first definition wins */
        i = (i + 1) & (m->cap - 1);
    }
    m->slots[i].key = strdup(key);
    if (!m->slots[i].key)
        return -1;
    m->slots[i].keylen = n;
    m->slots[i].value = value;
    m->slots[i].kind = kind;
    snprintf(m->slots[i].code, sizeof m->slots[i].code, "%s", code ? code : "");
    m->len++;
    return 0;
}

static void nmap_free(nmap *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->slots[i].key);
    free(m->slots);
    memset(m, 0, sizeof *m);
}

/* Normalises n bytes of s into out (cap bytes): ASCII lower case, runs of white space → one
 * space, typographic apostrophe → '. Returns the length, or 0 if it does not fit. */
static size_t norm_key(const char *s, size_t n, char *out, size_t cap)
{
    size_t o = 0;
    bool space = false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            space = o > 0;
            continue;
        }
        if (space) {
            if (o + 1 >= cap)
                return 0;
            out[o++] = ' ';
            space = false;
        }
        if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
            (unsigned char)s[i + 2] == 0x99) {
            c = '\'';
            i += 2;
        }
        if (o + 1 >= cap)
            return 0;
        out[o++] = (char)tolower(c);
    }
    out[o] = '\0';
    return o;
}

static int kind_of(const char *k)
{
    static const char *const names[] = {"unit", "one", "hundred", "mult", "ord", "ordh", "ordm",
                                        "and", "point"};
    for (int i = 0; i < 9; i++)
        if (strcmp(k, names[i]) == 0)
            return i;
    static const char *const cues[] = {"approx", "min", "max", "from", "pct", "exact", "neg",
                                       "name"};
    for (int i = 0; i < 8; i++)
        if (strcmp(k, cues[i]) == 0)
            return i + 1;
    return -1;
}

typedef enum { FMT_WORD_VALUE_KIND, FMT_PHRASE_CODE, FMT_KIND_PHRASE } file_fmt;

/* Loads one rule file (lines: '#' comments, blank lines ignored). */
static ex_status load_table(nmap *m, const char *data_dir, const char *rel, file_fmt fmt,
                            char *err, size_t errlen)
{
    char path[4096];
    int pn = snprintf(path, sizeof path, "%s/%s", data_dir, rel);
    if (pn < 0 || (size_t)pn >= sizeof path)
        return ex_fail(err, errlen, EX_EINVAL, "numbers: data path too long: %s", rel);
    FILE *f = fopen(path, "r");
    if (!f)
        return ex_fail(err, errlen, EX_EIO, "numbers: cannot open %s", path);
    char line[512], key[256];
    unsigned lineno = 0;
    ex_status st = EX_OK;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strcspn(line, "\r\n");
        line[n] = '\0';
        if (n == 0 || line[0] == '#')
            continue;
        char *last = strrchr(line, ' ');
        char *first = strchr(line, ' ');
        if (!last || !first) {
            st = ex_fail(err, errlen, EX_EINVAL, "numbers: %s:%u: malformed", path, lineno);
            break;
        }
        int rc = 0;
        if (fmt == FMT_WORD_VALUE_KIND) {
            char *mid = first + 1;
            char *sp = strchr(mid, ' ');
            int kind = kind_of(last + 1);
            if (!sp || kind < 0 || !norm_key(line, (size_t)(first - line), key, sizeof key)) {
                st = ex_fail(err, errlen, EX_EINVAL, "numbers: %s:%u: malformed", path, lineno);
                break;
            }
            rc = nmap_put(m, key, strtod(mid, NULL), kind, NULL);
        } else if (fmt == FMT_PHRASE_CODE) {
            int pre = 0; /* "ringgit MYR +pre": the word may also come before the amount */
            if (strcmp(last + 1, "+pre") == 0 && last > first) {
                *last = '\0';
                pre = 1;
                last = strrchr(line, ' ');
            }
            if (!norm_key(line, (size_t)(last - line), key, sizeof key) || strlen(last + 1) != 3) {
                st = ex_fail(err, errlen, EX_EINVAL, "numbers: %s:%u: malformed", path, lineno);
                break;
            }
            rc = nmap_put(m, key, 0, pre, last + 1);
        } else {
            *first = '\0';
            int kind = kind_of(line);
            if (kind < 1 || !norm_key(first + 1, strlen(first + 1), key, sizeof key)) {
                st = ex_fail(err, errlen, EX_EINVAL, "numbers: %s:%u: malformed", path, lineno);
                break;
            }
            rc = nmap_put(m, key, 0, kind, NULL);
        }
        if (rc != 0) {
            st = ex_fail(err, errlen, EX_ENOMEM, "numbers: out of memory");
            break;
        }
    }
    fclose(f);
    return st;
}

/* "twenty" .. "ninety": the tens that may be glued to a unit. */
static bool is_tens(const nmap_entry *en)
{
    return en->kind == NW_UNIT && en->value >= 20 && en->value <= 90 && fmod(en->value, 10) == 0;
}

/* "one" .. "nine", "first" .. "ninth": what may follow a tens word. */
static bool is_digit_word(const nmap_entry *en)
{
    return (en->kind == NW_UNIT || en->kind == NW_ORD) && en->value >= 1 && en->value <= 9;
}

static void numbers_res_destroy(struct ex_numbers_res *r)
{
    if (!r)
        return;
    for (int l = 0; l < 2; l++) {
        nmap_free(&r->words[l]);
        nmap_free(&r->currencies[l]);
        nmap_free(&r->cues[l]);
    }
    nmap_free(&r->symbols);
    nmap_free(&r->names);
    nmap_free(&r->suffixes);
    free(r);
}

ex_status ex_numbers_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen)
{
    struct ex_numbers_res *r = calloc(1, sizeof *r);
    if (!r)
        return ex_fail(err, errlen, EX_ENOMEM, "numbers: out of memory");
    static const char *const langs[2] = {"fr", "en"};
    ex_status st = EX_OK;
    char rel[64];
    for (int l = 0; l < 2 && st == EX_OK; l++) {
        snprintf(rel, sizeof rel, "%s/numbers.txt", langs[l]);
        st = load_table(&r->words[l], data_dir, rel, FMT_WORD_VALUE_KIND, err, errlen);
        if (st == EX_OK) {
            snprintf(rel, sizeof rel, "%s/currencies.txt", langs[l]);
            st = load_table(&r->currencies[l], data_dir, rel, FMT_PHRASE_CODE, err, errlen);
        }
        if (st == EX_OK) {
            snprintf(rel, sizeof rel, "%s/number-cues.txt", langs[l]);
            st = load_table(&r->cues[l], data_dir, rel, FMT_KIND_PHRASE, err, errlen);
        }
    }
    if (st == EX_OK)
        st = load_table(&r->symbols, data_dir, "common/currency-symbols.txt", FMT_PHRASE_CODE,
                        err, errlen);
    if (st == EX_OK)
        st = load_table(&r->suffixes, data_dir, "common/number-suffixes.txt",
                        FMT_WORD_VALUE_KIND, err, errlen);
    if (st == EX_OK)
        st = load_table(&r->names, data_dir, "common/number-names.txt", FMT_KIND_PHRASE, err,
                        errlen);
    if (st != EX_OK) {
        numbers_res_destroy(r);
        return st;
    }
    for (int l = 0; l < 2; l++)
        for (size_t k = 0; k < r->words[l].cap; k++)
            if (r->words[l].slots[k].key)
            {
                const nmap_entry *en = &r->words[l].slots[k];
                r->word_first[(unsigned char)en->key[0]] = true;
                r->word_shape[(unsigned char)en->key[0]] |= 1u << (en->keylen < 31 ? en->keylen : 31);
                r->word_shape2[(unsigned char)en->key[0]][(unsigned char)en->key[1] & 31] |=
                    1u << (en->keylen < 31 ? en->keylen : 31);
                if (is_tens(en))
                    r->tens_first[(unsigned char)en->key[0]] = true;
            }
    for (int l = 0; l < 2; l++)
        for (size_t k = 0; k < r->currencies[l].cap; k++) {
            const nmap_entry *en = &r->currencies[l].slots[k];
            if (!en->key)
                continue;
            size_t w = strcspn(en->key, " -.'");
            r->cur_shape[(unsigned char)en->key[0]] |= 1u << (w < 31 ? w : 31);
            if (en->kind == 1)
                r->pre_shape[(unsigned char)en->key[0]] |= 1u << (w < 31 ? w : 31);
        }
    res->numbers = r;
    return EX_OK;
}

void ex_numbers_res_free(ex_resources *res)
{
    numbers_res_destroy(res->numbers);
    res->numbers = NULL;
}

/* ---- the stage -------------------------------------------------------------------------------- */

typedef struct nctx {
    ex_doc *doc;
    const struct ex_numbers_res *r;
    const ex_token *tok;
    uint32_t ntok;
    int langs[2]; /* language tables to try, -1 = none */
} nctx;

typedef struct qty {
    uint32_t a, b;   /* token range [a, b) of the number itself */
    double value;
    double mult;     /* multiplier read from a suffix or word (1 when none) */
    bool ordinal;
    const char *cur; /* ISO code glued to the digits ("USD1,23", "42MYR"), else NULL */
} qty;

static const char *tok_text(const nctx *c, uint32_t i) { return c->doc->text + c->tok[i].start; }
static uint32_t tok_len(const nctx *c, uint32_t i) { return c->tok[i].end - c->tok[i].start; }

/* Looks up the normalised text of tokens [a, b) in one map per language. */
static const nmap_entry *lookup_span(const nctx *c, const nmap *maps, uint32_t a, uint32_t b)
{
    if (a >= b || b > c->ntok)
        return NULL;
    uint32_t s = c->tok[a].start, e = c->tok[b - 1].end;
    if (e - s > 120)
        return NULL;
    char key[256];
    size_t n = norm_key(c->doc->text + s, e - s, key, sizeof key);
    if (!n)
        return NULL;
    for (int k = 0; k < 2; k++) {
        if (c->langs[k] < 0)
            continue;
        const nmap_entry *en = nmap_get(&maps[c->langs[k]], key, n);
        if (en)
            return en;
    }
    return NULL;
}

static const nmap_entry *lookup_one(const nctx *c, const nmap *m, const char *s, size_t len)
{
    char key[128];
    if (len >= 100)
        return NULL;
    size_t n = norm_key(s, len, key, sizeof key);
    return n ? nmap_get(m, key, n) : NULL;
}

/* Reads digits with separators and an optional suffix: "250 000", "1,5", "3.5bn", "1er". */
static bool parse_digits(const nctx *c, const char *s, size_t n, qty *q)
{
    size_t i = 0;
    int ngroups = 0;
    size_t glen[32];
    char gsep[32]; /* separator before group k (k ≥ 1) */
    size_t gstart[32];
    while (i < n && ngroups < 32) {
        if (ngroups > 0) {
            if (i >= n || (s[i] != ',' && s[i] != '.' && s[i] != ' '))
                break;
            if (i + 1 >= n || !isdigit((unsigned char)s[i + 1]))
                break;
            gsep[ngroups] = s[i++];
        }
        gstart[ngroups] = i;
        size_t st = i;
        while (i < n && isdigit((unsigned char)s[i]))
            i++;
        if (i == st)
            return false;
        glen[ngroups++] = i - st;
    }
    if (ngroups == 0 || ngroups >= 32)
        return false;
    /* which separator is the decimal one */
    int last_comma = -1, last_dot = -1, ncomma = 0, ndot = 0;
    for (int k = 1; k < ngroups; k++) {
        if (gsep[k] == ',') {
            ncomma++;
            last_comma = k;
        } else if (gsep[k] == '.') {
            ndot++;
            last_dot = k;
        }
    }
    int dec = -1; /* group index after the decimal separator */
    if (ncomma && ndot) {
        dec = last_comma > last_dot ? last_comma : last_dot;
        if ((gsep[dec] == ',' ? ncomma : ndot) != 1)
            return false;
    } else if (ncomma == 1 || ndot == 1) {
        int k = ncomma ? last_comma : last_dot;
        bool fr = c->langs[0] == 0;
        if (glen[k] != 3 || k != ngroups - 1)
            dec = k;
        else if (gsep[k] == ',' ? fr : !fr)
            dec = k;
        else if (gsep[k] == '.' && c->langs[1] == 1 && c->langs[0] == 1)
            dec = k;
    }
    if (dec >= 0 && dec != ngroups - 1)
        return false;
    for (int k = 1; k < ngroups; k++) {
        if (k == dec)
            continue;
        if (glen[k] != 3 || glen[0] > 3)
            return false;
    }
    double v = 0;
    for (int k = 0; k < ngroups; k++) {
        if (k == dec) {
            double f = 0.1;
            for (size_t j = 0; j < glen[k]; j++, f /= 10)
                v += f * (s[gstart[k] + j] - '0');
        } else {
            for (size_t j = 0; j < glen[k]; j++)
                v = v * 10 + (s[gstart[k] + j] - '0');
        }
    }
    q->value = v;
    q->mult = 1;
    q->ordinal = false;
    if (i < n) {
        const nmap_entry *suf = lookup_one(c, &c->r->suffixes, s + i, n - i);
        if (!suf) {
            /* a code glued after the digits: "42MYR", "10MNT", "42RM" (two or three capitals) */
            const nmap_entry *code = NULL;
            if ((n - i == 2 || n - i == 3) && isupper((unsigned char)s[i]) &&
                isalpha((unsigned char)s[i + 1]) &&
                (n - i == 2 || isalpha((unsigned char)s[i + 2]) || s[i + 2] == '$'))
                code = lookup_one(c, &c->r->symbols, s + i, n - i); /* "42MYR", "20Rs", "3US$" */
            if (!code)
                return false;
            q->cur = code->code;
            return true;
        }
        if (suf->kind == NW_ORD) {
            if (dec >= 0 || ngroups > 1)
                return false;
            q->ordinal = true;
        } else {
            q->mult = suf->value;
            q->value *= suf->value;
        }
    }
    return true;
}

static const nmap_entry *number_word(const nctx *c, const char *s, size_t n)
{
    /* cheap reject before any lower-casing or hashing: no number word has this first byte and
     * length (number words hold no typographic apostrophe, so the raw length is the key's) */
    if (!n || !(c->r->word_shape2[ascii_lower((unsigned char)s[0])]
                                 [n > 1 ? ascii_lower((unsigned char)s[1]) & 31 : 0] &
                (1u << (n < 31 ? n : 31))))
        return NULL;
    for (int k = 0; k < 2; k++) {
        if (c->langs[k] < 0)
            continue;
        const nmap_entry *en = nmap_get_folded(&c->r->words[c->langs[k]], s, n);
        if (en)
            return en;
    }
    return NULL;
}

typedef struct wacc {
    double total, cur;
    int atoms, last_kind;
    double last_value, mult;
    bool ordinal, done;
    bool point; /* the first word was a decimal point word ("point 77") */
} wacc;

/* Adds one number-word atom; returns false if it cannot continue the number. */
static bool word_atom(wacc *w, const nmap_entry *en)
{
    if (w->done)
        return false;
    int k = en->kind;
    double v = en->value;
    if (k == NW_POINT) {
        w->point = w->atoms == 0;
        return false; /* read by point_decimals */
    }
    if (k == NW_AND)
        return w->atoms > 0;
    if (k == NW_UNIT || k == NW_ONE || k == NW_ORD) {
        if (v == 20 && w->last_kind != NW_AND && w->atoms > 0 && w->last_value == 4 &&
            fmod(w->cur, 100) == 4)
            w->cur += 76; /* quatre-vingt */
        else if (w->atoms > 0 && w->last_kind != NW_HUNDRED && w->last_kind != NW_MULT &&
                 fmod(w->cur, 100) != 0 && fmod(w->cur, 10) != 0 && v < 100)
            return false; /* "deux trois" */
        else
            w->cur += v;
    } else if (k == NW_HUNDRED || k == NW_ORDH) {
        w->cur = (w->cur == 0 ? 1 : w->cur) * v;
    } else if (w->cur == 0 && w->last_kind == NW_MULT && w->last_value < v) {
        w->total *= v; /* "three thousand millions" */
        if (v > w->mult)
            w->mult = v;
    } else { /* NW_MULT, NW_ORDM */
        w->total += (w->cur == 0 ? 1 : w->cur) * v;
        w->cur = 0;
        if (v > w->mult)
            w->mult = v;
    }
    w->ordinal = k == NW_ORD || k == NW_ORDH || k == NW_ORDM;
    w->done = w->ordinal;
    w->atoms++;
    w->last_kind = k;
    w->last_value = v;
    return true;
}

/* Feeds one WORD token (split at hyphens) to the accumulator; all-or-nothing. */
static bool word_token(const nctx *c, uint32_t i, wacc *w)
{
    if (c->tok[i].kind != EX_TOK_WORD)
        return false;
    wacc save = *w;
    const char *s = tok_text(c, i);
    size_t n = tok_len(c, i), p = 0;
    while (p <= n) {
        size_t q = p;
        while (q < n && s[q] != '-')
            q++;
        const nmap_entry *en = q > p ? number_word(c, s + p, q - p) : NULL;
        if (!en && q - p >= 8 && c->r->tens_first[ascii_lower((unsigned char)s[p])] &&
            ((s[q - 2] == 't' && s[q - 1] == 'h') || (s[q - 2] == 's' && s[q - 1] == 't') ||
             (s[q - 2] == 'n' && s[q - 1] == 'd') || (s[q - 2] == 'r' && s[q - 1] == 'd'))) {
            /* a tens word glued to a unit or ordinal: "twentyfifth", "thirtyone" */
            for (size_t cut = 5; cut <= 7 && !en; cut++) {
                const nmap_entry *t = number_word(c, s + p, cut);
                const nmap_entry *u = t && is_tens(t) ? number_word(c, s + p + cut, q - p - cut)
                                                      : NULL;
                if (u && is_digit_word(u) && word_atom(w, t))
                    en = u;
            }
        }
        if (!en || !word_atom(w, en)) {
            bool pt = w->point;
            *w = save;
            w->point = pt;
            return false;
        }
        p = q + 1;
    }
    return true;
}

static bool is_word(const nctx *c, uint32_t i, const char *w);

static bool is_dash(const nctx *c, uint32_t i)
{
    const char *s = tok_text(c, i);
    return tok_len(c, i) == 3 && (unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 &&
           ((unsigned char)s[2] == 0x93 || (unsigned char)s[2] == 0x94);
}

/* Digits only, without a leading zero unless alone: "5", "100" (not "05", "1,5", "3m"). */
static bool plain_int(const nctx *c, uint32_t i, double *v)
{
    if (i >= c->ntok || c->tok[i].kind != EX_TOK_NUMBER || tok_len(c, i) > 6)
        return false;
    const char *s = tok_text(c, i);
    uint32_t n = tok_len(c, i);
    if (n > 1 && s[0] == '0')
        return false;
    double x = 0;
    for (uint32_t k = 0; k < n; k++) {
        if (!isdigit((unsigned char)s[k]))
            return false;
        x = x * 10 + (s[k] - '0');
    }
    *v = x;
    return true;
}

/* Decimals spelled after a point word at token j: "point 77", "point seven seven", "virgule
 * cinq". Sets *frac (0.77) and *next; false when j is no such point. */
static bool point_decimals(const nctx *c, uint32_t j, double *frac, uint32_t *next)
{
    if (j + 1 >= c->ntok || c->tok[j].kind != EX_TOK_WORD)
        return false;
    const nmap_entry *pt = number_word(c, tok_text(c, j), tok_len(c, j));
    if (!pt || pt->kind != NW_POINT)
        return false;
    uint32_t k = j + 1;
    double f = 0, scale = 0.1;
    if (c->tok[k].kind == EX_TOK_NUMBER) {
        const char *s = tok_text(c, k);
        uint32_t n = tok_len(c, k);
        for (uint32_t d = 0; d < n && d < 12; d++, scale /= 10) {
            if (!isdigit((unsigned char)s[d]))
                return false;
            f += scale * (s[d] - '0');
        }
        *frac = f;
        *next = k + 1;
        return n <= 12;
    }
    uint32_t d = 0;
    while (k < c->ntok && d < 12 && c->tok[k].kind == EX_TOK_WORD) {
        const nmap_entry *en = number_word(c, tok_text(c, k), tok_len(c, k));
        if (!en || en->kind != NW_UNIT || en->value > 9)
            break;
        f += scale * en->value;
        scale /= 10;
        k++;
        d++;
    }
    if (!d)
        return false;
    *frac = f;
    *next = k;
    return true;
}

/* A multiplier word after a quantity ending before token j ("1.2 million", "two point two
 * million", "300 Cr"): applies it to q. */
static void mult_after(const nctx *c, uint32_t j, qty *q)
{
    if (q->ordinal || q->mult != 1 || j >= c->ntok || c->tok[j].kind != EX_TOK_WORD)
        return;
    const nmap_entry *en = number_word(c, tok_text(c, j), tok_len(c, j));
    if (en && (en->kind == NW_MULT || en->kind == NW_HUNDRED)) {
        q->value *= en->value;
        q->mult = en->value;
        q->b = j + 1;
    }
}

/* Is a currency word ("dollar", "euro") at token j, not followed by "of"/"de" ("a pound of")? */
static bool currency_word_at(const nctx *c, uint32_t j)
{
    if (j >= c->ntok || c->tok[j].kind != EX_TOK_WORD)
        return false;
    uint32_t n = 0, tl = tok_len(c, j);
    const char *t = tok_text(c, j);
    while (n < tl && t[n] != '-' && t[n] != '.' && t[n] != '\'')
        n++;
    unsigned char b0 = ascii_lower((unsigned char)t[0]);
    if (!(c->r->cur_shape[b0] & (1u << (n < 31 ? n : 31))) ||
        !lookup_span(c, c->r->currencies, j, j + 1))
        return false;
    return !(is_word(c, j + 1, "of") || is_word(c, j + 1, "de") || is_word(c, j + 1, "d'"));
}

/* Reads a quantity starting at token i. */
static bool parse_qty(const nctx *c, uint32_t i, qty *q)
{
    if (i >= c->ntok)
        return false;
    q->a = i;
    q->cur = NULL;
    if (c->tok[i].kind == EX_TOK_WORD && tok_len(c, i) >= 3) {
        /* an ISO code glued before the digits: "USD1,23", "EUR29,99", "GBP3.01" */
        const char *s = tok_text(c, i);
        uint32_t cl = isalpha((unsigned char)s[2]) ? 3 : 2; /* "USD1,23", "RM42", "Rs20" */
        if (cl < tok_len(c, i) && isupper((unsigned char)s[0]) && isalpha((unsigned char)s[1]) &&
            isdigit((unsigned char)s[cl])) {
            const nmap_entry *code = lookup_one(c, &c->r->symbols, s, cl);
            /* the tokenizer cuts "USD1,23" as "USD1" "," "23": take the adjacent decimals */
            uint32_t e = c->tok[i].end, b = i + 1;
            if (i + 2 < c->ntok && c->tok[i + 1].start == e && tok_len(c, i + 1) == 1 &&
                (s[e - c->tok[i].start] == ',' || s[e - c->tok[i].start] == '.') &&
                c->tok[i + 2].kind == EX_TOK_NUMBER && c->tok[i + 2].start == e + 1) {
                e = c->tok[i + 2].end;
                b = i + 3;
            }
            if (!code || !parse_digits(c, s + cl, e - c->tok[i].start - cl, q) || q->ordinal ||
                q->cur)
                return false;
            q->cur = code->code;
            q->b = b;
            return true;
        }
    }
    if (c->tok[i].kind == EX_TOK_PUNCT && tok_len(c, i) == 1 && tok_text(c, i)[0] == '.') {
        /* ".77": a leading decimal point, after a space or at the start */
        double v;
        if (!(i == 0 || (c->tok[i].flags & (EX_TF_SPACE_BEFORE | EX_TF_PARA_START)) ||
              is_word(c, i - 1, "-")) ||
            i + 1 >= c->ntok || c->tok[i + 1].start != c->tok[i].end ||
            c->tok[i + 1].kind != EX_TOK_NUMBER)
            return false;
        const char *s = tok_text(c, i + 1);
        uint32_t n = tok_len(c, i + 1);
        if (n > 12 || !plain_int(c, i + 1, &v) || s[0] == '0') {
            double f = 0, scale = 0.1;
            for (uint32_t d = 0; d < n && d < 12; d++, scale /= 10) {
                if (!isdigit((unsigned char)s[d]))
                    return false;
                f += scale * (s[d] - '0');
            }
            v = f;
        } else {
            v /= pow(10, n);
        }
        q->value = v;
        q->mult = 1;
        q->ordinal = false;
        q->b = i + 2;
        mult_after(c, q->b, q);
        return true;
    }
    if (c->tok[i].kind == EX_TOK_NUMBER) {
        double num, den;
        if (plain_int(c, i, &num) && i + 2 < c->ntok && tok_len(c, i + 1) == 1 &&
            tok_text(c, i + 1)[0] == '/' && c->tok[i + 1].start == c->tok[i].end &&
            c->tok[i + 2].start == c->tok[i + 1].end && plain_int(c, i + 2, &den) &&
            !(i > 0 && c->tok[i - 1].end == c->tok[i].start && c->tok[i - 1].kind != EX_TOK_SYMBOL) &&
            !(i + 3 < c->ntok && c->tok[i + 3].start == c->tok[i + 2].end &&
              c->tok[i + 3].kind != EX_TOK_PUNCT && c->tok[i + 3].kind != EX_TOK_SYMBOL) &&
            !(i + 4 < c->ntok && c->tok[i + 3].start == c->tok[i + 2].end &&
              (tok_text(c, i + 3)[0] == '/' || tok_text(c, i + 3)[0] == '-') &&
              c->tok[i + 4].start == c->tok[i + 3].end)) {
            /* a fraction "1/5", "20/100": numerator below the denominator (so not "24/7"),
             * no leading zero (so not "17/02"), not a date "17/02/2014" */
            if (num < den && den >= 2) {
                q->value = num / den;
                q->mult = 1;
                q->ordinal = false;
                q->b = i + 3;
                return true;
            }
        }
        q->b = i + 1;
        if (!parse_digits(c, tok_text(c, i), tok_len(c, i), q)) {
            /* "3.14US$": letters of a code then a sign glued after the digits */
            if (i + 1 >= c->ntok || c->tok[i + 1].kind != EX_TOK_SYMBOL ||
                c->tok[i + 1].start != c->tok[i].end ||
                !parse_digits(c, tok_text(c, i), c->tok[i + 1].end - c->tok[i].start, q) ||
                !q->cur)
                return false;
            q->b = i + 2;
        }
        if (q->ordinal || q->mult != 1 || q->b >= c->ntok || c->tok[q->b].kind != EX_TOK_WORD)
            return true;
        const nmap_entry *en = number_word(c, tok_text(c, q->b), tok_len(c, q->b));
        if (!en)
            return true;
        double frac;
        uint32_t nx;
        if (en->kind == NW_POINT && !q->cur && plain_int(c, i, &num) &&
            point_decimals(c, i + 1, &frac, &nx)) { /* "1 point 1" */
            q->value += frac;
            q->b = nx;
            mult_after(c, q->b, q);
        } else if (en->kind == NW_MULT || en->kind == NW_HUNDRED) {
            q->value *= en->value;
            q->mult = en->value;
            q->b++;
        }
        return true;
    }
    if (c->tok[i].kind != EX_TOK_WORD ||
        !c->r->word_first[(unsigned char)tolower((unsigned char)tok_text(c, i)[0])])
        return false;
    double frac;
    uint32_t nx;
    wacc w = {0, 0, 0, -1, 0, 1, false, false, false};
    uint32_t j = i;
    while (j < c->ntok && j < i + 12) {
        if (word_token(c, j, &w)) {
            j++;
            continue;
        }
        /* "twenty—fifth": tens and unit joined by a dash with no space */
        if (j > i && j + 1 < c->ntok && w.last_kind == NW_UNIT && w.last_value >= 20 &&
            w.last_value <= 90 && fmod(w.last_value, 10) == 0 && is_dash(c, j) &&
            c->tok[j].start == c->tok[j - 1].end && c->tok[j + 1].start == c->tok[j].end &&
            word_token(c, j + 1, &w)) {
            j += 2;
            continue;
        }
        break;
    }
    if (j == i && w.point && (i == 0 || c->tok[i - 1].kind != EX_TOK_WORD) &&
        point_decimals(c, i, &frac, &nx)) {
        q->value = frac; /* "point 77" (not "the point 5 of the plan") */
        q->mult = 1;
        q->ordinal = false;
        q->b = nx;
        mult_after(c, q->b, q);
        return true;
    }
    /* a trailing connector ("vingt et") is not part of the number */
    while (j > i && w.atoms > 0) {
        const nmap_entry *en = number_word(c, tok_text(c, j - 1), tok_len(c, j - 1));
        if (en && en->kind == NW_AND)
            j--;
        else
            break;
    }
    if (j == i || w.atoms == 0)
        return false;
    if (w.atoms == 1 && w.last_kind == NW_ONE && !currency_word_at(c, j))
        return false; /* a lone article: "un", "a" (but "a dollar", "un euro") */
    q->b = j;
    q->value = w.total + w.cur;
    q->mult = w.mult;
    q->ordinal = w.ordinal;
    if (!q->ordinal && point_decimals(c, j, &frac, &nx)) { /* "two point two million" */
        q->value += frac;
        q->b = nx;
        q->mult = 1;
        mult_after(c, q->b, q);
    }
    return true;
}

static bool is_word(const nctx *c, uint32_t i, const char *w)
{
    if (i >= c->ntok)
        return false;
    size_t wl = strlen(w), tl = tok_len(c, i);
    if (tl == wl) { /* same length: an ASCII case-folded compare, no copy */
        const char *s = tok_text(c, i);
        for (size_t j = 0; j < wl; j++)
            if (ascii_lower((unsigned char)s[j]) != (unsigned char)w[j])
                return false;
        return true;
    }
    if (tl != wl + 2 || !memchr(tok_text(c, i), 0xE2, tl))
        return false; /* only a typographic apostrophe (3 bytes for 1) changes the length */
    char key[32];
    size_t n = tok_len(c, i) < 24 ? norm_key(tok_text(c, i), tok_len(c, i), key, sizeof key) : 0;
    return n && strcmp(key, w) == 0;
}

/* Currency sign or code just before token a ("€", "US$", "CHF"); sets *from. */
static const char *currency_before(const nctx *c, uint32_t a, uint32_t lo, uint32_t *from)
{
    if (a <= lo)
        return NULL;
    uint32_t p = a - 1;
    bool dot = tok_len(c, p) == 1 && tok_text(c, p)[0] == '.'; /* "Rs. 20" */
    if (c->tok[p].kind == EX_TOK_SYMBOL || (c->tok[p].flags & (EX_TF_ALLCAPS | EX_TF_CAP)) || dot) {
        if (p > lo && c->tok[p - 1].end == c->tok[p].start) {
            const char *s = c->doc->text + c->tok[p - 1].start;
            const nmap_entry *en = lookup_one(c, &c->r->symbols, s, c->tok[p].end - c->tok[p - 1].start);
            if (en) {
                *from = p - 1;
                return en->code;
            }
        }
        const nmap_entry *en = lookup_one(c, &c->r->symbols, tok_text(c, p), tok_len(c, p));
        if (en) {
            *from = p;
            return en->code;
        }
    }
    return NULL;
}

/* Currency after token b ("€", "euros", "d'euros", "millions de dollars canadiens"); sets *to. */
static const char *currency_after(const nctx *c, uint32_t b, uint32_t hi, uint32_t *to)
{
    if (b >= hi)
        return NULL;
    if (c->tok[b].kind == EX_TOK_SYMBOL || (c->tok[b].flags & EX_TF_ALLCAPS)) {
        const nmap_entry *en = lookup_one(c, &c->r->symbols, tok_text(c, b), tok_len(c, b));
        if (en) {
            *to = b + 1;
            return en->code;
        }
    }
    uint32_t s = b;
    if (is_word(c, s, "de") || is_word(c, s, "d'") || is_word(c, s, "of"))
        s++;
    if (s >= hi || c->tok[s].kind != EX_TOK_WORD)
        return NULL;
    uint32_t fl = tok_len(c, s), fw = 0;
    const char *ft = tok_text(c, s);
    while (fw < fl && ft[fw] != '-' && ft[fw] != '.' && ft[fw] != '\'')
        fw++;
    if (!(c->r->cur_shape[ascii_lower((unsigned char)ft[0])] & (1u << (fw < 31 ? fw : 31))))
        return NULL; /* no currency phrase starts with a word of this shape */
    for (uint32_t k = 4; k >= 1; k--) { /* up to "l" "." "e" "." */
        if (s + k > hi)
            continue;
        const nmap_entry *en = lookup_span(c, c->r->currencies, s, s + k);
        if (en) {
            *to = s + k;
            return en->code;
        }
    }
    return NULL;
}

/* Percent after token b: "%", "pour cent", "percent", "per cent"; sets *to. */
static bool percent_after(const nctx *c, uint32_t b, uint32_t hi, uint32_t *to)
{
    if (b >= hi)
        return false;
    if (tok_len(c, b) == 1 && tok_text(c, b)[0] == '%') {
        *to = b + 1;
        return true;
    }
    for (uint32_t k = 2; k >= 1; k--) {
        if (b + k > hi)
            continue;
        const nmap_entry *en = lookup_span(c, c->r->cues, b, b + k);
        if (en && en->kind == CUE_PCT) {
            *to = b + k;
            return true;
        }
    }
    return false;
}

/* Cue phrase ending just before token a: returns its kind and sets *from. */
static int cue_before(const nctx *c, uint32_t a, uint32_t lo, uint32_t *from)
{
    for (uint32_t k = 3; k >= 1; k--) {
        if (a < lo + k)
            continue;
        const nmap_entry *en = lookup_span(c, c->r->cues, a - k, a);
        if (en && en->kind != CUE_PCT) {
            *from = a - k;
            return en->kind;
        }
    }
    return 0;
}

/* Words for the hundredth of a unit; a small closed set, French and English. */
static bool is_cents_word(const nctx *c, uint32_t i)
{
    static const char *const words[] = {"cents", "cent", "centimes", "centime", "pence",
                                        "penny", "pennies", "p", "c", "sen", "sens", "kopiykas",
                                        "kopecks", "kopeks"};
    if (i >= c->ntok || c->tok[i].kind != EX_TOK_WORD || tok_len(c, i) > 8)
        return false;
    unsigned char b0 = ascii_lower((unsigned char)tok_text(c, i)[0]);
    if (b0 != 'c' && b0 != 'p' && b0 != 's' && b0 != 'k')
        return false; /* the first letters of the words below */
    for (size_t k = 0; k < sizeof words / sizeof words[0]; k++)
        if (is_word(c, i, words[k]))
            return true;
    return false;
}

/* The cents after an amount and its currency: ["and"|"et"] 1–2 digits or a number word below
 * 100, then a cents word ("43 cents", "23 centimes", "43c", "forty-two cents"). Sets *to and
 * *cents (0–99) on success; the cents word is required, so "20 dollars 43 personnes" is left. */
static bool cents_after(const nctx *c, uint32_t j, uint32_t hi, uint32_t *to, double *cents)
{
    if (j < hi && (is_word(c, j, "and") || is_word(c, j, "et")))
        j++;
    if (j >= hi)
        return false;
    if (c->tok[j].kind == EX_TOK_NUMBER) {
        const char *s = tok_text(c, j);
        uint32_t n = tok_len(c, j), d = 0;
        while (d < n && isdigit((unsigned char)s[d]))
            d++;
        if (d == 0 || d > 2)
            return false;
        double v = s[0] - '0';
        if (d == 2)
            v = v * 10 + (s[1] - '0');
        if (d + 1 == n && (s[d] == 'c' || s[d] == 'p')) { /* "43c", "50p" */
            *to = j + 1;
            *cents = v;
            return true;
        }
        if (d != n || !is_cents_word(c, j + 1) || j + 1 >= hi)
            return false;
        *to = j + 2;
        *cents = v;
        return true;
    }
    qty q;
    if (!parse_qty(c, j, &q) || q.ordinal || q.value >= 100 || q.value != floor(q.value) ||
        q.b >= hi || !is_cents_word(c, q.b))
        return false;
    *to = q.b + 1;
    *cents = q.value;
    return true;
}

typedef struct found {
    uint32_t from, to; /* token range of the whole mention */
    double value, min, max;
    const char *currency;
    bool pct, ordinal, approx, inferred;
    bool cents; /* "ten cents" with no currency: the stage gives it the paragraph's or the
                   language's currency */
    int bound;
    double mult;
} found;

/* Reads one mention (quantity and its surroundings) at token i; tokens [lo, hi) bound it. */
static bool read_mention(const nctx *c, uint32_t i, uint32_t lo, uint32_t hi, found *f)
{
    uint32_t a = i;
    const char *cur = NULL;
    uint32_t from = i;
    if ((c->tok[i].kind == EX_TOK_PUNCT && !(tok_len(c, i) == 1 && tok_text(c, i)[0] == '.')) ||
        c->tok[i].kind == EX_TOK_OTHER)
        return false;
    /* "a $4.7 billion deal", "a US$ 5 fee": the article counts one amount */
    if (i + 2 < hi && tok_len(c, i) <= 2 &&
        (c->tok[i + 1].kind == EX_TOK_SYMBOL || (c->tok[i + 1].flags & EX_TF_ALLCAPS)) &&
        (is_word(c, i, "a") || is_word(c, i, "an"))) {
        found g;
        if (read_mention(c, i + 1, i + 1, hi, &g) && g.currency && g.from == i + 1 &&
            isnan(g.min) && !g.cents) {
            *f = g;
            f->from = i;
            return true;
        }
    }
    /* a currency sign may come first: "$10m", "US$ 5", "CHF 3", "Rs. 20" */
    if (c->tok[i].kind == EX_TOK_SYMBOL || (c->tok[i].flags & (EX_TF_ALLCAPS | EX_TF_CAP))) {
        uint32_t k = i + 1;
        if (k < hi && (c->tok[k].kind == EX_TOK_SYMBOL || is_word(c, k, ".")) &&
            c->tok[i].end == c->tok[k].start)
            k++; /* "US" "$", "Rs" "." */
        if (k >= hi && c->tok[i].kind == EX_TOK_SYMBOL)
            return false;
        uint32_t f0;
        cur = currency_before(c, k, i, &f0);
        if (cur && f0 == i)
            a = k;
        else if (c->tok[i].kind == EX_TOK_SYMBOL)
            return false;
        else
            cur = NULL; /* a capitalised word: may still hold a glued code ("USD1,23") */
    }
    if (!cur && c->tok[i].kind == EX_TOK_WORD && i + 1 < hi &&
        (c->r->pre_shape[ascii_lower((unsigned char)tok_text(c, i)[0])] &
         (1u << (tok_len(c, i) < 31 ? tok_len(c, i) : 31)))) {
        /* a currency word that may come first: "ringgit 42", "malaysian ringgits 42" */
        for (uint32_t k = 3; k >= 1; k--) {
            if (i + k >= hi || c->tok[i + k].kind != EX_TOK_NUMBER)
                continue;
            const nmap_entry *en = lookup_span(c, c->r->currencies, i, i + k);
            if (en && en->kind == 1) {
                cur = en->code;
                a = i + k;
                break;
            }
        }
    }
    qty q;
    if (!parse_qty(c, a, &q) || q.b > hi)
        return false;
    if (!q.ordinal && q.b + 2 < hi && is_word(c, q.b, "(")) {
        /* a number restated in the other form: "forty-five (45)", "45 (forty-five)" */
        qty r;
        if (parse_qty(c, q.b + 1, &r) && r.b < hi && is_word(c, r.b, ")") && !r.ordinal &&
            r.value == q.value && c->tok[q.a].kind != c->tok[q.b + 1].kind)
            q.b = r.b + 1;
    }
    memset(f, 0, sizeof *f);
    f->min = f->max = NAN;
    if (!cur && a == i && a > lo && tok_len(c, a - 1) == 1 && tok_text(c, a - 1)[0] == '-' &&
        (a - 1 == 0 || (c->tok[a - 1].flags & EX_TF_SPACE_BEFORE) || /* not "2-1" */
         (c->tok[a - 1].flags & EX_TF_PARA_START)) &&
        c->tok[a - 1].end + 1 >= c->tok[a].start) {
        q.value = -q.value; /* a minus sign: "-1200000", "- 1,200,000" */
        from = a - 1;
    }
    f->value = q.value;
    f->mult = q.mult;
    f->ordinal = q.ordinal;
    uint32_t to = q.b;
    if (!cur && q.cur)
        cur = q.cur;
    if (!q.ordinal) {
        if (!cur)
            cur = currency_after(c, q.b, hi, &to);
        else {
            uint32_t t2; /* "$10 million dollars": take the trailing word too */
            if (currency_after(c, q.b, hi, &t2))
                to = t2;
        }
        if (!cur)
            f->pct = percent_after(c, q.b, hi, &to);
        if (!cur && !f->pct && q.mult == 1 && q.b < hi &&
            (is_word(c, q.b, "¢") || (is_cents_word(c, q.b) && !is_word(c, q.b, "p") &&
                                      !number_word(c, tok_text(c, q.b), tok_len(c, q.b))))) {
            /* "ten cents", "10¢", "20 centimes": a hundredth of the currency of the context */
            f->value /= 100;
            f->cents = true;
            cur = is_word(c, q.b, "pence") ? "GBP" : c->langs[0] == 0 ? "EUR" : "USD";
            to = q.b + 1;
        } else if (cur && q.mult == 1 && f->value == floor(f->value)) {
            double cents; /* "20 dollars 43 cents", "1 USD et 23 centimes", "$20 and 43c" */
            if (cents_after(c, to, hi, &to, &cents))
                f->value += f->value < 0 ? -cents / 100 : cents / 100;
        }
    }
    /* cue before */
    uint32_t cf = from;
    int cue = cue_before(c, from, lo, &cf);
    /* range: "entre 10 et 20 millions d'euros", "de 10 à 20", "$10m-$20m", "10-20%",
     * "between 10 dollars and 20 dollars" */
    if (!q.ordinal && to < hi && (to == q.b || cur)) {
        uint32_t j = to;
        bool link = false;
        if (cue == CUE_FROM && (is_word(c, j, "et") || is_word(c, j, "à") || is_word(c, j, "and") ||
                                is_word(c, j, "to")))
            link = true;
        else if (is_word(c, j, "-") || is_word(c, j, "–"))
            link = c->tok[j].kind == EX_TOK_PUNCT || c->tok[j].kind == EX_TOK_SYMBOL;
        found g;
        if (link && j + 1 < hi && read_mention(c, j + 1, j + 1, hi, &g) && !g.ordinal &&
            isnan(g.min) && (g.currency || (g.pct && !cur)) && g.from == j + 1 &&
            (!cur || !g.currency || strcmp(cur, g.currency) == 0)) {
            double lo_v = f->value;
            if (q.mult == 1 && g.mult > 1)
                lo_v *= g.mult;
            f->min = lo_v;
            f->max = g.value;
            f->value = lo_v;
            f->currency = g.currency ? g.currency : cur;
            f->pct = g.pct;
            if (cue == CUE_FROM)
                from = cf;
            else if (cue == CUE_APPROX) {
                f->approx = true;
                from = cf;
            }
            f->from = from;
            f->to = g.to;
            return true;
        }
    }
    if (cue == CUE_APPROX) {
        f->approx = true;
        from = cf;
    } else if (cue == CUE_EXACT) {
        from = cf;
    } else if (cue == CUE_NEG && from == a && !cur) {
        f->value = -f->value; /* "minus 1,200,000", "moins 5" */
        from = cf;
    } else if (cue == CUE_MIN || cue == CUE_MAX) {
        f->bound = cue == CUE_MIN ? EX_BOUND_MIN : EX_BOUND_MAX;
        from = cf;
        /* "plus de près de": one more approx cue is rare; not read */
    }
    f->currency = cur;
    f->from = from;
    f->to = to;
    return true;
}

/* Adds f to v. A value beyond a double's range (hundreds of digits, or a huge number times
 * "milliards") is not a quantity we can report: it has no JSON form, and json.c would fail the
 * whole document (found by fuzz_extract); it is left out. */
static ex_status push_quantity(ex_doc *doc, ex_vec *v, const nctx *c, const found *f)
{
    if (!isfinite(f->value) || isinf(f->min) || isinf(f->max))
        return EX_OK;
    ex_quantity *x = ex_vec_push(doc->arena, v, sizeof *x);
    if (!x)
        return EX_ENOMEM;
    x->start = c->tok[f->from].start;
    x->end = c->tok[f->to - 1].end;
    x->value = f->value;
    x->min = f->min;
    x->max = f->max;
    if (f->currency)
        snprintf(x->currency, sizeof x->currency, "%s", f->currency);
    x->approx = f->approx;
    x->bound = (uint8_t)f->bound;
    x->currency_inferred = f->inferred;
    x->ordinal = f->ordinal;
    return EX_OK;
}

ex_status ex_stage_numbers(ex_doc *doc, char *err, size_t errlen)
{
    if (!doc->res || !doc->res->numbers)
        return EX_OK;
    nctx c = {doc, doc->res->numbers, doc->tokens.items, doc->tokens.len, {0, 1}};
    if (strcmp(doc->lang, "fr") == 0)
        c.langs[1] = -1;
    else if (strcmp(doc->lang, "en") == 0) {
        c.langs[0] = 1;
        c.langs[1] = -1;
    }
    uint32_t bi = 0, block_lo = 0;
    const char *last_cur = NULL;
    uint32_t prev_end = 0, block_hi = 0;
    for (uint32_t i = 0; i < c.ntok;) {
        /* the block (paragraph) this token is in bounds the look-around */
        uint32_t hi = c.ntok;
        while (bi < doc->blocks.len && EX_VEC_AT(doc->blocks, ex_block, bi).end <= c.tok[i].start) {
            bi++;
            block_lo = i;
            last_cur = NULL;
        }
        uint32_t lo = block_lo > prev_end ? block_lo : prev_end;
        uint32_t bend = bi < doc->blocks.len ? EX_VEC_AT(doc->blocks, ex_block, bi).end : UINT32_MAX;
        if (block_hi < i)
            block_hi = i;
        while (block_hi < c.ntok && c.tok[block_hi].start < bend)
            block_hi++; /* moves forward only: linear over the document */
        hi = block_hi;
        /* cheap skip: a lower-case word can only start a mention as a number word, so one whose
         * first part (before any hyphen) has no number word's first byte and length is left
         * before any lower-casing or hashing (the same test number_word makes first) */
        if (c.tok[i].kind == EX_TOK_WORD) {
            const char *w = doc->text + c.tok[i].start;
            unsigned char b0 = (unsigned char)w[0];
            if (b0 >= 'a' && b0 <= 'z') {
                uint32_t n = c.tok[i].end - c.tok[i].start, seg = 0;
                while (seg < n && w[seg] != '-')
                    seg++;
                bool glued = seg >= 8 && seg == n && c.r->tens_first[b0] &&
                             ((w[n - 2] == 't' && w[n - 1] == 'h') || (w[n - 2] == 's' && w[n - 1] == 't') ||
                              (w[n - 2] == 'n' && w[n - 1] == 'd') || (w[n - 2] == 'r' && w[n - 1] == 'd'));
                if (!glued &&
                    !((c.r->word_shape2[b0][seg > 1 ? ascii_lower((unsigned char)w[1]) & 31 : 0] |
                       c.r->pre_shape[b0]) & (1u << (seg < 31 ? seg : 31)))) {
                    i++;
                    continue;
                }
            }
        }
        if (c.tok[i].kind == EX_TOK_NUMBER && i + 2 < hi && c.tok[i + 1].start == c.tok[i].end &&
            c.tok[i + 1].kind == EX_TOK_PUNCT && c.tok[i + 2].start == c.tok[i + 1].end &&
            lookup_one(&c, &c.r->names, doc->text + c.tok[i].start,
                       c.tok[i + 2].end - c.tok[i].start)) {
            i += 3; /* "9/11", "24/7": names, not numbers */
            prev_end = i;
            continue;
        }
        found f;
        if (!read_mention(&c, i, lo, hi, &f)) {
            i++;
            continue;
        }
        ex_status st = EX_OK;
        if (f.cents && last_cur) {
            f.currency = last_cur; /* "… $2 and ten cents": the paragraph's currency */
            f.inferred = true;
        } else if (f.cents) {
            f.inferred = true; /* the language's usual currency */
        }
        if (f.currency) {
            last_cur = f.currency;
            st = push_quantity(doc, &doc->money, &c, &f);
        } else if (f.pct) {
            st = push_quantity(doc, &doc->percentages, &c, &f);
        } else {
            bool followed_by_of = f.to < hi && (is_word(&c, f.to, "de") ||
                                                is_word(&c, f.to, "d'") || is_word(&c, f.to, "of"));
            bool after_article = f.from > lo && (is_word(&c, f.from - 1, "article") ||
                                                       is_word(&c, f.from - 1, "windows"));
            if (last_cur && f.mult >= 1e6 && !followed_by_of && !f.ordinal) {
                f.currency = last_cur;
                f.inferred = true;
                st = push_quantity(doc, &doc->money, &c, &f);
            } else if (!after_article) {
                st = push_quantity(doc, &doc->numbers, &c, &f);
            }
        }
        if (st != EX_OK)
            return ex_fail(err, errlen, st, "numbers: out of memory");
        i = f.to > i ? f.to : i + 1;
        prev_end = i;
    }
    return EX_OK;
}
