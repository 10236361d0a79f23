/*
 * resources.c — loading, sharing and freeing the immutable ex_resources bundle (extract.h).
 *
 * May touch: the ex_resources it creates (the struct in internal.h, its data_dir copy and
 * generation string) and one process-wide atomic load counter. Each stage's own data is built
 * by that stage's loader (ex_tokens_res_load, ex_lang_res_load) and freed by its *_res_free;
 * this file only calls them in order and unwinds on failure.
 *
 * Threads: the reference count is atomic (acq_rel decrement, so every thread's reads of the
 * resources happen before the free). Nothing else is written after ex_resources_load returns.
 * Generation: "<UTC load time>-<load number>", e.g. "20261127T101500Z-3": unique per process
 * even for two loads in the same second.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "internal.h"

static atomic_uint g_load_counter;

static void resources_free(ex_resources *res)
{
    ex_layout_res_free(res);
    ex_dates_res_free(res);
    ex_numbers_res_free(res);
    ex_lang_res_free(res);
    ex_tokens_res_free(res);
    free(res->data_dir);
    free(res);
}

ex_resources *ex_resources_load(const char *data_dir, const ex_options *opts, char *err,
                                size_t errlen)
{
    if (!data_dir || !*data_dir) {
        ex_fail(err, errlen, EX_EINVAL, "resources: no data directory given");
        return NULL;
    }
    struct stat st;
    if (stat(data_dir, &st) != 0) {
        ex_fail(err, errlen, EX_EIO, "resources: data directory %s: %s", data_dir,
                strerror(errno));
        return NULL;
    }
    if (!S_ISDIR(st.st_mode)) {
        ex_fail(err, errlen, EX_EIO, "resources: %s is not a directory", data_dir);
        return NULL;
    }
    ex_resources *res = calloc(1, sizeof *res);
    if (!res) {
        ex_fail(err, errlen, EX_ENOMEM, "resources: out of memory");
        return NULL;
    }
    atomic_init(&res->refs, 1);
    if (opts)
        res->opts = *opts;
    res->data_dir = strdup(data_dir);
    if (!res->data_dir) {
        free(res);
        ex_fail(err, errlen, EX_ENOMEM, "resources: out of memory");
        return NULL;
    }
    if (ex_tokens_res_load(res, data_dir, err, errlen) != EX_OK ||
        ex_lang_res_load(res, data_dir, err, errlen) != EX_OK ||
        ex_numbers_res_load(res, data_dir, err, errlen) != EX_OK ||
        ex_dates_res_load(res, data_dir, err, errlen) != EX_OK ||
        ex_layout_res_load(res, data_dir, err, errlen) != EX_OK) {
        resources_free(res);
        return NULL;
    }

    unsigned n = atomic_fetch_add(&g_load_counter, 1u) + 1u;
    time_t now = time(NULL);
    struct tm tm;
    char stamp[24] = "00000000T000000Z";
    if (gmtime_r(&now, &tm))
        strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
    snprintf(res->generation, sizeof res->generation, "%s-%u", stamp, n);
    return res;
}

ex_resources *ex_resources_ref(ex_resources *res)
{
    if (res)
        atomic_fetch_add_explicit(&res->refs, 1, memory_order_relaxed);
    return res;
}

void ex_resources_unref(ex_resources *res)
{
    if (!res)
        return;
    if (atomic_fetch_sub_explicit(&res->refs, 1, memory_order_acq_rel) == 1)
        resources_free(res);
}

const char *ex_resources_generation(const ex_resources *res)
{
    return res ? res->generation : "";
}
