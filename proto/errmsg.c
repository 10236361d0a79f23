/*
 * errmsg.c — ed_fail (errmsg.h): the shared error-message writer.
 * May touch: the caller's buffer only.
 */
#include "errmsg.h"

#include <stdarg.h>
#include <stdio.h>

int ed_fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err != NULL && errlen > 0) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}
