/*
 * prom.c — Prometheus text exposition writer (see prom.h). The buffer grows by doubling; every
 * write goes through put(), which records an allocation failure once and then ignores the rest.
 * May touch: its own buffer only.
 */
#include "prom.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ed_prom_init(ed_prom *p)
{
    p->buf = NULL;
    p->len = 0;
    p->cap = 0;
    p->oom = 0;
}

void ed_prom_release(ed_prom *p)
{
    if (p == NULL)
        return;
    free(p->buf);
    ed_prom_init(p);
}

char *ed_prom_take(ed_prom *p, size_t *len)
{
    char *out = NULL;
    if (!p->oom) {
        if (p->buf == NULL)
            p->buf = calloc(1, 1);
        out = p->buf;
        if (out != NULL && len != NULL)
            *len = p->len;
        p->buf = NULL;
    }
    ed_prom_release(p);
    return out;
}

static void put(ed_prom *p, const char *s, size_t n)
{
    if (p->oom)
        return;
    if (p->len + n + 1 > p->cap) {
        size_t cap = p->cap ? p->cap : 4096;
        while (cap < p->len + n + 1)
            cap *= 2;
        char *nb = realloc(p->buf, cap);
        if (nb == NULL) {
            p->oom = 1;
            return;
        }
        p->buf = nb;
        p->cap = cap;
    }
    memcpy(p->buf + p->len, s, n);
    p->len += n;
    p->buf[p->len] = '\0';
}

static void puts_(ed_prom *p, const char *s) { put(p, s, strlen(s)); }

/* Writes s with backslash and newline escaped, and double quotes too when quote is set. */
static void put_escaped(ed_prom *p, const char *s, int quote)
{
    const char *run = s;
    for (; *s; s++) {
        const char *esc = NULL;
        if (*s == '\\')
            esc = "\\\\";
        else if (*s == '\n')
            esc = "\\n";
        else if (quote && *s == '"')
            esc = "\\\"";
        if (esc == NULL)
            continue;
        put(p, run, (size_t)(s - run));
        puts_(p, esc);
        run = s + 1;
    }
    put(p, run, (size_t)(s - run));
}

const char *ed_prom_format_double(double v, char *out, size_t outlen)
{
    if (isnan(v))
        snprintf(out, outlen, "NaN");
    else if (isinf(v))
        snprintf(out, outlen, "%s", v > 0 ? "+Inf" : "-Inf");
    else
        snprintf(out, outlen, "%.15g", v);
    return out;
}

/* name{k="v",...,extra_name="extra_value"} with extra optional; no braces when empty. */
static void put_series(ed_prom *p, const char *name, const char *suffix,
                       const char *const *labels, const char *extra_name,
                       const char *extra_value)
{
    puts_(p, name);
    if (suffix != NULL)
        puts_(p, suffix);
    int first = 1;
    for (size_t i = 0; labels != NULL && labels[i] != NULL && labels[i + 1] != NULL; i += 2) {
        puts_(p, first ? "{" : ",");
        first = 0;
        puts_(p, labels[i]);
        puts_(p, "=\"");
        put_escaped(p, labels[i + 1], 1);
        puts_(p, "\"");
    }
    if (extra_name != NULL) {
        puts_(p, first ? "{" : ",");
        first = 0;
        puts_(p, extra_name);
        puts_(p, "=\"");
        put_escaped(p, extra_value, 1);
        puts_(p, "\"");
    }
    if (!first)
        puts_(p, "}");
}

static void put_u64(ed_prom *p, uint64_t v)
{
    char num[32];
    int n = snprintf(num, sizeof num, " %llu\n", (unsigned long long)v);
    put(p, num, (size_t)n);
}

static void put_f64(ed_prom *p, double v)
{
    char num[32];
    puts_(p, " ");
    puts_(p, ed_prom_format_double(v, num, sizeof num));
    puts_(p, "\n");
}

void ed_prom_family(ed_prom *p, const char *name, const char *type, const char *help)
{
    puts_(p, "# HELP ");
    puts_(p, name);
    puts_(p, " ");
    put_escaped(p, help, 0);
    puts_(p, "\n# TYPE ");
    puts_(p, name);
    puts_(p, " ");
    puts_(p, type);
    puts_(p, "\n");
}

void ed_prom_u64(ed_prom *p, const char *name, const char *const *labels, uint64_t value)
{
    put_series(p, name, NULL, labels, NULL, NULL);
    put_u64(p, value);
}

void ed_prom_f64(ed_prom *p, const char *name, const char *const *labels, double value)
{
    put_series(p, name, NULL, labels, NULL, NULL);
    put_f64(p, value);
}

void ed_prom_histogram(ed_prom *p, const char *name, const char *const *labels,
                       const double *bounds, size_t nbounds, const uint64_t *counts, double sum)
{
    uint64_t cumulative = 0;
    char le[32];
    for (size_t i = 0; i < nbounds; i++) {
        cumulative += counts[i];
        put_series(p, name, "_bucket", labels, "le",
                   ed_prom_format_double(bounds[i], le, sizeof le));
        put_u64(p, cumulative);
    }
    cumulative += counts[nbounds];
    put_series(p, name, "_bucket", labels, "le", "+Inf");
    put_u64(p, cumulative);
    put_series(p, name, "_sum", labels, NULL, NULL);
    put_f64(p, sum);
    put_series(p, name, "_count", labels, NULL, NULL);
    put_u64(p, cumulative);
}
