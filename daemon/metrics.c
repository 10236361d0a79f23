/*
 * metrics.c — /metrics and /healthz over HTTP with libmicrohttpd (see metrics.h): address
 * parsing, the server's life cycle, the request handler, and the list of metrics written for
 * a scrape (docs/operations.md describes each one).
 * May touch: its listening socket, its connections and libmicrohttpd's one thread; reads
 * ed_shared. Nothing else.
 */
#include "metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pipeline.h"
#include "stats.h"

struct ed_metrics {
    struct MHD_Daemon *mhd;
    ed_shared *sh;
    char endpoint[96];
};

/* ---- address ----------------------------------------------------------------------------- */

static int bind_error(char *err, size_t errlen, const char *bind, const char *why)
{
    if (errlen > 0)
        snprintf(err, errlen, "metrics bind \"%s\": %s", bind, why);
    return -1;
}

int ed_metrics_parse_bind(const char *bind, struct sockaddr_storage *addr, socklen_t *addrlen,
                          char *err, size_t errlen)
{
    if (bind[0] == '\0')
        return 0;
    const char *colon = strrchr(bind, ':');
    if (colon == NULL || colon == bind)
        return bind_error(err, errlen, bind, "expected HOST:PORT (\"\" turns metrics off)");
    const char *port_s = colon + 1;
    if (*port_s == '\0' || strlen(port_s) > 5 || strspn(port_s, "0123456789") != strlen(port_s))
        return bind_error(err, errlen, bind, "the port must be a number 0..65535");
    long port = strtol(port_s, NULL, 10);
    if (port > 65535)
        return bind_error(err, errlen, bind, "the port must be a number 0..65535");

    const char *whole = bind;
    char host[64];
    size_t hlen = (size_t)(colon - bind);
    int v6 = 0;
    if (bind[0] == '[') {
        if (hlen < 3 || bind[hlen - 1] != ']')
            return bind_error(err, errlen, bind, "an IPv6 address needs brackets: [::1]:9110");
        v6 = 1;
        bind++;
        hlen -= 2;
    }
    if (hlen >= sizeof host)
        return bind_error(err, errlen, whole, "the host is too long");
    memcpy(host, bind, hlen);
    host[hlen] = '\0';

    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t len;
    if (v6) {
        struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
        if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
            return bind_error(err, errlen, whole, "not a numeric IPv6 address");
        a->sin6_family = AF_INET6;
        a->sin6_port = htons((uint16_t)port);
        len = sizeof *a;
    } else {
        struct sockaddr_in *a = (struct sockaddr_in *)&ss;
        if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
            return bind_error(err, errlen, whole,
                              "not a numeric IPv4 address (IPv6: [addr]:port; names are not "
                              "resolved)");
        a->sin_family = AF_INET;
        a->sin_port = htons((uint16_t)port);
        len = sizeof *a;
    }
    if (addr != NULL)
        *addr = ss;
    if (addrlen != NULL)
        *addrlen = len;
    return 1;
}

/* ---- what a scrape writes ---------------------------------------------------------------- */

static uint64_t gauge_value(const _Atomic int64_t *g)
{
    /* +1 and -1 come from different threads: a read between them may dip below zero */
    int64_t v = atomic_load_explicit(g, memory_order_relaxed);
    return v > 0 ? (uint64_t)v : 0;
}

static int threads_running(ed_shared *sh)
{
    pthread_mutex_lock(&sh->exit_mu);
    int alive = sh->alive;
    pthread_mutex_unlock(&sh->exit_mu);
    return alive;
}

int ed_metrics_health(ed_shared *sh, char *reason, size_t reasonlen)
{
    int life = atomic_load(&sh->stats.life);
    int alive = threads_running(sh);
    if (life == ED_LIFE_STARTING) {
        snprintf(reason, reasonlen, "starting");
        return 0;
    }
    if (life == ED_LIFE_DRAINING) {
        snprintf(reason, reasonlen, "draining");
        return 0;
    }
    if (alive < sh->stats.threads_expected) {
        snprintf(reason, reasonlen, "a pipeline thread has exited (%d of %d running)", alive,
                 sh->stats.threads_expected);
        return 0;
    }
    ex_resources *res = ed_res_slot_acquire(&sh->resources);
    int loaded = res != NULL;
    ex_resources_unref(res);
    if (!loaded) {
        snprintf(reason, reasonlen, "resources not loaded");
        return 0;
    }
    snprintf(reason, reasonlen, "ok");
    return 1;
}

