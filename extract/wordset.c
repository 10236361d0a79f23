/*
 * wordset.c — immutable-after-loading sets of UTF-8 strings (ex_wordset_*) and the UTF-8
 * lower-caser ex_utf8_lower, both declared in extract/internal.h.
 *
 * May touch: only the set it is given (its slot table and its string pool, both malloc'd and
 * owned by the set) and the caller's output buffers. No globals: a loaded set is read by every
 * worker thread at once without locks, so nothing here writes on lookup.
 *
 * The set is an open-addressing hash table (linear probing, FNV-1a 64-bit hash, load factor at
 * most 1/2, power-of-two size). Each slot keeps the full hash and the length so a probe compares
 * bytes only on a real candidate. Strings are copied into a chained pool of large chunks, so
 * adding a word is not one malloc per word and the pointers stay valid as the pool grows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#include "internal.h"

#define WORDSET_MIN_SLOTS 64u
#define POOL_CHUNK 16384u

typedef struct wordset_slot {
    uint64_t hash;
    const char *s; /* NULL = empty slot */
    uint32_t n;
} wordset_slot;

typedef struct pool_chunk {
    struct pool_chunk *next;
    size_t size, pos;
    char data[];
} pool_chunk;

struct ex_wordset {
    wordset_slot *slots;
    size_t mask;  /* slot count − 1 */
    size_t count; /* entries */
    pool_chunk *pool;
};

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037ull;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ull;
    }
    return h;
}

ex_wordset *ex_wordset_new(void)
{
    ex_wordset *set = calloc(1, sizeof *set);
    if (!set)
        return NULL;
    set->slots = calloc(WORDSET_MIN_SLOTS, sizeof *set->slots);
    if (!set->slots) {
        free(set);
        return NULL;
    }
    set->mask = WORDSET_MIN_SLOTS - 1;
    return set;
}

