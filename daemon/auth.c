/*
 * auth.c — CURVE server key, client allow-list and the ZAP handler thread (see auth.h).
 * The allow-list is a sorted array of 32-byte keys searched with bsearch under a mutex (SIGHUP
 * swaps it); the handler answers one ZAP request at a time on its REP socket.
 * May touch: the key files and the allow-list directory (read), the inproc sockets it creates,
 * its own thread, the counters; never another thread's sockets.
 */
#include "auth.h"
#include "errmsg.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <zmq.h>

#include "keyfile.h"
#include "log.h"

#define AUTH_CTL_ENDPOINT "inproc://enrichd.auth.ctl"
#define AUTH_NAME_MAX 128    /* user id: the .pub file name without .pub, cut to this */
#define AUTH_RECENT 64       /* keys remembered for the once-per-key denial log */
#define ZAP_FRAMES_MAX 8     /* frames read from one request; more are drained */

typedef struct auth_entry {
    uint8_t key[ED_KEY_BYTES];
    char name[AUTH_NAME_MAX];
} auth_entry;

struct ed_auth_list {
    auth_entry *v;  /* sorted by key */
    size_t n;
};

typedef struct recent_key {
    uint8_t key[ED_KEY_BYTES];
    int64_t logged_ms;
} recent_key;

struct ed_auth {
    void *zap;             /* REP on ED_AUTH_ZAP_ENDPOINT: handler thread */
    void *ctl_thread;      /* PAIR: handler thread's end */
    void *ctl_main;        /* PAIR: the caller's end (STOP) */
    pthread_t thread;
    int thread_started;
    pthread_mutex_t mu;    /* guards list */
    ed_auth_list *list;
    uint8_t secret[ED_KEY_BYTES];
    char *secret_file;
    char *allowed_dir;
    ed_counters *counters;
    /* denial log rate limit: handler thread only */
    recent_key recent[AUTH_RECENT];
    size_t recent_next;
    int tokens;
    int64_t refill_ms;
    uint64_t unlogged;
};

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- allow-list ---------------------------------------------------------------------------- */

static int entry_cmp(const void *a, const void *b)
{
    return memcmp(((const auth_entry *)a)->key, ((const auth_entry *)b)->key, ED_KEY_BYTES);
}

void ed_auth_list_free(ed_auth_list *list)
{
    if (list == NULL)
        return;
    free(list->v);
    free(list);
}

static int ends_with_pub(const char *name)
{
    size_t n = strlen(name);
    return n > 4 && name[0] != '.' && strcmp(name + n - 4, ".pub") == 0;
}

/* Loads every *.pub regular file of dir (symlinks followed). Empty → error. */
static int list_load(const char *dir, ed_auth_list **out, char *err, size_t errlen)
{
    *out = NULL;
    DIR *d = opendir(dir);
    if (d == NULL)
        return ed_fail(err, errlen, "curve_allowed_keys_dir %s: %s", dir, strerror(errno));
    ed_auth_list *list = calloc(1, sizeof *list);
    size_t cap = 0;
    int rc = list ? 0 : ed_fail(err, errlen, "out of memory");
    struct dirent *de;
    while (rc == 0 && (errno = 0, de = readdir(d)) != NULL) {
        if (!ends_with_pub(de->d_name))
            continue;
        char path[4096];
        if (snprintf(path, sizeof path, "%s/%s", dir, de->d_name) >= (int)sizeof path) {
            rc = ed_fail(err, errlen, "%s/%s: path too long", dir, de->d_name);
            break;
        }
        struct stat st;
        if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue; /* a directory or a dangling link named *.pub */
        if (list->n == ED_AUTH_MAX_KEYS) {
            rc = ed_fail(err, errlen, "curve_allowed_keys_dir %s holds more than %d *.pub files",
                         dir, ED_AUTH_MAX_KEYS);
            break;
        }
        if (list->n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            auth_entry *nv = realloc(list->v, ncap * sizeof *nv);
            if (nv == NULL) {
                rc = ed_fail(err, errlen, "out of memory");
                break;
            }
            list->v = nv;
            cap = ncap;
        }
        auth_entry *e = &list->v[list->n];
        if (ed_keyfile_read_public(path, e->key, err, errlen) < 0) {
            rc = -1;
            break;
        }
        size_t base = strlen(de->d_name) - 4;
        if (base >= AUTH_NAME_MAX)
            base = AUTH_NAME_MAX - 1;
        memcpy(e->name, de->d_name, base);
        e->name[base] = '\0';
        list->n++;
    }
    if (rc == 0 && errno != 0)
        rc = ed_fail(err, errlen, "curve_allowed_keys_dir %s: %s", dir, strerror(errno));
    closedir(d);
    if (rc == 0 && list->n == 0)
        rc = ed_fail(err, errlen,
                     "curve_allowed_keys_dir %s holds no *.pub file: a CURVE server with an empty "
                     "allow-list admits no client (`enrich keygen NAME` makes NAME.pub)",
                     dir);
    if (rc != 0) {
        ed_auth_list_free(list);
        return -1;
    }
    qsort(list->v, list->n, sizeof *list->v, entry_cmp);
    *out = list;
    return 0;
}

