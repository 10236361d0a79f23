/*
 * config.c — reads and validates enrichd.conf (libconfig) into an ed_config (see config.h and
 * docs/config.md). Strict: every key is known, typed and range-checked; errors carry file:line.
 * May touch: the configuration file (read), state_dir (stat/access), the host name, the
 * security group's key files and directory (read through auth.h to validate). No sockets.
 */
#include "config.h"

#include <errno.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics.h"
#include "auth.h"

#ifndef ENRICHD_DATADIR
#define ENRICHD_DATADIR "/usr/local/share/enrichd"
#endif

#define DEFAULT_FEED_BIND "tcp://127.0.0.1:5557"
#define DEFAULT_OUTPUT_BIND "tcp://127.0.0.1:5558"
#define DEFAULT_FEED_HWM 1000
#define DEFAULT_OUTPUT_HWM 10000
#define DEFAULT_DRAIN_MS 10000
#define DEFAULT_MAX_BYTES 1048576
#define DEFAULT_MAX_FRAME_BYTES (64LL * 1024 * 1024)
#define DEFAULT_METRICS_BIND "127.0.0.1:9110"
#define DEFAULT_METRICS_MAX_CONNECTIONS 16
#define DEFAULT_METRICS_IDLE_TIMEOUT_S 10
/* issue 5: journal, acked feed, replay */
#define DEFAULT_ACK_BIND "tcp://127.0.0.1:5556"
#define DEFAULT_REPLAY_BIND "tcp://127.0.0.1:5559"
#define DEFAULT_ACK_HWM 1000
#define DEFAULT_REPLAY_MAX_LIMIT 5000
#define DEFAULT_REPLAY_HWM 12000
#define JOURNAL_MAP_MIN (1LL << 20)
#define JOURNAL_MAP_MAX (1LL << 40)

/* The parse in progress: where messages point and how relative paths resolve. */
typedef struct load_ctx {
    const char *name;   /* file name for messages */
    char *base_dir;     /* directory of the file, for relative paths (owned) */
    char *err;
    size_t errlen;
} load_ctx;

