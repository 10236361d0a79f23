/*
 * main.c — the enrichd executable: command line, configuration, signals and sd_notify.
 * Signals reach the main loop through a self-pipe polled with zmq_poll (the handler only writes
 * one byte); SIGTERM/SIGINT drain and exit, SIGHUP re-reads the configuration (kept unchanged
 * when invalid), applies the live settings and reloads the resources. The pipeline itself
 * (sockets, threads) lives in daemon.c.
 * May touch: signals, stdout/stderr, $NOTIFY_SOCKET; the pipeline only through daemon.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "config.h"
#include "counters.h"
#include "daemon.h"
#include "log.h"
#include "notify.h"

#define STATUS_INTERVAL_MS 5000

static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t w = write(signal_pipe[1], &b, 1);
    (void)w;
    errno = saved;
}

static void usage(FILE *out)
{
    fprintf(out,
            "usage: enrichd [-c FILE] [--check-config]\n"
            "       enrichd --version | --help\n"
            "\n"
            "Enriches news articles received over ZeroMQ and publishes JSON records.\n"
            "\n"
            "  -c, --config FILE   configuration file (default %s)\n"
            "      --check-config  validate the configuration, print \"ok\" or the error\n"
            "                      with file:line, exit 0 or 1\n"
            "  -V, --version       print the version and exit\n"
            "  -h, --help          print this help and exit\n"
            "\n"
            "Signals: SIGTERM/SIGINT drain and exit 0; SIGHUP reloads the configuration and\n"
            "the language packs. Logs are JSON lines on stderr. See docs/config.md.\n",
            ED_CONFIG_DEFAULT_PATH);
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int setup_signals(void)
{
    if (pipe(signal_pipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(signal_pipe[i], F_SETFL, fcntl(signal_pipe[i], F_GETFL) | O_NONBLOCK);
        fcntl(signal_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0 ||
        sigaction(SIGHUP, &sa, NULL) != 0)
        return -1;
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void set_handled_signals_blocked(int blocked)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(blocked ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* ---- the main loop's state ---------------------------------------------------------------- */

typedef struct main_state {
    ed_config running;     /* what runs: live fields updated on reload, restart fields kept */
    ed_daemon *daemon;
    uint64_t watchdog_ms;  /* ping interval (half of systemd's), 0 = off */
    int64_t next_watchdog;
    int64_t next_status;
} main_state;

static void watchdog_tick(void *arg)
{
    main_state *st = arg;
    if (st->watchdog_ms == 0)
        return;
    int64_t now = mono_ms();
    if (now >= st->next_watchdog) {
        ed_notify_watchdog();
        st->next_watchdog = now + (int64_t)st->watchdog_ms;
    }
}

static void status_line(main_state *st, char *out, size_t outlen)
{
    ed_counters_status(ed_daemon_counters(st->daemon), out, outlen);
}

static int replace_string(char **dst, const char *src)
{
    char *copy = strdup(src);
    if (copy == NULL)
        return -1;
    free(*dst);
    *dst = copy;
    return 0;
}

static void reload(main_state *st)
{
    ed_notify_reloading();
    ed_log_kv(ED_LOG_INFO, "reloading", "config", st->running.path);
    char err[ED_CONFIG_ERRLEN];
    ed_config next;
    char status[256];
    if (ed_config_load(st->running.path, &next, err, sizeof err) < 0) {
        ed_log_line line;
        if (ed_log_begin(&line, ED_LOG_ERROR, "reload failed: invalid configuration; keeping the current one")) {
            ed_log_str(&line, "error", err);
            ed_log_end(&line);
        }
        status_line(st, status, sizeof status);
        ed_notify_ready(status);
        return;
    }
    unsigned changed = ed_config_diff(&st->running, &next);
    if (ed_daemon_reload(st->daemon, &next, err, sizeof err) < 0) {
        ed_log_line line;
        if (ed_log_begin(&line, ED_LOG_ERROR, "reload failed: keeping the current configuration and resources")) {
            ed_log_str(&line, "error", err);
            ed_log_end(&line);
        }
        ed_config_free(&next);
        status_line(st, status, sizeof status);
        ed_notify_ready(status);
        return;
    }
    /* live settings */
    ed_log_set_level(next.log_level);
    st->running.log_level = next.log_level;
    st->running.max_bytes = next.max_bytes;
    st->running.drain_timeout_ms = next.drain_timeout_ms;
    if (replace_string(&st->running.data_dir, next.data_dir) < 0)
        ed_log(ED_LOG_ERROR, "out of memory while recording data_dir");

    char applied[256] = "";
    size_t alen = 0;
    for (unsigned bit = 1; bit < (1u << ED_SET_COUNT); bit <<= 1) {
        if (!(changed & bit))
            continue;
        const char *name = ed_config_setting_name(bit);
        if (bit & ED_SET_RESTART_MASK) {
            ed_log_line line;
            if (ed_log_begin(&line, ED_LOG_WARN, "setting changed; it needs a restart to apply")) {
                ed_log_str(&line, "setting", name);
                ed_log_end(&line);
            }
        } else {
            int w = snprintf(applied + alen, sizeof applied - alen, "%s%s", alen ? "," : "", name);
            if (w > 0 && (size_t)w < sizeof applied - alen)
                alen += (size_t)w;
        }
    }
    char gen[128];
    ed_daemon_generation(st->daemon, gen, sizeof gen);
    ed_log_line line;
    if (ed_log_begin(&line, ED_LOG_INFO, "reloaded")) {
        ed_log_str(&line, "applied", applied);
        ed_log_str(&line, "resources", gen);
        ed_log_str(&line, "log_level", ed_log_level_name(st->running.log_level));
        ed_log_end(&line);
    }
    ed_config_free(&next);
    status_line(st, status, sizeof status);
    ed_notify_ready(status);
}