static void render_histograms(ed_shared *sh, ed_prom *p)
{
    double bounds[ED_HISTO_BOUNDS];
    for (size_t i = 0; i < ED_HISTO_BOUNDS; i++)
        bounds[i] = (double)ed_histo_bounds_us[i] / 1e6;
    uint64_t counts[ED_HISTO_BOUNDS + 1];
    uint64_t sum_us;

    ed_prom_family(p, "enrichd_stage_seconds", "histogram",
                   "Time one extraction stage took on one document, per stage.");
    for (size_t s = 0; s < sh->stats.nstages; s++) {
        const char *name = ex_stage_name(s);
        const char *labels[] = {"stage", name ? name : "?", NULL};
        ed_stats_histo_sum(&sh->stats, s, counts, &sum_us);
        ed_prom_histogram(p, "enrichd_stage_seconds", labels, bounds, ED_HISTO_BOUNDS, counts,
                          (double)sum_us / 1e6);
    }
    ed_prom_family(p, "enrichd_extract_seconds", "histogram",
                   "Time of the whole extraction (every stage) of one article, failures "
                   "included.");
    ed_stats_histo_sum(&sh->stats, (size_t)-1, counts, &sum_us);
    ed_prom_histogram(p, "enrichd_extract_seconds", NULL, bounds, ED_HISTO_BOUNDS, counts,
                      (double)sum_us / 1e6);
}

void ed_metrics_render_journal(const ed_shared *sh, ed_prom *p)
{
    const ed_counters *c = &sh->counters;
    static const struct {
        const char *name, *help;
        size_t offset;
    } gauges[] = {
        {"enrichd_journal_bytes", "Bytes of LMDB pages the journal uses (0 when it is off).",
         offsetof(ed_counters, journal_bytes)},
        {"enrichd_journal_records", "Records the journal holds.",
         offsetof(ed_counters, journal_records)},
        {"enrichd_journal_first_seq", "Oldest seq the journal still holds (0 when empty).",
         offsetof(ed_counters, journal_first_seq)},
        {"enrichd_journal_last_seq", "Newest seq appended to the journal.",
         offsetof(ed_counters, journal_last_seq)},
    };
    for (size_t i = 0; i < sizeof gauges / sizeof gauges[0]; i++) {
        const _Atomic uint64_t *v =
            (const _Atomic uint64_t *)(const void *)((const char *)c + gauges[i].offset);
        ed_prom_family(p, gauges[i].name, "gauge", gauges[i].help);
        ed_prom_u64(p, gauges[i].name, NULL, atomic_load(v));
    }
    uint64_t last = atomic_load(&c->journal_last_seq), synced = atomic_load(&c->journal_synced_seq);
    ed_prom_family(p, "enrichd_journal_lag_records", "gauge",
                   "Records appended but not yet synced to disk (what a power loss may cost).");
    ed_prom_u64(p, "enrichd_journal_lag_records", NULL, last > synced ? last - synced : 0);
    ed_prom_family(p, "enrichd_journal_errors_total", "counter",
                   "Journal appends or syncs that failed (records published unjournaled, acks "
                   "withheld).");
    ed_prom_u64(p, "enrichd_journal_errors_total", NULL, atomic_load(&c->journal_errors));
    const char *ok[] = {"reply", "ok", NULL};
    const char *error[] = {"reply", "error", NULL};
    ed_prom_family(p, "enrichd_acks_total", "counter",
                   "Replies sent on the acknowledged feed, per kind.");
    ed_prom_u64(p, "enrichd_acks_total", ok, atomic_load(&c->acks_ok));
    ed_prom_u64(p, "enrichd_acks_total", error, atomic_load(&c->acks_error));
    ed_prom_family(p, "enrichd_ack_duplicates_total", "counter",
                   "Acked resends answered with the first seq, without a new record.");
    ed_prom_u64(p, "enrichd_ack_duplicates_total", NULL, atomic_load(&c->ack_duplicates));
}

