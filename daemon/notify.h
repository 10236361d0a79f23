/*
 * notify.h — systemd readiness protocol (sd_notify): READY, RELOADING, STOPPING, STATUS,
 * WATCHDOG. Backed by libsystemd when built with HAVE_SYSTEMD, else every call is a no-op.
 * Outside systemd (no $NOTIFY_SOCKET) the calls do nothing either.
 * May touch: the notify socket named by $NOTIFY_SOCKET; called from the main thread only.
 */
#ifndef ENRICHD_NOTIFY_H
#define ENRICHD_NOTIFY_H

#include <stdint.h>

/* READY=1 with a STATUS= line. */
void ed_notify_ready(const char *status);
/* RELOADING=1 (with MONOTONIC_USEC= for Type=notify-reload). */
void ed_notify_reloading(void);
/* STOPPING=1. */
void ed_notify_stopping(void);
/* STATUS=<status>. */
void ed_notify_status(const char *status);
/* WATCHDOG=1. */
void ed_notify_watchdog(void);
/* The watchdog interval systemd expects pings within, in microseconds; 0 when disabled. */
uint64_t ed_notify_watchdog_usec(void);

#endif
