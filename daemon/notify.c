/*
 * notify.c — sd_notify wrappers (see notify.h). No-ops without libsystemd.
 * May touch: $NOTIFY_SOCKET through libsystemd only.
 */
#include "notify.h"

#include <time.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-daemon.h>

void ed_notify_ready(const char *status)
{
    sd_notifyf(0, "READY=1\nSTATUS=%s", status ? status : "ready");
}

void ed_notify_reloading(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    unsigned long long usec =
        (unsigned long long)now.tv_sec * 1000000ULL + (unsigned long long)now.tv_nsec / 1000ULL;
    sd_notifyf(0, "RELOADING=1\nMONOTONIC_USEC=%llu\nSTATUS=reloading", usec);
}

void ed_notify_stopping(void) { sd_notify(0, "STOPPING=1\nSTATUS=stopping"); }

void ed_notify_status(const char *status) { sd_notifyf(0, "STATUS=%s", status); }

void ed_notify_watchdog(void) { sd_notify(0, "WATCHDOG=1"); }

uint64_t ed_notify_watchdog_usec(void)
{
    uint64_t usec = 0;
    if (sd_watchdog_enabled(0, &usec) > 0)
        return usec;
    return 0;
}

#else

void ed_notify_ready(const char *status) { (void)status; }
void ed_notify_reloading(void) {}
void ed_notify_stopping(void) {}
void ed_notify_status(const char *status) { (void)status; }
void ed_notify_watchdog(void) {}
uint64_t ed_notify_watchdog_usec(void) { return 0; }

#endif