static int set_error(const load_ctx *lc, const config_setting_t *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes "FILE:LINE: message" (or "FILE: message" without a setting) into lc->err. */
static int set_error(const load_ctx *lc, const config_setting_t *at, const char *fmt, ...)
{
    char msg[ED_CONFIG_ERRLEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (lc->errlen == 0)
        return -1;
    const char *file = lc->name;
    if (at != NULL && config_setting_source_file(at) != NULL)
        file = config_setting_source_file(at);
    if (at != NULL && config_setting_source_line(at) > 0)
        snprintf(lc->err, lc->errlen, "%s:%u: %s", file, (unsigned)config_setting_source_line(at),
                 msg);
    else
        snprintf(lc->err, lc->errlen, "%s: %s", file, msg);
    return -1;
}

static int set_oom(const load_ctx *lc) { return set_error(lc, NULL, "out of memory"); }

/* ---- defaults ---------------------------------------------------------------------------- */

/* "enrichd-" + host name, reduced to the characters an instance name may hold. */
static char *default_instance(void)
{
    char host[256] = "";
    if (gethostname(host, sizeof host - 1) != 0 || host[0] == '\0')
        strcpy(host, "localhost");
    host[sizeof host - 1] = '\0';
    char name[ED_CONFIG_INSTANCE_LEN_MAX + 1] = "enrichd-";
    size_t used = strlen(name);
    size_t take = strlen(host);
    if (take > sizeof name - 1 - used)
        take = sizeof name - 1 - used;
    memcpy(name + used, host, take);
    name[used + take] = '\0';
    for (char *p = name; *p; p++) {
        unsigned char c = (unsigned char)*p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        if (!ok)
            *p = '-';
    }
    return strdup(name);
}

static int sock_set_single_bind(ed_sock_config *sc, const char *endpoint, int hwm)
{
    sc->bind = calloc(1, sizeof *sc->bind);
    if (sc->bind == NULL)
        return -1;
    sc->bind[0] = strdup(endpoint);
    if (sc->bind[0] == NULL)
        return -1;
    sc->nbind = 1;
    sc->hwm = hwm;
    return 0;
}

int ed_config_defaults(ed_config *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->instance = default_instance();
    cfg->data_dir = strdup(ENRICHD_DATADIR);
    cfg->state_dir = strdup("");
    cfg->workers = 0;
    cfg->drain_timeout_ms = DEFAULT_DRAIN_MS;
    cfg->log_level = ED_LOG_INFO;
    cfg->max_bytes = DEFAULT_MAX_BYTES;
    cfg->max_frame_bytes = DEFAULT_MAX_FRAME_BYTES;
    cfg->metrics_bind = strdup(DEFAULT_METRICS_BIND);
    cfg->metrics_max_connections = DEFAULT_METRICS_MAX_CONNECTIONS;
    cfg->metrics_idle_timeout_s = DEFAULT_METRICS_IDLE_TIMEOUT_S;
    cfg->journal = (ed_journal_config){.map_bytes = 1LL << 30, .max_records = 1000000,
                                       .max_age_s = 7 * 24 * 3600, .max_bytes = 768LL << 20,
                                       .sync_records = 1000, .sync_ms = 50,
                                       .raw_max_bytes = 65536};
    cfg->replay_max_limit = DEFAULT_REPLAY_MAX_LIMIT;
    if (cfg->instance == NULL || cfg->data_dir == NULL || cfg->state_dir == NULL ||
        cfg->metrics_bind == NULL ||
        sock_set_single_bind(&cfg->feed, DEFAULT_FEED_BIND, DEFAULT_FEED_HWM) < 0 ||
        sock_set_single_bind(&cfg->output, DEFAULT_OUTPUT_BIND, DEFAULT_OUTPUT_HWM) < 0 ||
        sock_set_single_bind(&cfg->ack, DEFAULT_ACK_BIND, DEFAULT_ACK_HWM) < 0 ||
        sock_set_single_bind(&cfg->replay, DEFAULT_REPLAY_BIND, DEFAULT_REPLAY_HWM) < 0) {
        if (errlen > 0)
            snprintf(err, errlen, "out of memory");
        return -1;
    }
    cfg->curve_secret_key_file = strdup("");
    cfg->curve_allowed_keys_dir = strdup("");
    if (cfg->curve_secret_key_file == NULL || cfg->curve_allowed_keys_dir == NULL) {
        if (errlen > 0)
            snprintf(err, errlen, "out of memory");
        return -1;
    }
    return 0;
}

static void free_list(char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

static void sock_config_free(ed_sock_config *sc)
{
    free_list(sc->bind, sc->nbind);
    free_list(sc->connect, sc->nconnect);
    memset(sc, 0, sizeof *sc);
}

void ed_config_free(ed_config *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->path);
    free(cfg->instance);
    free(cfg->data_dir);
    free(cfg->state_dir);
    free(cfg->metrics_bind);
    sock_config_free(&cfg->feed);
    sock_config_free(&cfg->output);
    free(cfg->curve_secret_key_file);
    free(cfg->curve_allowed_keys_dir);
    sock_config_free(&cfg->ack);
    sock_config_free(&cfg->replay);
    memset(cfg, 0, sizeof *cfg);
}

int ed_config_worker_count(const ed_config *cfg)
{
    if (cfg->workers > 0)
        return cfg->workers;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    if (n > ED_CONFIG_WORKERS_MAX)
        n = ED_CONFIG_WORKERS_MAX;
    return (int)n;
}

/* ---- typed getters ----------------------------------------------------------------------- */

static const char *type_name(int type)
{
    switch (type) {
    case CONFIG_TYPE_GROUP: return "a group";
    case CONFIG_TYPE_INT: return "an integer";
    case CONFIG_TYPE_INT64: return "an integer";
    case CONFIG_TYPE_FLOAT: return "a float";
    case CONFIG_TYPE_STRING: return "a string";
    case CONFIG_TYPE_BOOL: return "a boolean";
    case CONFIG_TYPE_ARRAY: return "an array";
    case CONFIG_TYPE_LIST: return "a list";
    default: return "a value";
    }
}

/* Full dotted name of a setting for messages ("feed.hwm"). */
static void setting_path(const config_setting_t *s, char *out, size_t outlen)
{
    const char *parts[8];
    size_t n = 0;
    for (; s != NULL && config_setting_name(s) != NULL && n < 8; s = config_setting_parent(s))
        parts[n++] = config_setting_name(s);
    size_t len = 0;
    out[0] = '\0';
    while (n > 0 && len < outlen) {
        int w = snprintf(out + len, outlen - len, "%s%s", len ? "." : "", parts[--n]);
        if (w < 0)
            break;
        len += (size_t)w;
    }
}

static int get_int(const load_ctx *lc, const config_setting_t *s, long long min, long long max,
                   long long *out)
{
    char name[128];
    setting_path(s, name, sizeof name);
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_INT && type != CONFIG_TYPE_INT64)
        return set_error(lc, s, "%s must be an integer, not %s", name, type_name(type));
    long long v = config_setting_get_int64(s);
    if (v < min || v > max)
        return set_error(lc, s, "%s = %lld is out of range [%lld, %lld]", name, v, min, max);
    *out = v;
    return 0;
}

static int get_string(const load_ctx *lc, const config_setting_t *s, const char **out)
{
    char name[128];
    setting_path(s, name, sizeof name);
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_STRING)
        return set_error(lc, s, "%s must be a string, not %s", name, type_name(type));
    *out = config_setting_get_string(s);
    return 0;
}