void ed_metrics_render(ed_shared *sh, ed_prom *p)
{
    const ed_counters *c = &sh->counters;
    ed_stats *st = &sh->stats;

    const char *build[] = {"version", ENRICHD_VERSION, NULL};
    ed_prom_family(p, "enrichd_build_info", "gauge", "Always 1; the version in a label.");
    ed_prom_u64(p, "enrichd_build_info", build, 1);
    ed_prom_family(p, "enrichd_start_time_seconds", "gauge",
                   "Unix time the daemon started, in seconds.");
    ed_prom_f64(p, "enrichd_start_time_seconds", NULL, (double)st->start_ms / 1000.0);
    ed_prom_family(p, "enrichd_uptime_seconds", "gauge", "Seconds since the daemon started.");
    ed_prom_f64(p, "enrichd_uptime_seconds", NULL, (double)(ed_now_ms() - st->start_ms) / 1000.0);
    ed_prom_family(p, "enrichd_workers", "gauge", "Extraction worker threads configured.");
    ed_prom_u64(p, "enrichd_workers", NULL, st->nworkers);
    ed_prom_family(p, "enrichd_threads_running", "gauge",
                   "Pipeline threads running (receiver, workers, publisher).");
    ed_prom_u64(p, "enrichd_threads_running", NULL, (uint64_t)threads_running(sh));
    ed_prom_family(p, "enrichd_threads_expected", "gauge",
                   "Pipeline threads when everything runs (workers + 2).");
    ed_prom_u64(p, "enrichd_threads_expected", NULL, (uint64_t)st->threads_expected);
    ed_prom_family(p, "enrichd_draining", "gauge", "1 once a stop (SIGTERM/SIGINT) began.");
    ed_prom_u64(p, "enrichd_draining", NULL, atomic_load(&st->life) == ED_LIFE_DRAINING);
    char reason[128];
    ed_prom_family(p, "enrichd_healthy", "gauge", "1 when /healthz answers 200.");
    ed_prom_u64(p, "enrichd_healthy", NULL, (uint64_t)ed_metrics_health(sh, reason, sizeof reason));

    ed_prom_family(p, "enrichd_received_total", "counter",
                   "Messages taken from the feed, good or bad.");
    ed_prom_u64(p, "enrichd_received_total", NULL, atomic_load(&c->received));
    ed_prom_family(p, "enrichd_published_total", "counter",
                   "Records published on the output, per topic (topics past the first 32 "
                   "count under \"other\").");
    size_t ntopics = atomic_load_explicit(&c->ntopics, memory_order_acquire);
    for (size_t i = 0; i < ntopics; i++) {
        const char *labels[] = {"topic", c->topics[i].name, NULL};
        ed_prom_u64(p, "enrichd_published_total", labels, atomic_load(&c->topics[i].count));
    }
    uint64_t other = atomic_load(&c->other_topics);
    if (other > 0) {
        const char *labels[] = {"topic", "other", NULL};
        ed_prom_u64(p, "enrichd_published_total", labels, other);
    }
    ed_prom_family(p, "enrichd_errors_total", "counter",
                   "Error records made, per error code (every code, zeros included).");
    for (int i = 1; i < ED_ERR__COUNT; i++) {
        const char *labels[] = {"code", ed_errcode_name((ed_errcode)i), NULL};
        ed_prom_u64(p, "enrichd_errors_total", labels, atomic_load(&c->errors[i]));
    }
    ed_prom_family(p, "enrichd_auth_total", "counter",
                   "CURVE handshakes checked by the ZAP handler, per result (0 while CURVE is off).");
    const char *allowed[] = {"result", "allowed", NULL};
    const char *denied[] = {"result", "denied", NULL};
    ed_prom_u64(p, "enrichd_auth_total", allowed, atomic_load(&c->auth_allowed));
    ed_prom_u64(p, "enrichd_auth_total", denied, atomic_load(&c->auth_denied));

    ed_prom_family(p, "enrichd_worker_queue_jobs", "gauge",
                   "Articles handed to a worker and not finished yet, per worker.");
    for (size_t w = 0; w < st->nworkers; w++) {
        char idx[24];
        snprintf(idx, sizeof idx, "%zu", w);
        const char *labels[] = {"worker", idx, NULL};
        ed_prom_u64(p, "enrichd_worker_queue_jobs", labels,
                    gauge_value(ed_stats_worker_queue(st, w)));
    }
    ed_prom_family(p, "enrichd_publisher_queue_records", "gauge",
                   "Records sent to the publisher and not taken by it yet.");
    ed_prom_u64(p, "enrichd_publisher_queue_records", NULL, gauge_value(&st->publish_queued));

    render_histograms(sh, p);

    ex_resources *res = ed_res_slot_acquire(&sh->resources);
    const char *gen = res ? ex_resources_generation(res) : NULL;
    const char *gen_labels[] = {"generation", gen ? gen : "", NULL};
    ed_prom_family(p, "enrichd_resources_info", "gauge",
                   "Always 1; the generation of the language packs in use in a label.");
    ed_prom_u64(p, "enrichd_resources_info", gen_labels, 1);
    ex_resources_unref(res);
    ed_prom_family(p, "enrichd_resources_reloads_total", "counter",
                   "Reloads (SIGHUP) that swapped in new language packs.");
    ed_prom_u64(p, "enrichd_resources_reloads_total", NULL, atomic_load(&st->reloads));
    ed_prom_family(p, "enrichd_resources_reload_failures_total", "counter",
                   "Reloads refused because the language packs did not load.");
    ed_prom_u64(p, "enrichd_resources_reload_failures_total", NULL,
                atomic_load(&st->reload_failures));

    ed_metrics_render_journal(sh, p);
}