static int both_or_none(const char *secret_key_file, const char *allowed_dir, char *err,
                        size_t errlen)
{
    int has_key = secret_key_file != NULL && secret_key_file[0] != '\0';
    int has_dir = allowed_dir != NULL && allowed_dir[0] != '\0';
    if (has_key != has_dir)
        return ed_fail(err, errlen,
                       "security: curve_secret_key_file and curve_allowed_keys_dir must both be "
                       "set (CURVE on) or both be empty (off); %s is empty",
                       has_key ? "curve_allowed_keys_dir" : "curve_secret_key_file");
    return has_key; /* 1 = on, 0 = off */
}

int ed_auth_check(const char *secret_key_file, const char *allowed_dir, char *err,
                  size_t errlen)
{
    int on = both_or_none(secret_key_file, allowed_dir, err, errlen);
    if (on <= 0)
        return on;
    uint8_t secret[ED_KEY_BYTES];
    int rc = ed_keyfile_read_secret(secret_key_file, NULL, secret, err, errlen);
    ed_key_wipe(secret, sizeof secret);
    if (rc < 0)
        return -1;
    ed_auth_list *list = NULL;
    if (list_load(allowed_dir, &list, err, errlen) < 0)
        return -1;
    ed_auth_list_free(list);
    return 0;
}

/* ---- the ZAP handler ----------------------------------------------------------------------- */

static int frame_is(zmq_msg_t *m, const char *s)
{
    size_t n = strlen(s);
    return zmq_msg_size(m) == n && memcmp(zmq_msg_data(m), s, n) == 0;
}

/* Logs one denial unless the rate limit holds it back (then it is only counted as unlogged). */
static void log_denial(ed_auth *a, const uint8_t *key, const char *address, const char *reason)
{
    int64_t now = mono_ms();
    if (a->tokens < ED_AUTH_LOG_BURST && now - a->refill_ms >= ED_AUTH_LOG_REFILL_MS) {
        int64_t k = (now - a->refill_ms) / ED_AUTH_LOG_REFILL_MS;
        a->tokens = k >= ED_AUTH_LOG_BURST - a->tokens ? ED_AUTH_LOG_BURST : a->tokens + (int)k;
        a->refill_ms += k * ED_AUTH_LOG_REFILL_MS;
    }
    if (a->tokens == ED_AUTH_LOG_BURST)
        a->refill_ms = now;
    if (key != NULL)
        for (size_t i = 0; i < AUTH_RECENT; i++)
            if (a->recent[i].logged_ms != 0 && now - a->recent[i].logged_ms < ED_AUTH_LOG_REPEAT_MS &&
                memcmp(a->recent[i].key, key, ED_KEY_BYTES) == 0) {
                a->unlogged++;
                return;
            }
    if (a->tokens <= 0) {
        a->unlogged++;
        return;
    }
    a->tokens--;
    if (key != NULL) {
        recent_key *r = &a->recent[a->recent_next];
        a->recent_next = (a->recent_next + 1) % AUTH_RECENT;
        memcpy(r->key, key, ED_KEY_BYTES);
        r->logged_ms = now ? now : 1;
    }
    ed_log_line line;
    if (ed_log_begin(&line, ED_LOG_WARN, "connection denied")) {
        ed_log_str(&line, "reason", reason);
        if (key != NULL) {
            char z85[ED_KEY_Z85_LEN + 1];
            ed_key_to_z85(key, z85);
            ed_log_str(&line, "client_key", z85);
        }
        ed_log_str(&line, "address", address);
        ed_log_int(&line, "denied_total",
                   (int64_t)atomic_load_explicit(&a->counters->auth_denied, memory_order_relaxed));
        ed_log_int(&line, "unlogged_before", (int64_t)a->unlogged);
        ed_log_end(&line);
    }
    a->unlogged = 0;
}

