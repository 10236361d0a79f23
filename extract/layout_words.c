/*
 * layout_words.c — the layout stage's word table and its small text grammar: loading
 * data/{fr,en}/layout-*.txt, data/common/layout-agencies.txt and the month and weekday lines of
 * data/{fr,en}/dates.txt into one sorted table (ex_layout_res), looking phrases up in it,
 * reading dates ("20 novembre 2023", "1er janvier 2016", "Nov. 20, 2023", "Thursday, May 7, 2015",
 * "20/11/2023", "2023-11-20") and personal names out of short lines, and the shapes of one line
 * (headline, subheading, quotation, dateline, ISO 8601 date). layout.c decides what each
 * paragraph is; this file only answers questions about one line.
 *
 * May touch: the ex_layout_res it builds (malloc'd, owned by the resources, freed by
 * ex_layout_res_free) and res->layout; the caller's output arguments. Calls no stage; reads no
 * document. Used by layout.c only (layout_internal.h).
 *
 * The table: entries {lower-cased phrase, kind, value}, sorted by phrase bytes; one phrase may
 * carry several kinds ("le" a particle, "mis à jour" an update marker). Lookups are a binary
 * search over exact lower-cased bytes, so a lookup costs O(log n) and never allocates.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "layout_internal.h"

/* ---- loading --------------------------------------------------------------------------------- */

static void lw_destroy(struct ex_layout_res *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        free(r->e[i].key);
    free(r->e);
    free(r);
}

static ex_status lw_add(struct ex_layout_res *r, const char *phrase, size_t n, int kind, int val,
                        char *err, size_t errlen)
{
    char low[512];
    int ln = ex_utf8_lower(phrase, n, low, sizeof low);
    if (ln <= 0)
        return ex_fail(err, errlen, EX_EIO, "layout: bad phrase \"%.*s\"", (int)n, phrase);
    if (r->n == r->cap) {
        size_t nc = r->cap ? r->cap * 2 : 512;
        lw_entry *ne = realloc(r->e, nc * sizeof *ne);
        if (!ne)
            return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
        r->e = ne;
        r->cap = nc;
    }
    char *key = malloc((size_t)ln + 1);
    if (!key)
        return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
    memcpy(key, low, (size_t)ln);
    key[ln] = '\0';
    r->e[r->n++] = (lw_entry){key, (uint32_t)ln, (uint8_t)kind, (int8_t)val};
    return EX_OK;
}

static const char *const BOILER_NAMES[] = {"related", "share", "credit", "ad", "newsletter",
                                           "other"};
static const struct {
    const char *name;
    int kind;
} BYLINE_KINDS[] = {{"by", LW_BY},         {"published", LW_PUBLISHED}, {"updated", LW_UPDATED},
                    {"conj", LW_CONJ},     {"with", LW_WITH},           {"particle", LW_PARTICLE},
                    {"role", LW_ROLE},     {"dateprefix", LW_DATEPREFIX},
                    {"anon", LW_ANON}};

enum file_format { FF_PLAIN, FF_BYLINES, FF_FURNITURE, FF_DATES };

/* Splits the first white-space separated word off *line; returns it (NUL-terminated in place). */
static char *first_word(char **line)
{
    char *s = *line;
    while (*s == ' ' || *s == '\t')
        s++;
    char *w = s;
    while (*s && *s != ' ' && *s != '\t')
        s++;
    if (*s)
        *s++ = '\0';
    while (*s == ' ' || *s == '\t')
        s++;
    *line = s;
    return w;
}

