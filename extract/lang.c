/*
 * lang.c — stage 4, language identification: fills doc->lang ("fr", "en", another ISO 639-1
 * code, or "und") and doc->lang_confidence in [0,1].
 *
 * Reads doc->in.lang_hint and doc->text (the first LANG_SCAN_BYTES of it; doc->norm when there
 * is no text layer); writes only doc->lang and doc->lang_confidence (and, on the rare slow path,
 * one scratch copy of the text prefix in the document's arena). Never fails on content.
 * Loads, once, into struct ex_lang_res (res->lang, owned by the resources object):
 *   - data/{fr,en}/lang-words.txt: function words; data/{fr,en}/lang-common.txt: frequent words
 *     of news copy (our own lists);
 *   - fr.lm and en.lm from libexttextcat's fingerprint directory (ENRICHD_TEXTCAT_DIR): the
 *     n-gram COUNTS they carry become a naive-Bayes log-likelihood-ratio table, fr against en;
 *   - a libexttextcat handle over all of its fingerprints (fpdb.conf), asked only when the text
 *     does not look like French or English, to name the other language.
 *
 * French vs English: one linear pass over the words of the text prefix adds up (a) function-word
 * and frequent-word hits, (b) character 1..5-gram log-likelihood ratios (words padded with '_'
 * as textcat does), (c) French typography (a space before : ; ! ?, guillemets) and (d) French
 * letters that the 400-n-gram fingerprints do not list (ç ô û œ ...). Capitalised words inside a
 * sentence (names, mostly) weigh less unless they are most words (Title Case); short acronyms
 * weigh nothing. The pass stops early once the verdict is overwhelming, so a news article costs
 * a few hundred bytes of scanning (~2 µs).
 *
 * Threads: everything in struct ex_lang_res is immutable after loading. libexttextcat's
 * textcat_Classify() writes into its handle and is NOT safe to call concurrently; this file only
 * calls textcat_ClassifyFull() with a candidate array of its own (textcat_GetClassifyFullOutput
 * per call), which in libexttextcat 3.4 only reads the handle and keeps its scratch per call.
 *
 * Robustness: the scanner takes any bytes (invalid UTF-8 is skipped byte by byte) and only reads
 * inside [text, text + text_len).
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <textcat.h>
#include <utf8proc.h>

#include "internal.h"

#ifndef ENRICHD_TEXTCAT_DIR
#define ENRICHD_TEXTCAT_DIR "/usr/share/libexttextcat"
#endif

/* ---- tuning ---------------------------------------------------------------------------------- */
#define LANG_SCAN_BYTES 2048 /* score at most this much of the text (plus the end of a word) */
#define LANG_WORD_MAX 48     /* code points; longer "words" are ignored for scoring */
#define CHUNK_MAX 256        /* bytes looked ahead to tell a link from a word */
#define NGRAM_MAX 5          /* n-gram orders 1..5, as in the fingerprints */
#define ALPHA_BITS 6         /* bits per character in an n-gram key: 5 × 6 = 30 bits */

#define W_FUNCTION_WORD 2.0 /* nats per function-word hit */
#define W_COMMON_WORD 1.5   /* nats per hit on the lists of frequent news words */
#define W_NGRAM 0.3         /* scale of the summed n-gram log ratios (they overlap, so < 1) */
#define W_FR_PUNCT 1.5      /* per French spacing/guillemet cue, at most MAX_PUNCT_CUES counted */
#define MAX_PUNCT_CUES 3
#define W_FR_LETTER 1.0 /* per French-only letter absent from the fingerprints (ç ô û œ ...) */
#define NGRAM_FLOOR 0.5 /* an n-gram missing from a top-400 list: count = FLOOR × smallest count */
#define NGRAM_WORD_BIAS 0.8 /* subtracted per word: the fingerprints favour French on unknown
                             * words (mean +4.4 on French words, −3.1 on English ones, measured
                             * on dev text outside the evaluation corpora) */

#define EARLY_MIN_WORDS 12    /* early stop: at least this many words ... */
#define EARLY_MARGIN 20.0     /* ... a margin this large ... */
#define EARLY_COVERAGE 0.25   /* ... and this share of the winner's function words */
#define MIN_LETTERS 3         /* fewer letters than this: "und" */
#define MIN_MARGIN 0.05       /* a weaker fr/en verdict than this: "und" (no evidence) */
#define SUSPECT_MIN_WORDS 20  /* from this many words on, low coverage means "neither" */
#define SUSPECT_COVERAGE 0.2  /* winner's function words per word under which we doubt fr/en */
#define FOREIGN_LETTER_RATE 60 /* 1 letter in this many outside the fr/en alphabet: doubt */

/* ---- resources --------------------------------------------------------------------------------- */
typedef struct lang_ngram_slot {
    uint32_t key; /* 0 = empty */
    float weight; /* ln P(g|fr) − ln P(g|en) */
} lang_ngram_slot;

/* The four word lists in one table, so that a word costs one probe: flags say in which lists
 * it is. Words are stored inline (the lists hold short words; longer lines are ignored). */
