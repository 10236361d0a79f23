/*
 * dates.c — the dates stage: finds absolute and relative dates and times in French and English
 * news copy and resolves them against the reference date; also ex_grain_name.
 *
 * May touch: doc->dates (writes); doc->tokens, doc->text, doc->published(_from), doc->in.published,
 * doc->in.received_ms,
 * doc->res (reads); res->dates (its own word table, built by ex_dates_res_load from
 * data/{fr,en}/dates.txt, freed by ex_dates_res_free). Calls no other stage.
 *
 * One pass over the tokens; at each token the grammar looks ahead at most a dozen tokens
 * (phrases of up to 4 tokens), so the stage is linear in the number of tokens.
 *
 * Decisions:
 * - Reference date: doc->published (its first 10 bytes), else the UTC date of in.received_ms,
 *   else today's UTC date. Reference time (for "il y a deux heures", "in 30 minutes"): the
 *   envelope's published time of day when it has one, else midnight.
 * - Past bias (default): a bare weekday ("vendredi", "on Friday") is the most recent one, today
 *   included; a day and month without a year ("le 1er mai") is the latest such date on or before
 *   the reference. Future bias (res->opts.future_bias): a bare weekday is the next one strictly
 *   after the reference, a day-month without year the first on or after it. "ce/this" + weekday
 *   is the nearest such day either side (today on that very weekday) under the past bias, the
 *   next one (today included) under the future bias;
 *   "dernier/last" is strictly before, "prochain/next" strictly after.
 * - Weeks ("la semaine dernière", "next week") resolve to that week's Monday at grain day.
 * - A year alone is a date only after a cue ("en 2015", "depuis 1997", "in 2015", "mi-2024"),
 *   and only 1000..2199. Numeric dates: YYYY-MM-DD, D/M/YYYY (day first, except in English when
 *   the first part cannot be a day but the second can), D.M.YYYY, D/M/YY (1950..2049), and
 *   D/M without a year only after "le"/"on" ("le 17/02"; a bare "1/2" is a fraction).
 * - "à midi", "at noon", "à 15 heures" need the "à"/"at"/"vers" ("ce"/"this" for midi/noon, or
 *   the start of the text) before them ("le canal du Midi",
 *   "pendant 15 heures" are not times). Fixed-date holidays ("Noël", "Christmas") come from the
 *   data files; movable feasts (Easter, Thanksgiving) are not computed.
 * - A time (10h32, 10:32, 10 a.m.) right after a day-grain date ("demain à 10h") joins it; alone it
 *   takes the reference date and is relative; under the future bias, when the reference has a
 *   time of day already past it, the next day. "à quinze heures trente", "at three p.m.", "8h du
 *   soir", "3:15 in the afternoon": number words, minutes and parts of the day after the hour.
 * - Hour and minute offsets ("il y a deux heures", "in 30 minutes") count from the reference
 *   time, at grain minute; units below a day are negative numbers of minutes in the tables.
 * - "le 16" alone is a date only when followed by punctuation, the end, "à"/"vers", "au", "et",
 *   "ou" or "dans" ("le 20 heures", "le 3 sur 40" are not); it is the nearest day 16 on or
 *   before the reference (past bias) or on or after it (future bias).
 * - Weekday abbreviations need their period ("lun.", "Mon."); "mer." and "Sun." are left out
 *   ("la mer.", the newspaper).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"

const char *ex_grain_name(ex_grain g)
{
    static const char *const names[] = {"year", "month", "day", "minute"};
    return g <= EX_GRAIN_MINUTE ? names[g] : "day";
}

/* ---- resources ------------------------------------------------------------------------------ */

enum dkind {
    K_NONE, K_MONTH, K_WEEKDAY, K_DAY, K_WEEK, K_MONTHREL, K_YEARREL, K_LAST, K_NEXT, K_THIS,
    K_ON, K_AGO, K_AGOPRE, K_IN, K_YEARCUE, K_YEARPREFIX, K_AT, K_AMPM, K_ORDSUF, K_NUM, K_UNIT,
    K_DAYWORD, K_HOURWORD, K_DAYPREFIX, K_FIXED, K_CLOCKWORD
};
static const char *const kind_names[] = {
    "", "month", "weekday", "day", "week", "monthrel", "yearrel", "last", "next", "this",
    "on", "ago", "agopre", "in", "yearcue", "yearprefix", "at", "ampm", "ordsuf", "num", "unit",
    "dayword", "hourword", "dayprefix", "fixed", "clockword"};

typedef struct dentry {
    char *key;    /* lower-case phrase, malloc'd */
    uint8_t kind; /* enum dkind */
    uint8_t cap;  /* text must start with a capital letter */
    int16_t val;
} dentry;

/* Owned by ex_resources (res->dates); sorted by key, immutable once loaded. */
struct ex_dates_res {
    dentry *e;
    size_t n, cap;
    ex_wordset *prefixes; /* every byte prefix of every key: lets lookup stop at once */
};

static void dates_res_destroy(struct ex_dates_res *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->e[i].key);
    free(d->e);
    ex_wordset_free(d->prefixes);
    free(d);
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const dentry *)a)->key, ((const dentry *)b)->key);
}

