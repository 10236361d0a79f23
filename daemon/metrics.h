/*
 * metrics.h — the daemon's HTTP endpoint (libmicrohttpd): GET /metrics in the Prometheus text
 * format 0.0.4 and GET /healthz (200 "ok", or 503 with the reason). Anything else is 404; other
 * methods on those two paths are 405. One libmicrohttpd thread polls every connection (epoll),
 * with a connection limit and an idle timeout, so a client that holds a connection open never
 * delays a scrape. docs/operations.md lists the metrics and what health means.
 * Ownership: ed_metrics_start returns a server owned by the caller; ed_metrics_stop stops its
 * thread and frees it. The server borrows sh, which must outlive it.
 * May touch: its listening socket and connections, its own thread; reads ed_shared (counters,
 * stats, the resources slot, the alive count). Never writes to the pipeline.
 */
#ifndef ENRICHD_METRICS_H
#define ENRICHD_METRICS_H

#include <stddef.h>
#include <sys/socket.h>

#include "config.h"
#include "prom.h"

typedef struct ed_metrics ed_metrics;
struct ed_shared; /* pipeline.h */

/* Parses a metrics bind address "HOST:PORT": HOST a numeric IPv4 address or a bracketed IPv6
 * one ("[::1]:9110"), PORT 0..65535 (0 = any free port). Returns 1 and fills *addr / *addrlen,
 * 0 for "" (metrics off), or -1 with err set. addr/addrlen may be NULL (validation only). */
int ed_metrics_parse_bind(const char *bind, struct sockaddr_storage *addr, socklen_t *addrlen,
                          char *err, size_t errlen);

/* Starts the server on cfg->metrics_bind (with cfg->metrics_max_connections and
 * cfg->metrics_idle_timeout_s) and logs a "listening" line with the actual address
 * ({"socket":"metrics","endpoint":"http://127.0.0.1:PORT"}). Returns 0 with *out set (NULL
 * when metrics_bind is "": off), or -1 with err set. */
int ed_metrics_start(const ed_config *cfg, struct ed_shared *sh, ed_metrics **out, char *err,
                     size_t errlen);

/* "http://HOST:PORT" with the actual port, owned by m. */
const char *ed_metrics_endpoint(const ed_metrics *m);

/* Stops the thread (closing every connection) and frees m. NULL-safe. */
void ed_metrics_stop(ed_metrics *m);

/* Writes every metric of sh into p (what GET /metrics answers). */
void ed_metrics_render(struct ed_shared *sh, ed_prom *p);

/* 1 when healthy (reason "ok"), else 0 with the reason ("starting", "draining", "a pipeline
 * thread has exited (N of M running)", "resources not loaded"). */
int ed_metrics_health(struct ed_shared *sh, char *reason, size_t reasonlen);

/* The journal's gauges (bytes, records, first/last seq, lag). Does nothing until the journal
 * adds its fields to ed_counters: see the comment in metrics.c. */
void ed_metrics_render_journal(const struct ed_shared *sh, ed_prom *p);

#endif