enum { LW_FR = 1, LW_EN = 2, LW_COMMON_FR = 4, LW_COMMON_EN = 8 };
#define LANG_KEY_MAX 26
typedef struct lang_word_slot {
    uint32_t hash; /* FNV-1a, never 0; 0 = empty slot */
    uint8_t len;
    uint8_t flags; /* LW_* */
    char word[LANG_KEY_MAX];
} lang_word_slot; /* 32 bytes: one probe, one cache line */

struct ex_lang_res {
    lang_word_slot *words;
    uint32_t words_mask; /* table size − 1 (power of two) */
    lang_ngram_slot *ngrams;
    uint32_t ngram_mask; /* table size − 1 (power of two) */
    void *textcat; /* libexttextcat handle over every fingerprint, or NULL if it failed to load */
};

/* Index of a (lower-case) code point in the n-gram alphabet: '_' = 1, a–z, then the letters of
 * French; 0 for anything else (which ends an n-gram). Fixed, so keys are stable. */
static unsigned alpha_index(uint32_t cp)
{
    if (cp == '_')
        return 1;
    if (cp >= 'a' && cp <= 'z')
        return 2 + (cp - 'a'); /* 2..27 */
    switch (cp) {
    case 0xE0: return 28; /* à */
    case 0xE8: return 29; /* è */
    case 0xE9: return 30; /* é */
    case 0xEA: return 31; /* ê */
    case 0xE2: return 32; /* â */
    case 0xE7: return 33; /* ç */
    case 0xEB: return 34; /* ë */
    case 0xEE: return 35; /* î */
    case 0xEF: return 36; /* ï */
    case 0xF4: return 37; /* ô */
    case 0xF9: return 38; /* ù */
    case 0xFB: return 39; /* û */
    case 0x153: return 40; /* œ */
    case 0xE6: return 41; /* æ */
    case 0xFF: return 42; /* ÿ */
    default: return 0;
    }
}

/* French letters that fr.lm's 400 n-grams do not list: evidence of their own. */
static bool is_french_only_letter(uint32_t cp)
{
    unsigned ix = alpha_index(cp);
    return ix >= 32 && ix <= 42 && ix != 41; /* â ç ë î ï ô ù û œ ÿ (æ is too rare to count) */
}

static uint32_t ngram_hash(uint32_t key, uint32_t mask)
{
    return (uint32_t)((key * 2654435761u) >> 7) & mask;
}

/* Finds key's weight; false when the n-gram is in neither fingerprint. Fingerprints are
 * prefix-closed (an n-gram is never more frequent than its prefix), so a miss also means that
 * no longer n-gram starting the same way is listed: callers stop extending on a miss. */
static bool ngram_weight(const struct ex_lang_res *lr, uint32_t key, float *weight)
{
    uint32_t i = ngram_hash(key, lr->ngram_mask);
    for (;;) {
        const lang_ngram_slot *s = &lr->ngrams[i];
        if (s->key == key) {
            *weight = s->weight;
            return true;
        }
        if (s->key == 0)
            return false;
        i = (i + 1) & lr->ngram_mask;
    }
}

/* One n-gram's counts while the two fingerprint files are merged. */
typedef struct lang_count_slot {
    uint32_t key;
    double count[2]; /* [0] = fr, [1] = en */
} lang_count_slot;

typedef struct lang_counts {
    lang_count_slot *slots;
    uint32_t mask, used;
    double total[2]; /* all single-character counts: the size of the training text */
    double min[2];   /* smallest count listed: the ceiling of anything unlisted */
} lang_counts;

static lang_count_slot *counts_slot(lang_counts *c, uint32_t key)
{
    uint32_t i = ngram_hash(key, c->mask);
    while (c->slots[i].key != 0 && c->slots[i].key != key)
        i = (i + 1) & c->mask;
    return &c->slots[i];
}

/* Reads one fingerprint file ("ngram<white space>count" per line, most frequent first) and adds
 * its lower-cased n-grams over our alphabet to c->…[which]. A file without counts gets Zipf
 * pseudo-counts from the ranks. */