static int require_group(const load_ctx *lc, const config_setting_t *s)
{
    char name[128];
    setting_path(s, name, sizeof name);
    if (config_setting_type(s) != CONFIG_TYPE_GROUP)
        return set_error(lc, s, "%s must be a group { ... }, not %s", name,
                         type_name(config_setting_type(s)));
    return 0;
}

/* Every member of group must be one of known (NULL-terminated). */
static int check_known_keys(const load_ctx *lc, const config_setting_t *group,
                            const char *const *known, const char *known_list)
{
    int n = config_setting_length(group);
    for (int i = 0; i < n; i++) {
        const config_setting_t *m = config_setting_get_elem(group, (unsigned)i);
        const char *key = config_setting_name(m);
        int found = 0;
        for (const char *const *k = known; *k && !found; k++)
            found = strcmp(*k, key) == 0;
        if (!found) {
            char where[128];
            setting_path(config_setting_parent(m), where, sizeof where);
            if (where[0])
                return set_error(lc, m, "unknown setting '%s' in %s (known: %s)", key, where,
                                 known_list);
            return set_error(lc, m, "unknown setting '%s' (known: %s)", key, known_list);
        }
    }
    return 0;
}

/* Absolute path of p: unchanged when absolute or empty, else joined to the config's dir. */
static char *resolve_path(const load_ctx *lc, const char *p)
{
    if (p[0] == '/' || p[0] == '\0' || lc->base_dir == NULL)
        return strdup(p);
    size_t n = strlen(lc->base_dir) + 1 + strlen(p) + 1;
    char *out = malloc(n);
    if (out)
        snprintf(out, n, "%s/%s", lc->base_dir, p);
    return out;
}

/* ---- sections ---------------------------------------------------------------------------- */

static int valid_instance(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > ED_CONFIG_INSTANCE_LEN_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-' || c == ':' || c == '@';
        if (!ok)
            return 0;
    }
    return 1;
}

/* tcp://HOST:PORT (PORT may be *) or ipc://PATH. */
static const char *endpoint_problem(const char *ep)
{
    size_t n = strlen(ep);
    if (n == 0)
        return "is empty";
    if (n > ED_CONFIG_ENDPOINT_LEN_MAX)
        return "is too long";
    if (strncmp(ep, "tcp://", 6) == 0) {
        const char *colon = strrchr(ep + 6, ':');
        if (colon == NULL || colon == ep + 6 || colon[1] == '\0')
            return "needs a host and a port (tcp://HOST:PORT, PORT may be *)";
        return NULL;
    }
    if (strncmp(ep, "ipc://", 6) == 0) {
        if (ep[6] == '\0')
            return "needs a path (ipc://PATH)";
        return NULL;
    }
    return "must start with tcp:// or ipc://";
}

static int read_endpoints(const load_ctx *lc, const config_setting_t *s, char ***out,
                          size_t *nout)
{
    char name[128];
    setting_path(s, name, sizeof name);
    int type = config_setting_type(s);
    if (type != CONFIG_TYPE_ARRAY && type != CONFIG_TYPE_LIST)
        return set_error(lc, s, "%s must be an array of endpoint strings [\"tcp://...\"], not %s",
                         name, type_name(type));
    int n = config_setting_length(s);
    if (n > ED_CONFIG_ENDPOINTS_MAX)
        return set_error(lc, s, "%s has %d endpoints; at most %d", name, n,
                         ED_CONFIG_ENDPOINTS_MAX);
    char **list = calloc((size_t)n + 1, sizeof *list);
    if (list == NULL)
        return set_oom(lc);
    *out = list;
    *nout = 0;
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(s, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING)
            return set_error(lc, e, "%s[%d] must be a string, not %s", name, i,
                             type_name(config_setting_type(e)));
        const char *ep = config_setting_get_string(e);
        const char *why = endpoint_problem(ep);
        if (why != NULL)
            return set_error(lc, e, "%s[%d] \"%s\" %s", name, i, ep, why);
        list[i] = strdup(ep);
        if (list[i] == NULL)
            return set_oom(lc);
        *nout = (size_t)i + 1;
    }
    return 0;
}

/* feed or output. A missing group keeps the defaults; a group that names neither bind nor
 * connect keeps the default bind; otherwise a missing list is empty. */