/* Waits for signals; returns the signal that asked to stop. */
static int run_loop(main_state *st)
{
    int64_t now = mono_ms();
    st->next_status = now + STATUS_INTERVAL_MS;
    st->next_watchdog = now + (int64_t)st->watchdog_ms;
    for (;;) {
        now = mono_ms();
        int64_t wake = st->next_status;
        if (st->watchdog_ms > 0 && st->next_watchdog < wake)
            wake = st->next_watchdog;
        long timeout = wake > now ? (long)(wake - now) : 0;
        zmq_pollitem_t item = {NULL, signal_pipe[0], ZMQ_POLLIN, 0};
        int rc = zmq_poll(&item, 1, timeout);
        if (rc < 0 && errno != EINTR) {
            ed_log_kv(ED_LOG_ERROR, "zmq_poll failed", "error", zmq_strerror(errno));
            return SIGTERM;
        }
        if (rc > 0 && (item.revents & ZMQ_POLLIN)) {
            unsigned char sigs[64];
            ssize_t n = read(signal_pipe[0], sigs, sizeof sigs);
            int stop = 0, hup = 0;
            for (ssize_t i = 0; i < n; i++) {
                if (sigs[i] == SIGHUP)
                    hup = 1;
                else if (sigs[i] == SIGTERM || sigs[i] == SIGINT)
                    stop = sigs[i];
            }
            if (stop)
                return stop;
            if (hup)
                reload(st);
        }
        now = mono_ms();
        watchdog_tick(st);
        if (now >= st->next_status) {
            char status[256];
            status_line(st, status, sizeof status);
            ed_notify_status(status);
            st->next_status = now + STATUS_INTERVAL_MS;
        }
    }
}

int main(int argc, char **argv)
{
    const char *config_path = ED_CONFIG_DEFAULT_PATH;
    int check_only = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "enrichd: %s needs a file name\n", a);
                return 1;
            }
            config_path = argv[++i];
        } else if (strncmp(a, "--config=", 9) == 0) {
            config_path = a + 9;
        } else if (strcmp(a, "--check-config") == 0) {
            check_only = 1;
        } else if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
            printf("enrichd %s\n", ENRICHD_VERSION);
            return 0;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, "enrichd: unknown argument '%s'\n", a);
            usage(stderr);
            return 1;
        }
    }

    main_state st;
    memset(&st, 0, sizeof st);
    char err[ED_CONFIG_ERRLEN];
    if (ed_config_load(config_path, &st.running, err, sizeof err) < 0) {
        if (check_only) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        ed_log_kv(ED_LOG_ERROR, "invalid configuration", "error", err);
        return 1;
    }
    if (check_only) {
        printf("ok\n");
        ed_config_free(&st.running);
        return 0;
    }
    ed_log_set_level(st.running.log_level);

    /* signals stay blocked in every thread the daemon starts; only main handles them */
    set_handled_signals_blocked(1);
    if (setup_signals() != 0) {
        ed_log_kv(ED_LOG_ERROR, "cannot set up signal handling", "error", strerror(errno));
        return 1;
    }
    ed_log_line line;
    if (ed_log_begin(&line, ED_LOG_INFO, "starting")) {
        ed_log_str(&line, "version", ENRICHD_VERSION);
        ed_log_str(&line, "config", config_path);
        ed_log_str(&line, "instance", st.running.instance);
        ed_log_str(&line, "data_dir", st.running.data_dir);
        ed_log_end(&line);
    }
    if (ed_daemon_start(&st.running, &st.daemon, err, sizeof err) < 0) {
        ed_log_kv(ED_LOG_ERROR, "cannot start", "error", err);
        ed_config_free(&st.running);
        return 1;
    }
    set_handled_signals_blocked(0);

    uint64_t wd_usec = ed_notify_watchdog_usec();
    st.watchdog_ms = wd_usec / 2000; /* half the interval, in ms */
    if (wd_usec > 0 && st.watchdog_ms == 0)
        st.watchdog_ms = 1;

    char gen[128];
    ed_daemon_generation(st.daemon, gen, sizeof gen);
    if (ed_log_begin_always(&line, ED_LOG_INFO, "ready")) {
        ed_log_str(&line, "instance", st.running.instance);
        ed_log_int(&line, "workers", ed_daemon_workers(st.daemon));
        ed_log_str(&line, "resources", gen);
        ed_log_int(&line, "pid", (int64_t)getpid());
        ed_log_end(&line);
    }
    char status[256];
    status_line(&st, status, sizeof status);
    ed_notify_ready(status);

    int sig = run_loop(&st);

    if (ed_log_begin(&line, ED_LOG_INFO, "draining")) {
        ed_log_str(&line, "signal", sig == SIGINT ? "SIGINT" : "SIGTERM");
        ed_log_int(&line, "drain_timeout_ms", st.running.drain_timeout_ms);
        ed_log_end(&line);
    }
    ed_notify_stopping();
    int rc = ed_daemon_stop(st.daemon, st.running.drain_timeout_ms, watchdog_tick, &st);
    if (ed_log_begin(&line, rc == 0 ? ED_LOG_INFO : ED_LOG_ERROR,
                     rc == 0 ? "stopped" : "stopped after a drain timeout")) {
        ed_counters_log_fields(ed_daemon_counters(st.daemon), &line);
        ed_log_end(&line);
    }
    if (rc != 0) {
        /* threads may still be running: leave without running exit handlers under them */
        fflush(stderr);
        _exit(1);
    }
    ed_daemon_free(st.daemon);
    ed_config_free(&st.running);
    return 0;
}