static ex_status counts_read_lm(lang_counts *c, int which, const char *path, char *err,
                                size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return ex_fail(err, errlen, EX_EIO, "lang: cannot open fingerprint %s", path);
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned rank = 0;
    double first = 0;
    c->min[which] = 0;
    while ((got = getline(&line, &cap, f)) >= 0) {
        size_t n = (size_t)got;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            line[--n] = '\0';
        size_t glen = strcspn(line, " \t");
        if (glen == 0)
            continue;
        const char *num = line + glen + strspn(line + glen, " \t");
        double count = *num ? strtod(num, NULL) : 0;
        rank++;
        if (count <= 0) /* no count on the line: Zipf from the first count (or 1000) */
            count = (first > 0 ? first : 1000.0) / rank;
        if (first == 0)
            first = count;
        if (c->min[which] == 0 || count < c->min[which])
            c->min[which] = count;

        /* decode, lower-case, map to our alphabet */
        uint32_t key = 0;
        int chars = 0;
        bool usable = true;
        size_t pos = 0;
        while (pos < glen) {
            utf8proc_int32_t cp;
            utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)line + pos,
                                                  (utf8proc_ssize_t)(glen - pos), &cp);
            if (k <= 0)
                break;
            pos += (size_t)k;
            chars++;
            unsigned ix = alpha_index((uint32_t)utf8proc_tolower(cp));
            if (ix == 0 || chars > NGRAM_MAX)
                usable = false;
            else if (usable)
                key = (key << ALPHA_BITS) | ix;
        }
        if (pos != glen)
            continue; /* not UTF-8 */
        if (chars == 1)
            c->total[which] += count; /* every single character counts toward the text size */
        if (!usable || key == 1 /* "_" alone says nothing */)
            continue;
        if (c->used * 2 >= c->mask) {
            free(line);
            fclose(f);
            return ex_fail(err, errlen, EX_EIO, "lang: %s has more n-grams than expected", path);
        }
        lang_count_slot *s = counts_slot(c, key);
        if (s->key == 0) {
            s->key = key;
            c->used++;
        }
        s->count[which] += count;
    }
    free(line);
    fclose(f);
    if (c->total[which] <= 0 || c->min[which] <= 0)
        return ex_fail(err, errlen, EX_EIO, "lang: %s holds no usable n-gram counts", path);
    return EX_OK;
}

static size_t count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    size_t n = 0;
    int ch;
    while ((ch = getc(f)) != EOF)
        if (ch == '\n')
            n++;
    fclose(f);
    return n + 1;
}

/* Builds lr->ngrams from fr.lm and en.lm in dir. */
static ex_status lang_load_ngrams(struct ex_lang_res *lr, const char *dir, char *err,
                                  size_t errlen)
{
    char path_fr[4096], path_en[4096];
    snprintf(path_fr, sizeof path_fr, "%s/fr.lm", dir);
    snprintf(path_en, sizeof path_en, "%s/en.lm", dir);
    size_t lines = count_lines(path_fr) + count_lines(path_en);
    uint32_t size = 64;
    while (size < 4 * lines + 16 && size < (1u << 30))
        size <<= 1;

    lang_counts c = {0};
    c.slots = calloc(size, sizeof *c.slots);
    if (!c.slots)
        return ex_fail(err, errlen, EX_ENOMEM, "lang: out of memory");
    c.mask = size - 1;
    ex_status st = counts_read_lm(&c, 0, path_fr, err, errlen);
    if (st == EX_OK)
        st = counts_read_lm(&c, 1, path_en, err, errlen);
    if (st != EX_OK) {
        free(c.slots);
        return st;
    }

    lr->ngrams = calloc(size, sizeof *lr->ngrams);
    if (!lr->ngrams) {
        free(c.slots);
        return ex_fail(err, errlen, EX_ENOMEM, "lang: out of memory");
    }
    lr->ngram_mask = c.mask;
    double floor_fr = NGRAM_FLOOR * c.min[0], floor_en = NGRAM_FLOOR * c.min[1];
    for (uint32_t i = 0; i < size; i++) {
        const lang_count_slot *s = &c.slots[i];
        if (s->key == 0)
            continue;
        double pf = (s->count[0] > 0 ? s->count[0] : floor_fr) / c.total[0];
        double pe = (s->count[1] > 0 ? s->count[1] : floor_en) / c.total[1];
        lang_ngram_slot *d = &lr->ngrams[ngram_hash(s->key, lr->ngram_mask)];
        while (d->key != 0)
            d = &lr->ngrams[((uint32_t)(d - lr->ngrams) + 1) & lr->ngram_mask];
        d->key = s->key;
        d->weight = (float)log(pf / pe);
    }
    free(c.slots);
    return EX_OK;
}

static uint32_t word_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h ? h : 1;
}

/* Flags of word s[0..n) (0 if in no list). One probe on average. */
static unsigned word_flags(const struct ex_lang_res *lr, const char *s, size_t n)
{
    if (n == 0 || n > LANG_KEY_MAX)
        return 0;
    uint32_t h = word_hash(s, n);
    for (uint32_t i = h & lr->words_mask;; i = (i + 1) & lr->words_mask) {
        const lang_word_slot *sl = &lr->words[i];
        if (sl->hash == 0)
            return 0;
        if (sl->hash == h && sl->len == n && memcmp(sl->word, s, n) == 0)
            return sl->flags;
    }
}

/* Reads one list (one word per line, '#' comment lines, blank lines ignored, white space
 * trimmed) into lr->words with flag. Lines longer than LANG_KEY_MAX bytes are skipped. */
