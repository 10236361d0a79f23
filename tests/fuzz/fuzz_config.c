/*
 * fuzz_config.c — libFuzzer target for the daemon's configuration loader (daemon/config.c,
 * ed_config_load_string) on arbitrary text.
 *
 * Each input is one configuration file (cut at its first NUL, as a file read as text would be).
 * Checks, beyond "no crash, no leak, no UB": a failed load says why and leaves the config empty;
 * a successful one holds values inside the documented limits (config.h), a non-empty instance,
 * and diffs to nothing against itself; ed_config_free is idempotent.
 * Touches nothing but its own memory (the loader may stat a state_dir the input names).
 * Built only with -DENRICHD_FUZZ=ON (scripts/fuzz).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                       \
    do {                                                                                       \
        if (!(cond)) {                                                                         \
            fprintf(stderr, "fuzz_config: check failed: %s (%s:%d)\n", #cond, __FILE__,     \
                    __LINE__);                                                                 \
            abort();                                                                           \
        }                                                                                      \
    } while (0)

static void check_sock(const ed_sock_config *sc)
{
    FUZZ_CHECK(sc->hwm >= 1 && sc->hwm <= ED_CONFIG_HWM_MAX);
    FUZZ_CHECK(sc->nbind <= ED_CONFIG_ENDPOINTS_MAX && sc->nconnect <= ED_CONFIG_ENDPOINTS_MAX);
    for (size_t i = 0; i < sc->nbind; i++)
        FUZZ_CHECK(sc->bind[i] && strlen(sc->bind[i]) <= ED_CONFIG_ENDPOINT_LEN_MAX);
    for (size_t i = 0; i < sc->nconnect; i++)
        FUZZ_CHECK(sc->connect[i] && strlen(sc->connect[i]) <= ED_CONFIG_ENDPOINT_LEN_MAX);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > ED_CONFIG_FILE_MAX)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    ed_config cfg;
    char err[ED_CONFIG_ERRLEN] = "";
    int rc = ed_config_load_string(text, "/nonexistent/fuzz.conf", &cfg, err, sizeof err);
    FUZZ_CHECK(rc == 0 || rc == -1);
    if (rc == 0) {
        FUZZ_CHECK(cfg.instance && cfg.instance[0]);
        FUZZ_CHECK(strlen(cfg.instance) <= ED_CONFIG_INSTANCE_LEN_MAX);
        FUZZ_CHECK(cfg.data_dir && cfg.state_dir);
        FUZZ_CHECK(cfg.workers >= 0 && cfg.workers <= ED_CONFIG_WORKERS_MAX);
        FUZZ_CHECK(cfg.max_bytes >= 1 && cfg.max_bytes <= ED_CONFIG_MAX_BYTES_MAX);
        FUZZ_CHECK(cfg.max_frame_bytes == 0 || cfg.max_frame_bytes >= cfg.max_bytes);
        FUZZ_CHECK(cfg.drain_timeout_ms >= 1 && cfg.drain_timeout_ms <= ED_CONFIG_DRAIN_MS_MAX);
        check_sock(&cfg.feed);
        check_sock(&cfg.output);
        FUZZ_CHECK(ed_config_diff(&cfg, &cfg) == 0);
    } else {
        FUZZ_CHECK(err[0] != '\0');
        FUZZ_CHECK(cfg.instance == NULL && cfg.data_dir == NULL && cfg.feed.bind == NULL);
    }
    ed_config_free(&cfg);
    ed_config_free(&cfg);
    free(text);
    return 0;
}