/* extra: one more key the group may hold (read by the caller), or NULL. */
static int read_socket_group(const load_ctx *lc, const config_setting_t *root, const char *key,
                             ed_sock_config *sc, const char *extra)
{
    const char *const known[] = {"bind", "connect", "hwm", extra, NULL};
    char known_list[96];
    snprintf(known_list, sizeof known_list, "bind, connect, hwm%s%s", extra ? ", " : "",
             extra ? extra : "");
    const config_setting_t *g = config_setting_get_member(root, key);
    if (g == NULL)
        return 0;
    if (require_group(lc, g) < 0 || check_known_keys(lc, g, known, known_list) < 0)
        return -1;
    const config_setting_t *bind = config_setting_get_member(g, "bind");
    const config_setting_t *conn = config_setting_get_member(g, "connect");
    const config_setting_t *hwm = config_setting_get_member(g, "hwm");
    if (bind != NULL || conn != NULL) {
        free_list(sc->bind, sc->nbind);
        sc->bind = NULL;
        sc->nbind = 0;
        if (bind != NULL && read_endpoints(lc, bind, &sc->bind, &sc->nbind) < 0)
            return -1;
        if (conn != NULL && read_endpoints(lc, conn, &sc->connect, &sc->nconnect) < 0)
            return -1;
        if (sc->nbind + sc->nconnect == 0)
            return set_error(lc, g,
                             "%s needs at least one endpoint in bind or connect (both are empty)",
                             key);
    }
    if (hwm != NULL) {
        long long v;
        if (get_int(lc, hwm, 1, ED_CONFIG_HWM_MAX, &v) < 0)
            return -1;
        sc->hwm = (int)v;
    }
    return 0;
}

static int check_state_dir(const load_ctx *lc, const config_setting_t *at, const char *dir)
{
    if (dir[0] == '\0')
        return 0;
    struct stat st;
    if (stat(dir, &st) != 0)
        return set_error(lc, at, "state_dir \"%s\": %s", dir, strerror(errno));
    if (!S_ISDIR(st.st_mode))
        return set_error(lc, at, "state_dir \"%s\" is not a directory", dir);
    if (access(dir, W_OK | X_OK) != 0)
        return set_error(lc, at, "state_dir \"%s\" is not writable: %s", dir, strerror(errno));
    return 0;
}

/* metrics = { bind = "127.0.0.1:9110"; max_connections = 16; idle_timeout_s = 10; } */
static int read_metrics_group(const load_ctx *lc, const config_setting_t *root, ed_config *cfg)
{
    const config_setting_t *g = config_setting_get_member(root, "metrics");
    if (g == NULL)
        return 0;
    static const char *const keys[] = {"bind", "max_connections", "idle_timeout_s", NULL};
    if (require_group(lc, g) < 0 ||
        check_known_keys(lc, g, keys, "bind, max_connections, idle_timeout_s") < 0)
        return -1;
    const config_setting_t *s;
    const char *str = NULL;
    long long v;
    if ((s = config_setting_get_member(g, "bind")) != NULL) {
        char why[ED_CONFIG_ERRLEN];
        if (get_string(lc, s, &str) < 0)
            return -1;
        if (ed_metrics_parse_bind(str, NULL, NULL, why, sizeof why) < 0)
            return set_error(lc, s, "%s", why);
        free(cfg->metrics_bind);
        if ((cfg->metrics_bind = strdup(str)) == NULL)
            return set_oom(lc);
    }
    if ((s = config_setting_get_member(g, "max_connections")) != NULL) {
        if (get_int(lc, s, 1, ED_CONFIG_METRICS_CONN_MAX, &v) < 0)
            return -1;
        cfg->metrics_max_connections = (int)v;
    }
    if ((s = config_setting_get_member(g, "idle_timeout_s")) != NULL) {
        if (get_int(lc, s, 1, ED_CONFIG_METRICS_TIMEOUT_MAX, &v) < 0)
            return -1;
        cfg->metrics_idle_timeout_s = (int)v;
    }
    return 0;
}

/* security = { curve_secret_key_file = "..."; curve_allowed_keys_dir = "..."; }: paths resolve
 * like data_dir; ed_auth_check validates both (both or none, key file mode, *.pub files). */
static int read_security(const load_ctx *lc, const config_setting_t *root, ed_config *cfg)
{
    const config_setting_t *g = config_setting_get_member(root, "security");
    if (g == NULL)
        return 0;
    static const char *const keys[] = {"curve_secret_key_file", "curve_allowed_keys_dir", NULL};
    if (require_group(lc, g) < 0 ||
        check_known_keys(lc, g, keys, "curve_secret_key_file, curve_allowed_keys_dir") < 0)
        return -1;
    char **dst[2] = {&cfg->curve_secret_key_file, &cfg->curve_allowed_keys_dir};
    for (int i = 0; i < 2; i++) {
        const config_setting_t *s = config_setting_get_member(g, keys[i]);
        const char *str = NULL;
        if (s == NULL)
            continue;
        if (get_string(lc, s, &str) < 0)
            return -1;
        free(*dst[i]);
        if ((*dst[i] = resolve_path(lc, str)) == NULL)
            return set_oom(lc);
    }
    char msg[ED_CONFIG_ERRLEN];
    if (ed_auth_check(cfg->curve_secret_key_file, cfg->curve_allowed_keys_dir, msg,
                      sizeof msg) < 0)
        return set_error(lc, g, "%s", msg);
    return 0;
}