static ex_status lang_load_words(struct ex_lang_res *lr, const char *data_dir, const char *lang,
                                 const char *file, unsigned flag, char *err, size_t errlen)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s/%s", data_dir, lang, file);
    FILE *f = fopen(path, "r");
    if (!f)
        return ex_fail(err, errlen, EX_EIO, "lang: cannot open %s", path);
    char line[256];
    uint32_t used = 0;
    for (uint32_t i = 0; i <= lr->words_mask; i++)
        used += lr->words[i].hash != 0;
    while (fgets(line, sizeof line, f)) {
        char *w = line;
        size_t n = strlen(w);
        while (n > 0 && isspace((unsigned char)w[n - 1]))
            n--;
        while (n > 0 && isspace((unsigned char)*w)) {
            w++;
            n--;
        }
        if (n == 0 || *w == '#' || n > LANG_KEY_MAX)
            continue;
        if ((used + 1) * 4 > (lr->words_mask + 1) * 3) {
            fclose(f);
            return ex_fail(err, errlen, EX_EIO, "lang: %s: more words than expected", path);
        }
        uint32_t h = word_hash(w, n);
        uint32_t i = h & lr->words_mask;
        while (lr->words[i].hash != 0 &&
               !(lr->words[i].hash == h && lr->words[i].len == n && !memcmp(lr->words[i].word, w, n)))
            i = (i + 1) & lr->words_mask;
        lang_word_slot *sl = &lr->words[i];
        if (sl->hash == 0) {
            sl->hash = h;
            sl->len = (uint8_t)n;
            memcpy(sl->word, w, n);
            used++;
        }
        sl->flags |= (uint8_t)flag;
    }
    bool bad = ferror(f) != 0;
    fclose(f);
    if (bad)
        return ex_fail(err, errlen, EX_EIO, "lang: cannot read %s", path);
    return EX_OK;
}

ex_status ex_lang_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen)
{
    if (!res || !data_dir)
        return ex_fail(err, errlen, EX_EINVAL, "lang: no resources or data directory");
    struct ex_lang_res *lr = calloc(1, sizeof *lr);
    if (!lr)
        return ex_fail(err, errlen, EX_ENOMEM, "lang: out of memory");
    res->lang = lr;

    static const struct {
        const char *lang, *file;
        unsigned flag;
    } LISTS[] = {{"fr", "lang-words.txt", LW_FR},
                 {"en", "lang-words.txt", LW_EN},
                 {"fr", "lang-common.txt", LW_COMMON_FR},
                 {"en", "lang-common.txt", LW_COMMON_EN}};
    size_t lines = 0;
    for (size_t i = 0; i < sizeof LISTS / sizeof *LISTS; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s/%s/%s", data_dir, LISTS[i].lang, LISTS[i].file);
        lines += count_lines(path);
    }
    uint32_t size = 64;
    while (size < lines + lines / 2 + 16 && size < (1u << 24)) /* load ≤ 2/3: small, hot */
        size <<= 1;
    lr->words = calloc(size, sizeof *lr->words);
    lr->words_mask = size - 1;
    ex_status st = lr->words ? EX_OK : ex_fail(err, errlen, EX_ENOMEM, "lang: out of memory");
    for (size_t i = 0; st == EX_OK && i < sizeof LISTS / sizeof *LISTS; i++)
        st = lang_load_words(lr, data_dir, LISTS[i].lang, LISTS[i].file, LISTS[i].flag, err,
                             errlen);
    if (st == EX_OK)
        st = lang_load_ngrams(lr, ENRICHD_TEXTCAT_DIR, err, errlen);
    if (st != EX_OK) {
        ex_lang_res_free(res);
        return st;
    }
    /* The general-case classifier: every fingerprint Debian ships. Optional: without it we
     * can still tell French from English, and say "und" when the text is neither. */
    char conf[4096], prefix[4096];
    snprintf(conf, sizeof conf, "%s/fpdb.conf", ENRICHD_TEXTCAT_DIR);
    snprintf(prefix, sizeof prefix, "%s/", ENRICHD_TEXTCAT_DIR);
    lr->textcat = special_textcat_Init(conf, prefix);
    return EX_OK;
}

void ex_lang_res_free(ex_resources *res)
{
    if (!res || !res->lang)
        return;
    struct ex_lang_res *lr = res->lang;
    if (lr->textcat)
        textcat_Done(lr->textcat);
    free(lr->words);
    free(lr->ngrams);
    free(lr);
    res->lang = NULL;
}

/* ---- the hint ---------------------------------------------------------------------------------- */

/* A plausible language code: 2–3 ASCII letters, optionally followed by BCP-47 subtags
 * ("fr-CA", "en_GB", "zh-Hant-TW"). Writes the lower-cased primary subtag into out.
 * "und", "mul", "mis", "zxx" say nothing about the text: not a hint. */
static bool lang_hint_code(const char *hint, char out[8])
{
    if (!hint)
        return false;
    while (*hint == ' ' || *hint == '\t')
        hint++;
    size_t n = 0;
    while (isalpha((unsigned char)hint[n]) && n < 4)
        n++;
    if (n < 2 || n > 3)
        return false;
    char code[4];
    for (size_t i = 0; i < n; i++)
        code[i] = (char)tolower((unsigned char)hint[i]);
    code[n] = '\0';
    const char *p = hint + n;
    size_t total = n;
    while (*p == '-' || *p == '_') { /* subtags: 1–8 letters or digits each */
        p++;
        size_t k = 0;
        while (isalnum((unsigned char)p[k]))
            k++;
        if (k < 1 || k > 8)
            return false;
        p += k;
        total += k + 1;
        if (total > 64)
            return false;
    }
    while (*p == ' ' || *p == '\t')
        p++;
    if (*p != '\0')
        return false;
    if (!strcmp(code, "und") || !strcmp(code, "mul") || !strcmp(code, "mis") ||
        !strcmp(code, "zxx"))
        return false;
    memcpy(out, code, n + 1);
    return true;
}