static ex_status lw_load_file(struct ex_layout_res *r, const char *data_dir, const char *rel,
                              enum file_format ff, int plain_kind, char *err, size_t errlen)
{
    char path[4096], buf[1024];
    int pn = snprintf(path, sizeof path, "%s/%s", data_dir, rel);
    if (pn < 0 || (size_t)pn >= sizeof path)
        return ex_fail(err, errlen, EX_EIO, "layout: path too long");
    FILE *f = fopen(path, "r");
    if (!f)
        return ex_fail(err, errlen, EX_EIO, "layout: cannot open %s", path);
    unsigned lineno = 0;
    ex_status st = EX_OK;
    while (st == EX_OK && fgets(buf, sizeof buf, f)) {
        lineno++;
        size_t len = strcspn(buf, "\r\n");
        buf[len] = '\0';
        while (len > 0 && (buf[len - 1] == ' ' || buf[len - 1] == '\t'))
            buf[--len] = '\0';
        char *line = buf;
        while (*line == ' ' || *line == '\t')
            line++;
        if (*line == '#' || *line == '\0')
            continue;
        int kind = plain_kind, val = 0;
        if (ff == FF_BYLINES) {
            char *k = first_word(&line);
            kind = 0;
            for (size_t i = 0; i < sizeof BYLINE_KINDS / sizeof *BYLINE_KINDS; i++)
                if (strcmp(k, BYLINE_KINDS[i].name) == 0)
                    kind = BYLINE_KINDS[i].kind;
        } else if (ff == FF_FURNITURE) {
            char *k = first_word(&line), *m = first_word(&line);
            kind = 0;
            val = -1;
            for (int i = 0; i < (int)(sizeof BOILER_NAMES / sizeof *BOILER_NAMES); i++)
                if (strcmp(k, BOILER_NAMES[i]) == 0)
                    val = i;
            if (strcmp(m, "line") == 0)
                kind = LW_FURN_LINE;
            else if (strcmp(m, "head") == 0)
                kind = LW_FURN_HEAD;
            else if (strcmp(m, "any") == 0)
                kind = LW_FURN_ANY;
            else if (strcmp(m, "near") == 0)
                kind = LW_FURN_NEAR;
            else if (strcmp(m, "contains") == 0)
                kind = LW_FURN_CONTAINS;
            if (val < 0)
                kind = 0;
        } else if (ff == FF_DATES) {
            /* dates.txt: "month 1 janvier", "weekday 4 thursday", "month 5 may !" */
            char *k = first_word(&line);
            if (strcmp(k, "month") == 0)
                kind = LW_MONTH;
            else if (strcmp(k, "weekday") == 0)
                kind = LW_WEEKDAY;
            else
                continue;
            val = atoi(first_word(&line));
            size_t pl = strlen(line);
            if (pl > 2 && strcmp(line + pl - 2, " !") == 0)
                line[pl - 2] = '\0';
        }
        if (kind == 0 || *line == '\0') {
            st = ex_fail(err, errlen, EX_EIO, "layout: %s:%u: bad line", path, lineno);
            break;
        }
        st = lw_add(r, line, strlen(line), kind, val, err, errlen);
    }
    fclose(f);
    return st;
}

static int lw_cmp(const void *a, const void *b)
{
    const lw_entry *x = a, *y = b;
    uint32_t n = x->n < y->n ? x->n : y->n;
    int c = memcmp(x->key, y->key, n);
    if (c)
        return c;
    return x->n < y->n ? -1 : x->n > y->n;
}