/* issue 5: output.backpressure, the journal group, the ack and replay socket groups. */
static int read_issue5(const load_ctx *lc, const config_setting_t *root, ed_config *cfg)
{
    const config_setting_t *g, *s;
    const char *str = NULL;
    long long v;
    if ((g = config_setting_get_member(root, "output")) != NULL &&
        (s = config_setting_get_member(g, "backpressure")) != NULL) {
        if (get_string(lc, s, &str) < 0)
            return -1;
        if (strcmp(str, "drop") != 0 && strcmp(str, "block") != 0)
            return set_error(lc, s, "output.backpressure \"%s\" is not one of drop, block", str);
        cfg->output_block = strcmp(str, "block") == 0;
    }
    if ((g = config_setting_get_member(root, "journal")) != NULL) {
        static const char *const keys[] = {"map_bytes", "max_records", "max_age_s", "max_bytes",
                                           "sync_records", "sync_ms", "raw_max_bytes", NULL};
        if (require_group(lc, g) < 0 ||
            check_known_keys(lc, g, keys,
                             "map_bytes, max_records, max_age_s, max_bytes, sync_records, "
                             "sync_ms, raw_max_bytes") < 0)
            return -1;
        struct { const char *key; long long min, max; long long *out; } f[] = {
            {"map_bytes", JOURNAL_MAP_MIN, JOURNAL_MAP_MAX, &cfg->journal.map_bytes},
            {"max_records", 0, 1LL << 40, &cfg->journal.max_records},
            {"max_age_s", 0, 100LL * 365 * 24 * 3600, &cfg->journal.max_age_s},
            {"max_bytes", 0, JOURNAL_MAP_MAX, &cfg->journal.max_bytes},
            {"sync_records", 1, 1000000, &cfg->journal.sync_records},
            {"sync_ms", 0, 60000, &cfg->journal.sync_ms},
            {"raw_max_bytes", 0, ED_CONFIG_MAX_BYTES_MAX, &cfg->journal.raw_max_bytes},
        };
        for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
            if ((s = config_setting_get_member(g, f[i].key)) == NULL)
                continue;
            if (get_int(lc, s, f[i].min, f[i].max, &v) < 0)
                return -1;
            *f[i].out = v;
        }
        s = config_setting_get_member(g, "max_bytes");
        if (s == NULL && cfg->journal.max_bytes > cfg->journal.map_bytes / 4 * 3)
            cfg->journal.max_bytes = cfg->journal.map_bytes / 4 * 3; /* default follows the map */
        if (cfg->journal.max_bytes > cfg->journal.map_bytes / 4 * 3) {
            return set_error(lc, s ? s : g,
                             "journal.max_bytes (%lld) must be at most 3/4 of journal.map_bytes "
                             "(%lld): LMDB needs room for the pages it rewrites",
                             cfg->journal.max_bytes, cfg->journal.map_bytes / 4 * 3);
        }
    }
    if (read_socket_group(lc, root, "ack", &cfg->ack, NULL) < 0 ||
        read_socket_group(lc, root, "replay", &cfg->replay, "max_limit") < 0)
        return -1;
    if ((g = config_setting_get_member(root, "replay")) != NULL &&
        (s = config_setting_get_member(g, "max_limit")) != NULL) {
        if (get_int(lc, s, 1, 1000000, &v) < 0)
            return -1;
        cfg->replay_max_limit = (int)v;
    }
    if ((long long)cfg->replay.hwm < 2LL * cfg->replay_max_limit + 2) {
        g = config_setting_get_member(root, "replay");
        return set_error(lc, g,
                         "replay.hwm (%d) must be at least 2 x replay.max_limit + 2 (%lld) so "
                         "that one answer always fits in the send queue",
                         cfg->replay.hwm, 2LL * cfg->replay_max_limit + 2);
    }
    return 0;
}

