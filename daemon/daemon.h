/*
 * daemon.h — one running enrichd pipeline: the ZeroMQ context, the sockets, the receiver, worker
 * and publisher threads, the current resources and the counters. main.c drives it (signals,
 * sd_notify); tests can run one in-process.
 * Ownership: ed_daemon_start returns a daemon owned by the caller; it copies what it needs from
 * the config (the config may be freed after start). ed_daemon_stop joins every thread;
 * ed_daemon_free releases the rest (and closes the journal, which lives from start to free).
 * May touch: sockets, threads, the extraction resources; never signals (main owns those).
 */
#ifndef ENRICHD_DAEMON_H
#define ENRICHD_DAEMON_H

#include <stddef.h>

#include "config.h"
#include "counters.h"

typedef struct ed_daemon ed_daemon;

/* Loads resources from cfg->data_dir, creates the sockets, binds/connects them (logging one
 * "listening" line per bound endpoint with the actual address), then starts the threads.
 * Returns 0 with *out set, or -1 with err set (nothing left running). */
int ed_daemon_start(const ed_config *cfg, ed_daemon **out, char *err, size_t errlen);

/* Applies the live settings of new_cfg (input.max_bytes), re-reads the CURVE allow-list (when
 * security is on) and reloads the resources from its data_dir, swapping them in (work in flight
 * finishes on the old ones). Returns 0, or -1 with err set when the allow-list or the resources
 * could not be loaded (nothing changed then). Main thread only. */
int ed_daemon_reload(ed_daemon *d, const ed_config *new_cfg, char *err, size_t errlen);

/* Drains and stops: the feed's bound endpoints close (no new input), the receiver takes what
 * the feed socket already holds for at most timeout_ms / 2, workers finish their queues, the
 * publisher publishes everything and exits. Waits at most timeout_ms, calling tick(tick_arg)
 * about every 100 ms (watchdog pings). Returns 0 when every thread finished in time; -1 when
 * the timeout passed (the context is then shut down with LINGER 0). Call once. */
int ed_daemon_stop(ed_daemon *d, int timeout_ms, void (*tick)(void *), void *tick_arg);

/* Frees the daemon. After ed_daemon_stop returned 0, or -1 (then it may leak the parts still
 * running, which the process exit reclaims). NULL-safe. */
void ed_daemon_free(ed_daemon *d);

/* Counters (owned by d). */
const ed_counters *ed_daemon_counters(const ed_daemon *d);
/* Number of worker threads. */
int ed_daemon_workers(const ed_daemon *d);
/* Generation string of the current resources (for logs); copied into out. */
void ed_daemon_generation(ed_daemon *d, char *out, size_t outlen);
/* The actual address of the i-th bound endpoint of "feed", "output", "ack" or "replay" (port *
 * resolved; ack and replay exist only with the journal), or of "metrics" (i = 0:
 * "http://HOST:PORT", NULL when off), or NULL. Owned by d. */
const char *ed_daemon_endpoint(const ed_daemon *d, const char *socket_name, size_t i);

#endif