ex_status ex_layout_res_load(ex_resources *res, const char *data_dir, char *err, size_t errlen)
{
    struct ex_layout_res *r = calloc(1, sizeof *r);
    if (!r)
        return ex_fail(err, errlen, EX_ENOMEM, "layout: out of memory");
    static const struct {
        const char *rel;
        enum file_format ff;
        int kind;
    } FILES[] = {
        {"fr/layout-sections.txt", FF_PLAIN, LW_SECTION},
        {"en/layout-sections.txt", FF_PLAIN, LW_SECTION},
        {"common/layout-agencies.txt", FF_PLAIN, LW_AGENCY},
        {"fr/layout-bylines.txt", FF_BYLINES, 0},
        {"en/layout-bylines.txt", FF_BYLINES, 0},
        {"fr/layout-furniture.txt", FF_FURNITURE, 0},
        {"en/layout-furniture.txt", FF_FURNITURE, 0},
        {"fr/dates.txt", FF_DATES, 0},
        {"en/dates.txt", FF_DATES, 0},
    };
    for (size_t i = 0; i < sizeof FILES / sizeof *FILES; i++) {
        ex_status st = lw_load_file(r, data_dir, FILES[i].rel, FILES[i].ff, FILES[i].kind, err,
                                    errlen);
        if (st != EX_OK) {
            lw_destroy(r);
            return st;
        }
    }
    /* the first word of every furniture phrase and of every byline phrase, so that most
     * paragraphs are rejected after looking one word up */
    size_t loaded = r->n;
    for (size_t i = 0; i < loaded; i++) {
        int k = r->e[i].kind;
        int first_kind;
        if (k == LW_FURN_LINE || k == LW_FURN_HEAD || k == LW_FURN_ANY || k == LW_FURN_NEAR ||
            k == LW_FURN_CONTAINS)
            first_kind = LW_FURN_FIRST;
        else if (k == LW_BY || k == LW_PUBLISHED || k == LW_UPDATED || k == LW_ANON ||
                 k == LW_WITH || k == LW_AGENCY)
            first_kind = LW_BYFIRST;
        else
            continue;
        char first[512];
        size_t fl = strcspn(r->e[i].key, " /");
        memcpy(first, r->e[i].key, fl);
        ex_status st = lw_add(r, first, fl, first_kind, 0, err, errlen);
        if (st != EX_OK) {
            lw_destroy(r);
            return st;
        }
    }
    qsort(r->e, r->n, sizeof *r->e, lw_cmp);
    res->layout = r;
    return EX_OK;
}

void ex_layout_res_free(ex_resources *res)
{
    lw_destroy(res->layout);
    res->layout = NULL;
}

/* ---- lookups --------------------------------------------------------------------------------- */

bool lw_range(const struct ex_layout_res *r, const char *low, size_t n, const lw_entry **first,
              const lw_entry **last)
{
    if (!r || n == 0)
        return false;
    lw_entry key = {(char *)low, (uint32_t)n, 0, 0};
    size_t lo = 0, hi = r->n;
    while (lo < hi) { /* lower bound */
        size_t mid = lo + (hi - lo) / 2;
        if (lw_cmp(&r->e[mid], &key) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo >= r->n || lw_cmp(&r->e[lo], &key) != 0)
        return false;
    size_t end = lo;
    while (end < r->n && lw_cmp(&r->e[end], &key) == 0)
        end++;
    *first = &r->e[lo];
    *last = &r->e[end];
    return true;
}

bool lw_has_low(const struct ex_layout_res *r, const char *low, size_t n, int kind, int *val)
{
    const lw_entry *a, *b;
    if (!lw_range(r, low, n, &a, &b))
        return false;
    for (; a < b; a++) {
        if (a->kind == kind) {
            if (val)
                *val = a->val;
            return true;
        }
    }
    return false;
}

bool lw_has(const struct ex_layout_res *r, const char *s, size_t n, int kind, int *val)
{
    char low[256];
    if (n == 0 || n > 120)
        return false;
    int ln = ex_utf8_lower(s, n, low, sizeof low);
    return ln > 0 && lw_has_low(r, low, (size_t)ln, kind, val);
}

/* ---- characters ------------------------------------------------------------------------------ */

size_t lay_decode(const char *s, size_t avail, uint32_t *cp)
{
    const unsigned char *u = (const unsigned char *)s;
    unsigned char c = u[0];
    if (c < 0x80 || avail < 2) {
        *cp = c;
        return 1;
    }
    if (c < 0xE0) {
        *cp = ((uint32_t)(c & 0x1F) << 6) | (u[1] & 0x3F);
        return 2;
    }
    if (c < 0xF0) {
        if (avail < 3) {
            *cp = c;
            return 1;
        }
        *cp = ((uint32_t)(c & 0x0F) << 12) | ((uint32_t)(u[1] & 0x3F) << 6) | (u[2] & 0x3F);
        return 3;
    }
    if (avail < 4) {
        *cp = c;
        return 1;
    }
    *cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(u[1] & 0x3F) << 12) |
          ((uint32_t)(u[2] & 0x3F) << 6) | (u[3] & 0x3F);
    return 4;
}

/* Start of the code point that ends just before byte k (k > 0). */
size_t lay_prev(const char *s, size_t k)
{
    size_t i = k - 1;
    while (i > 0 && ((unsigned char)s[i] & 0xC0) == 0x80)
        i--;
    return i;
}