static int read_root(const load_ctx *lc, const config_setting_t *root, ed_config *cfg)
{
    static const char *const known[] = {"instance", "data_dir", "state_dir", "workers",
                                        "drain_timeout_ms", "log", "input", "feed", "output",
                                        "metrics", "security", "journal", "ack", "replay",
                                        NULL};
    if (check_known_keys(lc, root, known,
                         "instance, data_dir, state_dir, workers, drain_timeout_ms, log, input, "
                         "feed, output, metrics, security, journal, ack, replay") < 0)
        return -1;

    const config_setting_t *s;
    const char *str = NULL;
    long long v;

    if ((s = config_setting_get_member(root, "instance")) != NULL) {
        if (get_string(lc, s, &str) < 0)
            return -1;
        if (!valid_instance(str))
            return set_error(lc, s,
                             "instance \"%s\" must be 1 to %d characters from A-Z a-z 0-9 . _ - : @",
                             str, ED_CONFIG_INSTANCE_LEN_MAX);
        free(cfg->instance);
        if ((cfg->instance = strdup(str)) == NULL)
            return set_oom(lc);
    }
    if ((s = config_setting_get_member(root, "data_dir")) != NULL) {
        if (get_string(lc, s, &str) < 0)
            return -1;
        if (str[0] == '\0')
            return set_error(lc, s, "data_dir must not be empty");
        free(cfg->data_dir);
        if ((cfg->data_dir = resolve_path(lc, str)) == NULL)
            return set_oom(lc);
    }
    if ((s = config_setting_get_member(root, "state_dir")) != NULL) {
        if (get_string(lc, s, &str) < 0)
            return -1;
        free(cfg->state_dir);
        if ((cfg->state_dir = resolve_path(lc, str)) == NULL)
            return set_oom(lc);
        if (check_state_dir(lc, s, cfg->state_dir) < 0)
            return -1;
    }
    if ((s = config_setting_get_member(root, "workers")) != NULL) {
        if (get_int(lc, s, 0, ED_CONFIG_WORKERS_MAX, &v) < 0)
            return -1;
        cfg->workers = (int)v;
    }
    if ((s = config_setting_get_member(root, "drain_timeout_ms")) != NULL) {
        if (get_int(lc, s, 1, ED_CONFIG_DRAIN_MS_MAX, &v) < 0)
            return -1;
        cfg->drain_timeout_ms = (int)v;
    }
    if ((s = config_setting_get_member(root, "log")) != NULL) {
        static const char *const log_keys[] = {"level", NULL};
        if (require_group(lc, s) < 0 || check_known_keys(lc, s, log_keys, "level") < 0)
            return -1;
        const config_setting_t *lvl = config_setting_get_member(s, "level");
        if (lvl != NULL) {
            if (get_string(lc, lvl, &str) < 0)
                return -1;
            if (ed_log_level_parse(str, &cfg->log_level) < 0)
                return set_error(lc, lvl,
                                 "log.level \"%s\" is not one of debug, info, warn, error", str);
        }
    }
    if ((s = config_setting_get_member(root, "input")) != NULL) {
        static const char *const input_keys[] = {"max_bytes", "max_frame_bytes", NULL};
        if (require_group(lc, s) < 0 ||
            check_known_keys(lc, s, input_keys, "max_bytes, max_frame_bytes") < 0)
            return -1;
        const config_setting_t *mb = config_setting_get_member(s, "max_bytes");
        if (mb != NULL) {
            if (get_int(lc, mb, 1, ED_CONFIG_MAX_BYTES_MAX, &v) < 0)
                return -1;
            cfg->max_bytes = v;
        }
        const config_setting_t *mf = config_setting_get_member(s, "max_frame_bytes");
        if (mf != NULL) {
            if (get_int(lc, mf, 0, ED_CONFIG_MAX_BYTES_MAX, &v) < 0)
                return -1;
            cfg->max_frame_bytes = v;
        }
        /* Between max_bytes and max_frame_bytes a frame gets a too_large record; above the
         * guard libzmq drops the connection. A guard below max_bytes would hide that record. */
        if (cfg->max_frame_bytes != 0 && cfg->max_frame_bytes < cfg->max_bytes)
            return set_error(lc, mf ? mf : mb,
                             "input.max_frame_bytes (%lld) must be 0 or at least "
                             "input.max_bytes (%lld)",
                             cfg->max_frame_bytes, cfg->max_bytes);
    }
    if (read_socket_group(lc, root, "feed", &cfg->feed, NULL) < 0 ||
        read_socket_group(lc, root, "output", &cfg->output, "backpressure") < 0)
        return -1;
    if (read_metrics_group(lc, root, cfg) < 0 || read_security(lc, root, cfg) < 0)
        return -1;
    return read_issue5(lc, root, cfg);
}

/* ---- entry points ------------------------------------------------------------------------ */

static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

/* Shared tail of load and load_string: cf is parsed (or failed with rc != CONFIG_TRUE). */
static int finish_load(config_t *cf, int rc, load_ctx *lc, const char *path, ed_config *cfg)
{
    int result = -1;
    if (rc != CONFIG_TRUE) {
        const char *file = config_error_file(cf) ? config_error_file(cf) : lc->name;
        if (config_error_type(cf) == CONFIG_ERR_FILE_IO)
            snprintf(lc->err, lc->errlen, "%s: cannot read the file", file);
        else
            snprintf(lc->err, lc->errlen, "%s:%d: syntax error: %s", file,
                     config_error_line(cf), config_error_text(cf));
        ed_config_free(cfg);
        goto out;
    }
    if (read_root(lc, config_root_setting(cf), cfg) < 0) {
        ed_config_free(cfg);
        goto out;
    }
    if (path != NULL && (cfg->path = strdup(path)) == NULL) {
        set_oom(lc);
        ed_config_free(cfg);
        goto out;
    }
    result = 0;
out:
    config_destroy(cf);
    free(lc->base_dir);
    lc->base_dir = NULL;
    return result;
}