static ex_status load_file(struct ex_dates_res *d, const char *data_dir, const char *rel,
                           char *err, size_t errlen)
{
    char path[4096], line[512];
    int pn = snprintf(path, sizeof path, "%s/%s", data_dir, rel);
    if (pn < 0 || (size_t)pn >= sizeof path)
        return ex_fail(err, errlen, EX_EIO, "dates: path too long");
    FILE *f = fopen(path, "r");
    if (!f)
        return ex_fail(err, errlen, EX_EIO, "dates: cannot open %s", path);
    unsigned lineno = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t len = strcspn(line, "\r\n");
        line[len] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        char kname[32];
        int val, off = 0;
        if (sscanf(line, "%31s %d %n", kname, &val, &off) < 2 || off <= 0 || !line[off]) {
            fclose(f);
            return ex_fail(err, errlen, EX_EIO, "dates: %s:%u: bad line", path, lineno);
        }
        int kind = K_NONE;
        for (int k = 1; k < (int)(sizeof kind_names / sizeof *kind_names); k++)
            if (strcmp(kname, kind_names[k]) == 0)
                kind = k;
        char *phrase = line + off;
        size_t plen = strlen(phrase);
        uint8_t cap = 0;
        if (plen > 2 && strcmp(phrase + plen - 2, " !") == 0) {
            cap = 1;
            plen -= 2;
            phrase[plen] = '\0';
        }
        if (kind == K_NONE || plen == 0) {
            fclose(f);
            return ex_fail(err, errlen, EX_EIO, "dates: %s:%u: unknown kind", path, lineno);
        }
        if (d->n == d->cap) {
            size_t nc = d->cap ? d->cap * 2 : 256;
            dentry *ne = realloc(d->e, nc * sizeof *ne);
            if (!ne) {
                fclose(f);
                return ex_fail(err, errlen, EX_ENOMEM, "dates: out of memory");
            }
            d->e = ne;
            d->cap = nc;
        }
        char *key = strdup(phrase);
        if (!key) {
            fclose(f);
            return ex_fail(err, errlen, EX_ENOMEM, "dates: out of memory");
        }
        d->e[d->n++] = (dentry){key, (uint8_t)kind, cap, (int16_t)val};
    }
    fclose(f);
    return EX_OK;
}

ex_status ex_dates_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen)
{
    struct ex_dates_res *d = calloc(1, sizeof *d);
    if (!d)
        return ex_fail(err, errlen, EX_ENOMEM, "dates: out of memory");
    ex_status st = load_file(d, data_dir, "fr/dates.txt", err, errlen);
    if (st == EX_OK)
        st = load_file(d, data_dir, "en/dates.txt", err, errlen);
    if (st != EX_OK) {
        dates_res_destroy(d);
        return st;
    }
    qsort(d->e, d->n, sizeof *d->e, entry_cmp);
    d->prefixes = ex_wordset_new();
    for (size_t i = 0; d->prefixes && i < d->n; i++) {
        size_t klen = strlen(d->e[i].key);
        for (size_t k = 1; k <= klen; k++) {
            if (ex_wordset_add(d->prefixes, d->e[i].key, k) < 0) {
                dates_res_destroy(d);
                return ex_fail(err, errlen, EX_ENOMEM, "dates: out of memory");
            }
        }
    }
    if (!d->prefixes) {
        dates_res_destroy(d);
        return ex_fail(err, errlen, EX_ENOMEM, "dates: out of memory");
    }
    res->dates = d;
    return EX_OK;
}

void ex_dates_res_free(ex_resources *res)
{
    dates_res_destroy(res->dates);
    res->dates = NULL;
}

/* ---- calendar arithmetic (proleptic Gregorian, days since 1970-01-01) ----------------------- */