bool lay_is_upper(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'A' && cp <= 'Z';
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return c == UTF8PROC_CATEGORY_LU || c == UTF8PROC_CATEGORY_LT;
}

bool lay_is_lower(uint32_t cp)
{
    if (cp < 0x80)
        return cp >= 'a' && cp <= 'z';
    return utf8proc_category((utf8proc_int32_t)cp) == UTF8PROC_CATEGORY_LL;
}

bool lay_is_letter(uint32_t cp)
{
    if (cp < 0x80)
        return (cp | 0x20) >= 'a' && (cp | 0x20) <= 'z';
    utf8proc_category_t c = utf8proc_category((utf8proc_int32_t)cp);
    return (c >= UTF8PROC_CATEGORY_LU && c <= UTF8PROC_CATEGORY_LO) ||
           (c >= UTF8PROC_CATEGORY_MN && c <= UTF8PROC_CATEGORY_ME);
}

/* A dash that can separate a dateline or an attribution: - – — (and ‒ ―). Returns its length
 * at s[i] or 0. */
size_t lay_dash_at(const char *s, size_t n, size_t i)
{
    if (i >= n)
        return 0;
    if (s[i] == '-')
        return 1;
    if (i + 3 <= n && (unsigned char)s[i] == 0xE2 && (unsigned char)s[i + 1] == 0x80 &&
        (unsigned char)s[i + 2] >= 0x92 && (unsigned char)s[i + 2] <= 0x95)
        return 3;
    return 0;
}

/* End of the word at s[i] (letters, with inner ' and - between letters); i when none. */
size_t lay_word_end(const char *s, size_t n, size_t i)
{
    size_t j = i;
    while (j < n) {
        uint32_t cp;
        size_t l = lay_decode(s + j, n - j, &cp);
        if (lay_is_letter(cp)) {
            j += l;
            continue;
        }
        if ((cp == '\'' || cp == '-') && j > i && j + 1 < n) {
            uint32_t nx;
            lay_decode(s + j + 1, n - j - 1, &nx);
            if (lay_is_letter(nx)) {
                j += 1;
                continue;
            }
        }
        break;
    }
    return j;
}

size_t lay_skip_spaces(const char *s, size_t n, size_t i)
{
    while (i < n && s[i] == ' ')
        i++;
    return i;
}

/* ---- dates ----------------------------------------------------------------------------------- */

static int days_in(int y, int m)
{
    static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
        return 29;
    return d[m - 1];
}

static bool valid_ymd(int y, int m, int d)
{
    return y >= 1800 && y <= 2199 && m >= 1 && m <= 12 && d >= 1 && d <= days_in(y, m);
}

/* Digits at s[i]: up to max of them; returns how many (0 = none), *v their value. */
static size_t read_num(const char *s, size_t n, size_t i, size_t max, int *v)
{
    size_t k = 0;
    int x = 0;
    while (i + k < n && k < max && s[i + k] >= '0' && s[i + k] <= '9') {
        x = x * 10 + (s[i + k] - '0');
        k++;
    }
    if (i + k < n && s[i + k] >= '0' && s[i + k] <= '9')
        return 0; /* longer than max */
    *v = x;
    return k;
}

/* A month or weekday word at s[i] (with its abbreviation dot when the table has one). */
static bool calendar_word(const struct ex_layout_res *r, const char *s, size_t n, size_t i,
                          int kind, int *val, size_t *end)
{
    size_t e = lay_word_end(s, n, i);
    if (e == i || e - i > 24)
        return false;
    if (e < n && s[e] == '.' && lw_has(r, s + i, e - i + 1, kind, val)) {
        *end = e + 1;
        return true;
    }
    if (lw_has(r, s + i, e - i, kind, val)) {
        *end = e;
        return true;
    }
    if (e < n && s[e] == '.') { /* "Sept." when only "sept" is known, or the reverse */
        char tmp[32];
        memcpy(tmp, s + i, e - i);
        tmp[e - i] = '.';
        if (lw_has(r, tmp, e - i + 1, kind, val)) {
            *end = e + 1;
            return true;
        }
    } else {
        char tmp[32];
        memcpy(tmp, s + i, e - i);
        tmp[e - i] = '.';
        if (lw_has(r, tmp, e - i + 1, kind, val)) {
            *end = e;
            return true;
        }
    }
    return false;
}

