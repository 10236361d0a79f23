/*
 * dates.c — the dates stage: finds absolute and relative dates and times in French and English
 * news copy and resolves them against the reference date; also ex_grain_name.
 *
 * May touch: doc->dates (writes); doc->tokens, doc->text, doc->published(_from), doc->in.published,
 * doc->in.received_ms,
 * doc->res (reads); res->dates (its own word table and holiday tables, built by ex_dates_res_load
 * from data/{fr,en}/dates.txt and data/common/holiday-dates.txt, freed by ex_dates_res_free).
 * Calls no other stage.
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
 * Round 3 (intervals and the rest of what news copy holds):
 * - An interval is one item with value_end (its last unit, inclusive, at the item's grain):
 *   day ranges ("du 13 au 15 juillet", "July 13-15", "entre le 10 juin et le 1er juillet"),
 *   time ranges ("de 9h30 à 11h jeudi", "3:30-6pm": the end's p.m. holds for the start),
 *   parts of the day ("ce soir" 18:00..23:59, "demain matin", "en fin de journée"), of the
 *   month ("fin mars" 21..31, "mi-décembre"), of the year, of the week, weekends (Friday
 *   18:00 to Sunday), seasons, quarters (months), "the next 3 days", "les 2 dernières
 *   semaines" (whole units before or after the current one). Two items with a range word
 *   between them are joined (join_items); a time and its day are joined either way.
 * - Open intervals carry a bound: "à partir du 8 mars", "after 2 pm" (after); "avant 16h",
 *   "by the end of the year", "within 2 weeks" (before: the item is the last unit).
 * - Parts of the day, month and year follow the tables' hour and day bounds (data/{fr,en}/dates.txt).
 *   A part alone ("le matin", "morning") is no date unless the table marks it as able to
 *   stand alone ("tonight", "en fin de journée"); "ce", "this" or a day before it make it one.
 * - Holidays: fixed dates, the n-th weekday of a month (Thanksgiving), offsets from Easter and
 *   Orthodox Easter (computed), Islamic holidays by the arithmetic calendar (a day off the
 *   sighted date at times; round 4: observed dates from a table first), the Hebrew calendar
 *   (computed); Hindu and Chinese ones from a table (round 4).
 * - A time followed by a zone ("8:00 GMT") is moved to the offset of the envelope's published
 *   date-time (UTC when it has none), when the day stays the same.
 * - "3h" with no minutes is a time only after "à", "de", a range word, a bound or a day
 *   ("3h de route" is a duration).
 * Round 4 (English toward 90%):
 * - Holidays of lunar and lunisolar calendars are facts looked up by year in
 *   data/common/holiday-dates.txt (its header names the source): Chinese New Year, Dhanteras
 *   (Diwali and the days around it are offsets from it), Navaratri (a span; Dussehra…), Vasant
 *   Panchami (Holi), Thai Pongal, Onam, Vesak, Vaisakhi, … and the observed Islamic dates
 *   (Ramadan, Eid al-Fitr, Eid al-Adha, Muharram, Rajab, Mawlid), which fall back on the
 *   arithmetic calendar outside the table; other tables give no date for a year they lack. King's
 *   Day moves off a Sunday; Parsi New Year repeats every 365 days; Jumu'atul-Wida is the Friday
 *   before Eid al-Fitr. A holiday takes "in 2019" or a year in words ("two thousand ten").
 * - "in 1/2 hour", "in 3/4h", "in 2.5 hours", "in 2 and a half hours": minutes from the
 *   reference time. "ten thirty am": a word hour and word minutes need a.m./p.m.; "330 p.m."
 *   likewise (a colon-less clock without it is declined: a count or a year).
 * - A day or a time followed by "for N days/weeks/hours/minutes" ("pendant") is the span to N
 *   units later; years are no duration span ("sentenced on Monday for 10 years").
 * - Rules that read the tokens before an item found by the scan (match_at never calls itself):
 *   "9 tomorrow morning", "at 5 tomorrow afternoon" (an hour, after "at" or opening a clause,
 *   within the part of the day), "three days after Easter" (a count of days or weeks), "the
 *   morning of Christmas".
 * - "friday after next" (a week after the coming one), "the first Monday of the month".
 * - Declined on purpose, listed as such by the Duckling harness: bare "2/15", "3:30" as p.m.,
 *   "8 tonight" without "at", "this season", "at 1030", "in 15'", "2014-10", lower-case
 *   "sat"/"sun".
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
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
    K_DAYWORD, K_HOURWORD, K_DAYPREFIX, K_FIXED, K_CLOCKWORD,
    K_DAYPART, K_NIGHTBEFORE, K_PARTCUE, K_MONTHPART, K_YEARPART, K_WEEKPART, K_WEEKEND,
    K_SEASON, K_NTHWD, K_EASTER, K_OEASTER, K_QUARTER, K_RANGESEP, K_RANGEFROM, K_AFTER,
    K_BEFORE, K_LATER, K_UPCOMING, K_WEEKSLATER, K_MINWORD, K_PAST, K_MINUS, K_AND, K_OF,
    K_ARTICLE, K_WITHIN, K_HIJRI, K_ZONE, K_FIXEDOBS, K_DUR, K_ANAPHOR, K_WEEKDAYS, K_HEBREW,
    K_LUNAR, K_LUNARSPAN, K_LUNARWD, K_EVERY365, K_FOR, K_OFFSETDIR, K_WDBEFORE, K_BUT
};
static const char *const kind_names[] = {
    "", "month", "weekday", "day", "week", "monthrel", "yearrel", "last", "next", "this",
    "on", "ago", "agopre", "in", "yearcue", "yearprefix", "at", "ampm", "ordsuf", "num", "unit",
    "dayword", "hourword", "dayprefix", "fixed", "clockword",
    "daypart", "nightbefore", "partcue", "monthpart", "yearpart", "weekpart", "weekend",
    "season", "nthwd", "easter", "oeaster", "quarter", "rangesep", "rangefrom", "after",
    "before", "later", "upcoming", "weekslater", "minword", "past", "minus", "and", "of",
    "article", "within", "hijri", "zone", "fixedobs", "dur", "anaphor", "weekdays", "hebrew",
    "lunar", "lunarspan", "lunarwd", "every365", "for", "offsetdir", "wdbefore", "but"};

typedef struct dentry {
    char *key;    /* lower-case phrase, malloc'd */
    uint8_t kind; /* enum dkind */
    uint8_t cap;  /* text must start with a capital letter */
    uint8_t same_next; /* the next entry (sorted) has the same key */
    int16_t val;
    uint32_t order; /* line order over both files: equal keys keep it ("sept" is 7 in French
                       and September in English; "cet" is French "this" and a time zone) */
} dentry;

/* One prefix of a key: the first len bytes of e[idx].key; full = 1 + the index of the entry
 * whose whole key it is (the first of equal keys), 0 when it is only a prefix. */
typedef struct pslot {
    uint32_t idx1; /* 1 + entry index; 0 = empty slot */
    uint32_t full;
    uint32_t len;
} pslot;

/* One table of data/common/holiday-dates.txt: its dates (days since 1970-01-01, ascending) and
 * its arithmetic Islamic fallback (hijri MMDD, 0 = none). day is malloc'd, owned by the table. */
#define LUNAR_MAX 100
typedef struct lunar_tab {
    long *day;
    uint32_t n;
    int hijri;
} lunar_tab;

/* Owned by ex_resources (res->dates); sorted by key, immutable once loaded. */
struct ex_dates_res {
    lunar_tab lunar[LUNAR_MAX]; /* by table ID; n = 0 for IDs the file does not use */
    dentry *e;
    size_t n, cap;
    pslot *slot;          /* every byte prefix of every key, hashed (FNV-1a, so a phrase's hash
                             grows byte by byte as lookup appends tokens): lets lookup stop at
                             the first prefix no key has, and gives the entry of a whole key */
    size_t slot_mask;
    bool single[128];     /* a key may begin with a one-byte token of this ASCII byte */
    uint32_t first[128][32]; /* [b0][b1 & 31]: bit L set when a key starting with ASCII bytes b0 b1
                                may begin with a token of L bytes (31 = 31 or more) */
};

static void dates_res_destroy(struct ex_dates_res *d)
{
    if (!d)
        return;
    for (size_t i = 0; i < d->n; i++)
        free(d->e[i].key);
    free(d->e);
    free(d->slot);
    for (int t = 0; t < LUNAR_MAX; t++)
        free(d->lunar[t].day);
    free(d);
}

#define FNV_START 14695981039346656037ull
static inline uint64_t fnv_step(uint64_t h, unsigned char c) { return (h ^ c) * 1099511628211ull; }

/* The slot of the prefix held by the n bytes at s (hash h = their FNV-1a), or NULL. */
static const pslot *find_prefix(const struct ex_dates_res *d, uint64_t h, const char *s, size_t n)
{
    size_t k = (size_t)h & d->slot_mask;
    while (d->slot[k].idx1) {
        const pslot *p = &d->slot[k];
        if (p->len == n && memcmp(d->e[p->idx1 - 1].key, s, n) == 0)
            return p;
        k = (k + 1) & d->slot_mask;
    }
    return NULL;
}

/* For bsearch: keys only (any of equal keys; lookup_kind walks to the right kind). */
static int key_cmp(const void *a, const void *b)
{
    return strcmp(((const dentry *)a)->key, ((const dentry *)b)->key);
}

/* For qsort: keys, then line order. */
static int entry_cmp(const void *a, const void *b)
{
    const dentry *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->order > y->order) - (x->order < y->order);
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
        d->e[d->n] = (dentry){key, (uint8_t)kind, cap, 0, (int16_t)val, (uint32_t)d->n};
        d->n++;
    }
    fclose(f);
    return EX_OK;
}

static long days_from_civil(int y, int m, int d);

/* Reads data/common/holiday-dates.txt: "ID NAME [hijri:MMDD] YYYY-MM-DD..." per line. */
static ex_status load_lunar(struct ex_dates_res *d, const char *data_dir, char *err,
                            size_t errlen)
{
    char path[4096];
    int pn = snprintf(path, sizeof path, "%s/common/holiday-dates.txt", data_dir);
    if (pn < 0 || (size_t)pn >= sizeof path)
        return ex_fail(err, errlen, EX_EIO, "dates: path too long");
    FILE *f = fopen(path, "r");
    if (!f)
        return ex_fail(err, errlen, EX_EIO, "dates: cannot open %s", path);
    char *line = NULL;
    size_t cap = 0;
    unsigned lineno = 0;
    ex_status st = EX_OK;
    while (st == EX_OK && getline(&line, &cap, f) >= 0) {
        lineno++;
        if (line[0] == '#' || line[0] == '\n' || line[0] == '\0')
            continue;
        char *save = NULL, *w = strtok_r(line, " \t\r\n", &save);
        int id = w ? atoi(w) : 0;
        if (id <= 0 || id >= LUNAR_MAX || d->lunar[id].day || !strtok_r(NULL, " \t\r\n", &save)) {
            st = ex_fail(err, errlen, EX_EIO, "dates: %s:%u: bad table line", path, lineno);
            break;
        }
        lunar_tab *t = &d->lunar[id];
        size_t tcap = 0;
        while ((w = strtok_r(NULL, " \t\r\n", &save)) != NULL) {
            int y, m, dd, used = 0;
            if (strncmp(w, "hijri:", 6) == 0) {
                t->hijri = atoi(w + 6);
                continue;
            }
            if (sscanf(w, "%4d-%2d-%2d%n", &y, &m, &dd, &used) != 3 || w[used] || m < 1 || m > 12 ||
                dd < 1 || dd > 31) {
                st = ex_fail(err, errlen, EX_EIO, "dates: %s:%u: bad date %.20s", path, lineno, w);
                break;
            }
            long day = days_from_civil(y, m, dd);
            if (t->n > 0 && day <= t->day[t->n - 1]) {
                st = ex_fail(err, errlen, EX_EIO, "dates: %s:%u: dates out of order", path, lineno);
                break;
            }
            if (t->n == tcap) {
                size_t nc = tcap ? tcap * 2 : 64;
                long *nd = realloc(t->day, nc * sizeof *nd);
                if (!nd) {
                    st = ex_fail(err, errlen, EX_ENOMEM, "dates: out of memory");
                    break;
                }
                t->day = nd;
                tcap = nc;
            }
            t->day[t->n++] = day;
        }
    }
    free(line);
    fclose(f);
    return st;
}