static long days_from_civil(int y, int m, int d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long z, int *y, int *m, int *d)
{
    z += 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long doe = z - era * 146097;
    long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int weekday_of(long z) /* 1 = Monday … 7 = Sunday */
{
    return (int)(((z % 7) + 7 + 3) % 7) + 1;
}

static int days_in_month(int y, int m)
{
    static const int dm[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return dm[m - 1];
}

static bool valid_ymd(int y, int m, int d)
{
    return y >= 1000 && y <= 2199 && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

/* ---- the scanner ---------------------------------------------------------------------------- */

#define MAX_PHRASE 4

typedef struct scan {
    ex_doc *doc;
    const struct ex_dates_res *dr;
    const ex_token *tok;
    uint32_t ntok;
    long ref; /* reference day */
    int ref_y, ref_m, ref_d;
    int ref_min; /* minutes since midnight of the reference time (0 when only a date is known) */
    bool ref_has_time; /* the reference came with a time of day */
    bool future;
    ex_status status; /* of the last emit made by a helper that returns bool */
    /* lookup() results per token, computed once: memo_n[i] = 0 not yet, 1 + ntok otherwise
     * (1 = no entry). Arena arrays of ntok elements; NULL when the arena could not give them. */
    const dentry **memo_e;
    uint8_t *memo_n;
} scan;

static const char *tok_text(const scan *s, uint32_t i, uint32_t *len)
{
    *len = s->tok[i].end - s->tok[i].start;
    return s->doc->text + s->tok[i].start;
}

/* The longest table entry spelled by tokens i.. (up to MAX_PHRASE); sets *ntok. */
static const dentry *lookup_uncached(const scan *s, uint32_t i, uint32_t *ntok);

/* lookup_uncached, memoised per token: the grammar asks about the same token many times. */
static const dentry *lookup(const scan *s, uint32_t i, uint32_t *ntok)
{
    if (!s->memo_n)
        return lookup_uncached(s, i, ntok);
    if (s->memo_n[i] == 0) {
        uint32_t n = 0;
        const dentry *e = lookup_uncached(s, i, &n);
        s->memo_e[i] = e;
        s->memo_n[i] = (uint8_t)(e ? 1 + n : 1);
    }
    if (s->memo_n[i] == 1)
        return NULL;
    *ntok = s->memo_n[i] - 1u;
    return s->memo_e[i];
}

static const dentry *lookup_uncached(const scan *s, uint32_t i, uint32_t *ntok)
{
    char buf[160], low[160];
    size_t blen = 0;
    const dentry *best = NULL;
    for (uint32_t k = 0; k < MAX_PHRASE && i + k < s->ntok; k++) {
        const ex_token *t = &s->tok[i + k];
        uint32_t len = t->end - t->start;
        if (k > 0 && t->start > s->tok[i + k - 1].end) {
            if ((t->flags & EX_TF_PARA_START) || blen + 1 >= sizeof buf)
                break;
            buf[blen++] = ' ';
        }
        if (blen + len >= sizeof buf)
            break;
        memcpy(buf + blen, s->doc->text + t->start, len);
        blen += len;
        int ll = ex_utf8_lower(buf, blen, low, sizeof low);
        if (ll < 0 || !ex_wordset_has(s->dr->prefixes, low, (size_t)ll))
            break; /* no key starts with this: no longer phrase can match either */
        dentry key = {.key = low};
        const dentry *e = bsearch(&key, s->dr->e, s->dr->n, sizeof *s->dr->e, entry_cmp);
        if (e && e->cap && !(s->tok[i].flags & EX_TF_CAP))
            e = NULL;
        if (e) {
            best = e;
            *ntok = k + 1;
        }
    }
    return best;
}

static int lookup_kind(const scan *s, uint32_t i, int kind, uint32_t *ntok)
{
    uint32_t n = 0;
    const dentry *e = i < s->ntok ? lookup(s, i, &n) : NULL;
    if (!e || e->kind != kind)
        return INT16_MIN;
    *ntok = n;
    return e->val;
}

/* An all-digit token: its value, or -1; *ndig gets the digit count. */
static long tok_int(const scan *s, uint32_t i, int *ndig)
{
    if (i >= s->ntok || s->tok[i].kind != EX_TOK_NUMBER)
        return -1;
    uint32_t len;
    const char *p = tok_text(s, i, &len);
    if (len == 0 || len > 9)
        return -1;
    long v = 0;
    for (uint32_t k = 0; k < len; k++) {
        if (p[k] < '0' || p[k] > '9')
            return -1;
        v = v * 10 + (p[k] - '0');
    }
    *ndig = (int)len;
    return v;
}

/* A day of month: "20", "1er", "20th" → 1..31, else -1. */
static int tok_day(const scan *s, uint32_t i)
{
    if (i < s->ntok && s->tok[i].kind == EX_TOK_WORD) { /* "premier mars" */
        uint32_t n = 0;
        int v = lookup_kind(s, i, K_DAYWORD, &n);
        return v == INT16_MIN || n != 1 ? -1 : v;
    }
    if (i >= s->ntok || s->tok[i].kind != EX_TOK_NUMBER)
        return -1;
    uint32_t len;
    const char *p = tok_text(s, i, &len);
    uint32_t k = 0;
    int v = 0;
    while (k < len && k < 2 && p[k] >= '0' && p[k] <= '9')
        v = v * 10 + (p[k++] - '0');
    if (k == 0 || v < 1 || v > 31)
        return -1;
    if (k == len)
        return v;
    char low[16];
    int ll = ex_utf8_lower(p + k, len - k, low, sizeof low);
    if (ll <= 0)
        return -1;
    dentry key = {.key = low};
    const dentry *e = bsearch(&key, s->dr->e, s->dr->n, sizeof *s->dr->e, entry_cmp);
    return e && e->kind == K_ORDSUF ? v : -1;
}

/* A four-digit year 1000..2199 at token i, else -1. */
static int tok_year(const scan *s, uint32_t i)
{
    int nd = 0;
    long v = tok_int(s, i, &nd);
    return nd == 4 && v >= 1000 && v <= 2199 ? (int)v : -1;
}

/* A small count: digits or a number word. */
static int tok_count(const scan *s, uint32_t i, uint32_t *ntok)
{
    int nd = 0;
    long v = tok_int(s, i, &nd);
    if (v > 0 && v < 1000) {
        *ntok = 1;
        return (int)v;
    }
    int w = lookup_kind(s, i, K_NUM, ntok);
    return w == INT16_MIN ? -1 : w;
}

/* A unit of time at token i: days (> 0) from the table, or minutes as a negative number
 * ("heures", "hours" = -60, "minutes" = -1); INT16_MIN when none. */
static int tok_unit(const scan *s, uint32_t i, uint32_t *ntok)
{
    int u = lookup_kind(s, i, K_UNIT, ntok);
    if (u == INT16_MIN && lookup_kind(s, i, K_HOURWORD, ntok) != INT16_MIN)
        u = -60;
    return u;
}

/* What may follow "N heures": minutes ("quinze heures trente", "15 heures 30") and a part of
 * the day ("du soir", "du matin"). Updates *hh, *mm; returns the number of tokens taken. */
static uint32_t hour_tail(const scan *s, uint32_t j, int *hh, int *mm)
{
    uint32_t n = 0, wn = 0, an = 0;
    int nd = 0;
    long v = tok_int(s, j, &nd);
    if (nd == 2 && v >= 0 && v <= 59) {
        *mm = (int)v;
        n = 1;
    } else if ((v = lookup_kind(s, j, K_NUM, &wn)) != INT16_MIN && v >= 1 && v <= 59) {
        *mm = (int)v;
        n = wn;
    }
    int ampm = lookup_kind(s, j + n, K_AMPM, &an);
    if (ampm != INT16_MIN && *hh >= 1 && *hh <= 12) {
        *hh = *hh % 12 + ampm;
        n += an;
    }
    return n;
}

/* A time at token i: "10h32", "10h", "10:32", each optionally followed by a.m./p.m.; "10 a.m.". */
static bool tok_time(const scan *s, uint32_t i, int *h, int *mi, uint32_t *ntok)
{
    if (i >= s->ntok || s->tok[i].kind != EX_TOK_NUMBER)
        return false;
    uint32_t len;
    const char *p = tok_text(s, i, &len);
    uint32_t k = 0;
    int hh = 0, mm = 0;
    while (k < len && k < 2 && p[k] >= '0' && p[k] <= '9')
        hh = hh * 10 + (p[k++] - '0');
    if (k == 0)
        return false;
    bool sep = false;
    if (k < len && (p[k] == 'h' || p[k] == 'H' || p[k] == ':')) {
        char c = p[k++];
        uint32_t nd = 0;
        while (k < len && nd < 2 && p[k] >= '0' && p[k] <= '9') {
            mm = mm * 10 + (p[k++] - '0');
            nd++;
        }
        if ((c == ':' && nd != 2) || (nd == 1))
            return false;
        sep = true;
    }
    int ampm = INT16_MIN;
    if (k != len) { /* "3pm", "3:15pm" */
        char low[16];
        int ll = ex_utf8_lower(p + k, len - k, low, sizeof low);
        dentry key = {.key = low};
        const dentry *e =
            ll > 0 ? bsearch(&key, s->dr->e, s->dr->n, sizeof *s->dr->e, entry_cmp) : NULL;
        if (!e || e->kind != K_AMPM || (sep && p[k - 1] == 'h'))
            return false;
        ampm = e->val;
    }
    uint32_t n = 1, an = 0;
    if (ampm == INT16_MIN) {
        ampm = lookup_kind(s, i + 1, K_AMPM, &an);
    }
    if (ampm != INT16_MIN) {
        if (hh < 1 || hh > 12)
            return false;
        hh = hh % 12 + ampm;
        n += an; /* 0 when the suffix was on the token */
    } else if (!sep) {
        /* "à 15 heures": an hour word, only after "à"/"at"/"vers" */
        uint32_t hn = 0, pn = 0;
        if (lookup_kind(s, i + 1, K_HOURWORD, &hn) == INT16_MIN || i == 0 ||
            (lookup_kind(s, i - 1, K_AT, &pn) == INT16_MIN || pn != 1))
            return false;
        n += hn;
        n += hour_tail(s, i + n, &hh, &mm);
    }
    if (hh > 23 || mm > 59)
        return false;
    *h = hh;
    *mi = mm;
    *ntok = n;
    return true;
}

static ex_status emit(scan *s, uint32_t i0, uint32_t i1, ex_grain g, int y, int m, int d, int hh,
                      int mi, bool relative)
{
    ex_date *dt = ex_vec_push(s->doc->arena, &s->doc->dates, sizeof *dt);
    if (!dt)
        return EX_ENOMEM;
    memset(dt, 0, sizeof *dt);
    dt->start = s->tok[i0].start;
    dt->end = s->tok[i1 - 1].end;
    dt->grain = (uint8_t)g;
    dt->relative = relative;
    switch (g) {
    case EX_GRAIN_YEAR: snprintf(dt->value, sizeof dt->value, "%04d", y); break;
    case EX_GRAIN_MONTH: snprintf(dt->value, sizeof dt->value, "%04d-%02d", y, m); break;
    case EX_GRAIN_DAY: snprintf(dt->value, sizeof dt->value, "%04d-%02d-%02d", y, m, d); break;
    default:
        snprintf(dt->value, sizeof dt->value, "%04d-%02d-%02dT%02d:%02d", y, m, d, hh, mi);
        break;
    }
    return EX_OK;
}

/* A time of day with no date: the reference day, or under the future bias the next day when the
 * reference time has already passed it. */
static ex_status emit_clock(scan *s, uint32_t i0, uint32_t i1, int hh, int mi)
{
    long day = s->ref;
    if (s->future && s->ref_has_time && hh * 60 + mi < s->ref_min)
        day++;
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    return emit(s, i0, i1, EX_GRAIN_MINUTE, y, m, d, hh, mi, true);
}

/* Emits a day-grain date of tokens [i0, i1), joining a following time ("à 10h32"); returns the
 * index after the match in *next. */
static ex_status emit_day(scan *s, uint32_t i0, uint32_t i1, long day, bool relative,
                          uint32_t *next)
{
    int y, m, d, hh, mi;
    civil_from_days(day, &y, &m, &d);
    uint32_t j = i1, an = 0, tn = 0;
    if (lookup_kind(s, j, K_AT, &an) != INT16_MIN)
        j += an;
    if (tok_time(s, j, &hh, &mi, &tn)) {
        *next = j + tn;
        return emit(s, i0, j + tn, EX_GRAIN_MINUTE, y, m, d, hh, mi, relative);
    }
    *next = i1;
    return emit(s, i0, i1, EX_GRAIN_DAY, y, m, d, 0, 0, relative);
}

/* An offset of minutes from the reference time ("il y a deux heures", "in 30 minutes"): a
 * minute-grain date over tokens [i0, i1). */
static ex_status emit_minutes(scan *s, uint32_t i0, uint32_t i1, long minutes)
{
    long total = (long)s->ref_min + minutes;
    long day = s->ref + (total >= 0 ? total / 1440 : -((-total + 1439) / 1440));
    long rem = total - (day - s->ref) * 1440;
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    return emit(s, i0, i1, EX_GRAIN_MINUTE, y, m, d, (int)(rem / 60), (int)(rem % 60), true);
}

/* Day and month without a year: the occurrence the bias picks around the reference. */
static long resolve_day_month(const scan *s, int m, int d, bool *ok)
{
    int y = s->ref_y;
    if (!s->future && (m > s->ref_m || (m == s->ref_m && d > s->ref_d)))
        y--;
    if (s->future && (m < s->ref_m || (m == s->ref_m && d < s->ref_d)))
        y++;
    *ok = valid_ymd(y, m, d);
    return days_from_civil(y, m, d);
}

/* Emits day d of month m found at tokens [i, end): of year y when the text gave one, else
 * resolved against the reference date with the bias. Returns true when it emitted (*st set). */
static bool emit_day_month(scan *s, uint32_t i, uint32_t end, int y, int m, int d,
                           bool has_year, uint32_t *next, ex_status *st)
{
    long day;
    if (has_year) {
        if (!valid_ymd(y, m, d))
            return false;
        day = days_from_civil(y, m, d);
    } else {
        bool ok;
        day = resolve_day_month(s, m, d, &ok);
        if (!ok)
            return false;
    }
    *st = emit_day(s, i, end, day, !has_year, next);
    return true;
}

/* "20 novembre 2023", "1er mai", "20th November": day at i. */
static bool match_day_month(scan *s, uint32_t i, uint32_t *end, int *y, int *m, int *d,
                            bool *has_year)
{
    int dd = tok_day(s, i);
    if (dd < 0)
        return false;
    uint32_t j = i + 1, n = 0;
    if (j < s->ntok && s->tok[j].kind == EX_TOK_WORD) {
        uint32_t on = 0; /* English "20th of November" */
        uint32_t len;
        const char *p = tok_text(s, j, &len);
        if (len == 2 && (p[0] == 'o' || p[0] == 'O') && p[1] == 'f')
            on = 1;
        j += on;
    }
    int mm = lookup_kind(s, j, K_MONTH, &n);
    if (mm == INT16_MIN)
        return false;
    j += n;
    if (j < s->ntok && s->tok[j].end - s->tok[j].start == 1 && s->doc->text[s->tok[j].start] == '.'
        && tok_year(s, j + 1) >= 0)
        j++; /* "Nov." split as "Nov" "." */
    int yy = tok_year(s, j);
    *has_year = yy >= 0;
    if (yy >= 0)
        j++;
    *y = yy;
    *m = mm;
    *d = dd;
    *end = j;
    return true;
}

/* "Nov. 20, 2023", "November 20th", "novembre 2023": month at i. Grain day or month. */
static bool match_month_first(scan *s, uint32_t i, uint32_t *end, int *y, int *m, int *d,
                              bool *has_year)
{
    uint32_t n = 0;
    int mm = lookup_kind(s, i, K_MONTH, &n);
    if (mm == INT16_MIN)
        return false;
    uint32_t j = i + n;
    if (j < s->ntok && s->tok[j].end - s->tok[j].start == 1 && s->doc->text[s->tok[j].start] == '.')
        j++;
    int yy = tok_year(s, j);
    if (yy >= 0) { /* "novembre 2023" */
        *y = yy;
        *m = mm;
        *d = 0;
        *has_year = true;
        *end = j + 1;
        return true;
    }
    int dd = tok_day(s, j);
    if (dd < 0)
        return false;
    uint32_t k = j + 1;
    if (k < s->ntok && s->tok[k].end - s->tok[k].start == 1 && s->doc->text[s->tok[k].start] == ','
        && tok_year(s, k + 1) >= 0)
        k++;
    yy = tok_year(s, k);
    *has_year = yy >= 0;
    if (yy >= 0)
        k++;
    *y = yy;
    *m = mm;
    *d = dd;
    *end = k;
    return true;
}

/* Numeric dates read from the bytes of a NUMBER token: YYYY-MM-DD, D/M/YYYY (possibly several
 * tokens), D.M.YYYY. */
static bool match_numeric(scan *s, uint32_t i, uint32_t *end, int *y, int *m, int *d, bool *rel)
{
    const char *t = s->doc->text;
    uint32_t p = s->tok[i].start, lim = s->doc->text_len;
    long part[3] = {0, 0, 0};
    int nd[3] = {0, 0, 0};
    char sep = 0;
    int k = 0;
    for (;;) {
        while (p < lim && t[p] >= '0' && t[p] <= '9' && nd[k] < 5)
            part[k] = part[k] * 10 + (t[p++] - '0'), nd[k]++;
        if (nd[k] == 0)
            return false;
        if (k == 2)
            break;
        if (k == 1 && sep == '/' && nd[0] <= 2 && nd[1] <= 2 &&
            (p >= lim || t[p] != '/' || p + 1 >= lim || t[p + 1] < '0' || t[p + 1] > '9')) {
            /* "le 17/02": day/month without a year, only after "le", "du", "on" */
            uint32_t pn = 0;
            if (i == 0 || ((lookup_kind(s, i - 1, K_DAYPREFIX, &pn) == INT16_MIN || pn != 1) &&
                           (lookup_kind(s, i - 1, K_ON, &pn) == INT16_MIN || pn != 1)))
                return false;
            part[2] = -1;
            nd[2] = 4;
            break;
        }
        if (p >= lim || !(t[p] == '-' || t[p] == '/' || t[p] == '.'))
            return false;
        if (sep && t[p] != sep)
            return false;
        sep = t[p++];
        k++;
    }
    if (p < lim && ((t[p] >= '0' && t[p] <= '9') || ((t[p] == '.' || t[p] == '/' || t[p] == '-')
                                                     && p + 1 < lim && t[p + 1] >= '0' &&
                                                     t[p + 1] <= '9')))
        return false; /* a longer digit group: phone number, version */
    if (p < lim && ((unsigned char)t[p] >= 0x80 || (t[p] | 0x20) >= 'a') && (t[p] | 0x20) <= 'z')
        return false;
    if (sep == '-') {
        if (nd[0] != 4 || nd[1] > 2 || nd[2] > 2) /* "2023-11-20", also "2015-3-3" */
            return false;
        *y = (int)part[0], *m = (int)part[1], *d = (int)part[2];
    } else {
        if (sep == '/' && nd[2] == 2) /* "20/02/14": 1950..2049 */
            part[2] += part[2] < 50 ? 2000 : 1900, nd[2] = 4;
        if (nd[2] != 4 || nd[0] > 2 || nd[1] > 2)
            return false;
        *y = (int)part[2];
        *d = (int)part[0];
        *m = (int)part[1];
        if (sep == '/' && strcmp(s->doc->lang, "en") == 0 && part[0] <= 12 && part[1] > 12) {
            *m = (int)part[0];
            *d = (int)part[1];
        } else if (part[1] > 12 && part[0] <= 12) {
            *m = (int)part[0];
            *d = (int)part[1];
        }
    }
    *rel = *y < 0;
    if (*y < 0) { /* no year: the bias picks it */
        int ry = s->ref_y;
        if (!s->future && (*m > s->ref_m || (*m == s->ref_m && *d > s->ref_d)))
            ry--;
        if (s->future && (*m < s->ref_m || (*m == s->ref_m && *d < s->ref_d)))
            ry++;
        *y = ry;
    }
    if (!valid_ymd(*y, *m, *d))
        return false;
    uint32_t j = i;
    while (j < s->ntok && s->tok[j].end <= p)
        j++;
    if (j == i || s->tok[j - 1].end != p)
        return false;
    *end = j;
    return true;
}

/* The weekday wd relative to the reference: mode -1 last (strictly before), +1 next (strictly
 * after), 0 bare (bias), 2 "ce/this" (this week's, today included). */
static long resolve_weekday(const scan *s, int wd, int mode)
{
    int today = weekday_of(s->ref);
    int back = (today - wd + 7) % 7, fwd = (wd - today + 7) % 7;
    if (mode == -1)
        return s->ref - (back ? back : 7);
    if (mode == 1)
        return s->ref + (fwd ? fwd : 7);
    if (mode == 2 && s->future) /* "ce vendredi" looking ahead: today or the next one */
        return s->ref + fwd;
    if (mode == 2) /* "ce vendredi": the nearest one, either side; today when it is that day */
        return back <= fwd ? s->ref - back : s->ref + fwd;
    if (s->future)
        return s->ref + (fwd ? fwd : 7);
    return s->ref - back;
}

static long add_months(const scan *s, int months, int *y, int *m)
{
    int total = s->ref_y * 12 + (s->ref_m - 1) + months;
    *y = total / 12;
    *m = total % 12 + 1;
    int d = s->ref_d;
    if (d > days_in_month(*y, *m))
        d = days_in_month(*y, *m);
    return days_from_civil(*y, *m, d);
}

/* "le 16": a day of month alone right after "le", followed by the end, punctuation, "à"/"vers"
 * or "au"/"et"/"ou"/"dans" (so not "le 20 heures", "le 16e", "le 15 %", "le 3 sur 40"): the nearest such day before the reference (past
 * bias, today included) or after it (future bias), in this month or the two either side.
 * LONG_MIN when there is none. The "le" is token i - 1. */
static long match_day_alone(const scan *s, uint32_t i)
{
    uint32_t pn = 0, un = 0, len;
    int nd = 0;
    long dd = tok_int(s, i, &nd);
    if (i == 0 || nd > 2 || dd < 1 || dd > 31 || s->tok[i - 1].end == s->tok[i].start ||
        lookup_kind(s, i - 1, K_DAYPREFIX, &pn) == INT16_MIN || pn != 1)
        return LONG_MIN;
    if (i + 1 < s->ntok) {
        const ex_token *t = &s->tok[i + 1];
        const char *p = tok_text(s, i + 1, &len);
        bool punct = len == 1 && strchr(",.;:)!?", p[0]) != NULL;
        /* after the day: punctuation, "à"/"vers" (a time), or a word that keeps it a date */
        bool word_ok = t->kind == EX_TOK_WORD && t->start > s->tok[i].end &&
                       ((len == 2 && (memcmp(p, "au", 2) == 0 || memcmp(p, "et", 2) == 0 ||
                                      memcmp(p, "ou", 2) == 0)) ||
                        (len == 4 && memcmp(p, "dans", 4) == 0) ||
                        lookup_kind(s, i + 1, K_AT, &un) != INT16_MIN);
        if (!punct && !word_ok)
            return LONG_MIN;
    }
    int y = s->ref_y, m = s->ref_m;
    int step = s->future ? 1 : -1;
    if (s->future ? dd < s->ref_d : dd > s->ref_d) {
        m += step;
    }
    for (int k = 0; k < 3; k++, m += step) {
        if (m < 1)
            m += 12, y--;
        if (m > 12)
            m -= 12, y++;
        if (valid_ymd(y, m, (int)dd))
            return days_from_civil(y, m, (int)dd);
    }
    return LONG_MIN;
}

/* "en mars", "in March": a month alone after a cue, its year picked by the bias (a month with
 * a day or a year after it is left to the month-first pattern). Emits into s->status. */
static bool match_cued_month(scan *s, uint32_t j, uint32_t *next)
{
    uint32_t n = 0, end = 0;
    int y, m, d;
    bool has_year;
    int mm = lookup_kind(s, j, K_MONTH, &n);
    if (mm == INT16_MIN || match_month_first(s, j, &end, &y, &m, &d, &has_year))
        return false;
    int yy = s->ref_y;
    if (!s->future && mm > s->ref_m)
        yy--;
    if (s->future && mm < s->ref_m)
        yy++;
    *next = j + n;
    s->status = emit(s, j, j + n, EX_GRAIN_MONTH, yy, mm, 0, 0, 0, true);
    return true;
}

/* Tries every pattern at token i; on a match emits and sets *next past it. */
static ex_status match_at(scan *s, uint32_t i, uint32_t *next, bool *matched)
{
    int y, m, d;
    bool has_year, ok;
    ex_status st = EX_OK;
    uint32_t end = 0, n = 0, n2 = 0;
    *matched = true;

    if (s->tok[i].kind == EX_TOK_NUMBER) {
        bool rel = false;
        if (match_numeric(s, i, &end, &y, &m, &d, &rel))
            return emit_day(s, i, end, days_from_civil(y, m, d), rel, next);
        if (match_day_month(s, i, &end, &y, &m, &d, &has_year) &&
            emit_day_month(s, i, end, y, m, d, has_year, next, &st))
            return st;
        int hh, mi;
        if (tok_time(s, i, &hh, &mi, &n)) {
            *next = i + n;
            return emit_clock(s, i, i + n, hh, mi);
        }
        long day_alone = match_day_alone(s, i);
        if (day_alone != LONG_MIN)
            return emit_day(s, i - 1, i + 1, day_alone, true, next);
        int cnt = tok_count(s, i, &n);
        if (cnt > 0) { /* "three days ago" */
            int unit = tok_unit(s, i + n, &n2);
            uint32_t an = 0;
            if (unit != INT16_MIN && lookup_kind(s, i + n + n2, K_AGO, &an) != INT16_MIN)
                goto ago_postfix;
        }
        *matched = false;
        return EX_OK;
    }

    const dentry *e = lookup(s, i, &n);
    if (!e && s->tok[i].kind == EX_TOK_WORD && (s->tok[i].flags & EX_TF_HYPHEN)) {
        /* "mi-2024", "mid-2024": prefix word + year in one token */
        uint32_t len;
        const char *p = tok_text(s, i, &len);
        const char *h = memchr(p, '-', len);
        if (h && (uint32_t)(h - p) + 5 == len) {
            char low[16];
            int ll = ex_utf8_lower(p, (size_t)(h - p) + 1, low, sizeof low);
            int yy = 0;
            for (int k = 1; k <= 4; k++)
                yy = (h[k] >= '0' && h[k] <= '9') ? yy * 10 + (h[k] - '0') : -100000;
            dentry key = {.key = low};
            const dentry *pe =
                ll > 0 ? bsearch(&key, s->dr->e, s->dr->n, sizeof *s->dr->e, entry_cmp) : NULL;
            if (pe && pe->kind == K_YEARPREFIX && yy >= 1000 && yy <= 2199) {
                *next = i + 1;
                return emit(s, i, i + 1, EX_GRAIN_YEAR, yy, 0, 0, 0, 0, false);
            }
        }
    }
    if (!e) {
        int cnt = tok_count(s, i, &n);
        if (cnt > 0) {
            int unit = tok_unit(s, i + n, &n2);
            uint32_t an = 0;
            if (unit != INT16_MIN && lookup_kind(s, i + n + n2, K_AGO, &an) != INT16_MIN)
                goto ago_postfix;
        }
        *matched = false;
        return EX_OK;
    }

    switch (e->kind) {
    case K_MONTH:
        if (match_month_first(s, i, &end, &y, &m, &d, &has_year)) {
            if (d == 0) {
                *next = end;
                return emit(s, i, end, EX_GRAIN_MONTH, y, m, 0, 0, 0, false);
            }
            if (emit_day_month(s, i, end, y, m, d, has_year, next, &st))
                return st;
        }
        break;
    case K_FIXED: { /* "Noël", "Christmas Day" [year]: val = month * 100 + day */
        int fm = e->val / 100, fd = e->val % 100, yy = tok_year(s, i + n);
        if (yy >= 0 && valid_ymd(yy, fm, fd))
            return emit_day(s, i, i + n + 1, days_from_civil(yy, fm, fd), false, next);
        long day = resolve_day_month(s, fm, fd, &ok);
        if (ok)
            return emit_day(s, i, i + n, day, true, next);
        break;
    }
    case K_CLOCKWORD: {
        /* "à midi", "at midnight", "ce midi", "midi et quart": val = hour; only after
         * "à"/"at"/"vers"/"ce", or first in the text ("le canal du Midi" is not a time) */
        uint32_t pn = 0;
        if (i > 0 && (lookup_kind(s, i - 1, K_AT, &pn) == INT16_MIN || pn != 1) &&
            (lookup_kind(s, i - 1, K_THIS, &pn) == INT16_MIN || pn != 1))
            break;
        int hh = e->val, mi = 0;
        uint32_t stop = i + n;
        stop += hour_tail(s, stop, &hh, &mi);
        *next = stop;
        return emit_clock(s, i, stop, hh, mi);
    }
    case K_DAYWORD: /* "premier mars 2020" */
        if (match_day_month(s, i, &end, &y, &m, &d, &has_year) &&
            emit_day_month(s, i, end, y, m, d, has_year, next, &st))
            return st;
        break;
    case K_DAY:
        return emit_day(s, i, i + n, s->ref + e->val, true, next);
    case K_WEEK: {
        long monday = s->ref - (weekday_of(s->ref) - 1) + 7L * e->val;
        int yy, mm, dd;
        civil_from_days(monday, &yy, &mm, &dd);
        *next = i + n;
        return emit(s, i, i + n, EX_GRAIN_DAY, yy, mm, dd, 0, 0, true);
    }
    case K_MONTHREL: {
        int yy, mm;
        add_months(s, e->val, &yy, &mm);
        *next = i + n;
        return emit(s, i, i + n, EX_GRAIN_MONTH, yy, mm, 0, 0, 0, true);
    }
    case K_YEARREL:
        *next = i + n;
        return emit(s, i, i + n, EX_GRAIN_YEAR, s->ref_y + e->val, 0, 0, 0, 0, true);
    case K_WEEKDAY:
    case K_LAST:
    case K_NEXT:
    case K_THIS:
    case K_ON: {
        /* [ce|this|on|last|next] WEEKDAY [dernier|prochain] [explicit date] */
        int mode = e->kind == K_LAST ? -1 : e->kind == K_NEXT ? 1 : e->kind == K_THIS ? 2 : 0;
        uint32_t j = i;
        if (e->kind != K_WEEKDAY)
            j += n;
        int wd = lookup_kind(s, j, K_WEEKDAY, &n2);
        if (wd == INT16_MIN)
            break;
        j += n2;
        uint32_t mn = 0;
        if (lookup_kind(s, j, K_LAST, &mn) != INT16_MIN && e->kind == K_WEEKDAY)
            mode = -1, j += mn;
        else if (lookup_kind(s, j, K_NEXT, &mn) != INT16_MIN && e->kind == K_WEEKDAY)
            mode = 1, j += mn;
        uint32_t jd = j; /* "Monday, Nov. 20": the comma belongs to the date only */
        if (jd < s->ntok && s->tok[jd].end - s->tok[jd].start == 1 &&
            s->doc->text[s->tok[jd].start] == ',')
            jd++;
        if (match_day_month(s, jd, &end, &y, &m, &d, &has_year) ||
            match_month_first(s, jd, &end, &y, &m, &d, &has_year)) {
            if (d > 0 && has_year && valid_ymd(y, m, d))
                return emit_day(s, i, end, days_from_civil(y, m, d), false, next);
            if (d > 0 && !has_year) {
                /* the explicit date wins; the weekday picks the year when it can */
                bool ok2;
                long day = resolve_day_month(s, m, d, &ok2);
                for (int dy = -1; dy <= 1 && ok2; dy++)
                    if (valid_ymd(s->ref_y + dy, m, d) &&
                        weekday_of(days_from_civil(s->ref_y + dy, m, d)) == wd &&
                        labs(days_from_civil(s->ref_y + dy, m, d) - s->ref) < 200)
                        day = days_from_civil(s->ref_y + dy, m, d);
                if (ok2)
                    return emit_day(s, i, end, day, true, next);
            }
        }
        return emit_day(s, i, j, resolve_weekday(s, wd, mode), true, next);
    }
    case K_AGOPRE:
    case K_IN: {
        uint32_t j = i + n, cn = 0, un = 0;
        int cnt = tok_count(s, j, &cn);
        int unit = cnt > 0 ? tok_unit(s, j + cn, &un) : INT16_MIN;
        if (unit != INT16_MIN) {
            int sign = e->kind == K_AGOPRE ? -1 : 1;
            uint32_t stop = j + cn + un;
            *next = stop;
            if (unit < 0)
                return emit_minutes(s, i, stop, (long)sign * cnt * -unit);
            if (unit >= 365)
                return emit(s, i, stop, EX_GRAIN_YEAR, s->ref_y + sign * cnt, 0, 0, 0, 0, true);
            if (unit >= 30) {
                int yy, mm;
                add_months(s, sign * cnt, &yy, &mm);
                return emit(s, i, stop, EX_GRAIN_MONTH, yy, mm, 0, 0, 0, true);
            }
            return emit_day(s, i, stop, s->ref + (long)sign * cnt * unit, true, next);
        }
        if (e->kind == K_IN && match_cued_month(s, j, next))
            return s->status;
        if (e->kind == K_IN) {
            int yy = tok_year(s, j);
            if (yy >= 0) {
                *next = j + 1;
                return emit(s, j, j + 1, EX_GRAIN_YEAR, yy, 0, 0, 0, 0, false);
            }
        }
        break;
    }
    case K_YEARCUE: {
        uint32_t j = i + n;
        if (match_cued_month(s, j, next))
            return s->status;
        int yy = tok_year(s, j);
        if (yy >= 0) {
            *next = j + 1;
            return emit(s, j, j + 1, EX_GRAIN_YEAR, yy, 0, 0, 0, 0, false);
        }
        break;
    }
    case K_NUM: {
        int cnt = e->val;
        uint32_t hn = 0, pn = 0;
        if (cnt >= 0 && cnt <= 23 && i > 0 &&
            (lookup_kind(s, i + n, K_HOURWORD, &hn) != INT16_MIN ||
             (cnt >= 1 && cnt <= 12 && lookup_kind(s, i + n, K_AMPM, &pn) != INT16_MIN)) &&
            lookup_kind(s, i - 1, K_AT, &pn) != INT16_MIN && pn == 1) {
            /* "à quinze heures", "at three p.m." */
            int hh = cnt, mi = 0;
            uint32_t stop = i + n + hn;
            stop += hour_tail(s, stop, &hh, &mi);
            *next = stop;
            return emit_clock(s, i, stop, hh, mi);
        }
        int unit = tok_unit(s, i + n, &n2);
        uint32_t an = 0;
        if (unit != INT16_MIN && lookup_kind(s, i + n + n2, K_AGO, &an) != INT16_MIN) {
            (void)cnt;
            goto ago_postfix;
        }
        break;
    }
    default:
        break;
    }
    *matched = false;
    return EX_OK;

ago_postfix: {
    uint32_t cn = 0, un = 0, an = 0;
    int cnt = tok_count(s, i, &cn);
    int unit = tok_unit(s, i + cn, &un);
    lookup_kind(s, i + cn + un, K_AGO, &an);
    uint32_t stop = i + cn + un + an;
    *next = stop;
    if (unit < 0)
        return emit_minutes(s, i, stop, -(long)cnt * -unit);
    if (unit >= 365)
        return emit(s, i, stop, EX_GRAIN_YEAR, s->ref_y - cnt, 0, 0, 0, 0, true);
    if (unit >= 30) {
        int yy, mm;
        add_months(s, -cnt, &yy, &mm);
        return emit(s, i, stop, EX_GRAIN_MONTH, yy, mm, 0, 0, 0, true);
    }
    return emit_day(s, i, stop, s->ref - (long)cnt * unit, true, next);
}
}

static long reference_day(const ex_doc *doc)
{
    const char *p = doc->published;
    if (p && strlen(p) >= 10) {
        int y, m, d;
        if (sscanf(p, "%4d-%2d-%2d", &y, &m, &d) == 3 && m >= 1 && m <= 12 && d >= 1 &&
            d <= days_in_month(y, m))
            return days_from_civil(y, m, d);
    }
    if (doc->in.received_ms > 0)
        return (long)(doc->in.received_ms / 86400000);
    return (long)(time(NULL) / 86400);
}

/* Minutes since midnight of the envelope's published date-time ("2023-11-20T14:05...", local
 * time as written) when doc->published came from it; else -1. */
static int reference_minute(const ex_doc *doc)
{
    const char *p = doc->in.published;
    if (!p || !doc->published || !doc->published_from ||
        strcmp(doc->published_from, "envelope") != 0 || strncmp(p, doc->published, 10) != 0 ||
        strlen(p) < 16 || p[10] != 'T' || p[13] != ':')
        return -1;
    int h = 0, m = 0;
    for (int k = 11; k <= 15; k++)
        if (k != 13 && (p[k] < '0' || p[k] > '9'))
            return -1;
    h = (p[11] - '0') * 10 + (p[12] - '0');
    m = (p[14] - '0') * 10 + (p[15] - '0');
    return h < 24 && m < 60 ? h * 60 + m : -1;
}

ex_status ex_stage_dates(ex_doc *doc, char *err, size_t errlen)
{
    if (!doc->res || !doc->res->dates || !doc->text)
        return EX_OK;
    scan s = {.doc = doc,
              .dr = doc->res->dates,
              .tok = (const ex_token *)doc->tokens.items,
              .ntok = doc->tokens.len,
              .future = doc->res->opts.future_bias != 0};
    if (s.ntok > 0) {
        s.memo_e = ex_arena_calloc(doc->arena, s.ntok, sizeof *s.memo_e);
        s.memo_n = s.memo_e ? ex_arena_calloc(doc->arena, s.ntok, sizeof *s.memo_n) : NULL;
    }
    s.ref = reference_day(doc);
    civil_from_days(s.ref, &s.ref_y, &s.ref_m, &s.ref_d);
    s.ref_min = reference_minute(doc);
    s.ref_has_time = s.ref_min >= 0;
    if (s.ref_min < 0)
        s.ref_min = 0;
    uint32_t i = 0;
    while (i < s.ntok) {
        uint32_t next = i + 1;
        bool matched = false;
        ex_status st = match_at(&s, i, &next, &matched);
        if (st != EX_OK)
            return ex_fail(err, errlen, st, "dates: out of memory");
        i = matched && next > i ? next : i + 1;
    }
    return EX_OK;
}