/* Ordinal suffix after a day number: "er" (1er), "st", "nd", "rd", "th", "e"; also "1 er". */
static size_t day_suffix(const char *s, size_t n, size_t i)
{
    static const char *const suf[] = {"er", "st", "nd", "rd", "th"};
    size_t j = i;
    if (j < n && s[j] == ' ' && j + 3 <= n && s[j + 1] == 'e' && s[j + 2] == 'r' &&
        (j + 3 == n || s[j + 3] == ' '))
        return 3; /* "1 er" (Wikinews) */
    for (size_t k = 0; k < sizeof suf / sizeof *suf; k++) {
        size_t l = strlen(suf[k]);
        if (j + l <= n && memcmp(s + j, suf[k], l) == 0) {
            uint32_t cp = ' ';
            if (j + l < n)
                lay_decode(s + j + l, n - j - l, &cp);
            if (!lay_is_letter(cp))
                return l;
        }
    }
    return 0;
}

bool lay_date_at(const struct ex_layout_res *r, const char *s, size_t n, size_t i, lay_ymd *out,
                 size_t *end)
{
    int wd;
    size_t e;
    /* an optional weekday: "Thursday, May 7, 2015", "jeudi 7 mai 2015" */
    if (i < n && !(s[i] >= '0' && s[i] <= '9') && calendar_word(r, s, n, i, LW_WEEKDAY, &wd, &e)) {
        size_t j = e;
        if (j < n && s[j] == ',')
            j++;
        j = lay_skip_spaces(s, n, j);
        if (j == e) /* a weekday glued to what follows is not one */
            return false;
        i = j;
    }
    if (i >= n)
        return false;
    int a, b, y, m;
    size_t k;
    if (s[i] >= '0' && s[i] <= '9') {
        k = read_num(s, n, i, 4, &a);
        if (k == 0)
            return false;
        size_t j = i + k;
        if (k == 4 && j + 6 <= n && s[j] == '-') { /* 2023-11-20 */
            if (read_num(s, n, j + 1, 2, &m) != 2 || s[j + 3] != '-' ||
                read_num(s, n, j + 4, 2, &b) != 2 || !valid_ymd(a, m, b))
                return false;
            *out = (lay_ymd){a, m, b};
            *end = j + 6;
            return true;
        }
        if (k <= 2 && j < n && (s[j] == '/' || s[j] == '.') && j + 1 < n && s[j + 1] >= '0' &&
            s[j + 1] <= '9') { /* 20/11/2023, 20.11.2023 (11/20/2023 when it cannot be D/M) */
            char sep = s[j];
            size_t k2 = read_num(s, n, j + 1, 2, &b);
            size_t j2 = j + 1 + k2;
            if (k2 == 0 || j2 >= n || s[j2] != sep || read_num(s, n, j2 + 1, 4, &y) != 4)
                return false;
            int d = a, mo = b;
            if (mo > 12 && d <= 12) {
                d = b;
                mo = a;
            }
            if (!valid_ymd(y, mo, d))
                return false;
            *out = (lay_ymd){y, mo, d};
            *end = j2 + 5;
            return true;
        }
        if (k > 2)
            return false;
        j += day_suffix(s, n, j);
        j = lay_skip_spaces(s, n, j);
        if (!calendar_word(r, s, n, j, LW_MONTH, &m, &e))
            return false;
        j = e;
        if (j < n && s[j] == ',')
            j++;
        j = lay_skip_spaces(s, n, j);
        if (read_num(s, n, j, 4, &y) != 4 || !valid_ymd(y, m, a))
            return false;
        *out = (lay_ymd){y, m, a};
        *end = j + 4;
        return true;
    }
    /* May 7, 2015 / Nov. 20, 2023 */
    if (!calendar_word(r, s, n, i, LW_MONTH, &m, &e))
        return false;
    size_t j = lay_skip_spaces(s, n, e);
    k = read_num(s, n, j, 2, &a);
    if (k == 0 || j == e)
        return false;
    j += k;
    j += day_suffix(s, n, j);
    if (j < n && s[j] == ',')
        j++;
    size_t j2 = lay_skip_spaces(s, n, j);
    if (j2 == j && s[j - 1] != ',')
        return false;
    if (read_num(s, n, j2, 4, &y) != 4 || !valid_ymd(y, m, a))
        return false;
    *out = (lay_ymd){y, m, a};
    *end = j2 + 4;
    return true;
}