void ex_wordset_free(ex_wordset *set)
{
    if (!set)
        return;
    pool_chunk *c = set->pool;
    while (c) {
        pool_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(set->slots);
    free(set);
}

size_t ex_wordset_size(const ex_wordset *set)
{
    return set ? set->count : 0;
}

/* The slot holding (hash, s, n), or the empty slot where it would go. */
static wordset_slot *find_slot(wordset_slot *slots, size_t mask, uint64_t hash, const char *s,
                               size_t n)
{
    size_t i = (size_t)hash & mask;
    for (;;) {
        wordset_slot *sl = &slots[i];
        if (!sl->s)
            return sl;
        if (sl->hash == hash && sl->n == n && memcmp(sl->s, s, n) == 0)
            return sl;
        i = (i + 1) & mask;
    }
}

static int grow(ex_wordset *set)
{
    size_t size = (set->mask + 1) * 2;
    wordset_slot *slots = calloc(size, sizeof *slots);
    if (!slots)
        return -1;
    for (size_t i = 0; i <= set->mask; i++) {
        const wordset_slot *old = &set->slots[i];
        if (!old->s)
            continue;
        size_t j = (size_t)old->hash & (size - 1);
        while (slots[j].s)
            j = (j + 1) & (size - 1);
        slots[j] = *old;
    }
    free(set->slots);
    set->slots = slots;
    set->mask = size - 1;
    return 0;
}

static const char *pool_copy(ex_wordset *set, const char *s, size_t n)
{
    pool_chunk *c = set->pool;
    if (!c || c->size - c->pos < n + 1) {
        size_t size = n + 1 > POOL_CHUNK ? n + 1 : POOL_CHUNK;
        pool_chunk *nc = malloc(sizeof *nc + size);
        if (!nc)
            return NULL;
        nc->size = size;
        nc->pos = 0;
        nc->next = c;
        set->pool = nc;
        c = nc;
    }
    char *p = c->data + c->pos;
    memcpy(p, s, n);
    p[n] = '\0';
    c->pos += n + 1;
    return p;
}

int ex_wordset_add(ex_wordset *set, const char *s, size_t n)
{
    if (!set || (!s && n) || n > UINT32_MAX)
        return -1;
    if (!s)
        s = "";
    uint64_t h = fnv1a(s, n);
    wordset_slot *sl = find_slot(set->slots, set->mask, h, s, n);
    if (sl->s)
        return 0; /* already there */
    if ((set->count + 1) * 2 > set->mask + 1) {
        if (grow(set) != 0)
            return -1;
        sl = find_slot(set->slots, set->mask, h, s, n);
    }
    const char *copy = pool_copy(set, s, n);
    if (!copy)
        return -1;
    sl->hash = h;
    sl->s = copy;
    sl->n = (uint32_t)n;
    set->count++;
    return 0;
}

bool ex_wordset_has(const ex_wordset *set, const char *s, size_t n)
{
    if (!set || set->count == 0 || (!s && n))
        return false;
    if (!s)
        s = "";
    uint64_t h = fnv1a(s, n);
    size_t i = (size_t)h & set->mask;
    for (;;) {
        const wordset_slot *sl = &set->slots[i];
        if (!sl->s)
            return false;
        if (sl->hash == h && sl->n == n && memcmp(sl->s, s, n) == 0)
            return true;
        i = (i + 1) & set->mask;
    }
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

int ex_wordset_load_file(ex_wordset *set, const char *path, char *err, size_t errlen)
{
    if (!set || !path) {
        ex_fail(err, errlen, EX_EINVAL, "wordset: no set or path");
        return -1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        ex_fail(err, errlen, EX_EIO, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    unsigned lineno = 0;
    int rc = 0;
    while ((got = getline(&line, &cap, f)) >= 0) {
        lineno++;
        size_t a = 0, b = (size_t)got;
        if (lineno == 1 && b >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
            a = 3; /* a byte-order mark is not part of the first word */
        while (a < b && is_blank(line[a]))
            a++;
        while (b > a && is_blank(line[b - 1]))
            b--;
        if (a == b || line[a] == '#')
            continue;
        utf8proc_int32_t cp;
        for (size_t i = a; i < b;) {
            utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)line + i,
                                                  (utf8proc_ssize_t)(b - i), &cp);
            if (k <= 0) {
                ex_fail(err, errlen, EX_EIO, "%s:%u: invalid UTF-8", path, lineno);
                rc = -1;
                goto out;
            }
            i += (size_t)k;
        }
        if (ex_wordset_add(set, line + a, b - a) != 0) {
            ex_fail(err, errlen, EX_ENOMEM, "%s:%u: out of memory", path, lineno);
            rc = -1;
            goto out;
        }
    }
    if (ferror(f)) {
        ex_fail(err, errlen, EX_EIO, "cannot read %s", path);
        rc = -1;
    }
out:
    free(line);
    fclose(f);
    return rc;
}

int ex_utf8_lower(const char *s, size_t n, char *out, size_t outcap)
{
    if ((!s && n) || !out || outcap == 0)
        return -1;
    size_t o = 0, i = 0;
    while (i < n) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x80) { /* ASCII fast path */
            if (o + 1 >= outcap)
                return -1;
            out[o++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
            i++;
            continue;
        }
        utf8proc_int32_t cp;
        utf8proc_ssize_t k = utf8proc_iterate((const utf8proc_uint8_t *)s + i,
                                              (utf8proc_ssize_t)(n - i), &cp);
        if (k <= 0)
            return -1;
        i += (size_t)k;
        /* Full case folding (ß → ss, ſ → s, final ς → σ); most code points fold to one. */
        utf8proc_int32_t folded[8];
        int fopts = UTF8PROC_CASEFOLD;
        utf8proc_ssize_t nf = utf8proc_decompose_char(cp, folded, 8, (utf8proc_option_t)fopts,
                                                      NULL);
        if (nf < 0 || nf > 8)
            return -1;
        for (utf8proc_ssize_t j = 0; j < nf; j++) {
            utf8proc_uint8_t enc[4];
            utf8proc_ssize_t m = utf8proc_encode_char(folded[j], enc);
            if (m <= 0 || o + (size_t)m >= outcap)
                return -1;
            memcpy(out + o, enc, (size_t)m);
            o += (size_t)m;
        }
    }
    if (o > INT32_MAX)
        return -1;
    out[o] = '\0';
    return (int)o;
}
