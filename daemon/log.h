/*
 * log.h — the daemon's log: one JSON object per line on stderr,
 *   {"ts":"2026-11-27T01:00:00.000Z","level":"info","msg":"listening","socket":"feed",...}
 * Thread-safe: a line is built in a caller-owned buffer and written with a single fwrite, so
 * lines from different threads never interleave. The level can change at any time (SIGHUP).
 * May touch: stderr (or the stream set by ed_log_set_stream); nothing else.
 */
#ifndef ENRICHD_LOG_H
#define ENRICHD_LOG_H

#include <stdint.h>
#include <stdio.h>

typedef enum ed_log_level {
    ED_LOG_DEBUG = 0,
    ED_LOG_INFO = 1,
    ED_LOG_WARN = 2,
    ED_LOG_ERROR = 3
} ed_log_level;

/* "debug", "info", "warn", "error". Static string. */
const char *ed_log_level_name(ed_log_level level);
/* Parses a level name; returns 0 and sets *out, or -1 when the name is unknown. */
int ed_log_level_parse(const char *name, ed_log_level *out);

/* Lines below this level are dropped. Default: info. Atomic; callable from any thread. */
void ed_log_set_level(ed_log_level level);
ed_log_level ed_log_get_level(void);
/* Where lines go (default stderr). The stream is borrowed; for tests. */
void ed_log_set_stream(FILE *stream);

/* A line under construction. Lives on the caller's stack; fields past the buffer are cut
 * (the line stays valid JSON). */
#define ED_LOG_LINE_MAX 2048
typedef struct ed_log_line {
    char buf[ED_LOG_LINE_MAX];
    size_t len;
    int enabled; /* 0 when the level is filtered out: the field calls then do nothing */
} ed_log_line;

/* Starts a line with ts, level and msg. Returns line->enabled. */
int ed_log_begin(ed_log_line *line, ed_log_level level, const char *msg);
/* Same, but written whatever the level: for the few lifecycle lines that tools wait for
 * ("listening" with the actual endpoint, "ready"). */
int ed_log_begin_always(ed_log_line *line, ed_log_level level, const char *msg);
/* Adds "key":"value" (value JSON-escaped; NULL becomes null). */
void ed_log_str(ed_log_line *line, const char *key, const char *value);
/* Adds "key":N. */
void ed_log_int(ed_log_line *line, const char *key, int64_t value);
/* Closes the line and writes it with one fwrite. */
void ed_log_end(ed_log_line *line);

/* One-call forms for the common cases. key/value may be NULL for a bare message. */
void ed_log(ed_log_level level, const char *msg);
void ed_log_kv(ed_log_level level, const char *msg, const char *key, const char *value);

#endif