/* ---- names ----------------------------------------------------------------------------------- */

/* One token of a personal name at s[i]: a capitalised word ("Jean-Yves", "O'Brien", "DUPONT"),
 * an initial ("J.", "J.-P."), or, inside a name, a particle from the table ("de", "van", "d'").
 * Returns its end, or i when there is none. */
static size_t name_token(const struct ex_layout_res *r, const char *s, size_t n, size_t i,
                         bool inside)
{
    if (i >= n)
        return i;
    uint32_t cp;
    lay_decode(s + i, n - i, &cp);
    size_t e = lay_word_end(s, n, i);
    if (e == i)
        return i;
    if (lay_is_upper(cp)) {
        if (lw_has(r, s + i, e - i, LW_ROLE, NULL))
            return i; /* "Staff Writer", "Reporter": a job, not a name */
        /* initials: "J." "J.-P." */
        size_t j = e;
        while (j < n && s[j] == '.') {
            j++;
            if (j < n && s[j] == '-') {
                size_t e2 = lay_word_end(s, n, j + 1);
                if (e2 > j + 1) {
                    j = e2;
                    continue;
                }
            }
            break;
        }
        return (j > e && e - i <= 4) ? j : e;
    }
    if (!inside)
        return i;
    /* a particle: "de", "van", or "d'" glued to the next capitalised word */
    if (e < n && s[e] == ' ' && lw_has(r, s + i, e - i, LW_PARTICLE, NULL)) {
        uint32_t nx;
        if (e + 1 < n) {
            lay_decode(s + e + 1, n - e - 1, &nx);
            size_t e2 = lay_word_end(s, n, e + 1);
            if (lay_is_upper(nx) || /* "van der Berg" */
                (e2 > e + 1 && e2 < n && s[e2] == ' ' &&
                 lw_has(r, s + e + 1, e2 - e - 1, LW_PARTICLE, NULL)))
                return e;
        }
    }
    for (size_t k = i; k < e; k++) {
        if (s[k] == '\'' && lw_has(r, s + i, k - i + 1, LW_PARTICLE, NULL)) {
            uint32_t nx;
            lay_decode(s + k + 1, n - k - 1, &nx);
            if (lay_is_upper(nx))
                return e;
        }
    }
    return i;
}

size_t lay_name_at(const struct ex_layout_res *r, const char *s, size_t n, size_t i,
                   unsigned *tokens)
{
    size_t j = i, last_end = i;
    unsigned t = 0;
    bool last_particle = false;
    while (t < 7) {
        size_t e = name_token(r, s, n, j, t > 0);
        if (e == j)
            break;
        uint32_t cp;
        lay_decode(s + j, n - j, &cp);
        last_particle = !lay_is_upper(cp);
        t++;
        if (!last_particle)
            last_end = e;
        if (e < n && s[e] == ' ') {
            j = e + 1;
            continue;
        }
        j = e;
        break;
    }
    if (t == 0 || last_end == i)
        return i;
    *tokens = t;
    return last_end;
}

/* ---- line shapes ----------------------------------------------------------------------------- */

unsigned lay_count_words(const char *s, size_t n, unsigned stop)
{
    unsigned w = n > 0;
    for (size_t i = 0; i < n && w <= stop; i++)
        w += s[i] == ' ';
    return w;
}

static bool is_closer(uint32_t cp)
{
    return cp == '"' || cp == '\'' || cp == ')' || cp == ']' || cp == 0xBB || cp == 0x201D ||
           cp == 0x2019 || cp == 0x203A;
}

