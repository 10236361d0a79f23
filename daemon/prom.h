/*
 * prom.h — a writer for the Prometheus text exposition format, version 0.0.4: "# HELP" and
 * "# TYPE" lines, samples `name{label="value",...} value`, label values and help text escaped,
 * histograms as cumulative `_bucket{le="..."}` series ending with le="+Inf", then `_sum` and
 * `_count`. Pure text: no sockets, no threads, no knowledge of the daemon (metrics.c decides
 * what to write).
 * Ownership: an ed_prom owns its growing buffer; ed_prom_take hands it to the caller (free()),
 * ed_prom_release frees it. After an allocation failure every call is a no-op and ed_prom_take
 * returns NULL, so a writer checks once at the end.
 * May touch: its own buffer only.
 */
#ifndef ENRICHD_PROM_H
#define ENRICHD_PROM_H

#include <stddef.h>
#include <stdint.h>

#define ED_PROM_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

typedef struct ed_prom {
    char *buf;   /* NUL-terminated text written so far (owned) */
    size_t len;
    size_t cap;
    int oom;     /* an allocation failed: the text is incomplete */
} ed_prom;

/* An empty writer (no allocation yet). */
void ed_prom_init(ed_prom *p);
/* Frees the buffer and empties p. NULL-safe. */
void ed_prom_release(ed_prom *p);
/* The text written (malloc'd, NUL-terminated; the caller frees it) and its length, or NULL when
 * an allocation failed. p is empty afterwards either way. */
char *ed_prom_take(ed_prom *p, size_t *len);

/* Labels are passed as a NULL-terminated array of name, value pairs:
 *   const char *labels[] = {"topic", "article.fr", NULL};
 * NULL for none. Names are written as given (callers use fixed, valid names); values are
 * escaped (backslash, double quote, newline). */

/* "# HELP name help" (help escaped: backslash, newline) and "# TYPE name type", where type is
 * "counter", "gauge", "histogram", "summary" or "untyped". Write once per family, before its
 * samples. */
void ed_prom_family(ed_prom *p, const char *name, const char *type, const char *help);
/* One sample with an integer value. */
void ed_prom_u64(ed_prom *p, const char *name, const char *const *labels, uint64_t value);
/* One sample with a floating value (NaN, +Inf, -Inf spelled as the format wants). */
void ed_prom_f64(ed_prom *p, const char *name, const char *const *labels, double value);
/* One histogram series: bounds[nbounds] are the upper bounds (ascending); counts[nbounds + 1]
 * are NON-cumulative counts per bucket, counts[i] for values <= bounds[i] and above the
 * previous bound, counts[nbounds] for values above every bound. Writes name_bucket for each
 * bound and +Inf (cumulative), name_sum = sum and name_count = the total. The family line
 * (type "histogram") is the caller's. */
void ed_prom_histogram(ed_prom *p, const char *name, const char *const *labels,
                       const double *bounds, size_t nbounds, const uint64_t *counts, double sum);

/* A float as the format writes it: "+Inf", "-Inf", "NaN", else the shortest of %.15g.
 * out needs 32 bytes. Returns out. */
const char *ed_prom_format_double(double v, char *out, size_t outlen);

#endif