/* ---- the scan ---------------------------------------------------------------------------------- */

typedef struct lang_scan {
    double fw;           /* Σ function-word hits (fr positive), ordinary words */
    double ngram;        /* Σ n-gram log ratios (fr positive), ordinary words */
    double fw_cap, ngram_cap; /* the same for capitalised words inside a sentence */
    uint32_t words_cap;  /* capitalised words inside a sentence (names, or Title Case) */
    double cues;         /* typography and French-only letters (fr positive) */
    uint32_t punct_cues; /* French spacing/guillemet cues seen */
    uint32_t words;      /* words scored */
    uint32_t fw_fr, fw_en; /* words that are French / English function words */
    uint32_t letters;     /* all letters */
    uint32_t foreign;     /* Latin-script letters outside the fr/en alphabet (ñ ß å ł ...) */
    uint32_t nonlatin;    /* letters of other scripts (Cyrillic, Arabic, CJK ...) */
} lang_scan;

/* The word being read: lower-cased code points and the same in UTF-8, and how it was written. */
typedef struct lang_word {
    uint32_t cps[LANG_WORD_MAX];
    char utf8[LANG_WORD_MAX * 4 + 1];
    size_t len, ulen;
    bool overflow;       /* longer than LANG_WORD_MAX: not scored */
    bool capital;        /* first letter upper case */
    bool has_lower;      /* some letter lower case */
    bool sentence_start; /* first word of the text, a paragraph or a sentence */
} lang_word;

/* The evidence so far, fr positive. Capitalised words inside sentences are mostly names, which
 * say little about the language around them: they weigh less, unless they are most of the words
 * (a headline in Title Case). */
static double scan_total(const lang_scan *s)
{
    double cap_fw = 0.5, cap_ngram = 0.25;
    if (s->words_cap * 2 > s->words)
        cap_fw = cap_ngram = 1.0;
    return W_FUNCTION_WORD * (s->fw + cap_fw * s->fw_cap) +
           W_NGRAM * (s->ngram + cap_ngram * s->ngram_cap) + s->cues;
}

/* Decodes one code point at s[i] (n bytes available); returns its length, or 0 if invalid. */
static size_t decode_at(const char *s, size_t i, size_t n, uint32_t *cp)
{
    unsigned char b = (unsigned char)s[i];
    if (b < 0x80) {
        *cp = b;
        return 1;
    }
    utf8proc_int32_t c;
    utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                          (utf8proc_ssize_t)(n - i), &c);
    if (k <= 0)
        return 0;
    *cp = (uint32_t)c;
    return (size_t)k;
}

static bool is_space_byte(unsigned char b)
{
    return b == ' ' || b == '\n' || b == '\t' || b == '\r' || b == '\f' || b == '\v';
}

/* Is the white-space-delimited chunk s[i..j) a URL, an address, a handle or a hashtag? Those
 * carry letters but no language. */
static bool chunk_is_link(const char *s, size_t i, size_t j)
{
    if (s[i] == '#' || s[i] == '@')
        return true;
    if (j - i >= 4 && (s[i] == 'w' || s[i] == 'W') && (s[i + 1] == 'w' || s[i + 1] == 'W') &&
        (s[i + 2] == 'w' || s[i + 2] == 'W') && s[i + 3] == '.')
        return true;
    for (size_t k = i; k < j; k++) {
        char ch = s[k];
        if (ch == '@' || ch == '/')
            return true;
        if (ch == '.' && k > i && k + 2 < j && isalpha((unsigned char)s[k - 1]) &&
            isalpha((unsigned char)s[k + 1]) && isalpha((unsigned char)s[k + 2]))
            return true; /* example.com, but not "U.S." */
    }
    return false;
}

/* What a word (or part of one) was found to be: a function word or a frequent word of either
 * language; clitic when only an elided prefix (l' qu') or a suffix ('s n't) matched. */
typedef struct word_hits {
    bool fr, en;        /* function words */
    bool common_fr, common_en;
    bool clitic;
} word_hits;

static void lookup_exact(const struct ex_lang_res *lr, const char *w, size_t n, word_hits *h)
{
    unsigned f = word_flags(lr, w, n);
    h->fr = h->fr || (f & LW_FR);
    h->en = h->en || (f & LW_EN);
    h->common_fr = h->common_fr || (f & LW_COMMON_FR);
    h->common_en = h->common_en || (f & LW_COMMON_EN);
}