/* libconfig 1.5 silently wraps an integer literal that does not fit in 32 bits unless it ends
 * with L (5000000000 reads as 705032704). Scan the text for such literals first so a big value
 * is an error, never a different value. Skips comments and strings. */
static int check_int_literals(const load_ctx *lc, const char *text)
{
    int line = 1;
    const char *p = text;
    while (*p) {
        char c = *p;
        if (c == '\n') {
            line++;
            p++;
        } else if (c == '#' || (c == '/' && p[1] == '/')) {
            while (*p && *p != '\n')
                p++;
        } else if (c == '/' && p[1] == '*') {
            p += 2;
            while (*p && !(p[0] == '*' && p[1] == '/')) {
                if (*p == '\n')
                    line++;
                p++;
            }
            if (*p)
                p += 2;
        } else if (c == '"') {
            p++;
            while (*p && *p != '"' && *p != '\n') {
                if (*p == '\\' && p[1] != '\0')
                    p++;
                p++;
            }
            if (*p == '"')
                p++;
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_' || c == '*' ||
                   c == '@') {
            while ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
                   *p == '_' || *p == '*' || *p == '-' || *p == '@')
                p++;
        } else if ((c >= '0' && c <= '9') || ((c == '-' || c == '+') && p[1] >= '0' && p[1] <= '9')) {
            const char *start = p;
            int negative = c == '-';
            if (c == '-' || c == '+')
                p++;
            int hex = p[0] == '0' && (p[1] == 'x' || p[1] == 'X');
            const char *digits = hex ? p + 2 : p;
            const char *q = digits;
            while ((*q >= '0' && *q <= '9') ||
                   (hex && ((*q >= 'a' && *q <= 'f') || (*q >= 'A' && *q <= 'F'))))
                q++;
            if (!hex && (*q == '.' || *q == 'e' || *q == 'E')) { /* a float */
                while ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E' ||
                       ((*q == '-' || *q == '+') && (q[-1] == 'e' || q[-1] == 'E')))
                    q++;
                p = q;
                continue;
            }
            int has_l = *q == 'L';
            p = q;
            while (*p == 'L')
                p++;
            if (has_l || q == digits)
                continue;
            /* the magnitude, saturating */
            unsigned long long v = 0, limit = negative ? 2147483648ULL : 2147483647ULL;
            int too_big = 0;
            for (const char *d = digits; d < q && !too_big; d++) {
                unsigned digit = (unsigned)(*d <= '9' ? *d - '0' : (*d | 0x20) - 'a' + 10);
                v = v * (hex ? 16u : 10u) + digit;
                too_big = v > limit;
            }
            if (too_big) {
                char lit[48];
                size_t n = (size_t)(q - start) < sizeof lit - 1 ? (size_t)(q - start) : sizeof lit - 1;
                memcpy(lit, start, n);
                lit[n] = '\0';
                snprintf(lc->err, lc->errlen,
                         "%s:%d: integer %s does not fit in 32 bits (write %sL for a 64-bit value)",
                         lc->name, line, lit, lit);
                return -1;
            }
        } else {
            p++;
        }
    }
    return 0;
}

/* Parses text (the content of lc->name) into cfg on top of the defaults. */
static int load_text(load_ctx *lc, const char *text, const char *path, ed_config *cfg)
{
    if (ed_config_defaults(cfg, lc->err, lc->errlen) < 0) {
        ed_config_free(cfg);
        return -1;
    }
    lc->base_dir = dir_of(lc->name);
    if (lc->base_dir == NULL) {
        ed_config_free(cfg);
        return set_oom(lc);
    }
    if (check_int_literals(lc, text) < 0) {
        ed_config_free(cfg);
        free(lc->base_dir);
        lc->base_dir = NULL;
        return -1;
    }
    config_t cf;
    config_init(&cf);
    config_set_include_dir(&cf, lc->base_dir);
    int rc = config_read_string(&cf, text);
    return finish_load(&cf, rc, lc, path, cfg);
}