ex_status ex_dates_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen)
{
    struct ex_dates_res *d = calloc(1, sizeof *d);
    if (!d)
        return ex_fail(err, errlen, EX_ENOMEM, "dates: out of memory");
    ex_status st = load_file(d, data_dir, "fr/dates.txt", err, errlen);
    if (st == EX_OK)
        st = load_file(d, data_dir, "en/dates.txt", err, errlen);
    if (st == EX_OK)
        st = load_lunar(d, data_dir, err, errlen);
    if (st != EX_OK) {
        dates_res_destroy(d);
        return st;
    }
    qsort(d->e, d->n, sizeof *d->e, entry_cmp);
    for (size_t i = 0; i + 1 < d->n; i++)
        d->e[i].same_next = strcmp(d->e[i].key, d->e[i + 1].key) == 0;
    size_t total = 0;
    for (size_t i = 0; i < d->n; i++)
        total += strlen(d->e[i].key);
    size_t ns = 64;
    while (ns < 2 * total)
        ns *= 2;
    d->slot = calloc(ns, sizeof *d->slot);
    d->slot_mask = ns - 1;
    for (size_t i = 0; d->slot && i < d->n; i++) {
        size_t klen = strlen(d->e[i].key);
        const unsigned char *kk = (const unsigned char *)d->e[i].key;
        uint64_t hh = FNV_START;
        for (size_t L = 1; L <= klen; L++) { /* every prefix, the whole key last */
            hh = fnv_step(hh, kk[L - 1]);
            size_t k = (size_t)hh & d->slot_mask;
            while (d->slot[k].idx1 && !(d->slot[k].len == L &&
                                        memcmp(d->e[d->slot[k].idx1 - 1].key, kk, L) == 0))
                k = (k + 1) & d->slot_mask;
            if (!d->slot[k].idx1)
                d->slot[k] = (pslot){(uint32_t)i + 1, 0, (uint32_t)L};
            if (L == klen && !d->slot[k].full) /* the first of equal keys */
                d->slot[k].full = (uint32_t)i + 1;
        }
        if (kk[0] < 0x80 && (klen == 1 || strchr(" '-./,", kk[1])))
            d->single[kk[0]] = true;
        if (klen >= 2 && kk[0] < 0x80 && kk[1] < 0x80)
            for (size_t p = 2; p <= klen; p++) /* where a token may end inside the key */
                if (p == klen || strchr(" '-./,", kk[p]) || strchr("'-./,", kk[p - 1]))
                    d->first[kk[0]][kk[1] & 31] |= 1u << (p < 31 ? p : 31);
    }
    if (!d->slot) {
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

#define MAX_PHRASE 6

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
    bool last_clock;    /* the last emit was a time of day with no date (emit_clock) */
    bool last_ampm;     /* the last time tok_time read had an explicit a.m./p.m. */
    int ref_offset;     /* the reference's UTC offset in minutes ("…-02:00"); 0 when none */
    int last_zone;      /* minutes the last time read was moved by its zone ("8:00 GMT"), else 0 */
    int last_bare_day;  /* the last emit was a day of month alone ("le 13"): that day, else 0 */
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
static int lookup_kind(const scan *s, uint32_t i, int kind, uint32_t *ntok);

/* lookup_uncached, memoised per token: the grammar asks about the same token many times. */
static inline const dentry *lookup(const scan *s, uint32_t i, uint32_t *ntok)
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
    char low[200];
    size_t ll = 0;
    const dentry *best = NULL;
    {
        /* cheap reject: no key starts with the token's first two (ASCII) bytes */
        const unsigned char *p = (const unsigned char *)s->doc->text + s->tok[i].start;
        uint32_t tl = s->tok[i].end - s->tok[i].start;
        if (tl >= 2 && p[0] < 0x80 && p[1] < 0x80) {
            unsigned char b0 = p[0] >= 'A' && p[0] <= 'Z' ? p[0] + 32 : p[0];
            unsigned char b1 = p[1] >= 'A' && p[1] <= 'Z' ? p[1] + 32 : p[1];
            if (!(s->dr->first[b0][b1 & 31] & (1u << (tl < 31 ? tl : 31))))
                return NULL;
        } else if (tl == 1 && p[0] < 0x80 &&
                   !s->dr->single[p[0] >= 'A' && p[0] <= 'Z' ? p[0] + 32 : p[0]]) {
            return NULL;
        }
    }
    uint64_t h = FNV_START;
    for (uint32_t k = 0; k < MAX_PHRASE && i + k < s->ntok; k++) {
        const ex_token *t = &s->tok[i + k];
        uint32_t len = t->end - t->start;
        size_t from = ll;
        if (k > 0 && t->start > s->tok[i + k - 1].end) {
            if ((t->flags & EX_TF_PARA_START) || ll + 1 >= sizeof low)
                break;
            low[ll++] = ' ';
        }
        if (ll + 2 * (size_t)len + 8 >= sizeof low)
            break;
        const unsigned char *src = (const unsigned char *)s->doc->text + t->start;
        uint32_t a = 0;
        while (a < len && src[a] < 0x80) { /* ASCII: lower case inline */
            low[ll + a] = (char)(src[a] >= 'A' && src[a] <= 'Z' ? src[a] + 32 : src[a]);
            a++;
        }
        if (a < len) { /* the rest through Unicode case folding */
            int r = ex_utf8_lower((const char *)src + a, len - a, low + ll + a,
                                  sizeof low - ll - a);
            if (r < 0)
                break;
            ll += a + (size_t)r;
        } else {
            ll += len;
        }
        for (size_t b = from; b < ll; b++) /* each token lowered and hashed once, appended */
            h = fnv_step(h, (unsigned char)low[b]);
        const pslot *ps = find_prefix(s->dr, h, low, ll);
        if (!ps)
            break; /* no key starts with this: no longer phrase can match either */
        const dentry *e = ps->full ? &s->dr->e[ps->full - 1] : NULL;
        if (e && e->cap && !(s->tok[i].flags & EX_TF_CAP)) {
            /* "march 3", "the 1st of march", "19th to 21st aug": a lower-case month that a
             * capital would otherwise be required for is a month beside a day number */
            uint32_t nx = i + k + 1;
            bool num_after = nx < s->ntok && s->tok[nx].kind == EX_TOK_NUMBER &&
                             (nx + 1 >= s->ntok || s->tok[nx + 1].kind != EX_TOK_WORD);
            bool num_before = i > 0 && s->tok[i - 1].kind == EX_TOK_NUMBER;
            uint32_t dn = 0;
            bool of_before = i > 1 && s->tok[i - 1].end - s->tok[i - 1].start == 2 &&
                             (s->tok[i - 2].kind == EX_TOK_NUMBER ||
                              lookup_kind(s, i - 2, K_DAYWORD, &dn) != INT16_MIN);
            bool word_after = nx < s->ntok && lookup_kind(s, nx, K_DAYWORD, &dn) != INT16_MIN;
            if (e->kind != K_MONTH || !(num_after || num_before || of_before || word_after))
                e = NULL;
        }
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
    if (!e)
        return INT16_MIN;
    while (e->kind != kind) { /* another entry of the same key may have the kind asked for */
        if (e->same_next && !(e[1].cap && !(s->tok[i].flags & EX_TF_CAP)))
            e++;
        else
            return INT16_MIN;
    }
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
    if (i < s->ntok && s->tok[i].kind == EX_TOK_WORD) { /* "premier mars", "du treize au …" */
        uint32_t n = 0;
        int v = lookup_kind(s, i, K_DAYWORD, &n);
        if (v == INT16_MIN)
            v = lookup_kind(s, i, K_NUM, &n);
        return v == INT16_MIN || n != 1 || v < 1 || v > 31 ? -1 : v;
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
    const dentry *e = bsearch(&key, s->dr->e, s->dr->n, sizeof *s->dr->e, key_cmp);
    return e && e->kind == K_ORDSUF ? v : -1;
}

/* A four-digit year 1000..2199 at token i, else -1. */
static int tok_year(const scan *s, uint32_t i)
{
    int nd = 0;
    long v = tok_int(s, i, &nd);
    return nd == 4 && v >= 1000 && v <= 2199 ? (int)v : -1;
}

/* A year after a day and month: four digits, or two ("le 18 juin 89", "31 octobre 74":
 * 1950..2049) when no word follows ("le 18 juin 89 personnes" is a count). -1 if none. */
static int tok_year_after_month(const scan *s, uint32_t i)
{
    int y = tok_year(s, i), nd = 0;
    if (y >= 0)
        return y;
    long v = tok_int(s, i, &nd);
    if (nd != 2 || (i + 1 < s->ntok && s->tok[i + 1].kind == EX_TOK_WORD))
        return -1;
    return (int)(v < 50 ? 2000 + v : 1900 + v);
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

/* Is token i the one-byte text c? */
static bool tok_is(const scan *s, uint32_t i, char c)
{
    return i < s->ntok && s->tok[i].end == s->tok[i].start + 1 && s->doc->text[s->tok[i].start] == c;
}

/* A fractional number of hours at token i, in minutes: "1/2 hour", "3/4h", "1/4 h", "2.5 hours",
 * "2 and a half hours" (also "an half"); -1 when none. *ntok: the tokens read, the unit's
 * included. A whole number of hours is tok_count's and tok_unit's. */
static long tok_hour_fraction(const scan *s, uint32_t i, uint32_t *ntok)
{
    if (i >= s->ntok || s->tok[i].kind != EX_TOK_NUMBER)
        return -1;
    uint32_t len, k = 0, un = 0;
    const char *p = tok_text(s, i, &len);
    long whole = 0, num = 0, den = 1;
    while (k < len && k < 3 && p[k] >= '0' && p[k] <= '9')
        whole = whole * 10 + (p[k++] - '0');
    uint32_t j = i + 1;
    bool hsuffix = false;
    if (k > 0 && k + 2 == len && p[k] == '.' && p[k + 1] >= '0' && p[k + 1] <= '9') {
        num = p[k + 1] - '0'; /* "2.5" */
        den = 10;
    } else if (k == 1 && k == len && tok_is(s, j, '/') && j + 1 < s->ntok &&
               s->tok[j + 1].kind == EX_TOK_NUMBER) {
        uint32_t l2;
        const char *q = tok_text(s, j + 1, &l2);
        if ((l2 == 1 || (l2 == 2 && (q[1] == 'h' || q[1] == 'H'))) && (q[0] == '2' || q[0] == '4') &&
            whole < q[0] - '0' && whole > 0) {
            num = whole; /* "1/4", "3/4h" */
            den = q[0] - '0';
            whole = 0;
            hsuffix = l2 == 2;
            j += 2;
        } else {
            return -1;
        }
    } else if (k == len && k > 0) {
        uint32_t an = 0, hn = 0;
        if (lookup_kind(s, j, K_AND, &an) == INT16_MIN)
            return -1;
        j += an;
        uint32_t tl;
        const char *t = j < s->ntok ? tok_text(s, j, &tl) : "";
        if (j < s->ntok && ((tl == 1 && (t[0] == 'a' || t[0] == 'A')) ||
                            (tl == 2 && (t[0] == 'a' || t[0] == 'A') && (t[1] == 'n' || t[1] == 'N'))))
            j++;
        if (lookup_kind(s, j, K_MINWORD, &hn) != 30)
            return -1;
        num = 1; /* "2 and a half" */
        den = 2;
        j += hn;
    } else {
        return -1;
    }
    if (!hsuffix && (tok_is(s, j, 'h') || tok_is(s, j, 'H')))
        un = 1; /* "1/4 h" */
    else if (!hsuffix && tok_unit(s, j, &un) != -60)
        return -1;
    *ntok = j + (hsuffix ? 0 : un) - i;
    long minutes = whole * 60 + num * 60 / den;
    return minutes > 0 ? minutes : -1;
}

/* The number word held by the n bytes at w (lower case or not), from the K_NUM table; -1 if
 * none. */
static int num_word(const scan *s, const char *w, uint32_t n)
{
    char low[32];
    int ll = n < sizeof low ? ex_utf8_lower(w, n, low, sizeof low) : -1;
    if (ll <= 0)
        return -1;
    dentry key = {.key = low};
    const dentry *e = bsearch(&key, s->dr->e, s->dr->n, sizeof *s->dr->e, key_cmp);
    if (!e)
        return -1;
    while (e > s->dr->e && strcmp(e[-1].key, low) == 0)
        e--;
    for (; e < s->dr->e + s->dr->n && strcmp(e->key, low) == 0; e++)
        if (e->kind == K_NUM)
            return e->val;
    return -1;
}

/* Minutes in words at token j, after a word hour: "thirty", "fifty nine", "twenty-three",
 * "fifteen" (10..59); -1 if none. *ntok: tokens read. */
static int minute_words(const scan *s, uint32_t j, uint32_t *ntok)
{
    if (j >= s->ntok || s->tok[j].kind != EX_TOK_WORD)
        return -1;
    uint32_t len;
    const char *t = tok_text(s, j, &len);
    const char *dash = memchr(t, '-', len);
    if (dash) { /* "twenty-three" */
        int tens = num_word(s, t, (uint32_t)(dash - t));
        int unit = num_word(s, dash + 1, len - (uint32_t)(dash - t) - 1);
        if (tens < 20 || tens > 50 || tens % 10 || unit < 1 || unit > 9)
            return -1;
        *ntok = 1;
        return tens + unit;
    }
    uint32_t n1 = 0, n2 = 0;
    int v = lookup_kind(s, j, K_NUM, &n1);
    if (n1 != 1)
        return -1;
    if (v >= 10 && v <= 19) {
        *ntok = 1;
        return v;
    }
    if (v < 20 || v > 50 || v % 10)
        return -1;
    *ntok = 1;
    int uv = j + 1 < s->ntok ? lookup_kind(s, j + 1, K_NUM, &n2) : INT16_MIN;
    if (n2 == 1 && uv >= 1 && uv <= 9 && s->tok[j + 1].end - s->tok[j + 1].start > 1) {
        *ntok = 2; /* "fifty nine" (not "fifty a") */
        v += uv;
    }
    return v;
}

/* A year in words after a holiday: "two thousand ten", "two thousand and eighteen" (2001..2059);
 * -1 if none. *ntok: tokens read. */
static int tok_year_words(const scan *s, uint32_t i, uint32_t *ntok)
{
    uint32_t len, an = 0, xn = 0;
    if (i + 2 >= s->ntok || s->tok[i].kind != EX_TOK_WORD || s->tok[i + 1].kind != EX_TOK_WORD)
        return -1;
    const char *t = tok_text(s, i, &len);
    if (num_word(s, t, len) != 2)
        return -1;
    t = tok_text(s, i + 1, &len);
    if (len != 8 || strncasecmp(t, "thousand", 8) != 0)
        return -1;
    uint32_t j = i + 2;
    if (lookup_kind(s, j, K_AND, &an) != INT16_MIN)
        j += an;
    int x = minute_words(s, j, &xn);
    if (x < 0 && j < s->ntok && s->tok[j].kind == EX_TOK_WORD) {
        t = tok_text(s, j, &len);
        x = num_word(s, t, len);
        xn = 1;
    }
    if (x < 1 || x > 59)
        return -1;
    *ntok = j + xn - i;
    return 2000 + x;
}

/* A part of the day at token j ("matin", "in the afternoon", "en fin de journée"): *sh, *eh in
 * hours (end exclusive, 24 = midnight), *alone = may stand without a day before it. */
static bool daypart_at(const scan *s, uint32_t j, int *sh, int *eh, bool *alone, uint32_t *n)
{
    int v = lookup_kind(s, j, K_DAYPART, n);
    if (v == INT16_MIN)
        return false;
    *alone = v >= 10000;
    v %= 10000;
    *sh = v / 100;
    *eh = v % 100;
    return true;
}

/* What turns an hour into a.m. or p.m. at token j: "pm", "a.m.", or a part of the day ("du soir",
 * "ce soir", "tonight", "in the afternoon"): 0 or 12, else INT16_MIN; *part when from a part. */
static int ampm_at(const scan *s, uint32_t j, uint32_t *n, bool *part)
{
    *part = false;
    int v = lookup_kind(s, j, K_AMPM, n);
    if (v != INT16_MIN)
        return v;
    uint32_t tn = 0, pn = 0;
    if (lookup_kind(s, j, K_THIS, &tn) == INT16_MIN)
        tn = 0;
    int sh, eh;
    bool alone;
    if (!daypart_at(s, j + tn, &sh, &eh, &alone, &pn))
        return INT16_MIN;
    *n = tn + pn;
    *part = true;
    return sh >= 12 ? 12 : 0;
}

/* What may follow "N heures": minutes ("quinze heures trente", "15 heures 30") and a part of
 * the day ("du soir", "du matin"). Updates *hh, *mm; returns the number of tokens taken. */
/* Minutes spelled after an hour: "et quinze minutes", "passé de trente minutes" (the minutes
 * word is required). Returns the tokens taken, 0 when none; sets *mm. */
static uint32_t minutes_phrase(const scan *s, uint32_t j, int *mm)
{
    uint32_t pre = 0, xn = 0, on = 0, cn = 0, un = 0;
    if (lookup_kind(s, j, K_AND, &xn) != INT16_MIN)
        pre = xn;
    else if (lookup_kind(s, j, K_LAST, &xn) != INT16_MIN && lookup_kind(s, j + xn, K_OF, &on) != INT16_MIN)
        pre = xn + on;
    if (!pre)
        return 0;
    int c = tok_count(s, j + pre, &cn);
    if (c < 1 || c > 59 || tok_unit(s, j + pre + cn, &un) != -1)
        return 0;
    *mm = c;
    return pre + cn + un;
}

static uint32_t hour_tail(const scan *s, uint32_t j, int *hh, int *mm)
{
    uint32_t n = 0, wn = 0, an = 0;
    int nd = 0;
    long v = tok_int(s, j, &nd);
    uint32_t mp = minutes_phrase(s, j, mm);
    if (mp) {
        n = mp;
    } else if (nd == 2 && v >= 0 && v <= 59) {
        *mm = (int)v;
        n = 1;
    } else if ((v = lookup_kind(s, j, K_NUM, &wn)) != INT16_MIN && v >= 1 && v <= 59) {
        *mm = (int)v;
        n = wn;
    }
    uint32_t mn = 0, qn = 0;
    if (lookup_kind(s, j + n, K_MINUS, &mn) != INT16_MIN) { /* "midi moins cinq", "moins le quart" */
        uint32_t k = j + n + mn, dn = 0;
        if (lookup_kind(s, k, K_DAYPREFIX, &dn) != INT16_MIN)
            k += dn;
        int less = lookup_kind(s, k, K_MINWORD, &qn);
        if (less == INT16_MIN) {
            int nd2 = 0;
            long lv = tok_int(s, k, &nd2);
            if (lv >= 1 && lv <= 59)
                less = (int)lv, qn = 1;
            else if ((lv = lookup_kind(s, k, K_NUM, &qn)) != INT16_MIN && lv >= 1 && lv <= 59)
                less = (int)lv;
        }
        if (less != INT16_MIN && *mm == 0) {
            int t = (*hh * 60 - less + 1440) % 1440;
            *hh = t / 60;
            *mm = t % 60;
            n = (k + qn) - j;
        }
    }
    bool part;
    int ampm = ampm_at(s, j + n, &an, &part);
    if (ampm != INT16_MIN && *hh >= 1 && *hh <= 12) {
        *hh = *hh % 12 + ampm;
        n += an;
    } else if (ampm != INT16_MIN && part) {
        n += an; /* "15 heures ce soir": already a 24-hour time */
    }
    return n;
}

/* A time at token i: "10h32", "10h", "10:32", each optionally followed by a.m./p.m.; "10 a.m.". */
static bool tok_time(scan *s, uint32_t i, int *h, int *mi, uint32_t *ntok)
{
    if (i >= s->ntok || s->tok[i].kind != EX_TOK_NUMBER)
        return false;
    uint32_t len;
    const char *p = tok_text(s, i, &len);
    uint32_t k = 0;
    int hh = 0, mm = 0;
    int v = 0;
    uint32_t nd3 = 0;
    while (nd3 < len && nd3 < 5 && p[nd3] >= '0' && p[nd3] <= '9')
        v = v * 10 + (p[nd3++] - '0');
    if ((len == 3 || len == 4) && nd3 == len) {
        /* "330 p.m.", "1030 am": h:mm without its colon, only before a.m./p.m. */
        uint32_t an3 = 0;
        bool part3 = false;
        int ap3 = ampm_at(s, i + 1, &an3, &part3);
        if (ap3 == INT16_MIN || part3 || v / 100 < 1 || v / 100 > 12 || v % 100 > 59 ||
            (an3 == 1 && s->tok[i + 1].end - s->tok[i + 1].start == 1))
            return false;
        *h = v / 100 % 12 + ap3;
        *mi = v % 100;
        *ntok = 1 + an3;
        s->last_ampm = true;
        return true;
    }
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
        if (nd == 0 && k == len && i > 0) {
            /* "3h" alone is as often a duration ("3h de route") as a time: a time only after
             * "à", "vers", "de", "-", "jusqu'à", a bound, or a day ("jeudi 8h") */
            uint32_t pn = 0;
            const dentry *pe = NULL;
            for (uint32_t back = 1; back <= 3 && back <= i && !pe; back++) {
                const dentry *x = lookup(s, i - back, &pn);
                if (x && pn == back &&
                    (x->kind == K_AT || x->kind == K_OF || x->kind == K_RANGEFROM ||
                     x->kind == K_RANGESEP || x->kind == K_AND || x->kind == K_AFTER ||
                     x->kind == K_BEFORE || x->kind == K_YEARCUE || x->kind == K_WEEKDAY ||
                     x->kind == K_DAY || x->kind == K_DAYPART || x->kind == K_PAST))
                    pe = x;
            }
            if (!pe && s->tok[i - 1].kind != EX_TOK_NUMBER &&
                !(s->tok[i - 1].end - s->tok[i - 1].start == 1 && s->doc->text[s->tok[i - 1].start] == '-'))
                return false;
        }
    }
    uint32_t mph = 0;
    if (sep && mm == 0 && k == len && p[k - 1] != ':' && (p[k - 1] == 'h' || p[k - 1] == 'H'))
        mph = minutes_phrase(s, i + 1, &mm); /* "15h passé de 15 minutes" */
    int ampm = INT16_MIN;
    if (k != len) { /* "3pm", "3:15pm" */
        char low[16];
        int ll = ex_utf8_lower(p + k, len - k, low, sizeof low);
        dentry key = {.key = low};
        const dentry *e =
            ll > 0 ? bsearch(&key, s->dr->e, s->dr->n, sizeof *s->dr->e, key_cmp) : NULL;
        if (!e || e->kind != K_AMPM || (sep && p[k - 1] == 'h'))
            return false;
        ampm = e->val;
    }
    uint32_t n = 1 + mph, an = 0;
    bool part = false;
    if (ampm == INT16_MIN) {
        ampm = ampm_at(s, i + 1, &an, &part);
        if (ampm != INT16_MIN && an == 1 && i + 1 < s->ntok &&
            s->tok[i + 1].end - s->tok[i + 1].start == 1)
            ampm = INT16_MIN; /* a lone "p" is a page or pence ("10 p"); "3p" is a time */
        uint32_t pn0 = 0;
        if (ampm != INT16_MIN && part && !sep && an < 2 &&
            (hh > 12 || i == 0 || lookup_kind(s, i - 1, K_AT, &pn0) == INT16_MIN || pn0 != 1))
            ampm = INT16_MIN; /* "il a marqué 3 ce soir" is no time; "at 8 tonight", "3 in the
                                 morning" are */
        if (ampm != INT16_MIN && part && !sep && lookup_kind(s, i + 1, K_THIS, &pn0) != INT16_MIN &&
            (i == 0 || lookup_kind(s, i - 1, K_AT, &pn0) == INT16_MIN))
            ampm = INT16_MIN;
    }
    if (ampm != INT16_MIN && part && (hh < 1 || hh > 12)) {
        n += an; /* "15h ce soir": a 24-hour time already */
    } else if (ampm != INT16_MIN) {
        if (hh < 1 || hh > 12)
            return false;
        hh = hh % 12 + ampm;
        n += an; /* 0 when the suffix was on the token */
    } else if (!sep) {
        /* "à 15 heures": an hour word, only after "à"/"at"/"vers" */
        uint32_t hn = 0, pn = 0, xn = 0;
        bool xpart;
        if (lookup_kind(s, i + 1, K_HOURWORD, &hn) == INT16_MIN)
            return false;
        bool ranged = false; /* "de 9 heures 30 à 11h" (not "de 9 heures de travail") */
        if (i > 0 && (lookup_kind(s, i - 1, K_OF, &pn) != INT16_MIN ||
                      lookup_kind(s, i - 1, K_RANGEFROM, &pn) != INT16_MIN) && pn == 1) {
            int th = hh, tm = 0;
            uint32_t after = i + 1 + hn + hour_tail(s, i + 1 + hn, &th, &tm);
            ranged = lookup_kind(s, after, K_AT, &xn) != INT16_MIN ||
                     lookup_kind(s, after, K_RANGESEP, &xn) != INT16_MIN ||
                     lookup_kind(s, after, K_AND, &xn) != INT16_MIN;
        }
        if (!ranged && (i == 0 || lookup_kind(s, i - 1, K_AT, &pn) == INT16_MIN || pn != 1) &&
            ampm_at(s, i + 1 + hn, &xn, &xpart) == INT16_MIN)
            return false; /* "3 heures du matin", "3 o'clock in the afternoon" need no "à" */
        n += hn;
        n += hour_tail(s, i + n, &hh, &mm);
    }
    if (hh > 23 || mm > 59)
        return false;
    uint32_t zn = 0;
    bool paren = i + n + 2 < s->ntok && s->tok[i + n].end - s->tok[i + n].start == 1 &&
                 s->doc->text[s->tok[i + n].start] == '(';
    int zone = lookup_kind(s, i + n + paren, K_ZONE, &zn);
    uint32_t close = i + n + 1 + zn; /* "(BST)": the closing parenthesis */
    if (zone != INT16_MIN && paren &&
        (close >= s->ntok || s->tok[close].end - s->tok[close].start != 1 ||
         s->doc->text[s->tok[close].start] != ')'))
        zone = INT16_MIN;
    if (zone != INT16_MIN) {
        /* "8:00 GMT", "9 am (BST)": moved to the reference's offset when the day stays */
        int t = hh * 60 + mm - zone + s->ref_offset;
        if (t >= 0 && t < 1440) {
            s->last_zone = t - (hh * 60 + mm);
            if (!s->last_zone)
                s->last_zone = 1440; /* moved by nothing, but a zone was given */
            hh = t / 60;
            mm = t % 60;
            n += paren + zn + paren;
        }
    }
    *h = hh;
    *mi = mm;
    *ntok = n;
    s->last_ampm = ampm != INT16_MIN;
    return true;
}

/* ISO 8601 at grain g into out (32 bytes). */
static void fmt_value(char *out, ex_grain g, int y, int m, int d, int hh, int mi)
{
    switch (g) {
    case EX_GRAIN_YEAR: snprintf(out, 32, "%04d", y); break;
    case EX_GRAIN_MONTH: snprintf(out, 32, "%04d-%02d", y, m); break;
    case EX_GRAIN_DAY: snprintf(out, 32, "%04d-%02d-%02d", y, m, d); break;
    default: snprintf(out, 32, "%04d-%02d-%02dT%02d:%02d", y, m, d, hh, mi); break;
    }
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
    fmt_value(dt->value, g, y, m, d, hh, mi);
    s->last_clock = false;
    s->last_bare_day = 0;
    return EX_OK;
}

/* An interval with inclusive ends (days since the epoch, minutes of the day) at grain g over
 * tokens [i0, i1): "du 13 au 15 juillet", "ce soir" (18:00..23:59), "Q4 2018" (10..12). */
static ex_status emit_span(scan *s, uint32_t i0, uint32_t i1, ex_grain g, long day0, int min0,
                           long day1, int min1, bool relative)
{
    int y, m, d;
    civil_from_days(day0, &y, &m, &d);
    ex_status st = emit(s, i0, i1, g, y, m, d, min0 / 60, min0 % 60, relative);
    if (st != EX_OK)
        return st;
    ex_date *dt = &EX_VEC_AT(s->doc->dates, ex_date, s->doc->dates.len - 1);
    civil_from_days(day1, &y, &m, &d);
    fmt_value(dt->value_end, g, y, m, d, min1 / 60, min1 % 60);
    if (strcmp(dt->value_end, dt->value) == 0)
        dt->value_end[0] = '\0';
    return EX_OK;
}

/* A time of day with no date: the reference day, or under the future bias the next day when the
 * reference time has already passed it. */
static ex_status emit_clock(scan *s, uint32_t i0, uint32_t i1, int hh, int mi)
{
    long day = s->ref;
    if (s->future && s->ref_has_time && hh < s->ref_min / 60) /* an earlier hour than now */
        day++;
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    ex_status st = emit(s, i0, i1, EX_GRAIN_MINUTE, y, m, d, hh, mi, true);
    s->last_clock = true;
    return st;
}

static ex_status emit_daypart(scan *s, uint32_t i0, uint32_t j, long day, bool relative,
                              uint32_t *next);

/* Emits a day-grain date of tokens [i0, i1), joining a following time ("à 10h32") or part of
 * the day ("demain soir", "monday morning"); returns the index after the match in *next. */
static ex_status emit_day(scan *s, uint32_t i0, uint32_t i1, long day, bool relative,
                          uint32_t *next)
{
    int y, m, d, hh, mi;
    civil_from_days(day, &y, &m, &d);
    uint32_t j = i1, an = 0, tn = 0;
    int sh, eh;
    bool alone;
    if (daypart_at(s, i1, &sh, &eh, &alone, &an))
        return emit_daypart(s, i0, i1, day, relative, next);
    an = 0;
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
    int yy = tok_year_after_month(s, j);
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
    uint32_t an = 0;
    if (lookup_kind(s, j, K_ARTICLE, &an) != INT16_MIN && tok_day(s, j + an) > 0)
        j += an; /* "february the 15th" */
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
        if (k == 1 && sep == '/' && nd[0] <= 2 && nd[1] == 4 && part[0] >= 1 && part[0] <= 12 &&
            part[1] >= 1000 && part[1] <= 2199 && (p >= lim || t[p] != '/')) {
            /* "2/2013": a month */
            uint32_t j = i;
            while (j < s->ntok && s->tok[j].end <= p)
                j++;
            if (j == i || s->tok[j - 1].end != p)
                return false;
            *end = j;
            *y = (int)part[1];
            *m = (int)part[0];
            *d = 0;
            *rel = false;
            return true;
        }
        if (k == 1 && sep == '/' && nd[0] <= 2 && nd[1] <= 2 &&
            (p >= lim || t[p] != '/' || p + 1 >= lim || t[p + 1] < '0' || t[p + 1] > '9')) {
            /* "le 17/02": day/month without a year, only after "le", "du", "on", or before a
             * time ("4/25 at 4:00pm") */
            uint32_t pn = 0, j = i;
            while (j < s->ntok && s->tok[j].end <= p)
                j++;
            bool timed = j < s->ntok && lookup_kind(s, j, K_AT, &pn) != INT16_MIN &&
                         s->tok[j + pn < s->ntok ? j + pn : j].kind == EX_TOK_NUMBER;
            /* "17/02", "31/10": a two-digit month after a larger day or a leading zero is no
             * fraction (the numbers stage reads "1/5", "10/12" as fractions) */
            bool padded = nd[1] == 2 && part[1] >= 1 && part[1] <= 12 &&
                          (part[0] > part[1] || t[s->tok[i].start] == '0' || part[1] < 10);
            if (!timed && !padded &&
                (i == 0 || ((lookup_kind(s, i - 1, K_DAYPREFIX, &pn) == INT16_MIN || pn != 1) &&
                            (lookup_kind(s, i - 1, K_ON, &pn) == INT16_MIN || pn != 1))))
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

/* "20 02 2014", "le 24 12 14", "le 17 02": day, month and year as digit groups with single
 * spaces; the month has two digits unless a four-digit year follows; no digit group before or
 * after (so not a phone number "01 23 45 67 89"). Sets *end and the date; *rel when no year. */
static bool match_spaced_numeric(const scan *s, uint32_t i, uint32_t *end, int *y, int *m, int *d,
                                 bool *rel)
{
    int n0 = 0, n1 = 0, n2 = 0;
    long dd = tok_int(s, i, &n0), mm = tok_int(s, i + 1, &n1);
    if (dd < 1 || dd > 31 || n0 > 2 || mm < 1 || mm > 12 || n1 > 2 ||
        s->tok[i + 1].start != s->tok[i].end + 1 || s->doc->text[s->tok[i].end] != ' ')
        return false;
    if (i > 0 && (s->tok[i - 1].kind == EX_TOK_NUMBER || s->tok[i - 1].end == s->tok[i].start))
        return false;
    long yy = i + 2 < s->ntok && s->tok[i + 2].start == s->tok[i + 1].end + 1 &&
                      s->doc->text[s->tok[i + 1].end] == ' '
                  ? tok_int(s, i + 2, &n2)
                  : -1;
    uint32_t stop;
    if (yy >= 0 && (n2 == 4 || (n2 == 2 && n1 == 2))) {
        stop = i + 3;
        *y = (int)(n2 == 2 ? (yy < 50 ? 2000 + yy : 1900 + yy) : yy);
        *rel = false;
    } else {
        uint32_t pn = 0; /* no year: "le 17 02" only */
        if (n1 != 2 || i == 0 || lookup_kind(s, i - 1, K_DAYPREFIX, &pn) == INT16_MIN || pn != 1)
            return false;
        stop = i + 2;
        *rel = true;
        *y = s->ref_y;
        if (!s->future && (mm > s->ref_m || (mm == s->ref_m && dd > s->ref_d)))
            (*y)--;
        if (s->future && (mm < s->ref_m || (mm == s->ref_m && dd < s->ref_d)))
            (*y)++;
    }
    if (stop < s->ntok && s->tok[stop].kind == EX_TOK_NUMBER)
        return false;
    *m = (int)mm;
    *d = (int)dd;
    *end = stop;
    return valid_ymd(*y, *m, *d);
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
        const dentry *ne = NULL;
        if (!punct && !word_ok && t->kind == EX_TOK_WORD && t->start > s->tok[i].end) {
            uint32_t nn = 0; /* "le 20 à partir de 10h", "le 20 jusqu'à 18h" */
            ne = lookup(s, i + 1, &nn);
            word_ok = ne && (ne->kind == K_AFTER || ne->kind == K_BEFORE || ne->kind == K_RANGESEP);
        }
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

/* ---- intervals, parts of periods, holidays (round 3) ---------------------------------------- */

/* Emits a part of the day over day `day` (tokens [i0, j) then the part at j): the interval, or,
 * with a time after the part ("ce soir à 8h", "this afternoon at 3:20", "tonight at 11"), that
 * time moved into the part. */
static ex_status emit_daypart(scan *s, uint32_t i0, uint32_t j, long day, bool relative,
                              uint32_t *next)
{
    int sh = 0, eh = 0, hh, mi;
    bool alone;
    uint32_t n = 0, an = 0, tn = 0;
    daypart_at(s, j, &sh, &eh, &alone, &n);
    uint32_t k = j + n;
    bool at = false;
    if (lookup_kind(s, k, K_AT, &an) != INT16_MIN) {
        k += an;
        at = true;
    } else if (k < s->ntok && s->tok[k].end - s->tok[k].start == 1 &&
               s->doc->text[s->tok[k].start] == '@') {
        k++;
        at = true;
    }
    bool timed = at && tok_time(s, k, &hh, &mi, &tn);
    if (!timed && at) { /* "tonight at 11", "à 8" */
        int c = tok_count(s, k, &tn);
        uint32_t hn = 0;
        if (c >= 1 && c <= 23) {
            hh = c;
            mi = 0;
            if (lookup_kind(s, k + tn, K_HOURWORD, &hn) != INT16_MIN)
                tn += hn;
            timed = true;
        }
    }
    if (timed) {
        if (sh >= 12 && hh < 12)
            hh += 12;
        if (s->future && relative && day == s->ref && s->ref_has_time && hh * 60 + mi < s->ref_min)
            day++; /* "this morning at 3" said at 4:30, looking ahead: tomorrow's */
        int y, m, d;
        civil_from_days(day, &y, &m, &d);
        *next = k + tn;
        return emit(s, i0, k + tn, EX_GRAIN_MINUTE, y, m, d, hh, mi, relative);
    }
    *next = j + n;
    return emit_span(s, i0, j + n, EX_GRAIN_MINUTE, day + (sh >= 24), (sh % 24) * 60,
                     eh >= 24 ? day : day, eh >= 24 ? 23 * 60 + 59 : eh * 60 - 1, relative);
}

/* Easter Sunday of year y (Gregorian computus), as days since the epoch. */
static long easter_day(int y)
{
    int a = y % 19, b = y / 100, c = y % 100, d = b / 4, e = b % 4, f = (b + 8) / 25;
    int g = (b - f + 1) / 3, h = (19 * a + b - d - g + 15) % 30, i = c / 4, k = c % 4;
    int l = (32 + 2 * e + 2 * i - h - k) % 7, m = (a + 11 * h + 22 * l) / 451;
    int month = (h + l - 7 * m + 114) / 31, day = (h + l - 7 * m + 114) % 31 + 1;
    return days_from_civil(y, month, day);
}

/* Orthodox Easter of year y (Julian computus, moved to the Gregorian calendar; 1900..2099). */
static long orthodox_easter_day(int y)
{
    int a = y % 4, b = y % 7, c = y % 19, d = (19 * c + 15) % 30, e = (2 * a + 4 * b - d + 34) % 7;
    int month = (d + e + 114) / 31, day = (d + e + 114) % 31 + 1;
    return days_from_civil(y, month, day) + 13;
}

/* The n-th (1..4; 5 = last) weekday wd (1 = Monday) of month m of year y. */
static long nth_weekday(int y, int m, int n, int wd)
{
    if (n >= 5) {
        long last = days_from_civil(y, m, days_in_month(y, m));
        return last - ((weekday_of(last) - wd + 7) % 7);
    }
    long first = days_from_civil(y, m, 1);
    return first + ((wd - weekday_of(first) + 7) % 7) + 7L * (n - 1);
}

/* Day d of month m of Hijri year hy by the arithmetic (tabular) Islamic calendar; the observed
 * date, set by the sighting of the moon, may differ by a day. */
static long hijri_day(int hy, int m, int d)
{
    long jdn = d + (59L * (m - 1) + 1) / 2 + (hy - 1) * 354L + (3 + 11L * hy) / 30 + 1948439L;
    return jdn - 2440588L; /* Julian day number of 1970-01-01 */
}

/* The first day d of Hijri month m that falls in Gregorian year y. */
static long hijri_in(int y, int m, int d)
{
    int hy = (int)((y - 622) * 33L / 32);
    for (int k = hy - 1; k <= hy + 2; k++) {
        long day = hijri_day(k, m, d);
        int gy, gm, gd;
        civil_from_days(day, &gy, &gm, &gd);
        if (gy == y)
            return day;
    }
    return hijri_day(hy, m, d);
}

/* The Hebrew calendar (arithmetic rules of the fixed calendar, as in Dershowitz and Reingold,
 * "Calendrical Calculations"): days since 1970-01-01 of day d of month m (1 = Nisan … 6 = Elul,
 * 7 = Tishrei … 12 = Adar, 13 = Adar II) of year hy. */
static long heb_elapsed(long y)
{
    long months = (235 * y - 234) / 19, parts = 12084 + 13753 * months;
    long day = 29 * months + parts / 25920;
    return (3 * (day + 1)) % 7 < 3 ? day + 1 : day;
}

static long heb_new_year(long y) /* 1 Tishrei */
{
    long n0 = heb_elapsed(y - 1), n1 = heb_elapsed(y), n2 = heb_elapsed(y + 1);
    long fix = n2 - n1 == 356 ? 2 : n1 - n0 == 382 ? 1 : 0;
    return -1373427L + n1 + fix - 719163L; /* R.D. of the epoch, then of 1970-01-01 */
}

static bool heb_leap(long y) { return (7 * y + 1) % 19 < 7; }

static int heb_month_days(long y, int m)
{
    long len = heb_new_year(y + 1) - heb_new_year(y);
    if (m == 2 || m == 4 || m == 6 || m == 10 || m == 13 || (m == 12 && !heb_leap(y)) ||
        (m == 8 && len % 10 != 5) || (m == 9 && len % 10 == 3))
        return 29;
    return 30;
}

static long heb_day(long y, int m, int d)
{
    long r = heb_new_year(y) + d - 1;
    int last = heb_leap(y) ? 13 : 12;
    for (int k = 7; k < (m < 7 ? last + 1 : m); k++)
        r += heb_month_days(y, k);
    for (int k = 1; m < 7 && k < m; k++)
        r += heb_month_days(y, k);
    return r;
}

/* A Jewish holiday of the table (val = code * 1400 + month * 100 + day; code 0..8: it lasts
 * code + 1 days from its eve; 9: Tisha B'Av, a day later off the Sabbath; 10: Yom HaAtzmaut,
 * off Friday, Saturday and Monday; 11: Yom HaShoah, off Friday and Sunday): the evening it
 * begins (holidays begin at sundown, so the record gives the eve), first in Gregorian year y. */
static long hebrew_in(int y, int val, int *ndays)
{
    int code = val / 1400, m = val % 1400 / 100, d = val % 100;
    *ndays = code <= 8 ? code + 1 : 1;
    for (long hy = y + 3760L; hy <= y + 3761L; hy++) {
        int mm = m == 13 && !heb_leap(hy) ? 12 : m; /* Adar II: Adar in a common year */
        long day = heb_day(hy, mm, d);
        int wd = weekday_of(day);
        if (code == 9 && wd == 6)
            day++;
        else if (code == 10)
            day += wd == 5 ? -1 : wd == 6 ? -2 : wd == 1 ? 1 : 0;
        else if (code == 11)
            day += wd == 5 ? -1 : wd == 7 ? 1 : 0;
        int gy, gm, gd;
        civil_from_days(day - 1, &gy, &gm, &gd);
        if (gy == y)
            return day - 1;
    }
    return heb_day(y + 3760L, m == 13 ? 12 : m, d) - 1;
}

static bool is_holiday(int kind)
{
    return kind == K_FIXED || kind == K_NTHWD || kind == K_EASTER || kind == K_OEASTER ||
           kind == K_HIJRI || kind == K_FIXEDOBS || kind == K_HEBREW || kind == K_LUNAR ||
           kind == K_LUNARSPAN || kind == K_LUNARWD || kind == K_EVERY365 || kind == K_WDBEFORE;
}

/* The first date of holiday table t (data/common/holiday-dates.txt) in year y; the table's
 * arithmetic Hijri fallback when it has no date that year; LONG_MIN when neither. */
static long lunar_in(const struct ex_dates_res *dr, int t, int y)
{
    if (t <= 0 || t >= LUNAR_MAX)
        return LONG_MIN;
    const lunar_tab *lt = &dr->lunar[t];
    long lo = days_from_civil(y, 1, 1), hi = days_from_civil(y, 12, 31);
    for (uint32_t i = 0; i < lt->n && lt->day[i] <= hi; i++)
        if (lt->day[i] >= lo)
            return lt->day[i];
    if (lt->hijri)
        return hijri_in(y, lt->hijri / 100, lt->hijri % 100);
    return LONG_MIN;
}

/* The last day of a "lunarspan" holiday (ID*100 + X) that begins on day d0: X days after it
 * (X < 50), or the day before the next date of table X - 50 ("Ramadan" ends before Eid). */
static long lunar_end(const struct ex_dates_res *dr, int val, long d0)
{
    int x = val % 100;
    if (x < 50)
        return d0 + x;
    int y, m, d;
    civil_from_days(d0, &y, &m, &d);
    for (int yy = y; yy <= y + 1; yy++) {
        long e = lunar_in(dr, x - 50, yy);
        if (e != LONG_MIN && e > d0 && e - d0 <= 31)
            return e - 1;
    }
    return d0 + 29;
}

/* The day of holiday e in year y: fixed MMDD, nth weekday (M*1000 + N*100 + WD*10 + offset), an
 * offset from (Orthodox) Easter or from a date of a holiday table; LONG_MIN when the tables
 * have no date that year. */
static long holiday_in(const scan *s, const dentry *e, int y)
{
    switch (e->kind) {
    case K_LUNAR: {
        long d = lunar_in(s->dr, e->val / 100, y);
        return d == LONG_MIN ? d : d + e->val % 100 - 50;
    }
    case K_LUNARSPAN: return lunar_in(s->dr, e->val / 100, y);
    case K_FIXED: return days_from_civil(y, e->val / 100, e->val % 100);
    case K_NTHWD:
        return nth_weekday(y, e->val / 1000, e->val / 100 % 10, e->val / 10 % 10) + e->val % 10;
    case K_EASTER: return easter_day(y) + e->val;
    case K_HIJRI: return hijri_in(y, e->val / 100, e->val % 100 ? e->val % 100 : 1);
    case K_HEBREW: {
        int nd;
        return hebrew_in(y, e->val, &nd);
    }
    case K_FIXEDOBS: { /* observed on the nearest weekday: Saturday → Friday, Sunday → Monday;
                          a negative MMDD moves only off a Sunday, to the Saturday */
        int md = e->val < 0 ? -e->val : e->val;
        long d = days_from_civil(y, md / 100, md % 100);
        int wd = weekday_of(d);
        if (e->val < 0)
            return wd == 7 ? d - 1 : d;
        return wd == 6 ? d - 1 : wd == 7 ? d + 1 : d;
    }
    case K_LUNARWD: { /* the last weekday WD before a table's date ("Jumu'atul-Wida") */
        long d = lunar_in(s->dr, e->val / 100, y);
        if (d == LONG_MIN)
            return d;
        int back = (weekday_of(d) - e->val % 10 + 7) % 7;
        return d - (back ? back : 7);
    }
    case K_WDBEFORE: { /* MMDD*10 + WD: that weekday on or before MMDD (Victoria Day) */
        long d = days_from_civil(y, e->val / 1000, e->val / 10 % 100);
        return d - (weekday_of(d) - e->val % 10 + 7) % 7;
    }
    case K_EVERY365: { /* every 365 days from day VAL since 1970 (no leap day: Parsi New Year) */
        long first = days_from_civil(y, 1, 1), k = (first - e->val) / 365;
        if (first - e->val < 0 && (first - e->val) % 365)
            k--;
        long d = e->val + 365 * k;
        return d < first ? d + 365 : d;
    }
    default: return orthodox_easter_day(y) + e->val;
    }
}

/* A holiday at token j (entry e, n tokens), with mode 0 bare (bias), -1 last, 1 next, 2 this,
 * and an optional year after it ("thanksgiving 2014"); emits over [i0, …). */
static ex_status emit_holiday(scan *s, uint32_t i0, uint32_t j, const dentry *e, uint32_t n,
                              int mode, uint32_t *next)
{
    int yy = tok_year(s, j + n);
    uint32_t yend = j + n + 1, inn = 0, ywn = 0; /* the token after the year */
    if (yy < 0 && lookup_kind(s, j + n, K_IN, &inn) != INT16_MIN &&
        (yy = tok_year(s, j + n + inn)) >= 0) /* "Diwali in 2019" */
        yend = j + n + inn + 1;
    if (yy < 0 && (yy = tok_year_words(s, j + n, &ywn)) >= 0) /* "Easter two thousand ten" */
        yend = j + n + ywn;
    bool month = e->kind == K_HIJRI && e->val % 100 == 0; /* "Ramadan": the whole month */
    int span_days = month ? 0 : 1; /* Jewish holidays of several days: from the eve */
    if (e->kind == K_HEBREW)
        hebrew_in(s->ref_y, e->val, &span_days);
    bool lspan = e->kind == K_LUNARSPAN; /* "Navaratri", "Ramadan": from the table's dates */
    uint32_t k = j + n, xn = 0, cn = 0, un = 0, an = 0;
    int cnt, unit, ry = INT_MIN;
    if (lookup_kind(s, k, K_OF, &xn) != INT16_MIN &&
        (cnt = lookup_kind(s, k + xn, K_YEARREL, &un)) != INT16_MIN) {
        ry = s->ref_y + cnt; /* "thanksgiving of next year" */
        k += xn + un;
    } else if (lookup_kind(s, k, K_IN, &xn) != INT16_MIN && (cnt = tok_count(s, k + xn, &cn)) > 0 &&
               (unit = tok_unit(s, k + xn + cn, &un)) >= 28) {
        int y2, m2; /* "thanksgiving in 3 years" */
        add_months(s, unit >= 365 ? 12 * cnt : cnt, &y2, &m2);
        ry = y2;
        k += xn + cn + un;
    } else if ((cnt = tok_count(s, k, &cn)) > 0 && (unit = tok_unit(s, k + cn, &un)) >= 28 &&
               lookup_kind(s, k + cn + un, K_AGO, &an) != INT16_MIN) {
        int y2, m2; /* "thanksgiving 1 year ago", "thanksgiving 3 months ago" */
        add_months(s, unit >= 365 ? -12 * cnt : -cnt, &y2, &m2);
        ry = y2;
        k += cn + un + an;
    }
    if (ry != INT_MIN && !month && !lspan &&
        !(e->kind == K_FIXED && !valid_ymd(ry, e->val / 100, e->val % 100))) {
        long d = holiday_in(s, e, ry);
        if (d == LONG_MIN) {
            *next = k;
            return EX_OK;
        }
        return emit_day(s, i0, k, d, true, next);
    }
    if (yy >= 0 && !(e->kind == K_FIXED && !valid_ymd(yy, e->val / 100, e->val % 100))) {
        long d0 = holiday_in(s, e, yy);
        if (d0 == LONG_MIN) {
            *next = yend; /* a year the tables do not cover: no date, and no "Tuesday" inside */
            return EX_OK;
        }
        if (lspan) {
            *next = yend;
            return emit_span(s, i0, yend, EX_GRAIN_DAY, d0, 0, lunar_end(s->dr, e->val, d0), 0,
                             false);
        }
        if (month) {
            *next = yend;
            return emit_span(s, i0, yend, EX_GRAIN_DAY, d0, 0, d0 + 29 - (e->val / 100 % 2 == 0), 0,
                             false);
        }
        if (span_days > 1) {
            *next = yend;
            return emit_span(s, i0, yend, EX_GRAIN_DAY, d0, 0, d0 + span_days - 1, 0, false);
        }
        return emit_day(s, i0, yend, d0, false, next);
    }
    long best = LONG_MIN;
    /* table holidays may skip years (Super Tuesday every four): look further for them */
    int reach = e->kind == K_LUNAR || e->kind == K_LUNARSPAN ? 8 : 1;
    for (int y = s->ref_y - reach; y <= s->ref_y + reach; y++) {
        if (e->kind == K_FIXED && !valid_ymd(y, e->val / 100, e->val % 100))
            continue;
        long d = holiday_in(s, e, y);
        if (d == LONG_MIN)
            continue;
        bool ok;
        if (mode == -1)
            ok = d < s->ref;
        else if (mode == 1)
            ok = d > s->ref;
        else
            ok = s->future ? d >= s->ref : d <= s->ref;
        if (!ok)
            continue;
        bool later_first = mode == -1 || (mode != 1 && !s->future);
        if (best == LONG_MIN || (later_first ? d > best : d < best))
            best = d;
    }
    if (best == LONG_MIN) {
        *next = j + n; /* a reference outside the years of a holiday table */
        return EX_OK;
    }
    if (lspan) {
        *next = j + n;
        return emit_span(s, i0, j + n, EX_GRAIN_DAY, best, 0, lunar_end(s->dr, e->val, best), 0,
                         true);
    }
    if (month) {
        *next = j + n;
        return emit_span(s, i0, j + n, EX_GRAIN_DAY, best, 0, best + 29 - (e->val / 100 % 2 == 0), 0,
                         true);
    }
    if (span_days > 1) {
        *next = j + n;
        return emit_span(s, i0, j + n, EX_GRAIN_DAY, best, 0, best + span_days - 1, 0, true);
    }
    return emit_day(s, i0, j + n, best, true, next);
}

/* Season starting MMDD `start` (0320, 0621, 0923, 1221): the occurrence for mode (2 this / 0:
 * the one containing the reference or the next in its year; -1 the one before; 1 the one after).
 * Ends the day before the next season. */
static ex_status emit_season(scan *s, uint32_t i0, uint32_t i1, int start, int mode)
{
    static const int starts[] = {320, 621, 923, 1221}, ends[] = {620, 923, 1220, 320};
    int k = 0, y = s->ref_y;
    if (start == 0) { /* "this season", "last season": the one holding the reference, ± 1 */
        int md = s->ref_m * 100 + s->ref_d;
        k = md >= 1221 ? 3 : md >= 923 ? 2 : md >= 621 ? 1 : md >= 320 ? 0 : 3;
        if (k == 3 && md < 1221)
            y--;
        k += mode;
        if (k < 0)
            k += 4, y--;
        if (k > 3)
            k -= 4, y++;
    } else {
        while (k < 4 && starts[k] != start)
            k++;
        if (k == 4)
            return EX_OK;
        if (k == 3 && s->ref_m * 100 + s->ref_d <= ends[3])
            y--; /* winter: the one that began last December */
        y += mode;
    }
    long b = days_from_civil(y, starts[k] / 100, starts[k] % 100);
    long e = days_from_civil(y + (k == 3), ends[k] / 100, ends[k] % 100);
    return emit_span(s, i0, i1, EX_GRAIN_DAY, b, 0, e, 0, true);
}

/* The weekday wd of the week `weeks` away from the reference's (Monday-based). */
static long weekday_in_week(const scan *s, int wd, int weeks)
{
    return s->ref - (weekday_of(s->ref) - 1) + 7L * weeks + (wd - 1);
}

/* Days [SS, EE] of month m of year y (EE 99 = the month's last day), as a day interval. */
static ex_status emit_month_part(scan *s, uint32_t i0, uint32_t i1, int y, int m, int part,
                                 bool relative)
{
    int d0 = part / 100, d1 = part % 100;
    if (d1 > days_in_month(y, m))
        d1 = days_in_month(y, m);
    if (d0 < 1 || d0 > d1 || !valid_ymd(y, m, d0))
        return EX_OK;
    return emit_span(s, i0, i1, EX_GRAIN_DAY, days_from_civil(y, m, d0), 0,
                     days_from_civil(y, m, d1), 0, relative);
}

/* Months [SS, EE] of year y as a month interval. */
static ex_status emit_year_part(scan *s, uint32_t i0, uint32_t i1, int y, int part, bool relative)
{
    int m0 = part / 100, m1 = part % 100;
    if (m0 < 1 || m1 > 12 || m0 > m1)
        return EX_OK;
    return emit_span(s, i0, i1, EX_GRAIN_MONTH, days_from_civil(y, m0, 1), 0,
                     days_from_civil(y, m1, 1), 0, relative);
}

/* Weekdays S..E (S = 0: today) of the week `weeks` away. */
static ex_status emit_week_part(scan *s, uint32_t i0, uint32_t i1, int weeks, int part)
{
    int w0 = part / 10, w1 = part % 10;
    long d0 = w0 == 0 ? s->ref : weekday_in_week(s, w0, weeks);
    long d1 = weekday_in_week(s, w1 < 1 ? 7 : w1, weeks);
    if (d1 < d0)
        return EX_OK;
    return emit_span(s, i0, i1, EX_GRAIN_DAY, d0, 0, d1, 0, true);
}

/* The month that a month word at j names without a year: the bias picks it. */
static int month_year(const scan *s, int mm)
{
    int yy = s->ref_y;
    if (!s->future && mm > s->ref_m)
        yy--;
    if (s->future && mm < s->ref_m)
        yy++;
    return yy;
}

/* "fin mars", "début avril 2014", "late March", "mid-March", "fin 2015", "end of next week":
 * a cue of part (val SSEE days) before a month, a year or a week. */
static bool match_part_cue(scan *s, uint32_t i0, uint32_t j, int part, uint32_t *next)
{
    uint32_t n = 0, dn = 0;
    bool year_months = part >= 10000; /* "end of 2012": months 9..12, not the year */
    part %= 10000;
    if (lookup_kind(s, j, K_OF, &dn) != INT16_MIN)
        j += dn; /* "fin du mois de mars", "end of" */
    int mm = lookup_kind(s, j, K_MONTH, &n);
    if (mm != INT16_MIN) {
        uint32_t k = j + n;
        if (k < s->ntok && s->tok[k].end - s->tok[k].start == 1 &&
            s->doc->text[s->tok[k].start] == '.' && tok_year(s, k + 1) >= 0)
            k++; /* "fin janv. 2024" */
        int yy = tok_year(s, k);
        bool rel = yy < 0;
        if (yy < 0)
            yy = month_year(s, mm);
        else
            k++;
        *next = k;
        s->status = emit_month_part(s, i0, k, yy, mm, part, rel);
        return true;
    }
    int yy = tok_year(s, j);
    if (yy >= 0 && year_months) {
        *next = j + 1;
        s->status = emit_year_part(s, i0, j + 1, yy, part / 100 <= 1 ? 103 : 912, false);
        return true;
    }
    if (yy >= 0) { /* "fin 2015": the year */
        *next = j + 1;
        s->status = emit(s, j, j + 1, EX_GRAIN_YEAR, yy, 0, 0, 0, 0, false);
        return true;
    }
    int mo = lookup_kind(s, j, K_MONTHREL, &n);
    if (mo != INT16_MIN) { /* "end of next month", "fin du mois prochain" */
        int y2, m2;
        add_months(s, mo, &y2, &m2);
        *next = j + n;
        s->status = emit_month_part(s, i0, j + n, y2, m2, part, true);
        return true;
    }
    int wk = lookup_kind(s, j, K_WEEK, &n);
    if (wk != INT16_MIN) { /* "beginning of next week": Mon..Wed, "end of this week": Fri..Sun */
        *next = j + n;
        s->status = emit_week_part(s, i0, j + n, wk, part / 100 <= 1 ? 13 : part / 100 >= 20 ? 57 : 34);
        return true;
    }
    return false;
}

/* Hours, days, weeks, months or years: "next 3 days" (dir 1), "les 2 dernières semaines"
 * (dir -1): whole units after or before the current one. unit as tok_unit gives it. */
static ex_status emit_rel_span(scan *s, uint32_t i0, uint32_t i1, int cnt, int unit, int dir)
{
    if (cnt < 1 || cnt > 1000)
        return EX_OK;
    if (unit < 0) { /* hours (-60) or minutes (-1), from the reference time */
        long step = -unit, start, end;
        long now = s->ref * 1440L + s->ref_min;
        long cur = now - (now % step);
        if (dir > 0) {
            start = cur + step;
            end = start + step * cnt - 1;
        } else {
            end = cur - 1;
            start = cur - step * cnt;
        }
        long d0 = start >= 0 ? start / 1440 : -((-start + 1439) / 1440);
        long d1 = end >= 0 ? end / 1440 : -((-end + 1439) / 1440);
        return emit_span(s, i0, i1, EX_GRAIN_MINUTE, d0, (int)(start - d0 * 1440), d1,
                         (int)(end - d1 * 1440), true);
    }
    if (unit == 1)
        return dir > 0 ? emit_span(s, i0, i1, EX_GRAIN_DAY, s->ref + 1, 0, s->ref + cnt, 0, true)
                       : emit_span(s, i0, i1, EX_GRAIN_DAY, s->ref - cnt, 0, s->ref - 1, 0, true);
    if (unit == 7) {
        long mon = s->ref - (weekday_of(s->ref) - 1);
        return dir > 0 ? emit_span(s, i0, i1, EX_GRAIN_DAY, mon + 7, 0, mon + 7L * (cnt + 1) - 1,
                                   0, true)
                       : emit_span(s, i0, i1, EX_GRAIN_DAY, mon - 7L * cnt, 0, mon - 1, 0, true);
    }
    if (unit >= 365) {
        int y0 = dir > 0 ? s->ref_y + 1 : s->ref_y - cnt, y1 = dir > 0 ? s->ref_y + cnt : s->ref_y - 1;
        return emit_span(s, i0, i1, EX_GRAIN_YEAR, days_from_civil(y0, 1, 1), 0,
                         days_from_civil(y1, 1, 1), 0, true);
    }
    int base = s->ref_y * 12 + s->ref_m - 1;
    int a = dir > 0 ? base + 1 : base - cnt, b = dir > 0 ? base + cnt : base - 1;
    return emit_span(s, i0, i1, EX_GRAIN_MONTH, days_from_civil(a / 12, a % 12 + 1, 1), 0,
                     days_from_civil(b / 12, b % 12 + 1, 1), 0, true);
}

/* "upcoming two weeks", "2 upcoming days": the unit cnt units ahead (its first day). */
static ex_status emit_upcoming(scan *s, uint32_t i0, uint32_t i1, int cnt, int unit, bool quarter)
{
    if (quarter) {
        int q = (s->ref_y * 12 + s->ref_m - 1) / 3 + cnt;
        return emit(s, i0, i1, EX_GRAIN_MONTH, q * 3 / 12, q * 3 % 12 + 1, 1, 0, 0, true);
    }
    if (unit == 1 || unit == 7) {
        long d = unit == 1 ? s->ref + cnt : s->ref - (weekday_of(s->ref) - 1) + 7L * cnt;
        int y, m, dd;
        civil_from_days(d, &y, &m, &dd);
        return emit(s, i0, i1, EX_GRAIN_DAY, y, m, dd, 0, 0, true);
    }
    if (unit >= 365)
        return emit(s, i0, i1, EX_GRAIN_YEAR, s->ref_y + cnt, 0, 0, 0, 0, true);
    if (unit >= 28) {
        int y, m;
        add_months(s, cnt, &y, &m);
        return emit(s, i0, i1, EX_GRAIN_MONTH, y, m, 1, 0, 0, true);
    }
    return EX_OK;
}

/* Quarter q (1..4) of year y, as months. */
static ex_status emit_quarter(scan *s, uint32_t i0, uint32_t i1, int y, int q, bool relative)
{
    if (q < 1 || q > 4)
        return EX_OK;
    return emit_span(s, i0, i1, EX_GRAIN_MONTH, days_from_civil(y, 3 * q - 2, 1), 0,
                     days_from_civil(y, 3 * q, 1), 0, relative);
}

/* A quarter word after an ordinal at j ("third quarter", "4th qtr of 2018", "troisième
 * trimestre 2018"); emits over [i0, …). */
static bool match_ord_quarter(scan *s, uint32_t i0, uint32_t j, int q, uint32_t *next)
{
    uint32_t n = 0, on = 0;
    if (q < 1 || q > 4 || lookup_kind(s, j, K_QUARTER, &n) == INT16_MIN)
        return false;
    uint32_t k = j + n;
    if (lookup_kind(s, k, K_OF, &on) != INT16_MIN && tok_year(s, k + on) >= 0)
        k += on;
    int yy = tok_year(s, k);
    bool rel = yy < 0;
    if (yy < 0)
        yy = s->ref_y;
    else
        k++;
    *next = k;
    s->status = emit_quarter(s, i0, k, yy, q, rel);
    return true;
}

/* "Q4", "Q4 2018", "2018Q4", "18q4": a quarter in one token. */
static bool match_quarter_token(scan *s, uint32_t i, uint32_t *next)
{
    uint32_t len;
    const char *p = tok_text(s, i, &len);
    int y = -1, q = -1;
    if (len == 2 && (p[0] == 'Q' || p[0] == 'q') && p[1] >= '1' && p[1] <= '4') {
        q = p[1] - '0';
        y = tok_year(s, i + 1);
        *next = i + 1 + (y >= 0);
    } else if ((len == 6 || len == 4) && (p[len - 2] == 'Q' || p[len - 2] == 'q') &&
               p[len - 1] >= '1' && p[len - 1] <= '4') {
        y = 0;
        for (uint32_t k = 0; k + 2 < len; k++)
            y = p[k] >= '0' && p[k] <= '9' ? y * 10 + (p[k] - '0') : -100000;
        if (len == 4 && y >= 0)
            y += 2000;
        q = p[len - 1] - '0';
        *next = i + 1;
        if (y < 1000 || y > 2199)
            return false;
    } else {
        return false;
    }
    bool rel = y < 0;
    s->status = emit_quarter(s, i, *next, rel ? s->ref_y : y, q, rel);
    return true;
}

/* The n-th (1..4, 5 = last) weekday at j of a month: "first tuesday of october", "le premier
 * mercredi du mois prochain", "last friday in october 2014", "third tuesday of this month". */
static bool match_nth_weekday(scan *s, uint32_t i0, uint32_t j, int nth, uint32_t *next)
{
    uint32_t n = 0, on = 0, mn = 0;
    int wd = lookup_kind(s, j, K_WEEKDAY, &n);
    bool weekend = wd == INT16_MIN && lookup_kind(s, j, K_WEEKEND, &n) != INT16_MIN;
    if (weekend)
        wd = 6; /* the n-th weekend: the one of the n-th Saturday, from Friday evening */
    if (wd == INT16_MIN || nth < 1 || nth > 5 ||
        (lookup_kind(s, j + n, K_OF, &on) == INT16_MIN &&
         lookup_kind(s, j + n, K_IN, &on) == INT16_MIN))
        return false;
    uint32_t k = j + n + on;
    int y, m;
    int mm = lookup_kind(s, k, K_MONTH, &mn);
    bool rel = true;
    if (mm != INT16_MIN) {
        k += mn;
        int yy = tok_year(s, k);
        if (yy >= 0) {
            k++;
            rel = false;
            y = yy;
        } else {
            y = month_year(s, mm);
        }
        m = mm;
    } else {
        int off = lookup_kind(s, k, K_MONTHREL, &mn);
        uint32_t an = 0, un = 0;
        if (off == INT16_MIN && lookup_kind(s, k, K_ARTICLE, &an) != INT16_MIN &&
            tok_unit(s, k + an, &un) == 30 && un == 1) {
            off = 0; /* "the first Monday of the month": this month */
            mn = an + un;
        }
        if (off == INT16_MIN)
            return false;
        k += mn;
        add_months(s, off, &y, &m);
    }
    long d = nth_weekday(y, m, nth, wd);
    int yy, mo, dd;
    civil_from_days(d, &yy, &mo, &dd);
    if (mo != m)
        return false; /* no fifth Monday */
    if (weekend) {
        *next = k;
        s->status = emit_span(s, i0, k, EX_GRAIN_MINUTE, d - 1, 18 * 60, d + 1, 23 * 60 + 59, rel);
        return true;
    }
    s->status = emit_day(s, i0, k, d, rel, next);
    return true;
}

/* A range of days at token i: "13-15 juillet", "du 13 au 15 juillet" (from i = the first day),
 * "1er au 10 juillet", "13 juillet au 15 juillet" is left to the merge of two dates; with weekdays
 * ("du samedi 13 au dimanche 15 juillet"); English "13th to 15th of July", "the 13 to the 15". */
static long nearest_day(const scan *s, int dd);

static bool match_day_range(scan *s, uint32_t i0, uint32_t i, uint32_t *next)
{
    uint32_t n = 0;
    if (lookup_kind(s, i, K_WEEKDAY, &n) != INT16_MIN)
        i += n;
    int d1 = tok_day(s, i);
    if (d1 < 0)
        return false;
    uint32_t j = i + 1, sn = 0;
    if (lookup_kind(s, j, K_RANGESEP, &sn) != INT16_MIN || lookup_kind(s, j, K_AND, &sn) != INT16_MIN)
        j += sn;
    else
        return false;
    if (lookup_kind(s, j, K_DAYPREFIX, &sn) != INT16_MIN ||
        lookup_kind(s, j, K_ARTICLE, &sn) != INT16_MIN)
        j += sn; /* "et le 15", "to the 15th" */
    if (lookup_kind(s, j, K_WEEKDAY, &sn) != INT16_MIN)
        j += sn;
    uint32_t end = 0;
    int y, m, d2;
    bool has_year;
    if (!match_day_month(s, j, &end, &y, &m, &d2, &has_year)) {
        /* "du 13 au 18": two days alone, ended by punctuation or the text's end */
        d2 = tok_day(s, j);
        long first = d2 > d1 && (j + 1 >= s->ntok || s->tok[j + 1].kind == EX_TOK_PUNCT)
                         ? nearest_day(s, d1) : LONG_MIN;
        if (first == LONG_MIN || i0 == i)
            return false;
        *next = j + 1;
        s->status = emit_span(s, i0, j + 1, EX_GRAIN_DAY, first, 0, first + (d2 - d1), 0, true);
        return true;
    }
    int m1 = m, y1 = has_year ? y : month_year(s, m);
    int y2 = y1;
    if (d1 > d2) { /* "du 28 février au 3 mars" is two dates; "du 28 au 3 mars": the month before */
        m1 = m - 1;
        if (m1 < 1)
            m1 = 12, y1--;
    }
    if (!valid_ymd(y1, m1, d1) || !valid_ymd(y2, m, d2))
        return false;
    *next = end;
    s->status = emit_span(s, i0, end, EX_GRAIN_DAY, days_from_civil(y1, m1, d1), 0,
                          days_from_civil(y2, m, d2), 0, !has_year);
    return true;
}

/* "July 13-15", "July 13 to 15", "Aug 8 - 12": a month, a day, a separator, a day. */
static bool match_month_day_range(scan *s, uint32_t i, uint32_t *next)
{
    uint32_t n = 0, sn = 0;
    int mm = lookup_kind(s, i, K_MONTH, &n);
    if (mm == INT16_MIN)
        return false;
    uint32_t j = i + n;
    int d1 = tok_day(s, j);
    if (d1 < 0)
        return false;
    j++;
    if (lookup_kind(s, j, K_RANGESEP, &sn) == INT16_MIN)
        return false;
    j += sn;
    int d2 = tok_day(s, j);
    if (d2 < 0 || d2 < d1)
        return false;
    j++;
    int yy = tok_year(s, j);
    bool rel = yy < 0;
    if (yy < 0)
        yy = month_year(s, mm);
    else
        j++;
    if (!valid_ymd(yy, mm, d1) || !valid_ymd(yy, mm, d2))
        return false;
    *next = j;
    s->status = emit_span(s, i, j, EX_GRAIN_DAY, days_from_civil(yy, mm, d1), 0,
                          days_from_civil(yy, mm, d2), 0, rel);
    return true;
}

/* Minutes before or after a clock: "a quarter past 3pm", "20 minutes to 2pm", "half past
 * three pm", "15 to noon", "twenty after 3pm". At token i. */
static bool match_minutes_clock(scan *s, uint32_t i, uint32_t *next)
{
    uint32_t n = 0, un = 0, pn = 0, tn = 0;
    int mins = lookup_kind(s, i, K_MINWORD, &n);
    if (mins == INT16_MIN) {
        mins = tok_count(s, i, &n);
        if (mins < 1 || mins > 59)
            return false;
        if (tok_unit(s, i + n, &un) == -1)
            n += un; /* "minutes" */
    }
    uint32_t j = i + n;
    int dir = lookup_kind(s, j, K_PAST, &pn); /* "past": +1 */
    if (dir == INT16_MIN) {
        const dentry *c = j < s->ntok ? lookup(s, j, &pn) : NULL;
        if (c && c->kind == K_YEARCUE && (c->val == 1 || c->val == 2))
            dir = c->val == 1 ? 1 : -1; /* "twenty after 3pm", "ten before noon" */
        else if (c && c->kind == K_RANGESEP && c->val == 3)
            dir = -1; /* "a quarter to noon", "20 minutes to 2pm" */
        else if (c && c->kind == K_RANGEFROM && c->val == 1)
            dir = 1; /* "15 minutes from 1pm" */
        else
            return false;
    }
    j += pn;
    int hh, mi;
    if (!tok_time(s, j, &hh, &mi, &tn)) {
        int ch = lookup_kind(s, j, K_CLOCKWORD, &tn);
        if (ch != INT16_MIN) {
            hh = ch;
            mi = 0;
        } else {
            int c = tok_count(s, j, &tn);
            uint32_t an = 0;
            bool part;
            int ap = c >= 1 && c <= 12 ? ampm_at(s, j + tn, &an, &part) : INT16_MIN;
            if (ap == INT16_MIN)
                return false;
            hh = c % 12 + ap;
            mi = 0;
            tn += an;
        }
    }
    if (mi != 0)
        return false;
    int t = (hh * 60 + dir * mins + 1440) % 1440;
    *next = j + tn;
    s->status = emit_clock(s, i, j + tn, t / 60, t % 60);
    return true;
}

/* A count at i then a span: "3 prochains jours", "3 heures suivantes", "two upcoming weeks",
 * "2 upcoming quarters". ("2 semaines passées" is left: "3 jours passés en prison".) */
static bool match_count_span(scan *s, uint32_t i, uint32_t *next)
{
    uint32_t cn = 0, xn = 0, un = 0;
    int cnt = tok_count(s, i, &cn);
    if (cnt < 1)
        return false;
    uint32_t j = i + cn;
    int dir = 0;
    bool up = false;
    if (lookup_kind(s, j, K_NEXT, &xn) != INT16_MIN)
        dir = 1;
    else if (lookup_kind(s, j, K_LAST, &xn) != INT16_MIN)
        dir = -1;
    else if (lookup_kind(s, j, K_UPCOMING, &xn) != INT16_MIN)
        up = true;
    else
        xn = 0;
    j += xn;
    uint32_t qn = 0;
    bool quarter = up && lookup_kind(s, j, K_QUARTER, &qn) != INT16_MIN;
    int unit = quarter ? 0 : tok_unit(s, j, &un);
    if (quarter)
        un = qn;
    if (unit == INT16_MIN)
        return false;
    j += un;
    if (!dir && !up) {
        uint32_t len;
        const char *p = j < s->ntok ? tok_text(s, j, &len) : "";
        if (lookup_kind(s, j, K_NEXT, &xn) != INT16_MIN && strncmp(p, "suiv", 4) == 0) {
            dir = 1;
        } else if (lookup_kind(s, j, K_LAST, &xn) != INT16_MIN &&
                   (j + xn >= s->ntok || s->tok[j + xn].kind == EX_TOK_PUNCT)) {
            dir = -1; /* "2 semaines passées." (not "3 jours passés en prison") */
        } else {
            return false;
        }
        j += xn;
    }
    *next = j;
    s->status = up ? emit_upcoming(s, i, j, cnt, unit, quarter)
                   : emit_rel_span(s, i, j, cnt, unit, dir);
    return true;
}

/* "3 fridays from now", "2 thursdays ago": the n-th such weekday after (before) the reference. */
static bool match_weekdays_count(scan *s, uint32_t i, uint32_t *next)
{
    uint32_t cn = 0, wn = 0, an = 0;
    int cnt = tok_count(s, i, &cn);
    int wd = cnt > 0 && cnt < 100 ? lookup_kind(s, i + cn, K_WEEKDAYS, &wn) : INT16_MIN;
    if (wd == INT16_MIN)
        return false;
    uint32_t j = i + cn + wn;
    int sign;
    if (lookup_kind(s, j, K_LATER, &an) != INT16_MIN)
        sign = 1;
    else if (lookup_kind(s, j, K_AGO, &an) != INT16_MIN)
        sign = -1;
    else
        return false;
    int today = weekday_of(s->ref);
    long first = sign > 0 ? s->ref + ((wd - today + 6) % 7 + 1) : s->ref - ((today - wd + 6) % 7 + 1);
    *next = j + an;
    s->status = emit_day(s, i, j + an, first + sign * 7L * (cnt - 1), true, next);
    return true;
}

/* A day of month alone (dd): the nearest such day before (past bias, today included) or after
 * (future bias) the reference, in this month or the two either side; LONG_MIN if none. */
static long nearest_day(const scan *s, int dd)
{
    int y = s->ref_y, m = s->ref_m, step = s->future ? 1 : -1;
    if (s->future ? dd < s->ref_d : dd > s->ref_d)
        m += step;
    for (int k = 0; k < 3; k++, m += step) {
        if (m < 1)
            m += 12, y--;
        if (m > 12)
            m -= 12, y++;
        if (valid_ymd(y, m, dd))
            return days_from_civil(y, m, dd);
    }
    return LONG_MIN;
}

static int bound_cue(scan *s, uint32_t k, uint32_t *n);

/* The day a story's "le lendemain", "la veille", "two days later" count from: the last date of
 * the same paragraph (day grain or finer, before token i), else the reference day. */
static long anchor_day(const scan *s, uint32_t i)
{
    const ex_vec *v = &s->doc->dates;
    if (v->len == 0)
        return s->ref;
    const ex_date *d = &EX_VEC_AT(*v, ex_date, v->len - 1);
    int y, m, dd;
    if (d->grain < EX_GRAIN_DAY || d->bound || sscanf(d->value, "%4d-%2d-%2d", &y, &m, &dd) != 3 ||
        !valid_ymd(y, m, dd))
        return s->ref;
    for (uint32_t k = i < s->ntok ? i : s->ntok - 1; k > 0 && s->tok[k].start >= d->end; k--)
        if (s->tok[k].flags & EX_TF_PARA_START)
            return s->ref; /* another paragraph */
    return days_from_civil(y, m, dd);
}

/* Tries every pattern at token i; on a match emits and sets *next past it. */
static ex_status match_at(scan *s, uint32_t i, uint32_t *next, bool *matched)
{
    int y, m, d;
    bool has_year;
    ex_status st = EX_OK;
    uint32_t end = 0, n = 0, n2 = 0;
    *matched = true;

    if (s->tok[i].kind == EX_TOK_NUMBER) {
        bool rel = false;
        uint32_t qlen = s->tok[i].end - s->tok[i].start;
        if ((qlen == 4 || qlen == 6) && match_quarter_token(s, i, next))
            return s->status;
        if (match_numeric(s, i, &end, &y, &m, &d, &rel)) {
            if (d == 0) { /* "2/2013" */
                *next = end;
                return emit(s, i, end, EX_GRAIN_MONTH, y, m, 1, 0, 0, false);
            }
            return emit_day(s, i, end, days_from_civil(y, m, d), rel, next);
        }
        uint32_t sn3 = 0, tn3 = 0;
        int h1 = tok_count(s, i, &n), hh3, mi3;
        if (h1 >= 1 && h1 <= 12 && n == 1 && lookup_kind(s, i + 1, K_RANGESEP, &sn3) != INT16_MIN &&
            tok_time(s, i + 1 + sn3, &hh3, &mi3, &tn3) && s->last_ampm) {
            /* "3-4pm", "9-11am": the first hour takes the second's a.m./p.m. */
            int h0 = hh3 >= 12 && h1 < 12 && h1 + 12 <= hh3 ? h1 + 12 : h1;
            long day = s->ref;
            if (s->future && s->ref_has_time && h0 * 60 < s->ref_min)
                day++;
            *next = i + 1 + sn3 + tn3;
            st = emit_span(s, i, *next, EX_GRAIN_MINUTE, day, h0 * 60, day, hh3 * 60 + mi3, true);
            s->last_clock = true;
            return st;
        }
        if (match_day_range(s, i, i, next))
            return s->status;
        if (i + 1 < s->ntok && match_spaced_numeric(s, i, &end, &y, &m, &d, &rel))
            return emit_day(s, i, end, days_from_civil(y, m, d), rel, next);
        if (match_day_month(s, i, &end, &y, &m, &d, &has_year) &&
            emit_day_month(s, i, end, y, m, d, has_year, next, &st))
            return st;
        int od = tok_day(s, i);
        if (od > 0 && s->tok[i].end - s->tok[i].start > 2 && tok_int(s, i, &(int){0}) < 0 &&
            (match_ord_quarter(s, i, i + 1, od, next) || match_nth_weekday(s, i, i + 1, od, next)))
            return s->status; /* "3rd quarter", "3rd tuesday of september" */
        if (match_minutes_clock(s, i, next))
            return s->status;
        int hh, mi;
        if (tok_time(s, i, &hh, &mi, &n)) {
            *next = i + n;
            return emit_clock(s, i, i + n, hh, mi);
        }
        long day_alone = match_day_alone(s, i);
        if (day_alone != LONG_MIN) {
            st = emit_day(s, i - 1, i + 1, day_alone, true, next);
            int nd0 = 0;
            if (*next == i + 1)
                s->last_bare_day = (int)tok_int(s, i, &nd0);
            return st;
        }
        if (match_count_span(s, i, next))
            return s->status;
        if (match_weekdays_count(s, i, next))
            return s->status;
        int cnt = tok_count(s, i, &n);
        if (cnt > 0) { /* "three days ago", "two days later", "deux jours après." */
            int unit = tok_unit(s, i + n, &n2);
            uint32_t an = 0;
            if (unit != INT16_MIN && (lookup_kind(s, i + n + n2, K_AGO, &an) != INT16_MIN ||
                                      lookup_kind(s, i + n + n2, K_LATER, &an) != INT16_MIN))
                goto ago_postfix;
            if (unit > 0 && lookup_kind(s, i + n + n2, K_YEARCUE, &an) == 1 &&
                (i + n + n2 + an >= s->ntok || s->tok[i + n + n2 + an].kind == EX_TOK_PUNCT)) {
                *next = i + n + n2 + an;
                return emit_day(s, i, *next, anchor_day(s, i) + (long)cnt * unit, true, next);
            }
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
                ll > 0 ? bsearch(&key, s->dr->e, s->dr->n, sizeof *s->dr->e, key_cmp) : NULL;
            if (pe && pe->kind == K_YEARPREFIX && yy >= 1000 && yy <= 2199) {
                *next = i + 1;
                return emit(s, i, i + 1, EX_GRAIN_YEAR, yy, 0, 0, 0, 0, false);
            }
        }
        if (h) { /* "mi-décembre", "mid-March" [year]: the middle of the month */
            char low[16], mlow[32];
            int ll = ex_utf8_lower(p, (size_t)(h - p) + 1, low, sizeof low);
            int ml = ex_utf8_lower(h + 1, len - (uint32_t)(h - p) - 1, mlow, sizeof mlow);
            dentry key = {.key = low}, mkey = {.key = mlow};
            const dentry *pe =
                ll > 0 ? bsearch(&key, s->dr->e, s->dr->n, sizeof *s->dr->e, key_cmp) : NULL;
            const dentry *me =
                ml > 0 ? bsearch(&mkey, s->dr->e, s->dr->n, sizeof *s->dr->e, key_cmp) : NULL;
            if (pe && pe->kind == K_YEARPREFIX && pe->val > 0 && me && me->kind == K_MONTH) {
                int yy = tok_year(s, i + 1);
                uint32_t stop = i + 1 + (yy >= 0);
                *next = stop;
                return emit_month_part(s, i, stop, yy >= 0 ? yy : month_year(s, me->val),
                                       me->val, pe->val, yy < 0);
            }
        }
    }
    uint32_t qlen = s->tok[i].end - s->tok[i].start;
    if (!e && s->tok[i].kind == EX_TOK_WORD && (qlen == 2 || qlen == 4 || qlen == 6) &&
        match_quarter_token(s, i, next))
        return s->status;
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
        if (match_month_day_range(s, i, next))
            return s->status;
        if (match_month_first(s, i, &end, &y, &m, &d, &has_year)) {
            if (d == 0) {
                *next = end;
                return emit(s, i, end, EX_GRAIN_MONTH, y, m, 0, 0, 0, false);
            }
            if (emit_day_month(s, i, end, y, m, d, has_year, next, &st))
                return st;
        }
        break;
    case K_FIXED: /* "Noël", "Christmas Day" [year]: val = month * 100 + day */
        return emit_holiday(s, i, i, e, n, 0, next);
    case K_CLOCKWORD: {
        /* "à midi", "at midnight", "ce midi", "midi et quart": val = hour; only after
         * "à"/"at"/"vers"/"ce", or first in the text ("le canal du Midi" is not a time) */
        uint32_t pn = 0;
        bool cue = false; /* "à partir de midi", "until noon" */
        for (uint32_t back = 1; back <= 3 && back <= i && !cue; back++)
            cue = bound_cue(s, i - back, &pn) > 0 && pn == back;
        if (i > 0 && !cue && (lookup_kind(s, i - 1, K_AT, &pn) == INT16_MIN || pn != 1) &&
            (lookup_kind(s, i - 1, K_THIS, &pn) == INT16_MIN || pn != 1))
            break;
        int hh = e->val, mi = 0;
        uint32_t stop = i + n;
        stop += hour_tail(s, stop, &hh, &mi);
        *next = stop;
        return emit_clock(s, i, stop, hh, mi);
    }
    case K_DAYWORD: /* "premier mars 2020", "first tuesday of october", "third quarter" */
        if (match_nth_weekday(s, i, i + n, e->val, next) ||
            match_ord_quarter(s, i, i + n, e->val, next))
            return s->status;
        if (match_day_month(s, i, &end, &y, &m, &d, &has_year) &&
            emit_day_month(s, i, end, y, m, d, has_year, next, &st))
            return st;
        break;
    case K_DAY:
        return emit_day(s, i, i + n, s->ref + e->val, true, next);
    case K_ANAPHOR: { /* "le lendemain" [du 13 février], "la veille", "the next day" */
        uint32_t on = 0;
        if (lookup_kind(s, i + n, K_OF, &on) != INT16_MIN &&
            (match_day_month(s, i + n + on, &end, &y, &m, &d, &has_year) ||
             match_month_first(s, i + n + on, &end, &y, &m, &d, &has_year)) && d > 0) {
            bool ok2 = true;
            long day = has_year ? (valid_ymd(y, m, d) ? days_from_civil(y, m, d) : LONG_MIN)
                                : resolve_day_month(s, m, d, &ok2);
            if (day != LONG_MIN && ok2)
                return emit_day(s, i, end, day + e->val, !has_year, next);
        }
        return emit_day(s, i, i + n, anchor_day(s, i) + e->val, true, next);
    }
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
    case K_PAST: /* "past" reads as "last" before a period ("the past 2 weeks") */
    case K_NEXT:
    case K_THIS:
    case K_ON: {
        /* [ce|this|on|last|next] WEEKDAY [dernier|prochain] [explicit date] */
        int mode = e->kind == K_LAST || e->kind == K_PAST ? -1
                   : e->kind == K_NEXT ? 1 : e->kind == K_THIS ? 2 : 0;
        uint32_t j = i;
        if (e->kind != K_WEEKDAY)
            j += n;
        if (e->kind == K_LAST && match_nth_weekday(s, i, j, 5, next))
            return s->status; /* "last friday of october", "le dernier week-end de septembre" */
        if (e->kind != K_WEEKDAY && e->kind != K_ON && j < s->ntok) {
            uint32_t xn = 0, cn = 0, un = 0;
            const dentry *x = lookup(s, j, &xn);
            if (x && is_holiday(x->kind)) /* "last thanksgiving", "this Christmas" */
                return emit_holiday(s, i, j, x, xn, mode, next);
            if (x && x->kind == K_SEASON) /* "cet été", "last summer" */ {
                *next = j + xn;
                return emit_season(s, i, j + xn, x->val, mode == 2 ? 0 : mode);
            }
            if (x && x->kind == K_QUARTER) { /* "this quarter", "next qtr" */
                int q = (s->ref_m - 1) / 3 + (mode == 2 ? 0 : mode);
                int qy = s->ref_y + (q < 0 ? -1 : q > 3 ? 1 : 0);
                *next = j + xn;
                return emit_quarter(s, i, j + xn, qy, (q + 4) % 4 + 1, true);
            }
            if (x && x->kind == K_WEEKEND) {
                *next = j + xn;
                int w = mode == 2 ? 0 : mode;
                return emit_span(s, i, j + xn, EX_GRAIN_MINUTE, weekday_in_week(s, 5, w), 18 * 60,
                                 weekday_in_week(s, 7, w), 23 * 60 + 59, true);
            }
            int sh, eh;
            bool alone;
            if (e->kind == K_THIS && daypart_at(s, j, &sh, &eh, &alone, &xn))
                return emit_daypart(s, i, j, s->ref, true, next); /* "ce soir", "this morning" */
            if (x && x->kind == K_MONTH && mode != 2 && !match_month_first(s, j, &end, &y, &m, &d, &has_year)) {
                int yy = s->ref_y + (mode > 0 ? x->val <= s->ref_m : -(x->val >= s->ref_m));
                *next = j + xn; /* "next March", "last May" */
                return emit(s, i, j + xn, EX_GRAIN_MONTH, yy, x->val, 1, 0, 0, true);
            }
            /* a count after: "next 3 days", "the last 2 weeks" (not French: "a passé 3 jours",
             * where the table gives the word the value 1) */
            int cnt = mode != 2 && (e->val != 1 || e->kind == K_PAST) ? tok_count(s, j, &cn) : -1;
            int unit = cnt > 0 ? tok_unit(s, j + cn, &un) : INT16_MIN;
            if (unit != INT16_MIN) { /* "next 3 days", "the last 2 weeks" */
                *next = j + cn + un;
                return emit_rel_span(s, i, j + cn + un, cnt, unit, mode);
            }
        }
        if (e->kind == K_ON) { /* "on the 15th", "on the first" */
            uint32_t j2 = j, pn = 0;
            if (lookup_kind(s, j2, K_DAYPREFIX, &pn) != INT16_MIN ||
                lookup_kind(s, j2, K_ARTICLE, &pn) != INT16_MIN)
                j2 += pn;
            int dd = tok_day(s, j2);
            uint32_t mn2 = 0;
            if (dd > 0 && dd <= 5 && match_nth_weekday(s, i, j2 + 1, dd, next))
                return s->status; /* "on the first tuesday of october" */
            if (dd > 0 && j2 > j && lookup_kind(s, j2 + 1, K_MONTH, &mn2) == INT16_MIN &&
                lookup_kind(s, j2 + 1, K_OF, &mn2) == INT16_MIN) {
                long day = nearest_day(s, dd);
                if (day != LONG_MIN)
                    return emit_day(s, i, j2 + 1, day, true, next);
            }
        }
        if (e->kind == K_WEEKDAY && match_day_range(s, i, i, next))
            return s->status; /* "samedi 13 au dimanche 15 juillet" */
        int wd = lookup_kind(s, j, K_WEEKDAY, &n2);
        if (wd == INT16_MIN)
            break;
        j += n2;
        uint32_t mn = 0, wn = 0, on = 0;
        int later = lookup_kind(s, j, K_WEEKSLATER, &wn);
        if (later != INT16_MIN) /* "mercredi en huit", "lundi en 15": a week after the next one */
            return emit_day(s, i, j + wn,
                            s->ref + (wd - weekday_of(s->ref) + 7) % 7 + later, true, next);
        if (lookup_kind(s, j, K_OF, &on) == INT16_MIN && lookup_kind(s, j, K_RANGEFROM, &on) == INT16_MIN)
            on = 0;
        int wk = lookup_kind(s, j + on, K_WEEK, &wn);
        if (wk != INT16_MIN) /* "mercredi de la semaine prochaine", "monday of this week" */
            return emit_day(s, i, j + on + wn, weekday_in_week(s, wd, wk), true, next);
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
                        labs(days_from_civil(s->ref_y + dy, m, d) - s->ref) < 370)
                        day = days_from_civil(s->ref_y + dy, m, d);
                if (ok2)
                    return emit_day(s, i, end, day, true, next);
            }
        }
        int dd = tok_day(s, jd);
        uint32_t an2 = 0;
        if (dd > 0 && jd == j &&
            (jd + 1 >= s->ntok ||
             (s->tok[jd + 1].kind == EX_TOK_PUNCT && s->tok[jd + 1].end - s->tok[jd + 1].start == 1 &&
              strchr(",.;:)!?", s->doc->text[s->tok[jd + 1].start])) ||
             lookup_kind(s, jd + 1, K_AT, &an2) != INT16_MIN)) { /* "jeudi 15", "Thu 15th": the nearest 15th that is a Thursday */
            int step = s->future ? 1 : -1;
            int yy = s->ref_y, mm = s->ref_m;
            for (int k = 0; k < 14; k++, mm += step) {
                if (mm < 1)
                    mm += 12, yy--;
                if (mm > 12)
                    mm -= 12, yy++;
                if (!valid_ymd(yy, mm, dd))
                    continue;
                long day = days_from_civil(yy, mm, dd);
                if (weekday_of(day) == wd && (s->future ? day >= s->ref : day <= s->ref))
                    return emit_day(s, i, jd + 1, day, true, next);
            }
        }
        if (e->kind == K_NEXT && e->val == 2) /* English "next Wednesday": next week's */
            return emit_day(s, i, j, weekday_in_week(s, wd, 1), true, next);
        return emit_day(s, i, j, resolve_weekday(s, wd, mode), true, next);
    }
    case K_AGOPRE:
    case K_IN: {
        uint32_t j = i + n, cn = 0, un = 0;
        int dur = e->kind == K_IN ? lookup_kind(s, j, K_DUR, &un) : INT16_MIN;
        if (dur != INT16_MIN) { /* "in half an hour", "dans un quart d'heure" */
            *next = j + un;
            return emit_minutes(s, i, j + un, dur);
        }
        long frac = e->kind == K_IN ? tok_hour_fraction(s, j, &un) : -1;
        if (frac > 0) { /* "in 1/2 hour", "in 3/4h", "in 2.5 hours", "in 2 and a half hours" */
            *next = j + un;
            return emit_minutes(s, i, j + un, frac);
        }
        int cnt = tok_count(s, j, &cn);
        int unit = cnt > 0 ? tok_unit(s, j + cn, &un) : INT16_MIN;
        if (cnt < 0 && j < s->ntok && s->tok[j].kind == EX_TOK_NUMBER) { /* "in 1h", "dans 2h" */
            uint32_t len;
            const char *p = tok_text(s, j, &len);
            int v = 0;
            uint32_t k = 0;
            while (k < len && k < 3 && p[k] >= '0' && p[k] <= '9')
                v = v * 10 + (p[k++] - '0');
            if (k > 0 && k + 1 == len && (p[k] == 'h' || p[k] == 'H') && v > 0) {
                cnt = v;
                cn = 1;
                unit = -60;
                un = 0;
            }
        }
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
        bool part;
        if (cnt >= 0 && cnt <= 23 && i > 0 &&
            (lookup_kind(s, i + n, K_HOURWORD, &hn) != INT16_MIN ||
             (cnt >= 1 && cnt <= 12 && ampm_at(s, i + n, &pn, &part) != INT16_MIN)) &&
            ((lookup_kind(s, i - 1, K_AT, &pn) != INT16_MIN && pn == 1) ||
             (lookup_kind(s, i - 1, K_RANGESEP, &pn) != INT16_MIN && pn == 1))) {
            /* "à quinze heures", "at three p.m." */
            int hh = cnt, mi = 0;
            uint32_t stop = i + n + hn;
            stop += hour_tail(s, stop, &hh, &mi);
            *next = stop;
            ex_status cst = emit_clock(s, i, stop, hh, mi);
            s->last_ampm = hn == 0; /* "to six p.m." gives its p.m. to "from 3:30" */
            return cst;
        }
        uint32_t mwn = 0, apn = 0;
        int mw = cnt >= 1 && cnt <= 12 && s->tok[i].end - s->tok[i].start > 2
                     ? minute_words(s, i + n, &mwn)
                     : -1; /* not after "a", "un" */
        int ap = mw >= 0 ? ampm_at(s, i + n + mwn, &apn, &part) : INT16_MIN;
        if (ap != INT16_MIN && !part) { /* "ten thirty am", "four twenty-three a m" */
            *next = i + n + mwn + apn;
            ex_status cst = emit_clock(s, i, *next, cnt % 12 + ap, mw);
            s->last_ampm = true;
            return cst;
        }
        if (match_minutes_clock(s, i, next) || match_count_span(s, i, next) ||
            match_weekdays_count(s, i, next))
            return s->status;
        int unit = tok_unit(s, i + n, &n2);
        uint32_t an = 0;
        if (unit != INT16_MIN && (lookup_kind(s, i + n + n2, K_AGO, &an) != INT16_MIN ||
                                  lookup_kind(s, i + n + n2, K_LATER, &an) != INT16_MIN)) {
            (void)cnt;
            goto ago_postfix;
        }
        break;
    }
    case K_MINWORD:
        if (match_minutes_clock(s, i, next))
            return s->status;
        break;
    case K_DAYPART: {
        int sh, eh;
        bool alone;
        if (daypart_at(s, i, &sh, &eh, &alone, &n2) && alone)
            return emit_daypart(s, i, i, s->ref, true, next);
        break;
    }
    case K_NIGHTBEFORE: /* "last night", "late last night": yesterday's part */
        *next = i + n;
        return emit_span(s, i, i + n, EX_GRAIN_MINUTE, s->ref - 1, e->val / 100 * 60, s->ref - 1,
                         e->val % 100 * 60 - 1, true);
    case K_PARTCUE:
        if (match_part_cue(s, i, i + n, e->val, next))
            return s->status;
        break;
    case K_MONTHPART: /* "en fin de mois", "the end of the month", "EOM" */
        *next = i + n;
        return emit_month_part(s, i, i + n, s->ref_y, s->ref_m, e->val, true);
    case K_YEARPART: /* "en fin d'année", "the end of the year", "EOY" */
        *next = i + n;
        return emit_year_part(s, i, i + n, s->ref_y, e->val, true);
    case K_WEEKPART: /* "en semaine", "en début de semaine", "rest of the week" */
        *next = i + n;
        return emit_week_part(s, i, i + n, 0, e->val);
    case K_WEEKEND: /* "ce week-end", "this weekend": Friday 18:00 to Sunday night */
        *next = i + n;
        return emit_span(s, i, i + n, EX_GRAIN_MINUTE, weekday_in_week(s, 5, e->val), 18 * 60,
                         weekday_in_week(s, 7, e->val), 23 * 60 + 59, true);
    case K_NTHWD:
    case K_EASTER:
    case K_OEASTER:
    case K_HIJRI:
    case K_FIXEDOBS:
    case K_HEBREW:
    case K_LUNAR:
    case K_LUNARSPAN:
    case K_LUNARWD:
    case K_EVERY365:
    case K_WDBEFORE:
        return emit_holiday(s, i, i, e, n, 0, next);
    case K_OF:
    case K_RANGEFROM: { /* "du 13 au 15 juillet", "from the 13th to the 15th of July" */
        uint32_t j = i + n, pn = 0;
        if (lookup_kind(s, j, K_DAYPREFIX, &pn) != INT16_MIN ||
            lookup_kind(s, j, K_ARTICLE, &pn) != INT16_MIN)
            j += pn;
        if (match_day_range(s, i, j, next))
            return s->status;
        if (e->kind == K_RANGEFROM && match_month_day_range(s, j, next)) {
            if (s->status == EX_OK && s->doc->dates.len > 0) /* "from July 13-15" */
                EX_VEC_AT(s->doc->dates, ex_date, s->doc->dates.len - 1).start = s->tok[i].start;
            return s->status;
        }
        break;
    }
    case K_WITHIN: { /* "within 2 weeks", "d'ici 2 semaines": up to that day */
        uint32_t cn = 0, un = 0;
        int cnt = tok_count(s, i + n, &cn);
        int unit = cnt > 0 ? tok_unit(s, i + n + cn, &un) : INT16_MIN;
        if (unit != INT16_MIN && unit > 0) {
            *next = i + n + cn + un;
            long dl = s->ref + (long)cnt * unit;
            int wy, wm, wd2;
            if (unit >= 28)
                dl = add_months(s, unit >= 365 ? 12 * cnt : cnt, &wy, &wm);
            civil_from_days(dl, &wy, &wm, &wd2);
            st = emit(s, i, *next, EX_GRAIN_DAY, wy, wm, wd2, 0, 0, true);
            if (st == EX_OK)
                EX_VEC_AT(s->doc->dates, ex_date, s->doc->dates.len - 1).bound =
                    EX_DATE_BOUND_BEFORE;
            return st;
        }
        break;
    }
    case K_UPCOMING: { /* "upcoming two weeks", "upcoming 2 quarters" */
        uint32_t cn = 0, un = 0;
        int cnt = tok_count(s, i + n, &cn);
        bool quarter = cnt > 0 && lookup_kind(s, i + n + cn, K_QUARTER, &un) != INT16_MIN;
        int unit = cnt > 0 && !quarter ? tok_unit(s, i + n + cn, &un) : 0;
        if (cnt > 0 && unit != INT16_MIN) {
            *next = i + n + cn + un;
            return emit_upcoming(s, i, *next, cnt, unit, quarter);
        }
        break;
    }
    default:
        break;
    }
    *matched = false;
    return EX_OK;

ago_postfix: { /* "three days ago" (K_AGO), "two days later", "7 days hence" (K_LATER) */
    uint32_t cn = 0, un = 0, an = 0;
    int cnt = tok_count(s, i, &cn);
    int unit = tok_unit(s, i + cn, &un);
    int sign = -1;
    if (lookup_kind(s, i + cn + un, K_AGO, &an) == INT16_MIN) {
        lookup_kind(s, i + cn + un, K_LATER, &an);
        sign = 1;
    }
    uint32_t stop = i + cn + un + an;
    *next = stop;
    if (unit < 0)
        return emit_minutes(s, i, stop, sign * (long)cnt * -unit);
    if (unit >= 365)
        return emit(s, i, stop, EX_GRAIN_YEAR, s->ref_y + sign * cnt, 0, 0, 0, 0, true);
    if (unit >= 30) {
        int yy, mm;
        add_months(s, sign * cnt, &yy, &mm);
        return emit(s, i, stop, EX_GRAIN_MONTH, yy, mm, 0, 0, 0, true);
    }
    /* "three days ago" counts from the reference; "two days later" from the story's last date */
    long base = sign > 0 && lookup_kind(s, i + cn + un, K_LATER, &an) != INT16_MIN
                    ? anchor_day(s, i) : s->ref;
    return emit_day(s, i, stop, base + sign * (long)cnt * unit, true, next);
}
}

/* Tokens [a, b) hold only what may sit between a time and its day: "on", "le", ",", "the". */
static bool only_glue(const scan *s, uint32_t a, uint32_t b)
{
    for (uint32_t k = a; k < b; k++) {
        uint32_t n = 0, len;
        const char *p = tok_text(s, k, &len);
        if (!(len == 1 && (p[0] == ',' || p[0] == '@')) &&
            lookup_kind(s, k, K_ON, &n) == INT16_MIN && lookup_kind(s, k, K_DAYPREFIX, &n) == INT16_MIN &&
            lookup_kind(s, k, K_AT, &n) == INT16_MIN)
            return false;
    }
    return true;
}

/* Joins the new last item (index p + 1, first token c0) to item p (tokens [p0, p1)) when they
 * make one: a range ("du 10 juin au 1er juillet", "9h30 - 11h", "between 9:30 and 11:00",
 * "entre le 13 et le 15 juillet") or a time and its day ("13h30 samedi 21 septembre", "3pm
 * tomorrow", "9h30 - 11h jeudi"). Returns true when it joined (the new item is dropped). */
static bool join_items(scan *s, uint32_t p, uint32_t p0, uint32_t p1, uint32_t c0, bool p_clock,
                       int p_bare, bool c_clock, bool p_ampm, bool c_ampm, int p_zone, int c_zone,
                       uint32_t *core0)
{
    ex_vec *v = &s->doc->dates;
    ex_date *a = &EX_VEC_AT(*v, ex_date, p), *c = &EX_VEC_AT(*v, ex_date, p + 1);
    uint32_t n = 0, fn = 0;
    /* a day then its time ("Thursday from 9:30", "jeudi après 9h30", "le 20 à partir de 10h") */
    if (!p_clock && c_clock && a->grain == EX_GRAIN_DAY && !a->value_end[0] && !a->bound) {
        uint32_t k = p1;
        int b = 0;
        while (k < c0) {
            int bc = bound_cue(s, k, &n);
            if (bc >= 0) {
                b = bc ? bc : b;
                k += n;
            } else if (only_glue(s, k, k + 1) || lookup_kind(s, k, K_OF, &n) != INT16_MIN ||
                       lookup_kind(s, k, K_RANGEFROM, &n) != INT16_MIN) {
                k++; /* "jeudi de 9h à 11h", "Thursday between 9:30 and 11:00" */
            } else {
                break;
            }
        }
        if (k == c0 && c0 - p1 <= 4) {
            char day[11];
            memcpy(day, a->value, 10);
            day[10] = '\0';
            memcpy(a->value, c->value, sizeof a->value);
            memcpy(a->value, day, 10);
            memcpy(a->value_end, c->value_end, sizeof a->value_end);
            if (a->value_end[0])
                memcpy(a->value_end, day, 10);
            a->grain = c->grain;
            a->bound = (uint8_t)(b ? b : c->bound);
            a->end = c->end;
            v->len--;
            *core0 = c0;
            return true;
        }
    }
    /* a part of a day then a time in it: "le soir du mardi 17 janvier, vers 19 heures" */
    if (!p_clock && c_clock && a->grain == EX_GRAIN_MINUTE && a->value_end[0] && !a->bound &&
        !c->value_end[0] && !c->bound && strncmp(a->value, a->value_end, 10) == 0 && c0 - p1 <= 3) {
        uint32_t k = p1;
        while (k < c0) {
            if (only_glue(s, k, k + 1))
                k++;
            else if (lookup_kind(s, k, K_AT, &n) != INT16_MIN)
                k += n;
            else
                break;
        }
        int sh = 0, eh = 0, hc = 0, mc = 0;
        if (k == c0 && sscanf(a->value + 11, "%2d", &sh) == 1 &&
            sscanf(a->value_end + 11, "%2d", &eh) == 1 &&
            sscanf(c->value + 11, "%2d:%2d", &hc, &mc) == 2) {
            if (hc < sh && hc + 12 <= eh)
                hc += 12; /* "the evening of the 14th at 9" */
            char buf[64];
            snprintf(buf, sizeof buf, "%.10sT%02d:%02d", a->value, hc, mc);
            memcpy(a->value, buf, sizeof a->value);
            a->value_end[0] = '\0';
            a->end = c->end;
            v->len--;
            *core0 = c0;
            return true;
        }
    }
    /* a time then a part of a day: "à trois heures et quart demain après-midi", "at 5 tomorrow
     * afternoon": that day, the hour moved into the part */
    if (p_clock && !c_clock && !a->value_end[0] && c->grain == EX_GRAIN_MINUTE && c->value_end[0] &&
        strncmp(c->value, c->value_end, 10) == 0 && only_glue(s, p1, c0)) {
        int ha = 0, ma = 0, hs = 0;
        if (sscanf(a->value + 11, "%2d:%2d", &ha, &ma) != 2 || sscanf(c->value + 11, "%2d", &hs) != 1)
            return false;
        if (hs >= 12 && ha < 12)
            ha += 12;
        char buf[64];
        snprintf(buf, sizeof buf, "%.10sT%02d:%02d", c->value, ha, ma);
        memcpy(a->value, buf, sizeof a->value);
        a->end = c->end;
        a->relative = c->relative;
        v->len--;
        return true;
    }
    /* a time of day (or a range of times) then its day */
    if (p_clock && !c_clock && c->grain == EX_GRAIN_DAY && !c->value_end[0] && only_glue(s, p1, c0)) {
        char day[11];
        memcpy(day, c->value, 10);
        day[10] = '\0';
        memcpy(a->value, day, 10);
        if (a->value_end[0])
            memcpy(a->value_end, day, 10);
        a->end = c->end;
        a->relative = c->relative;
        v->len--;
        return true;
    }
    /* an open start, then an open end: "later than 3:30pm but before 6pm", "after 2 pm and
     * before 5 pm" — one range */
    if (a->bound == EX_DATE_BOUND_AFTER && !a->value_end[0] && !c->value_end[0] && !c->bound &&
        a->grain == c->grain && p_clock == c_clock) {
        uint32_t k2 = p1, bn = 0;
        if (k2 < c0 && (lookup_kind(s, k2, K_AND, &n) != INT16_MIN ||
                        lookup_kind(s, k2, K_BUT, &n) != INT16_MIN))
            k2 += n;
        if (k2 < c0 && bound_cue(s, k2, &bn) == EX_DATE_BOUND_BEFORE && k2 + bn == c0 &&
            strcmp(a->value, c->value) < 0) {
            memcpy(a->value_end, c->value, sizeof a->value_end);
            a->bound = 0;
            a->end = c->end;
            v->len--;
            return true;
        }
    }
    /* a range: separator between, same grain */
    uint32_t k = p1;
    bool p_dated = *core0 != p0; /* a day joined before its time: that day holds */
    p0 = *core0;
    bool from = p0 > 0 && (lookup_kind(s, p0 - 1, K_RANGEFROM, &fn) != INT16_MIN ||
                           lookup_kind(s, p0 - 1, K_OF, &fn) != INT16_MIN) && fn == 1;
    if (!from && p0 > 1 && lookup_kind(s, p0 - 2, K_RANGEFROM, &fn) != INT16_MIN && fn == 1 &&
        (lookup_kind(s, p0 - 1, K_DAYPREFIX, &n) != INT16_MIN ||
         lookup_kind(s, p0 - 1, K_ARTICLE, &n) != INT16_MIN))
        from = true, fn = 2; /* "entre le 13 …" */
    if (k < c0 && lookup_kind(s, k, K_RANGESEP, &n) != INT16_MIN)
        k += n;
    else if (k < c0 && from && (lookup_kind(s, k, K_AND, &n) != INT16_MIN ||
                                lookup_kind(s, k, K_AT, &n) != INT16_MIN))
        k += n; /* "entre … et …", "de 9h à 11h" */
    else
        return false;
    if (k < c0 && (lookup_kind(s, k, K_DAYPREFIX, &n) != INT16_MIN ||
                   lookup_kind(s, k, K_ARTICLE, &n) != INT16_MIN))
        k += n;
    if (k != c0 || a->grain != c->grain || a->value_end[0] || c->bound ||
        (a->bound && !(from && a->bound == EX_DATE_BOUND_AFTER)))
        return false;
    a->bound = 0; /* "from 9:30 to 11:00": a range, not an open start */
    if (p_clock && c_clock && a->grain == EX_GRAIN_MINUTE) {
        /* two times: the same day; "3:30 to 6 PM", "3:30-6:00pm": the p.m. of the end also
         * holds for a start without its own */
        int ha = 0, ma = 0, hc = 0, mc = 0;
        if (sscanf(a->value + 11, "%2d:%2d", &ha, &ma) != 2 ||
            sscanf(c->value + 11, "%2d:%2d", &hc, &mc) != 2)
            return false;
        if (p_dated || memcmp(a->value, c->value, 10) < 0)
            memcpy(c->value, a->value, 10);
        else
            memcpy(a->value, c->value, 10);
        if (!p_ampm && c_ampm && ha < 12 && hc >= 12 && ha + 12 <= hc)
            ha += 12;
        if (c_zone && !p_zone && c_zone != 1440) { /* "9:30 - 11:00 CST": the zone of both */
            int t = ha * 60 + ma + c_zone;
            if (t < 0 || t >= 1440)
                return false;
            ha = t / 60;
            ma = t % 60;
        }
        snprintf(a->value + 10, sizeof a->value - 10, "T%02d:%02d", ha, ma);
    }
    if (p_bare && c->grain == EX_GRAIN_DAY) { /* "entre le 13 et le 15 juillet": 13 juillet */
        int y, m, d;
        if (sscanf(c->value, "%4d-%2d-%2d", &y, &m, &d) != 3)
            return false;
        if (p_bare > d && --m < 1)
            m = 12, y--;
        if (!valid_ymd(y, m, p_bare))
            return false;
        snprintf(a->value, sizeof a->value, "%04d-%02d-%02d", y, m, p_bare);
    }
    if (strcmp(c->value, a->value) < 0) {
        if (a->grain != EX_GRAIN_MINUTE)
            return false;
        /* "11:30-1:30", "de 11h30 à 1h30": the end is in the afternoon */
        int h = 0, mi = 0;
        if (sscanf(c->value + 11, "%2d:%2d", &h, &mi) != 2 || h >= 12)
            return false;
        snprintf(c->value + 11, sizeof c->value - 11, "%02d:%02d", h + 12, mi);
        if (strcmp(c->value, a->value) < 0)
            return false;
    }
    memcpy(a->value_end, c->value_end[0] ? c->value_end : c->value, sizeof a->value_end);
    a->end = c->end;
    if (from)
        a->start = s->tok[p0 - fn].start;
    v->len--;
    return true;
}

/* "à partir du 8 mars", "after 2 pm", "avant 16h", "by the end of the year", "depuis 1997":
 * a cue just before item k (first token c0) makes it an open interval; the cue joins its span.
 * A "before" on an interval keeps its end ("by the end of the month": up to the month's end). */
/* A cue of an open interval at token k: EX_DATE_BOUND_AFTER / _BEFORE, 0 for a cue that bounds
 * nothing, -1 when k holds none. Sets *n. */
static int bound_cue(scan *s, uint32_t k, uint32_t *n)
{
    const dentry *e = k < s->ntok ? lookup(s, k, n) : NULL;
    if (!e)
        return -1;
    if (e->kind == K_AFTER)
        return EX_DATE_BOUND_AFTER;
    if (e->kind == K_BEFORE)
        return EX_DATE_BOUND_BEFORE;
    if ((e->kind == K_YEARCUE || e->kind == K_RANGESEP || e->kind == K_RANGEFROM) &&
        (e->val == 1 || e->val == 2))
        return e->val;
    return -1;
}

static void open_bound(scan *s, uint32_t k, uint32_t c0)
{
    uint32_t an = 0;
    if (c0 > 1 && (lookup_kind(s, c0 - 1, K_ARTICLE, &an) != INT16_MIN ||
                   lookup_kind(s, c0 - 1, K_DAYPREFIX, &an) != INT16_MIN) && an == 1)
        c0--; /* "by the end of the month", "après le 1er novembre" */
    for (uint32_t len = 1; len <= 3 && len <= c0; len++) {
        uint32_t n = 0;
        const dentry *e = lookup(s, c0 - len, &n);
        if (!e || n != len)
            continue;
        int b = bound_cue(s, c0 - len, &n);
        if (b <= 0)
            continue;
        ex_date *d = &EX_VEC_AT(s->doc->dates, ex_date, k);
        d->bound = (uint8_t)b;
        if (b == EX_DATE_BOUND_BEFORE && d->value_end[0]) {
            memcpy(d->value, d->value_end, sizeof d->value);
            d->value_end[0] = '\0';
        } else if (b == EX_DATE_BOUND_AFTER) {
            d->value_end[0] = '\0';
        }
        if (e->kind != K_YEARCUE && s->tok[c0 - len].start < d->start)
            d->start = s->tok[c0 - len].start;
        return;
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

/* The UTC offset (minutes) written at the end of the envelope's published date-time ("…-02:00",
 * "…+0100", "…Z"), so that a time given in another zone ("8:00 GMT") is moved to the
 * publication's clock; 0 when it has none. */
static int reference_offset(const ex_doc *doc)
{
    const char *p = doc->in.published;
    size_t n = p ? strlen(p) : 0;
    if (n < 17 || p[10] != 'T')
        return 0;
    const char *z = p + n - 6;
    if ((z[0] == '+' || z[0] == '-') && z[3] == ':' && z[1] >= '0' && z[1] <= '9')
        return (z[0] == '-' ? -1 : 1) * (((z[1] - '0') * 10 + (z[2] - '0')) * 60 +
                                         (z[4] - '0') * 10 + (z[5] - '0'));
    return 0;
}
/* Rules that read tokens before an item the scan has just found, so that the scan never
 * matches inside a match:
 * - "three days after Easter", "2 weeks before Christmas": a count (one token) of days or weeks
 *   and "after"/"before" (kind offsetdir: +1 / -1) before a day-grain item move it;
 * - "morning of Christmas", "the morning of the 15th of February": a part of the day and "of"
 *   (an article may follow) before a day-grain item make it that part of that day.
 * Rewrites item d (which starts at token i0) and returns its new first token. */
static uint32_t prefix_rules(scan *s, ex_date *d, uint32_t i0)
{
    int y, m, dd;
    if (d->grain != EX_GRAIN_DAY || d->value_end[0] || d->bound || i0 < 2)
        return i0;
    uint32_t n = 0, cn = 0, un = 0, an = 0;
    int dir = lookup_kind(s, i0 - 1, K_OFFSETDIR, &n);
    if (dir != INT16_MIN && n == 1 && i0 >= 3) {
        int unit = tok_unit(s, i0 - 2, &un);
        int cnt = tok_count(s, i0 - 3, &cn);
        if ((unit == 1 || unit == 7) && un == 1 && cnt > 0 && cn == 1 &&
            sscanf(d->value, "%4d-%2d-%2d", &y, &m, &dd) == 3) {
            civil_from_days(days_from_civil(y, m, dd) + (long)dir * cnt * unit, &y, &m, &dd);
            snprintf(d->value, sizeof d->value, "%04d-%02d-%02d", y, m, dd);
            d->start = s->tok[i0 - 3].start;
            return i0 - 3;
        }
        return i0;
    }
    uint32_t of = i0 - 1;
    if (lookup_kind(s, of, K_ARTICLE, &an) != INT16_MIN && an == 1)
        of--;
    if (lookup_kind(s, of, K_OF, &n) == INT16_MIN || n != 1)
        return i0;
    for (uint32_t back = 1; back <= 3 && back <= of; back++) {
        int sh, eh;
        bool alone;
        uint32_t pn = 0;
        if (!daypart_at(s, of - back, &sh, &eh, &alone, &pn) || pn != back ||
            sscanf(d->value, "%4d-%2d-%2d", &y, &m, &dd) != 3)
            continue;
        snprintf(d->value, sizeof d->value, "%04d-%02d-%02dT%02d:00", y, m, dd, sh);
        snprintf(d->value_end, sizeof d->value_end, "%04d-%02d-%02dT%02d:59", y, m, dd, eh - 1);
        d->grain = EX_GRAIN_MINUTE;
        d->start = s->tok[of - back].start;
        return of - back;
    }
    return i0;
}

/* "9 tomorrow morning", "at 5 tomorrow afternoon": an hour (1..12, digits) right before a
 * day word or weekday that carries a part of the day is that hour within the part, after "at"
 * or at the start of a clause. Rewrites
 * item d (which starts at token i0) and returns its new first token. */
static uint32_t hour_before_part(scan *s, ex_date *d, uint32_t i0)
{
    uint32_t n = 0;
    if (i0 == 0 || !d->value_end[0] || d->grain != EX_GRAIN_MINUTE || d->bound ||
        (lookup_kind(s, i0, K_DAY, &n) == INT16_MIN && lookup_kind(s, i0, K_WEEKDAY, &n) == INT16_MIN))
        return i0;
    uint32_t h = i0 - 1, len;
    const char *p = tok_text(s, h, &len);
    if (s->tok[h].kind != EX_TOK_NUMBER || len > 2 || p[0] < '0' || p[0] > '9' ||
        (len == 2 && (p[1] < '0' || p[1] > '9')))
        return i0;
    int hh = len == 2 ? (p[0] - '0') * 10 + p[1] - '0' : p[0] - '0';
    int y, m, dd, sh, sm, eh, em;
    if (hh < 1 || hh > 12 || sscanf(d->value, "%4d-%2d-%2dT%2d:%2d", &y, &m, &dd, &sh, &sm) != 5 ||
        sscanf(d->value_end + 11, "%2d:%2d", &eh, &em) != 2)
        return i0;
    if (hh < 12 && hh < sh)
        hh += 12; /* "5 tomorrow afternoon": 17:00 */
    if (hh == 12 && sh < 12)
        hh = 0;
    if (hh < sh || hh > eh)
        return i0; /* not in that part of the day */
    uint32_t an = 0, first = h;
    if (h > 0 && lookup_kind(s, h - 1, K_AT, &an) != INT16_MIN && an == 1)
        first = h - 1;
    else if (h > 0 && s->tok[h - 1].kind != EX_TOK_PUNCT)
        return i0; /* "they won 3 tomorrow morning": a count; "at 3", or "3" opening a clause */
    snprintf(d->value + 11, sizeof d->value - 11, "%02d:00", hh);
    d->value_end[0] = '\0';
    d->start = s->tok[first].start;
    return first;
}

/* "18th Dec for 10 days", "4pm for 30 mins", "from 4pm for thirty minutes": a day or a time
 * followed by "for" and a count of days, weeks, hours or minutes becomes the span from it to
 * that many units later (the start's "from" bound is then no bound). *next moves past it. */
static void duration_span(scan *s, size_t k, uint32_t *next)
{
    uint32_t j = *next, fn = 0, cn = 0, un = 0;
    if (lookup_kind(s, j, K_FOR, &fn) == INT16_MIN)
        return;
    int cnt = tok_count(s, j + fn, &cn);
    int unit = cnt > 0 ? tok_unit(s, j + fn + cn, &un) : INT16_MIN;
    ex_date *d = &EX_VEC_AT(s->doc->dates, ex_date, k);
    if (unit == INT16_MIN || d->value_end[0] || d->bound == EX_DATE_BOUND_BEFORE)
        return;
    int y, m, dd, hh = 0, mi = 0;
    if (d->grain == EX_GRAIN_DAY && unit >= 1 && unit <= 7 &&
        sscanf(d->value, "%4d-%2d-%2d", &y, &m, &dd) == 3) {
        civil_from_days(days_from_civil(y, m, dd) + (long)cnt * unit, &y, &m, &dd);
        snprintf(d->value_end, sizeof d->value_end, "%04d-%02d-%02d", y, m, dd);
    } else if (d->grain == EX_GRAIN_MINUTE && unit < 0 && (long)cnt * -unit <= 24 * 60 &&
               sscanf(d->value, "%4d-%2d-%2dT%2d:%2d", &y, &m, &dd, &hh, &mi) == 5) {
        long t = days_from_civil(y, m, dd) * 1440L + hh * 60 + mi + (long)cnt * -unit;
        civil_from_days(t / 1440, &y, &m, &dd);
        snprintf(d->value_end, sizeof d->value_end, "%04d-%02d-%02dT%02d:%02d", y, m, dd,
                 (int)(t % 1440 / 60), (int)(t % 60));
    } else {
        return;
    }
    d->bound = 0;
    *next = j + fn + cn + un;
    d->end = s->tok[*next - 1].end;
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
    s.ref_offset = reference_offset(doc);
    s.ref_has_time = s.ref_min >= 0;
    if (s.ref_min < 0)
        s.ref_min = 0;
    uint32_t i = 0;
    uint32_t prev_i0 = 0, prev_i1 = 0; /* tokens of the last item, when it is the last of the vec */
    uint32_t prev_core = 0;            /* where its last part (a time after a day) begins */
    bool prev_clock = false, prev_ampm = false;
    int prev_bare = 0, prev_zone = 0;
    while (i < s.ntok) {
        uint32_t next = i + 1;
        bool matched = false;
        uint32_t before = doc->dates.len;
        s.last_zone = 0;
        ex_status st = match_at(&s, i, &next, &matched);
        if (st != EX_OK || s.status != EX_OK)
            return ex_fail(err, errlen, EX_ENOMEM, "dates: out of memory");
        if (!matched || next <= i) {
            i++;
            continue;
        }
        if (doc->dates.len == before + 1) {
            uint32_t i0 = i; /* the item's first token (a cue before it is not part of it) */
            ex_date *cur = &EX_VEC_AT(doc->dates, ex_date, before);
            while (i0 + 1 < next && s.tok[i0].start < cur->start)
                i0++;
            i0 = hour_before_part(&s, cur, i0);
            i0 = prefix_rules(&s, cur, i0);
            bool clock = s.last_clock, ampm = clock && s.last_ampm;
            int bare = s.last_bare_day, zone = s.last_zone;
            uint32_t core = prev_core;
            if (before > 0 && prev_i1 <= i0 &&
                join_items(&s, before - 1, prev_i0, prev_i1, i0, prev_clock, prev_bare, clock,
                           prev_ampm, ampm, prev_zone, zone, &core)) {
                prev_i1 = next; /* merged into the previous item */
                prev_core = core;
                prev_clock = prev_clock || clock;
                prev_bare = 0;
            } else {
                open_bound(&s, before, i0);
                prev_i0 = prev_core = i0;
                prev_i1 = next;
                prev_clock = clock;
                prev_ampm = ampm;
                prev_bare = bare;
                prev_zone = zone;
            }
        }
        if (doc->dates.len > before)
            duration_span(&s, doc->dates.len - 1, &next);
        i = next;
    }
    return EX_OK;
}
