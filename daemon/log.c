/*
 * log.c — JSON-lines log on stderr (see log.h). Each line is built in a stack buffer and written
 * with one fwrite, so concurrent threads never interleave; the level is an atomic.
 * May touch: the log stream only.
 */
#include "log.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

static _Atomic int log_level = ED_LOG_INFO;
static FILE *_Atomic log_stream = NULL;

/* Room kept at the end of every line for the closing `}` and newline. */
#define LOG_TAIL_RESERVE 4

static const char *const level_names[] = {"debug", "info", "warn", "error"};

const char *ed_log_level_name(ed_log_level level)
{
    if ((int)level < 0 || (int)level > ED_LOG_ERROR)
        return "info";
    return level_names[level];
}

int ed_log_level_parse(const char *name, ed_log_level *out)
{
    if (name == NULL)
        return -1;
    for (int i = 0; i <= ED_LOG_ERROR; i++) {
        if (strcmp(name, level_names[i]) == 0) {
            *out = (ed_log_level)i;
            return 0;
        }
    }
    return -1;
}

void ed_log_set_level(ed_log_level level) { atomic_store(&log_level, (int)level); }

ed_log_level ed_log_get_level(void) { return (ed_log_level)atomic_load(&log_level); }

void ed_log_set_stream(FILE *stream) { atomic_store(&log_stream, stream); }

/* Appends raw bytes if they fit before the tail reserve; returns 0 or -1 (nothing written). */
static int append_raw(ed_log_line *line, const char *s, size_t n)
{
    if (line->len + n + LOG_TAIL_RESERVE > sizeof line->buf)
        return -1;
    memcpy(line->buf + line->len, s, n);
    line->len += n;
    return 0;
}

/* Length of the valid UTF-8 sequence starting at s (at most avail bytes), or 0 if invalid. */
static size_t utf8_seq_len(const unsigned char *s, size_t avail)
{
    size_t need;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        need = 2;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        need = 3;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        need = 4;
    else
        return 0;
    if (need > avail)
        return 0;
    for (size_t i = 1; i < need; i++)
        if ((s[i] & 0xC0) != 0x80)
            return 0;
    return need;
}

/* Appends a JSON string (quotes included), cutting the content when the line is full.
 * Returns 0, or -1 when not even the two quotes fit (nothing written). */
static int append_json_string(ed_log_line *line, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    /* keep room for the closing quote */
    size_t limit = sizeof line->buf - LOG_TAIL_RESERVE - 1;
    if (line->len + 2 > limit)
        return -1;
    line->buf[line->len++] = '"';
    size_t n = strlen(s);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        size_t esc_len = 0;
        size_t consumed = 1;
        const char *src = esc;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            esc_len = 2;
        } else if (c == '\n') {
            memcpy(esc, "\\n", 2);
            esc_len = 2;
        } else if (c == '\t') {
            memcpy(esc, "\\t", 2);
            esc_len = 2;
        } else if (c < 0x20 || c == 0x7F) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[c >> 4];
            esc[5] = hex[c & 15];
            esc_len = 6;
        } else if (c < 0x80) {
            esc[0] = (char)c;
            esc_len = 1;
        } else {
            size_t seq = utf8_seq_len((const unsigned char *)s + i, n - i);
            if (seq == 0) {
                memcpy(esc, "\\ufffd", 6);
                esc_len = 6;
            } else {
                src = s + i;
                esc_len = seq;
                consumed = seq;
            }
        }
        if (line->len + esc_len > limit)
            break;
        memcpy(line->buf + line->len, src, esc_len);
        line->len += esc_len;
        i += consumed;
    }
    line->buf[line->len++] = '"';
    return 0;
}

static int begin_line(ed_log_line *line, ed_log_level level, const char *msg, int enabled)
{
    line->len = 0;
    line->enabled = enabled;
    if (!line->enabled)
        return 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct tm tm;
    time_t secs = now.tv_sec;
    gmtime_r(&secs, &tm);
    int n = snprintf(line->buf, sizeof line->buf,
                     "{\"ts\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ\",\"level\":\"%s\",\"msg\":",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
                     tm.tm_sec, (long)(now.tv_nsec / 1000000), ed_log_level_name(level));
    line->len = (size_t)n;
    append_json_string(line, msg ? msg : "");
    return 1;
}

int ed_log_begin(ed_log_line *line, ed_log_level level, const char *msg)
{
    return begin_line(line, level, msg, (int)level >= atomic_load(&log_level));
}

int ed_log_begin_always(ed_log_line *line, ed_log_level level, const char *msg)
{
    return begin_line(line, level, msg, 1);
}

void ed_log_str(ed_log_line *line, const char *key, const char *value)
{
    if (!line->enabled)
        return;
    size_t mark = line->len;
    if (append_raw(line, ",", 1) < 0 || append_json_string(line, key) < 0 ||
        append_raw(line, ":", 1) < 0) {
        line->len = mark;
        return;
    }
    int rc = value == NULL ? append_raw(line, "null", 4) : append_json_string(line, value);
    if (rc < 0)
        line->len = mark;
}

void ed_log_int(ed_log_line *line, const char *key, int64_t value)
{
    if (!line->enabled)
        return;
    size_t mark = line->len;
    char num[32];
    int n = snprintf(num, sizeof num, "%lld", (long long)value);
    if (append_raw(line, ",", 1) < 0 || append_json_string(line, key) < 0 ||
        append_raw(line, ":", 1) < 0 || append_raw(line, num, (size_t)n) < 0)
        line->len = mark;
}

void ed_log_end(ed_log_line *line)
{
    if (!line->enabled)
        return;
    /* the tail reserve guarantees room */
    line->buf[line->len++] = '}';
    line->buf[line->len++] = '\n';
    FILE *out = atomic_load(&log_stream);
    if (out == NULL)
        out = stderr;
    fwrite(line->buf, 1, line->len, out);
    fflush(out);
}

void ed_log(ed_log_level level, const char *msg)
{
    ed_log_line line;
    if (ed_log_begin(&line, level, msg))
        ed_log_end(&line);
}

void ed_log_kv(ed_log_level level, const char *msg, const char *key, const char *value)
{
    ed_log_line line;
    if (!ed_log_begin(&line, level, msg))
        return;
    if (key != NULL)
        ed_log_str(&line, key, value);
    ed_log_end(&line);
}