int ed_config_load(const char *path, ed_config *cfg, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    load_ctx lc = {.name = path, .err = err, .errlen = errlen};
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return set_error(&lc, NULL, "cannot open: %s", strerror(errno));
    char *text = malloc(ED_CONFIG_FILE_MAX + 1);
    if (text == NULL) {
        fclose(f);
        return set_oom(&lc);
    }
    size_t n = fread(text, 1, ED_CONFIG_FILE_MAX + 1, f);
    int read_error = ferror(f);
    fclose(f);
    if (read_error) {
        free(text);
        return set_error(&lc, NULL, "cannot read: %s", strerror(errno));
    }
    if (n > ED_CONFIG_FILE_MAX) {
        free(text);
        return set_error(&lc, NULL, "larger than %d bytes", ED_CONFIG_FILE_MAX);
    }
    text[n] = '\0';
    if (strlen(text) != n) {
        free(text);
        return set_error(&lc, NULL, "contains a NUL byte");
    }
    int rc = load_text(&lc, text, path, cfg);
    free(text);
    return rc;
}

int ed_config_load_string(const char *text, const char *name, ed_config *cfg, char *err,
                          size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    load_ctx lc = {.name = name ? name : "<string>", .err = err, .errlen = errlen};
    return load_text(&lc, text, NULL, cfg);
}

/* ---- diff -------------------------------------------------------------------------------- */

static int str_eq(const char *a, const char *b)
{
    return strcmp(a ? a : "", b ? b : "") == 0;
}

static int list_eq(char *const *a, size_t na, char *const *b, size_t nb)
{
    if (na != nb)
        return 0;
    for (size_t i = 0; i < na; i++)
        if (!str_eq(a[i], b[i]))
            return 0;
    return 1;
}

static int sock_eq(const ed_sock_config *a, const ed_sock_config *b)
{
    return a->hwm == b->hwm && list_eq(a->bind, a->nbind, b->bind, b->nbind) &&
           list_eq(a->connect, a->nconnect, b->connect, b->nconnect);
}

unsigned ed_config_diff(const ed_config *old_cfg, const ed_config *new_cfg)
{
    unsigned changed = 0;
    if (old_cfg->log_level != new_cfg->log_level)
        changed |= ED_SET_LOG_LEVEL;
    if (old_cfg->max_bytes != new_cfg->max_bytes)
        changed |= ED_SET_MAX_BYTES;
    if (old_cfg->drain_timeout_ms != new_cfg->drain_timeout_ms)
        changed |= ED_SET_DRAIN_TIMEOUT;
    if (!str_eq(old_cfg->data_dir, new_cfg->data_dir))
        changed |= ED_SET_DATA_DIR;
    if (!str_eq(old_cfg->instance, new_cfg->instance))
        changed |= ED_SET_INSTANCE;
    if (ed_config_worker_count(old_cfg) != ed_config_worker_count(new_cfg))
        changed |= ED_SET_WORKERS;
    if (!sock_eq(&old_cfg->feed, &new_cfg->feed))
        changed |= ED_SET_FEED;
    if (!sock_eq(&old_cfg->output, &new_cfg->output))
        changed |= ED_SET_OUTPUT;
    if (!str_eq(old_cfg->state_dir, new_cfg->state_dir))
        changed |= ED_SET_STATE_DIR;
    if (old_cfg->max_frame_bytes != new_cfg->max_frame_bytes)
        changed |= ED_SET_MAX_FRAME;
    if (!str_eq(old_cfg->metrics_bind, new_cfg->metrics_bind) ||
        old_cfg->metrics_max_connections != new_cfg->metrics_max_connections ||
        old_cfg->metrics_idle_timeout_s != new_cfg->metrics_idle_timeout_s)
        changed |= ED_SET_METRICS;
    if (old_cfg->output_block != new_cfg->output_block)
        changed |= ED_SET_OUTPUT;
    if (memcmp(&old_cfg->journal, &new_cfg->journal, sizeof old_cfg->journal) != 0)
        changed |= ED_SET_JOURNAL;
    if (!sock_eq(&old_cfg->ack, &new_cfg->ack))
        changed |= ED_SET_ACK;
    if (!sock_eq(&old_cfg->replay, &new_cfg->replay) ||
        old_cfg->replay_max_limit != new_cfg->replay_max_limit)
        changed |= ED_SET_REPLAY;
    return changed;
}

const char *ed_config_setting_name(unsigned setting_bit)
{
    switch (setting_bit) {
    case ED_SET_LOG_LEVEL: return "log.level";
    case ED_SET_MAX_BYTES: return "input.max_bytes";
    case ED_SET_DRAIN_TIMEOUT: return "drain_timeout_ms";
    case ED_SET_DATA_DIR: return "data_dir";
    case ED_SET_INSTANCE: return "instance";
    case ED_SET_WORKERS: return "workers";
    case ED_SET_FEED: return "feed";
    case ED_SET_OUTPUT: return "output";
    case ED_SET_STATE_DIR: return "state_dir";
    case ED_SET_MAX_FRAME: return "input.max_frame_bytes";
    case ED_SET_METRICS: return "metrics";
    case ED_SET_JOURNAL: return "journal";
    case ED_SET_ACK: return "ack";
    case ED_SET_REPLAY: return "replay";
    default: return "?";
    }
}