/* Reads one request and answers it. Returns 0, or -1 when the socket failed (errno set). */
static int handle_request(ed_auth *a)
{
    zmq_msg_t f[ZAP_FRAMES_MAX], extra;
    int n = 0, more = 1, rc = 0;
    while (more) {
        zmq_msg_t *m = n < ZAP_FRAMES_MAX ? &f[n] : &extra; /* frames past the last: drained */
        zmq_msg_init(m);
        if (zmq_msg_recv(m, a->zap, 0) < 0) {
            zmq_msg_close(m);
            if (errno == EINTR)
                continue;
            rc = -1;
            break;
        }
        more = zmq_msg_more(m);
        if (m == &extra)
            zmq_msg_close(m);
        else
            n++;
    }
    if (rc < 0) {
        for (int i = 0; i < n; i++)
            zmq_msg_close(&f[i]);
        return -1;
    }

    const char *status = "500", *text = "malformed ZAP request";
    char user[AUTH_NAME_MAX] = "";
    char address[64] = "";
    if (n >= 4) {
        size_t len = zmq_msg_size(&f[3]) < sizeof address - 1 ? zmq_msg_size(&f[3])
                                                               : sizeof address - 1;
        memcpy(address, zmq_msg_data(&f[3]), len);
        address[len] = '\0';
    }
    if (n >= 6 && frame_is(&f[0], "1.0")) {
        if (!frame_is(&f[2], ED_AUTH_DOMAIN)) {
            status = "400";
            text = "unknown ZAP domain";
        } else if (!frame_is(&f[5], "CURVE")) {
            status = "400";
            text = "only CURVE is allowed";
            atomic_fetch_add_explicit(&a->counters->auth_denied, 1, memory_order_relaxed);
            log_denial(a, NULL, address, "mechanism is not CURVE");
        } else if (n != 7 || zmq_msg_size(&f[6]) != ED_KEY_BYTES) {
            text = "CURVE request without a 32-byte client key";
        } else {
            auth_entry probe;
            memcpy(probe.key, zmq_msg_data(&f[6]), ED_KEY_BYTES);
            pthread_mutex_lock(&a->mu);
            const auth_entry *hit =
                bsearch(&probe, a->list->v, a->list->n, sizeof probe, entry_cmp);
            if (hit != NULL)
                memcpy(user, hit->name, sizeof user);
            pthread_mutex_unlock(&a->mu);
            if (hit != NULL) {
                status = "200";
                text = "OK";
                atomic_fetch_add_explicit(&a->counters->auth_allowed, 1, memory_order_relaxed);
                ed_log_line line;
                if (ed_log_begin(&line, ED_LOG_DEBUG, "connection allowed")) {
                    ed_log_str(&line, "client", user);
                    ed_log_str(&line, "address", address);
                    ed_log_end(&line);
                }
            } else {
                status = "400";
                text = "client key not allowed";
                atomic_fetch_add_explicit(&a->counters->auth_denied, 1, memory_order_relaxed);
                log_denial(a, probe.key, address, "client key not in the allow-list");
            }
        }
    }
    /* reply: version, request id, status, text, user id, metadata */
    const void *reqid = n >= 2 ? zmq_msg_data(&f[1]) : "";
    size_t reqid_len = n >= 2 ? zmq_msg_size(&f[1]) : 0;
    if (zmq_send(a->zap, "1.0", 3, ZMQ_SNDMORE) < 0 ||
        zmq_send(a->zap, reqid, reqid_len, ZMQ_SNDMORE) < 0 ||
        zmq_send(a->zap, status, 3, ZMQ_SNDMORE) < 0 ||
        zmq_send(a->zap, text, strlen(text), ZMQ_SNDMORE) < 0 ||
        zmq_send(a->zap, user, strlen(user), ZMQ_SNDMORE) < 0 ||
        zmq_send(a->zap, "", 0, 0) < 0)
        rc = -1;
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
    return rc;
}