/* The last code point that is neither a space nor a closing quote or bracket; *at its start. */
uint32_t lay_last_sig(const char *s, size_t n, size_t *at)
{
    size_t k = n;
    while (k > 0) {
        size_t b = lay_prev(s, k);
        uint32_t cp;
        lay_decode(s + b, k - b, &cp);
        if (cp != ' ' && !is_closer(cp)) {
            if (at)
                *at = b;
            return cp;
        }
        k = b;
    }
    return 0;
}

/* Does the paragraph end with a sentence-final period (not an ellipsis "...")? */
bool lay_ends_period(const char *s, size_t n)
{
    size_t at = 0;
    if (lay_last_sig(s, n, &at) != '.')
        return false;
    return !(at > 0 && s[at - 1] == '.');
}

uint32_t lay_first_cp(const char *s, size_t n)
{
    uint32_t cp = 0;
    if (n)
        lay_decode(s, n, &cp);
    return cp;
}

bool lay_is_open_quote(uint32_t cp)
{
    return cp == 0xAB || cp == 0x201C || cp == '"' || cp == 0x201E || cp == 0x2039;
}

bool lay_title_like(const char *s, size_t n)
{
    if (n == 0 || n > 300 || lay_count_words(s, n, 36) > 35 || lay_ends_period(s, n))
        return false;
    uint32_t f = lay_first_cp(s, n), l = lay_last_sig(s, n, NULL);
    if (lay_is_lower(f) || lay_dash_at(s, n, 0))
        return false;
    return !(l == ':' || l == ',' || l == ';');
}

bool lay_subheading_like(const char *s, size_t n)
{
    if (n == 0 || n > 120 || lay_count_words(s, n, 15) > 14 || lay_ends_period(s, n))
        return false;
    uint32_t f = lay_first_cp(s, n), l = lay_last_sig(s, n, NULL);
    if (!(lay_is_upper(f) || (f >= '0' && f <= '9')))
        return false;
    if (l == ':' || l == ',' || l == ';' || l == '-' || l == 0x2013 || l == 0x2014)
        return false;
    /* a long question is an interviewer's, not a subheading ("Et après ?", "How much will
     * residents save?" are) */
    if (l == '?' && lay_count_words(s, n, 10) > 8)
        return false;
    return true;
}

static uint32_t closer_of(uint32_t open)
{
    switch (open) {
    case 0xAB:
        return 0xBB;
    case 0x201C:
        return 0x201D;
    case 0x201E:
        return 0x201C;
    case 0x2039:
        return 0x203A;
    default:
        return '"';
    }
}

/* The paragraph is one quotation: « … », “ … ”, " … " (a final period after it allowed). */
bool lay_quote_only(const char *s, size_t n)
{
    if (n < 4 || n > 1200)
        return false;
    uint32_t open;
    size_t ol = lay_decode(s, n, &open);
    if (!lay_is_open_quote(open))
        return false;
    uint32_t close = closer_of(open);
    size_t m = n;
    while (m > 0 && (s[m - 1] == ' ' || s[m - 1] == '.'))
        m--;
    if (m <= ol)
        return false;
    size_t b = lay_prev(s, m);
    uint32_t last;
    lay_decode(s + b, m - b, &last);
    if (last != close && !(open == 0x201E && last == 0x201D))
        return false;
    /* no closing mark before the end: "« A », dit-il, « B »" is not one quotation */
    for (size_t i = ol; i < b;) {
        uint32_t cp;
        size_t l = lay_decode(s + i, b - i, &cp);
        if (cp == close && close != '"')
            return false;
        if (cp == '"' && close == '"')
            return false;
        i += l;
    }
    return true;
}

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
bool lay_iso8601_date(const char *s, size_t n, char date[11])
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

/* ---- datelines ------------------------------------------------------------------------------- */