/* One apostrophe-bearing piece: the whole, else its elided prefix and contraction suffix. */
static void lookup_piece(const struct ex_lang_res *lr, const char *u, size_t n, word_hits *h)
{
    word_hits whole = {0};
    lookup_exact(lr, u, n, &whole);
    if (!whole.fr && !whole.en && !whole.common_fr && !whole.common_en) {
        const char *ap = memchr(u, '\'', n);
        if (ap) {
            word_hits part = {0};
            lookup_exact(lr, u, (size_t)(ap - u) + 1, &part); /* l' qu' jusqu' */
            const char *last = u + n;
            while (last[-1] != '\'')
                last--;
            last--;                                       /* at the last apostrophe */
            lookup_exact(lr, last, (size_t)(u + n - last), &part); /* 's 're */
            if (last > u && last[-1] == 'n')
                lookup_exact(lr, last - 1, (size_t)(u + n - last + 1), &part); /* n't */
            whole.fr = part.fr;
            whole.en = part.en;
            whole.clitic = part.fr || part.en;
        }
    }
    h->fr = h->fr || whole.fr;
    h->en = h->en || whole.en;
    h->common_fr = h->common_fr || whole.common_fr;
    h->common_en = h->common_en || whole.common_en;
    h->clitic = h->clitic || whole.clitic;
}

/* Scores one word. A short all-capitals word is most likely an acronym: its letters say
 * nothing, only a function-word hit counts, at half weight. Capitalised words inside a sentence
 * go to their own sums (see scan_total). */
static void score_word(const struct ex_lang_res *lr, lang_scan *sc, const lang_word *w)
{
    bool acronym = w->capital && !w->has_lower && w->len >= 2;
    bool inner_capital = w->capital && !w->sentence_start && !acronym;

    /* the whole word ("peut-être", "week-end", "aujourd'hui"), else each hyphenated part */
    const char *u = w->utf8;
    size_t ulen = w->ulen;
    word_hits h = {0};
    lookup_piece(lr, u, ulen, &h);
    if (!h.fr && !h.en && !h.common_fr && !h.common_en && memchr(u, '-', ulen)) {
        size_t a = 0;
        while (a < ulen) {
            const char *dash = memchr(u + a, '-', ulen - a);
            size_t b = dash ? (size_t)(dash - u) : ulen;
            if (b > a)
                lookup_piece(lr, u + a, b - a, &h);
            a = b + 1;
        }
    }
    sc->fw_fr += h.fr;
    sc->fw_en += h.en;
    sc->words++;
    double evidence = ((double)h.fr - (double)h.en) +
                      (W_COMMON_WORD / W_FUNCTION_WORD) *
                          ((double)h.common_fr - (double)h.common_en);
    if (h.clitic) {
        sc->fw += evidence;
        if (inner_capital)
            sc->words_cap++;
    } else if (acronym) {
        sc->fw += 0.5 * evidence;
        if (w->len <= 4)
            return;
    } else if (inner_capital) {
        sc->fw_cap += evidence;
        sc->words_cap++;
    } else {
        sc->fw += evidence;
    }
    /* n-grams over each segment between apostrophes and hyphens, padded with '_': "_seg_" */
    unsigned ix[LANG_WORD_MAX + 2];
    double sum = 0;
    size_t a = 0;
    while (a < w->len) {
        size_t b = a;
        while (b < w->len && w->cps[b] != '\'' && w->cps[b] != '-')
            b++;
        if (b > a) {
            size_t m = 0;
            ix[m++] = 1;
            for (size_t k = a; k < b; k++)
                ix[m++] = alpha_index(w->cps[k]);
            ix[m++] = 1;
            for (size_t s0 = 0; s0 + 1 < m; s0++) { /* the last '_' alone starts nothing */
                uint32_t key = 0;
                for (size_t k = s0; k < m && k - s0 < NGRAM_MAX; k++) {
                    if (ix[k] == 0)
                        break;
                    key = (key << ALPHA_BITS) | ix[k];
                    if (key == 1)
                        continue; /* "_" alone is not scored */
                    float g;
                    if (!ngram_weight(lr, key, &g))
                        break;
                    sum += g;
                }
            }
        }
        a = b + 1;
    }
    sum -= NGRAM_WORD_BIAS;
    if (acronym)
        sc->ngram += 0.25 * sum;
    else if (inner_capital)
        sc->ngram_cap += sum;
    else
        sc->ngram += sum;
}

static bool is_upper_cp(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z';
    utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)cp);
    return cat == UTF8PROC_CATEGORY_LU || cat == UTF8PROC_CATEGORY_LT;
}

static bool is_letter_cp(uint32_t cp)
{
    if (cp < 0x80)
        return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
    utf8proc_category_t cat = utf8proc_category((utf8proc_int32_t)cp);
    return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_ME; /* letters and marks */
}

/* The scan proper: one pass over text[0..n), stopping after LANG_SCAN_BYTES or earlier when the
 * verdict is overwhelming. */