/* ---- HTTP -------------------------------------------------------------------------------- */

static enum MHD_Result respond(struct MHD_Connection *conn, unsigned status, char *body,
                               size_t len, const char *content_type, const char *allow)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer_with_free_callback(len, body, &free);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    if (allow != NULL)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
    enum MHD_Result rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static enum MHD_Result respond_text(struct MHD_Connection *conn, unsigned status,
                                    const char *text, const char *allow)
{
    size_t len = strlen(text);
    char *body = malloc(len + 2);
    if (body == NULL)
        return MHD_NO;
    memcpy(body, text, len);
    body[len] = '\n';
    body[len + 1] = '\0';
    return respond(conn, status, body, len + 1, "text/plain; charset=utf-8", allow);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    ed_metrics *m = cls;
    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    (void)con_cls;
    int is_metrics = strcmp(url, "/metrics") == 0;
    int is_health = strcmp(url, "/healthz") == 0;
    if (!is_metrics && !is_health)
        return respond_text(conn, MHD_HTTP_NOT_FOUND, "not found: try /metrics or /healthz",
                            NULL);
    /* HEAD is answered like GET; libmicrohttpd leaves the body out */
    if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
        return respond_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed",
                            "GET, HEAD");
    if (is_health) {
        char reason[128];
        int ok = ed_metrics_health(m->sh, reason, sizeof reason);
        return respond_text(conn, ok ? MHD_HTTP_OK : MHD_HTTP_SERVICE_UNAVAILABLE, reason, NULL);
    }
    ed_prom p;
    ed_prom_init(&p);
    ed_metrics_render(m->sh, &p);
    size_t len = 0;
    char *body = ed_prom_take(&p, &len);
    if (body == NULL)
        return respond_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "out of memory", NULL);
    return respond(conn, MHD_HTTP_OK, body, len, ED_PROM_CONTENT_TYPE, NULL);
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

/* libmicrohttpd's error logger (MHD_OPTION_EXTERNAL_LOGGER): its messages go to our log. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    /* libmicrohttpd reports per-connection trouble (resets, timeouts) here: not our errors */
    ed_log_kv(ED_LOG_DEBUG, "metrics: libmicrohttpd", "detail", msg);
}

int ed_metrics_start(const ed_config *cfg, ed_shared *sh, ed_metrics **out, char *err,
                     size_t errlen)
{
    *out = NULL;
    struct sockaddr_storage addr;
    socklen_t addrlen = 0;
    int rc = ed_metrics_parse_bind(cfg->metrics_bind, &addr, &addrlen, err, errlen);
    if (rc <= 0)
        return rc;
    ed_metrics *m = calloc(1, sizeof *m);
    if (m == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    m->sh = sh;
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    errno = 0;
    m->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, &on_request, m,
        MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned int)cfg->metrics_max_connections,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)cfg->metrics_idle_timeout_s,
        MHD_OPTION_EXTERNAL_LOGGER, &on_mhd_log, NULL,
        MHD_OPTION_END);
    if (m->mhd == NULL) {
        int e = errno;
        snprintf(err, errlen, "cannot listen for metrics on %s: %s", cfg->metrics_bind,
                 e ? strerror(e) : "libmicrohttpd failed to start");
        free(m);
        return -1;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(m->mhd, MHD_DAEMON_INFO_BIND_PORT);
    unsigned port = info ? info->port : 0;
    char host[INET6_ADDRSTRLEN] = "";
    if (addr.ss_family == AF_INET6) {
        inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&addr)->sin6_addr, host, sizeof host);
        snprintf(m->endpoint, sizeof m->endpoint, "http://[%s]:%u", host, port);
    } else {
        inet_ntop(AF_INET, &((struct sockaddr_in *)&addr)->sin_addr, host, sizeof host);
        snprintf(m->endpoint, sizeof m->endpoint, "http://%s:%u", host, port);
    }
    ed_log_line line;
    if (ed_log_begin_always(&line, ED_LOG_INFO, "listening")) {
        ed_log_str(&line, "socket", "metrics");
        ed_log_str(&line, "endpoint", m->endpoint);
        ed_log_end(&line);
    }
    *out = m;
    return 0;
}

const char *ed_metrics_endpoint(const ed_metrics *m) { return m ? m->endpoint : NULL; }

void ed_metrics_stop(ed_metrics *m)
{
    if (m == NULL)
        return;
    if (m->mhd != NULL)
        MHD_stop_daemon(m->mhd);
    free(m);
}
