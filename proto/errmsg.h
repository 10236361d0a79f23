/*
 * errmsg.h — the one way daemon and proto code fills a caller's error buffer: a function fails
 * by returning -1 (or NULL) and writing a printf-style message into (err, errlen), which the
 * caller logs. Shared by proto/, daemon/ and tools/ (the library has its own in extract/).
 * May touch: the caller's buffer only.
 */
#ifndef ENRICHD_ERRMSG_H
#define ENRICHD_ERRMSG_H

#include <stddef.h>

/* Writes the message into err (truncated to errlen, NUL-terminated); err may be NULL or errlen
 * 0 (then nothing is written). Always returns -1, so a failing path can `return ed_fail(...)`. */
int ed_fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