static void *zap_thread(void *arg)
{
    ed_auth *a = arg;
    for (;;) {
        zmq_pollitem_t items[2] = {{a->zap, 0, ZMQ_POLLIN, 0}, {a->ctl_thread, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            break; /* ETERM: the context is shutting down */
        }
        if (items[1].revents & ZMQ_POLLIN)
            break; /* STOP */
        if ((items[0].revents & ZMQ_POLLIN) && handle_request(a) < 0 && errno == ETERM)
            break;
    }
    int zero = 0;
    zmq_setsockopt(a->zap, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(a->zap);
    zmq_close(a->ctl_thread);
    a->zap = a->ctl_thread = NULL;
    return NULL;
}

/* ---- lifecycle ----------------------------------------------------------------------------- */

static void auth_free(ed_auth *a)
{
    ed_key_wipe(a->secret, sizeof a->secret);
    ed_auth_list_free(a->list);
    pthread_mutex_destroy(&a->mu);
    free(a->secret_file);
    free(a->allowed_dir);
    free(a);
}

int ed_auth_start(void *zctx, const char *secret_key_file, const char *allowed_dir,
                  ed_counters *counters, ed_auth **out, char *err, size_t errlen)
{
    *out = NULL;
    int on = both_or_none(secret_key_file, allowed_dir, err, errlen);
    if (on <= 0)
        return on;
    ed_auth *a = calloc(1, sizeof *a);
    if (a == NULL)
        return ed_fail(err, errlen, "out of memory");
    if (pthread_mutex_init(&a->mu, NULL) != 0) {
        free(a);
        return ed_fail(err, errlen, "cannot initialise a mutex");
    }
    a->counters = counters;
    a->tokens = ED_AUTH_LOG_BURST;
    a->refill_ms = mono_ms();
    a->secret_file = strdup(secret_key_file);
    a->allowed_dir = strdup(allowed_dir);
    uint8_t server_public[ED_KEY_BYTES];
    if (a->secret_file == NULL || a->allowed_dir == NULL) {
        auth_free(a);
        return ed_fail(err, errlen, "out of memory");
    }
    if (ed_keyfile_read_secret(secret_key_file, server_public, a->secret, err, errlen) < 0 ||
        list_load(allowed_dir, &a->list, err, errlen) < 0) {
        auth_free(a);
        return -1;
    }
    int zero = 0, prc;
    a->zap = zmq_socket(zctx, ZMQ_REP);
    a->ctl_thread = zmq_socket(zctx, ZMQ_PAIR);
    a->ctl_main = zmq_socket(zctx, ZMQ_PAIR);
    if (a->zap == NULL || a->ctl_thread == NULL || a->ctl_main == NULL ||
        zmq_setsockopt(a->zap, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(a->ctl_main, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(a->ctl_thread, ZMQ_LINGER, &zero, sizeof zero) != 0) {
        ed_fail(err, errlen, "cannot create the ZAP handler's sockets: %s", zmq_strerror(errno));
        goto fail;
    }
    if (zmq_bind(a->zap, ED_AUTH_ZAP_ENDPOINT) != 0) {
        ed_fail(err, errlen, "cannot bind the ZAP handler to %s: %s", ED_AUTH_ZAP_ENDPOINT,
                zmq_strerror(errno));
        goto fail;
    }
    if (zmq_bind(a->ctl_thread, AUTH_CTL_ENDPOINT) != 0 ||
        zmq_connect(a->ctl_main, AUTH_CTL_ENDPOINT) != 0) {
        ed_fail(err, errlen, "cannot wire the ZAP handler's control socket: %s",
                zmq_strerror(errno));
        goto fail;
    }
    if ((prc = pthread_create(&a->thread, NULL, zap_thread, a)) != 0) {
        ed_fail(err, errlen, "cannot start the ZAP handler thread: %s", strerror(prc));
        goto fail;
    }
    a->thread_started = 1;
    ed_log_line line;
    if (ed_log_begin(&line, ED_LOG_INFO, "CURVE on")) {
        char z85[ED_KEY_Z85_LEN + 1];
        ed_key_to_z85(server_public, z85);
        ed_log_str(&line, "server_key", z85);
        ed_log_str(&line, "allowed_keys_dir", allowed_dir);
        ed_log_int(&line, "allowed_keys", (int64_t)a->list->n);
        ed_log_end(&line);
    }
    *out = a;
    return 0;

fail:
    if (a->zap)
        zmq_close(a->zap);
    if (a->ctl_thread)
        zmq_close(a->ctl_thread);
    if (a->ctl_main)
        zmq_close(a->ctl_main);
    auth_free(a);
    return -1;
}

int ed_auth_apply_server(void *sock, const ed_auth *a)
{
    if (a == NULL)
        return 0;
    int one = 1;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVER, &one, sizeof one) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, a->secret, ED_KEY_BYTES) != 0 ||
        zmq_setsockopt(sock, ZMQ_ZAP_DOMAIN, ED_AUTH_DOMAIN, strlen(ED_AUTH_DOMAIN)) != 0)
        return -1;
    return 0;
}

size_t ed_auth_allowed_count(const ed_auth *a)
{
    if (a == NULL)
        return 0;
    pthread_mutex_lock((pthread_mutex_t *)&a->mu);
    size_t n = a->list->n;
    pthread_mutex_unlock((pthread_mutex_t *)&a->mu);
    return n;
}

int ed_auth_reload_prepare(const ed_auth *a, const char *secret_key_file,
                           const char *allowed_dir, ed_auth_list **out, char *err,
                           size_t errlen)
{
    *out = NULL;
    int on = both_or_none(secret_key_file, allowed_dir, err, errlen);
    if (on <= 0 || a == NULL)
        return on < 0 ? -1 : 0;
    return list_load(allowed_dir, out, err, errlen);
}

static void warn_restart(const char *setting)
{
    ed_log_line line;
    if (ed_log_begin(&line, ED_LOG_WARN, "setting changed; it needs a restart to apply")) {
        ed_log_str(&line, "setting", setting);
        ed_log_end(&line);
    }
}

void ed_auth_reload_commit(ed_auth *a, ed_auth_list *list, const char *secret_key_file,
                           const char *allowed_dir)
{
    int on = secret_key_file != NULL && secret_key_file[0] != '\0';
    if (a == NULL || !on) {
        if (a != NULL || on)
            warn_restart("security (CURVE on/off)");
        ed_auth_list_free(list);
        return;
    }
    if (strcmp(secret_key_file, a->secret_file) != 0)
        warn_restart("security.curve_secret_key_file");
    if (list == NULL)
        return;
    char *dir = strdup(allowed_dir);
    pthread_mutex_lock(&a->mu);
    ed_auth_list *old = a->list;
    a->list = list;
    pthread_mutex_unlock(&a->mu);
    ed_auth_list_free(old);
    if (dir != NULL) {
        free(a->allowed_dir);
        a->allowed_dir = dir;
    }
    ed_log_line line;
    if (ed_log_begin(&line, ED_LOG_INFO, "CURVE allow-list reloaded")) {
        ed_log_str(&line, "allowed_keys_dir", allowed_dir);
        ed_log_int(&line, "allowed_keys", (int64_t)list->n);
        ed_log_end(&line);
    }
}

void ed_auth_stop(ed_auth *a)
{
    if (a == NULL)
        return;
    if (a->thread_started) {
        zmq_send(a->ctl_main, "STOP", 4, ZMQ_DONTWAIT); /* fails after ctx shutdown: ETERM */
        pthread_join(a->thread, NULL);
    }
    zmq_close(a->ctl_main);
    auth_free(a);
}

/* ---- exposure warning ---------------------------------------------------------------------- */

int ed_auth_endpoint_is_local(const char *endpoint)
{
    if (strncmp(endpoint, "ipc://", 6) == 0 || strncmp(endpoint, "inproc://", 9) == 0)
        return 1;
    if (strncmp(endpoint, "tcp://", 6) != 0)
        return 0;
    const char *h = endpoint + 6;
    const char *semi = strrchr(h, ';'); /* connect form: tcp://SOURCE;HOST:PORT */
    if (semi != NULL)
        h = semi + 1;
    char host[256];
    size_t len;
    if (*h == '[') {
        const char *close = strchr(h, ']');
        if (close == NULL)
            return 0;
        h++;
        len = (size_t)(close - h);
    } else {
        const char *colon = strrchr(h, ':');
        len = colon ? (size_t)(colon - h) : strlen(h);
    }
    if (len == 0 || len >= sizeof host)
        return 0;
    memcpy(host, h, len);
    host[len] = '\0';
    return strncmp(host, "127.", 4) == 0 || strcasecmp(host, "localhost") == 0 ||
           strcmp(host, "::1") == 0 || strcmp(host, "0:0:0:0:0:0:0:1") == 0 ||
           strcmp(host, "lo") == 0 || strncasecmp(host, "::ffff:127.", 11) == 0;
}

void ed_auth_warn_if_exposed(void *sock, const char *socket_name, const char *endpoint)
{
    int mechanism = ZMQ_NULL;
    size_t sz = sizeof mechanism;
    if (zmq_getsockopt(sock, ZMQ_MECHANISM, &mechanism, &sz) == 0 && mechanism == ZMQ_CURVE)
        return;
    if (ed_auth_endpoint_is_local(endpoint))
        return;
    ed_log_line line;
    if (ed_log_begin(&line, ED_LOG_WARN,
                     "endpoint reachable from the network without CURVE: any host that reaches "
                     "it can send articles or read records; see security in docs/config.md")) {
        ed_log_str(&line, "socket", socket_name);
        ed_log_str(&line, "endpoint", endpoint);
        ed_log_end(&line);
    }
}