/* Does the paragraph open with a dateline? *dated with the date when it carries a full one. */
bool lay_dateline(const struct ex_layout_res *r, const char *s, size_t n, lay_ymd *date,
                  bool *dated, uint32_t *ag_s, uint32_t *ag_e)
{
    *dated = false;
    *ag_s = *ag_e = 0;
    size_t e;
    if (n == 0)
        return false;
    /* "22 mai 2012. –", "2 janvier 2018 . –", "1er janvier 2016, 14h30 . –",
     * "Thursday, May 7, 2015" (alone) */
    if (lay_date_at(r, s, n, 0, date, &e)) {
        /* a weekday and a full date open the paragraph: "Thursday, May 7, 2015 On Tuesday…" */
        size_t w0 = lay_word_end(s, n, 0);
        if (w0 > 0 && lw_has(r, s, w0, LW_WEEKDAY, NULL) && e + 1 < n && s[e] == ' ' &&
            lay_is_upper(lay_first_cp(s + e + 1, n - e - 1))) {
            *dated = true;
            return true;
        }
        unsigned letters = 0;
        /* after a comma, a place may come before the dash: "12 mars 2016, Montpellier . –" */
        bool place = e < n && s[e] == ',';
        size_t lim = e + (place ? 80 : 48) < n ? e + (place ? 80 : 48) : n;
        for (size_t j = e; j < lim;) {
            uint32_t cp;
            size_t l = lay_decode(s + j, n - j, &cp);
            size_t d = lay_dash_at(s, n, j);
            if (d && (j == e || s[j - 1] == ' ' || s[j - 1] == '.') &&
                (j + d >= n || s[j + d] == ' ')) {
                *dated = true;
                return true;
            }
            if (lay_is_letter(cp) && ++letters > 6 && !place)
                break;
            if (cp == '.' && j + 1 < n && s[j + 1] == ' ' && j + 2 < n &&
                lay_is_upper(lay_first_cp(s + j + 2, n - j - 2)))
                break; /* a sentence ends: "22 mai 2012. Le …" is not a dateline */
            j += l;
        }
        if (letters <= 6 && n - e <= 40) {
            /* the date alone, maybe with a time: "Thursday, May 7, 2015", "2 mai 2016, 10 h" */
            unsigned lt = 0;
            for (size_t j = e; j < n;) {
                uint32_t cp;
                j += lay_decode(s + j, n - j, &cp);
                lt += lay_is_letter(cp);
            }
            if (lt <= 6) {
                *dated = true;
                return true;
            }
        }
        return false;
    }
    /* "PARIS (AFP) –", "WASHINGTON —", "LONDRES, 3 mars 2024 (Reuters) -" */
    size_t i = 0;
    unsigned caps = 0;
    while (i < n) {
        uint32_t cp;
        size_t l = lay_decode(s + i, n - i, &cp);
        if (lay_is_upper(cp)) {
            caps++;
        } else if (lay_is_lower(cp)) {
            return false;
        } else if (!(cp == ' ' || cp == '-' || cp == '\'' || cp == '.')) {
            break;
        }
        if (lay_dash_at(s, n, i) && i > 0 && s[i - 1] == ' ')
            break;
        i += l;
    }
    if (caps < 2)
        return false;
    size_t lim = n < 100 ? n : 100;
    for (size_t j = i; j < lim; j++) {
        size_t d = lay_dash_at(s, n, j);
        if (d && j > 0 && s[j - 1] == ' ' && (j + d >= n || s[j + d] == ' ')) {
            const char *op = memchr(s + i, '(', j - i); /* "(AFP)" */
            const char *cl = op ? memchr(op, ')', (size_t)(s + j - op)) : NULL;
            if (op && cl && lw_has(r, op + 1, (size_t)(cl - op - 1), LW_AGENCY, NULL)) {
                *ag_s = (uint32_t)(op + 1 - s);
                *ag_e = (uint32_t)(cl - s);
            }
            for (size_t k = i; k < j; k++) { /* a date in the dateline: "LONDRES, 3 mars 2024" */
                if (s[k] >= '0' && s[k] <= '9' && (k == 0 || s[k - 1] == ' ') &&
                    lay_date_at(r, s, j, k, date, &e)) {
                    *dated = true;
                    break;
                }
            }
            return true;
        }
        if (s[j] == '.' && j + 1 < n && s[j + 1] == ' ')
            return false;
    }
    return false;
}
