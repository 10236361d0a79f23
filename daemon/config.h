/*
 * config.h — the daemon's configuration file (libconfig syntax; docs/config.md is the reference).
 * Loading validates strictly: unknown keys, wrong types and out-of-range values are errors that
 * name the file and line. A loaded ed_config owns all its strings (ed_config_free releases them);
 * nothing here touches sockets or threads.
 * May touch: the configuration file (read), state_dir (stat/access check), the host name, the
 * CURVE key files and allow-list directory of the security group (read, to validate them).
 */
#ifndef ENRICHD_CONFIG_H
#define ENRICHD_CONFIG_H

#include <stddef.h>

#include "log.h"

#define ED_CONFIG_DEFAULT_PATH "/etc/enrichd/enrichd.conf"
#define ED_CONFIG_ERRLEN 512

/* Limits (docs/config.md lists them). */
#define ED_CONFIG_WORKERS_MAX 256
#define ED_CONFIG_MAX_BYTES_MAX (1024LL * 1024 * 1024) /* 1 GiB */
#define ED_CONFIG_HWM_MAX 10000000
#define ED_CONFIG_DRAIN_MS_MAX 3600000                  /* 1 hour */
#define ED_CONFIG_ENDPOINTS_MAX 32                      /* per list (bind or connect) */
#define ED_CONFIG_ENDPOINT_LEN_MAX 255
#define ED_CONFIG_INSTANCE_LEN_MAX 64
#define ED_CONFIG_FILE_MAX (1024 * 1024)                /* bytes of one configuration file */
#define ED_CONFIG_METRICS_CONN_MAX 1024
#define ED_CONFIG_METRICS_TIMEOUT_MAX 3600              /* seconds */

/* One socket's endpoints (feed or output). */
typedef struct ed_sock_config {
    char **bind;     /* owned array of owned strings */
    size_t nbind;
    char **connect;  /* owned array of owned strings */
    size_t nconnect;
    int hwm;
} ed_sock_config;

/* The record journal (issue 5; docs/config.md "journal"). On when state_dir is set. */
typedef struct ed_journal_config {
    long long map_bytes;     /* LMDB map size */
    long long max_records;   /* retention; 0 = no limit */
    long long max_age_s;     /* retention; 0 = no limit */
    long long max_bytes;     /* retention; pages in use, at most 3/4 of map_bytes */
    long long sync_records;  /* fsync after at most this many records ... */
    long long sync_ms;       /* ... or this many ms (0 = after every batch) */
    long long raw_max_bytes; /* input bytes kept with an error record */
} ed_journal_config;

typedef struct ed_config {
    char *path;             /* the file this came from (owned); NULL for defaults */
    char *instance;         /* never empty after load */
    char *data_dir;         /* absolute, or relative to the config file's directory resolved */
    char *state_dir;        /* "" = none */
    int workers;            /* as written: 0 = number of CPUs (see ed_config_worker_count) */
    int drain_timeout_ms;
    ed_log_level log_level;
    long long max_bytes;    /* input.max_bytes */
    long long max_frame_bytes; /* input.max_frame_bytes: ZMQ_MAXMSGSIZE guard; 0 = none */
    ed_sock_config feed;    /* PULL */
    ed_sock_config output;  /* PUB */
    /* metrics: HTTP /metrics and /healthz (docs/operations.md) */
    char *metrics_bind;            /* "HOST:PORT"; "" = off */
    int metrics_max_connections;   /* simultaneous HTTP connections */
    int metrics_idle_timeout_s;    /* an idle HTTP connection is closed after this */
    /* security group (CURVE, auth.h): both "" = off, else both set and validated at load */
    char *curve_secret_key_file;  /* absolute or resolved like data_dir */
    char *curve_allowed_keys_dir;
    /* issue 5: journal, acked feed, replay, backpressure */
    int output_block;       /* output.backpressure: 0 = "drop", 1 = "block" (XPUB_NODROP) */
    ed_journal_config journal;
    ed_sock_config ack;     /* ROUTER, acked feed (only with the journal) */
    ed_sock_config replay;  /* ROUTER (only with the journal) */
    int replay_max_limit;   /* replay.max_limit */
} ed_config;

/* Fills cfg with the built-in defaults (what an empty file gives). Returns 0, or -1 on
 * allocation failure (err set). cfg must be freed with ed_config_free either way. */
int ed_config_defaults(ed_config *cfg, char *err, size_t errlen);

/* Reads and validates path into cfg. Returns 0, or -1 with err = "FILE:LINE: reason" (or
 * "FILE: reason" when no line applies) and cfg left empty (safe to ed_config_free). */
int ed_config_load(const char *path, ed_config *cfg, char *err, size_t errlen);

/* Same from a string (for tests); name is used in messages and to resolve relative paths
 * (its directory). */
int ed_config_load_string(const char *text, const char *name, ed_config *cfg, char *err,
                          size_t errlen);

/* Releases every string of cfg and zeroes it. NULL-safe, idempotent. */
void ed_config_free(ed_config *cfg);

/* The number of worker threads to start: cfg->workers, or the number of online CPUs when 0. */
int ed_config_worker_count(const ed_config *cfg);

/* ---- what changed between two configs (SIGHUP) ------------------------------------------- */
typedef enum ed_config_setting {
    ED_SET_LOG_LEVEL = 1u << 0,        /* live */
    ED_SET_MAX_BYTES = 1u << 1,        /* live */
    ED_SET_DRAIN_TIMEOUT = 1u << 2,    /* live */
    ED_SET_DATA_DIR = 1u << 3,         /* live: resources reloaded */
    ED_SET_INSTANCE = 1u << 4,         /* restart */
    ED_SET_WORKERS = 1u << 5,          /* restart */
    ED_SET_FEED = 1u << 6,             /* restart */
    ED_SET_OUTPUT = 1u << 7,           /* restart */
    ED_SET_STATE_DIR = 1u << 8,        /* restart */
    ED_SET_MAX_FRAME = 1u << 9,        /* restart */
    ED_SET_METRICS = 1u << 10,         /* restart */
    ED_SET_JOURNAL = 1u << 11,         /* restart */
    ED_SET_ACK = 1u << 12,             /* restart */
    ED_SET_REPLAY = 1u << 13           /* restart */
} ed_config_setting;

#define ED_SET_LIVE_MASK \
    (ED_SET_LOG_LEVEL | ED_SET_MAX_BYTES | ED_SET_DRAIN_TIMEOUT | ED_SET_DATA_DIR)
#define ED_SET_RESTART_MASK \
    (ED_SET_INSTANCE | ED_SET_WORKERS | ED_SET_FEED | ED_SET_OUTPUT | ED_SET_STATE_DIR | \
     ED_SET_MAX_FRAME | ED_SET_METRICS | ED_SET_JOURNAL | ED_SET_ACK | ED_SET_REPLAY)
#define ED_SET_COUNT 14

/* Bit set of the settings that differ between old and new. */
unsigned ed_config_diff(const ed_config *old_cfg, const ed_config *new_cfg);
/* Configuration-file name of one setting bit ("log.level", "feed", ...). Static string. */
const char *ed_config_setting_name(unsigned setting_bit);

#endif