static void lang_scan_text(const struct ex_lang_res *lr, const char *text, size_t n,
                           lang_scan *sc)
{
    lang_word w;
    w.len = w.ulen = 0;
    w.overflow = false;
    size_t chunk_end = 0; /* end of the current white-space chunk once checked for links */
    size_t i = 0;
    uint32_t prev_cp = '\n', prev2_cp = '\n';
    uint32_t last_mark = '\n'; /* last character that is neither space nor letter nor digit */
    bool mark_since_word = true;  /* such a character came after the last word */

    while (i < n) {
        unsigned char b = (unsigned char)text[i];
        /* at the start of a chunk: skip it whole if it is a link */
        if (i >= chunk_end && !is_space_byte(b)) {
            size_t j = i, jmax = n - i > CHUNK_MAX ? i + CHUNK_MAX : n;
            while (j < jmax && !is_space_byte((unsigned char)text[j]))
                j++;
            chunk_end = j;
            if (chunk_is_link(text, i, j)) {
                i = j;
                prev2_cp = prev_cp;
                prev_cp = 'x';
                continue;
            }
        }
        uint32_t cp;
        size_t k = decode_at(text, i, n, &cp);
        if (k == 0) { /* invalid byte: a separator */
            cp = 0xFFFD;
            k = 1;
        }
        bool joiner = cp == '\'' || cp == 0x2019 || cp == '-' || cp == 0x2010 || cp == 0x2011;
        bool letter = !joiner && is_letter_cp(cp);
        /* an apostrophe or a hyphen is inside a word only between two letters */
        if (joiner && w.len > 0 && i + k < n) {
            uint32_t next = 0;
            if (decode_at(text, i + k, n, &next) > 0 && is_letter_cp(next) &&
                !(next >= 0x300 && next < 0x370))
                letter = true;
            cp = (cp == '\'' || cp == 0x2019) ? '\'' : '-';
        }

        if (letter) {
            if (!joiner) {
                bool upper = is_upper_cp(cp);
                if (cp < 0x80)
                    cp |= 0x20;
                else if (upper)
                    cp = (uint32_t)utf8proc_tolower((utf8proc_int32_t)cp);
                sc->letters++;
                if (cp >= 0x80 && alpha_index(cp) == 0) {
                    if (cp < 0x250 || (cp >= 0x1E00 && cp < 0x1F00))
                        sc->foreign++;
                    else if (!(cp >= 0x300 && cp < 0x370)) /* combining marks are neither */
                        sc->nonlatin++;
                }
                if (is_french_only_letter(cp))
                    sc->cues += W_FR_LETTER;
                if (w.len == 0) {
                    w.capital = upper;
                    w.has_lower = !upper;
                    w.sentence_start = mark_since_word &&
                        (last_mark == '\n' || last_mark == '.' || last_mark == '!' ||
                         last_mark == '?' || last_mark == 0x2026);
                } else if (!upper) {
                    w.has_lower = true;
                }
            }
            if (i >= LANG_SCAN_BYTES + CHUNK_MAX)
                break; /* a giant "word": enough */
            if (w.len < LANG_WORD_MAX) {
                w.cps[w.len++] = cp;
                w.ulen += (size_t)utf8proc_encode_char((utf8proc_int32_t)cp,
                                                       (utf8proc_uint8_t *)w.utf8 + w.ulen);
            } else {
                w.overflow = true;
            }
        } else {
            if (w.len > 0) {
                if (!w.overflow)
                    score_word(lr, sc, &w);
                w.len = w.ulen = 0;
                w.overflow = false;
                mark_since_word = false;
            }
            if (cp == '\n' || (cp != ' ' && cp != '\t' && cp != '\r' && cp != 0xA0 &&
                               cp != 0x202F && !(cp >= '0' && cp <= '9'))) {
                last_mark = cp;
                mark_since_word = true;
            }
            /* French typography: a space before : ; ! ? and guillemets */
            if (sc->punct_cues < MAX_PUNCT_CUES) {
                bool cue = (cp == 0xAB || cp == 0xBB) ||
                           ((cp == ':' || cp == ';' || cp == '!' || cp == '?') &&
                            (prev_cp == ' ' || prev_cp == 0xA0 || prev_cp == 0x202F) &&
                            prev2_cp != ' ' && prev2_cp != '\n');
                if (cue) {
                    sc->punct_cues++;
                    sc->cues += W_FR_PUNCT;
                }
            }
            /* stop at a word boundary: past the budget, or the verdict is overwhelming */
            if (i >= LANG_SCAN_BYTES)
                break;
            if (sc->words >= EARLY_MIN_WORDS && (sc->words & 3) == 0) {
                double t = scan_total(sc);
                uint32_t hits = t >= 0 ? sc->fw_fr : sc->fw_en;
                if (fabs(t) >= EARLY_MARGIN && hits >= EARLY_COVERAGE * sc->words)
                    break;
            }
        }
        prev2_cp = prev_cp;
        prev_cp = cp;
        i += k;
    }
    if (i >= n && w.len > 0 && !w.overflow)
        score_word(lr, sc, &w);
}

/* ---- the "neither French nor English" check ---------------------------------------------------- */

typedef enum { TC_NONE, TC_FREN, TC_OTHER } textcat_verdict;

/* Asks libexttextcat about text[0..n). TC_OTHER with code set when its candidates name another
 * language and neither French nor English; TC_FREN when fr or en is among them; TC_NONE when it
 * cannot tell (too short, too many candidates) or is not loaded. */
static textcat_verdict ask_textcat(const struct ex_lang_res *lr, ex_arena *arena,
                                   const char *text, size_t n, char code[8], int *ncand)
{
    *ncand = 0;
    if (!lr->textcat || n == 0)
        return TC_NONE;
    if (n > LANG_SCAN_BYTES) {
        n = LANG_SCAN_BYTES;
        while (n > 0 && ((unsigned char)text[n] & 0xC0) == 0x80)
            n--; /* cut at a character boundary */
    }
    char *buf = ex_arena_strndup(arena, text, n); /* textcat reads up to a NUL */
    candidate_t *cand = textcat_GetClassifyFullOutput(lr->textcat);
    if (!buf || !cand) {
        textcat_ReleaseClassifyFullOutput(lr->textcat, cand);
        return TC_NONE;
    }
    int cnt = textcat_ClassifyFull(lr->textcat, buf, n, cand);
    textcat_verdict v = TC_NONE;
    if (cnt > 0) {
        *ncand = cnt;
        v = TC_OTHER;
        for (int i = 0; i < cnt; i++) {
            const char *name = cand[i].name ? cand[i].name : "";
            if ((name[0] == 'f' && name[1] == 'r' && (name[2] == '-' || !name[2])) ||
                (name[0] == 'e' && name[1] == 'n' && (name[2] == '-' || !name[2])))
                v = TC_FREN;
        }
        if (v == TC_OTHER) {
            const char *name = cand[0].name ? cand[0].name : "";
            size_t k = 0;
            while (k < 7 && isalpha((unsigned char)name[k]))
                k++;
            for (size_t i = 0; i < k; i++)
                code[i] = (char)tolower((unsigned char)name[i]);
            code[k] = '\0';
        }
    }
    textcat_ReleaseClassifyFullOutput(lr->textcat, cand);
    return v;
}

static void set_lang(ex_doc *doc, const char *code, double confidence)
{
    snprintf(doc->lang, sizeof doc->lang, "%s", code);
    if (confidence < 0)
        confidence = 0;
    if (confidence > 1)
        confidence = 1;
    doc->lang_confidence = confidence;
}

ex_status ex_stage_lang(ex_doc *doc, char *err, size_t errlen)
{
    if (!doc)
        return ex_fail(err, errlen, EX_EINVAL, "lang: no document");
    char code[8];
    if (lang_hint_code(doc->in.lang_hint, code)) {
        set_lang(doc, code, 1.0);
        return EX_OK;
    }
    const struct ex_lang_res *lr = doc->res ? doc->res->lang : NULL;
    const char *text = doc->text;
    size_t n = doc->text_len;
    if (!text) { /* no layout layer: fall back on the normalised input */
        text = doc->norm;
        n = doc->norm_len;
    }
    if (!lr || !text || n == 0) {
        set_lang(doc, "und", 0.0);
        return lr ? EX_OK : ex_fail(err, errlen, EX_EINTERNAL, "lang: resources not loaded");
    }

    lang_scan sc = {0};
    lang_scan_text(lr, text, n, &sc);
    if (sc.letters < MIN_LETTERS || sc.words == 0) {
        set_lang(doc, "und", 0.0);
        return EX_OK;
    }

    double total = scan_total(&sc);
    const char *winner = total >= 0 ? "fr" : "en";
    double margin = fabs(total);
    double coverage = (double)(total >= 0 ? sc.fw_fr : sc.fw_en) / sc.words;
    double confidence = 1.0 / (1.0 + exp(-margin / 4.0));
    if (confidence > 0.99)
        confidence = 0.99;

    /* Does it look like neither? Another script; letters French and English do not use; or
     * enough words and too few of the winner's function words. Then libexttextcat, which knows
     * every language, has its say: we take its answer only when French and English are not
     * among its candidates. (Short texts in another language with no telling letters stay
     * fr/en: textcat is too weak on them to be trusted, measured.) */
    bool by_script = sc.nonlatin * 2 > sc.letters;
    bool by_letters = sc.foreign >= 2 && (uint64_t)sc.foreign * FOREIGN_LETTER_RATE > sc.letters;
    bool by_words = sc.words >= SUSPECT_MIN_WORDS && coverage < SUSPECT_COVERAGE;
    if (by_script || by_letters || by_words) {
        int ncand = 0;
        char other[8] = "";
        textcat_verdict v = ask_textcat(lr, doc->arena, text, n, other, &ncand);
        bool sure = by_script || by_words || (by_letters && coverage < SUSPECT_COVERAGE);
        if (v == TC_OTHER && sure) {
            /* neither: name it if it has a two-letter (ISO 639-1) code */
            if (strlen(other) == 2)
                set_lang(doc, other, ncand == 1 ? 0.9 : 0.9 - 0.1 * (ncand - 1));
            else
                set_lang(doc, "und", 0.0);
            return EX_OK;
        }
        if (v != TC_FREN) {
            if (by_script || (by_words && coverage < SUSPECT_COVERAGE / 2)) {
                set_lang(doc, "und", 0.0);
                return EX_OK;
            }
            confidence *= 0.8;
        }
    }
    if (margin < MIN_MARGIN) {
        set_lang(doc, "und", 0.0);
        return EX_OK;
    }
    set_lang(doc, winner, confidence);
    return EX_OK;
}
