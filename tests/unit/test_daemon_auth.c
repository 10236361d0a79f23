/*
 * test_daemon_auth.c — unit tests of daemon/auth.c and the security group of daemon/config.c:
 * ed_auth_check's refusals, the config group (paths, both-or-none, file:line), the ZAP handler
 * answering hand-made RFC 27 requests, real CURVE connections in one process (an allowed key
 * gets through, an unknown one is denied and counted), the SIGHUP allow-list swap, the denial
 * log's rate limit and the loopback test behind the exposure warning.
 * May touch: a temporary directory under $TMPDIR it creates and removes, its own ZeroMQ
 * contexts and loopback TCP ports picked by the kernel.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <zmq.h>

#include "auth.h"
#include "config.h"
#include "counters.h"
#include "keyfile.h"
#include "log.h"

static char tmpdir[256];

static const char *tpath(const char *name)
{
    static char bufs[4][512];
    static int which;
    which = (which + 1) % 4;
    snprintf(bufs[which], sizeof bufs[which], "%s/%s", tmpdir, name);
    return bufs[which];
}

static void keygen(const char *name)
{
    char err[512] = "";
    if (ed_keyfile_generate(tpath(name), 0, NULL, err, sizeof err) != 0)
        fail_msg("keygen %s: %s", name, err);
}

static void copy_file(const char *from, const char *to)
{
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", tpath(from), tpath(to));
    assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_daemon_auth.XXXXXX", base && *base ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    /* server, two allowed clients, one stranger; allowed/ holds the clients' .pub files */
    keygen("server");
    keygen("alice");
    keygen("bob");
    keygen("stranger");
    mkdir(tpath("allowed"), 0755);
    mkdir(tpath("empty"), 0755);
    mkdir(tpath("allowed2"), 0755);
    copy_file("alice.pub", "allowed/alice.pub");
    copy_file("bob.pub", "allowed/bob.pub");
    copy_file("stranger.pub", "allowed2/stranger.pub");
    /* things the allow-list ignores: other names, hidden files, a directory named *.pub */
    copy_file("stranger.pub", "allowed/stranger.pub.disabled");
    copy_file("stranger.pub", "allowed/.stranger.pub");
    mkdir(tpath("allowed/subdir.pub"), 0755);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void read_pub(const char *name, uint8_t key[ED_KEY_BYTES])
{
    char err[512];
    if (ed_keyfile_read_public(tpath(name), key, err, sizeof err) != 0)
        fail_msg("%s", err);
}

/* ---- ed_auth_check and the config group ------------------------------------------------- */

static void check_security(const char *keyfile, const char *dir, const char *want)
{
    char err[1024] = "";
    int rc = ed_auth_check(keyfile, dir, err, sizeof err);
    if (want == NULL) {
        if (rc != 0)
            fail_msg("check(%s, %s) failed: %s", keyfile, dir, err);
    } else if (rc != -1 || strstr(err, want) == NULL) {
        fail_msg("check(%s, %s): rc %d, err \"%s\", want \"%s\"", keyfile, dir, rc, err, want);
    }
}

static void test_check(void **state)
{
    (void)state;
    check_security("", "", NULL);
    check_security(tpath("server.key"), tpath("allowed"), NULL);
    check_security(tpath("server.key"), "", "curve_allowed_keys_dir is empty");
    check_security("", tpath("allowed"), "curve_secret_key_file is empty");
    check_security(tpath("server.key"), tpath("empty"), "holds no *.pub file");
    check_security(tpath("server.key"), tpath("nowhere"), "No such file");
    check_security(tpath("nokey.key"), tpath("allowed"), "nokey.key");
    check_security(tpath("server.pub"), tpath("allowed"), "server.pub has mode 0644");
    assert_int_equal(chmod(tpath("server.key"), 0644), 0);
    check_security(tpath("server.key"), tpath("allowed"), "has mode 0644");
    assert_int_equal(chmod(tpath("server.key"), 0600), 0);
    /* a broken .pub in the directory names that file and line */
    mkdir(tpath("broken"), 0755);
    copy_file("alice.pub", "broken/alice.pub");
    FILE *f = fopen(tpath("broken/zed.pub"), "w");
    assert_non_null(f);
    fputs("# one comment\npublic-key = \"too short\"\n", f);
    fclose(f);
    check_security(tpath("server.key"), tpath("broken"), "zed.pub:2: public-key must be 40");
}

static void test_config_group(void **state)
{
    (void)state;
    char text[2048], err[ED_CONFIG_ERRLEN] = "";
    ed_config cfg;
    /* relative paths resolve against the configuration file's directory */
    snprintf(text, sizeof text,
             "security = { curve_secret_key_file = \"server.key\";\n"
             "             curve_allowed_keys_dir = \"allowed\"; };\n");
    if (ed_config_load_string(text, tpath("x.conf"), &cfg, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_string_equal(cfg.curve_secret_key_file, tpath("server.key"));
    assert_string_equal(cfg.curve_allowed_keys_dir, tpath("allowed"));
    ed_config_free(&cfg);
    /* defaults: off */
    assert_int_equal(ed_config_load_string("", "empty.conf", &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.curve_secret_key_file, "");
    assert_string_equal(cfg.curve_allowed_keys_dir, "");
    ed_config_free(&cfg);
    /* both or none, with file:line */
    snprintf(text, sizeof text, "workers = 1;\nsecurity = { curve_secret_key_file = \"%s\"; };\n",
             tpath("server.key"));
    assert_int_equal(ed_config_load_string(text, "one.conf", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "one.conf:2: security: curve_secret_key_file and"));
    /* unknown key, wrong type, not a group */
    assert_int_equal(ed_config_load_string("security = { curve_allow_any = true; };\n", "u.conf",
                                           &cfg, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "unknown setting 'curve_allow_any' in security"));
    assert_int_equal(ed_config_load_string("security = { curve_secret_key_file = 3; };\n",
                                           "t.conf", &cfg, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "security.curve_secret_key_file must be a string"));
    assert_int_equal(ed_config_load_string("security = \"on\";\n", "g.conf", &cfg, err,
                                           sizeof err),
                     -1);
    assert_non_null(strstr(err, "security must be a group"));
    /* the mode check reaches the configuration error */
    assert_int_equal(chmod(tpath("server.key"), 0640), 0);
    snprintf(text, sizeof text,
             "security = { curve_secret_key_file = \"server.key\"; "
             "curve_allowed_keys_dir = \"allowed\"; };\n");
    assert_int_equal(ed_config_load_string(text, tpath("m.conf"), &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "has mode 0640"));
    assert_int_equal(chmod(tpath("server.key"), 0600), 0);
}

/* ---- the ZAP handler, by hand ------------------------------------------------------------ */

typedef struct zap_reply {
    char status[8];
    char text[128];
    char user[128];
    char reqid[32];
    int frames;
} zap_reply;

/* Sends a request of n frames (sizes given; -1 = strlen) and reads the reply. */
static zap_reply zap_ask(void *req, int n, const char *const *frames, const int *sizes)
{
    for (int i = 0; i < n; i++) {
        size_t len = sizes && sizes[i] >= 0 ? (size_t)sizes[i] : strlen(frames[i]);
        assert_true(zmq_send(req, frames[i], len, i + 1 < n ? ZMQ_SNDMORE : 0) >= 0);
    }
    zap_reply r;
    memset(&r, 0, sizeof r);
    int more = 1;
    while (more) {
        char buf[256];
        int got = zmq_recv(req, buf, sizeof buf - 1, 0);
        assert_true(got >= 0);
        buf[got < (int)sizeof buf - 1 ? got : (int)sizeof buf - 1] = '\0';
        char *dst = r.frames == 1 ? r.reqid : r.frames == 2 ? r.status
                  : r.frames == 3 ? r.text : r.frames == 4 ? r.user : NULL;
        size_t cap = r.frames == 1 ? sizeof r.reqid : r.frames == 2 ? sizeof r.status
                   : r.frames == 3 ? sizeof r.text : sizeof r.user;
        if (dst) {
            size_t len = strlen(buf) < cap - 1 ? strlen(buf) : cap - 1;
            memcpy(dst, buf, len);
            dst[len] = '\0';
        }
        r.frames++;
        int64_t m = 0;
        size_t sz = sizeof m;
        zmq_getsockopt(req, ZMQ_RCVMORE, &m, &sz);
        more = m != 0;
    }
    return r;
}

static void test_zap_requests(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    ed_counters counters;
    ed_counters_init(&counters);
    ed_auth *a = NULL;
    char err[1024] = "";
    if (ed_auth_start(ctx, tpath("server.key"), tpath("allowed"), &counters, &a, err,
                      sizeof err) != 0)
        fail_msg("%s", err);
    assert_non_null(a);
    assert_int_equal(ed_auth_allowed_count(a), 2);
    /* one ZAP handler per context: a second start fails cleanly */
    ed_auth *second = NULL;
    assert_int_equal(ed_auth_start(ctx, tpath("server.key"), tpath("allowed"), &counters, &second,
                                   err, sizeof err),
                     -1);
    assert_null(second);
    assert_non_null(strstr(err, "cannot bind the ZAP handler"));
    void *req = zmq_socket(ctx, ZMQ_REQ);
    int timeout = 5000, zero = 0;
    zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(req, ED_AUTH_ZAP_ENDPOINT), 0);

    uint8_t alice[ED_KEY_BYTES], stranger[ED_KEY_BYTES];
    read_pub("alice.pub", alice);
    read_pub("stranger.pub", stranger);
    const int sizes[7] = {-1, -1, -1, -1, -1, -1, ED_KEY_BYTES};

    const char *ok[7] = {"1.0", "r1", ED_AUTH_DOMAIN, "10.1.2.3", "", "CURVE", (char *)alice};
    zap_reply r = zap_ask(req, 7, ok, sizes);
    assert_int_equal(r.frames, 6);
    assert_string_equal(r.reqid, "r1");
    assert_string_equal(r.status, "200");
    assert_string_equal(r.user, "alice");

    const char *unknown[7] = {"1.0", "r2", ED_AUTH_DOMAIN, "10.1.2.3", "", "CURVE",
                              (char *)stranger};
    r = zap_ask(req, 7, unknown, sizes);
    assert_string_equal(r.reqid, "r2");
    assert_string_equal(r.status, "400");
    assert_string_equal(r.user, "");

    const char *plain[7] = {"1.0", "r3", ED_AUTH_DOMAIN, "10.1.2.3", "", "PLAIN", "user"};
    r = zap_ask(req, 7, plain, NULL);
    assert_string_equal(r.status, "400");

    const char *domain[7] = {"1.0", "r4", "other", "10.1.2.3", "", "CURVE", (char *)alice};
    r = zap_ask(req, 7, domain, sizes);
    assert_string_equal(r.status, "400");

    const char *version[7] = {"2.0", "r5", ED_AUTH_DOMAIN, "10.1.2.3", "", "CURVE", (char *)alice};
    r = zap_ask(req, 7, version, sizes);
    assert_string_equal(r.status, "500");

    const char *one[1] = {"1.0"};
    r = zap_ask(req, 1, one, NULL);
    assert_string_equal(r.status, "500");
    assert_int_equal(r.frames, 6);

    const int short_key[7] = {-1, -1, -1, -1, -1, -1, 31};
    r = zap_ask(req, 7, ok, short_key);
    assert_string_equal(r.status, "500");

    /* more frames than any request has: drained, answered */
    const char *many[10] = {"1.0", "r6", ED_AUTH_DOMAIN, "a", "", "CURVE", "k", "x", "y", "z"};
    r = zap_ask(req, 10, many, NULL);
    assert_string_equal(r.status, "500");

    assert_int_equal(atomic_load(&counters.auth_allowed), 1);
    assert_int_equal(atomic_load(&counters.auth_denied), 2); /* stranger, PLAIN */
    zmq_close(req);
    ed_auth_stop(a);
    assert_int_equal(zmq_ctx_term(ctx), 0);
}

/* ---- real CURVE connections ---------------------------------------------------------------- */

/* A PUSH client with the key pair of name, connected to ep. */
static void *curve_client(void *ctx, const char *name, const char *ep)
{
    uint8_t server[ED_KEY_BYTES], pub[ED_KEY_BYTES], sec[ED_KEY_BYTES];
    char err[512], keyname[64];
    read_pub("server.pub", server);
    snprintf(keyname, sizeof keyname, "%s.key", name);
    if (ed_keyfile_read_secret(tpath(keyname), pub, sec, err, sizeof err) != 0)
        fail_msg("%s", err);
    void *s = zmq_socket(ctx, ZMQ_PUSH);
    int zero = 0;
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SERVERKEY, server, sizeof server), 0);
    assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_PUBLICKEY, pub, sizeof pub), 0);
    assert_int_equal(zmq_setsockopt(s, ZMQ_CURVE_SECRETKEY, sec, sizeof sec), 0);
    assert_int_equal(zmq_connect(s, ep), 0);
    return s;
}

/* Waits (at most 10 s: a liveness bound, not a speed check) until *counter reaches want. */
static void wait_counter(_Atomic uint64_t *counter, uint64_t want)
{
    for (int i = 0; i < 1000 && atomic_load(counter) < want; i++) {
        struct timespec t = {0, 10 * 1000 * 1000};
        nanosleep(&t, NULL);
    }
    assert_int_equal(atomic_load(counter), want);
}

static void test_curve_connections_and_reload(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    ed_counters counters;
    ed_counters_init(&counters);
    ed_auth *a = NULL;
    char err[1024] = "";
    if (ed_auth_start(ctx, tpath("server.key"), tpath("allowed"), &counters, &a, err,
                      sizeof err) != 0)
        fail_msg("%s", err);
    void *pull = zmq_socket(ctx, ZMQ_PULL);
    int zero = 0, timeout = 10000;
    zmq_setsockopt(pull, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(pull, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    assert_int_equal(ed_auth_apply_server(pull, a), 0);
    int mech = 0;
    size_t sz = sizeof mech;
    assert_int_equal(zmq_getsockopt(pull, ZMQ_MECHANISM, &mech, &sz), 0);
    assert_int_equal(mech, ZMQ_CURVE);
    assert_int_equal(zmq_bind(pull, "tcp://127.0.0.1:*"), 0);
    char ep[128];
    sz = sizeof ep;
    zmq_getsockopt(pull, ZMQ_LAST_ENDPOINT, ep, &sz);

    /* the stranger is denied: counted, and what it queued never arrives */
    void *cs = curve_client(ctx, "stranger", ep);
    zmq_send(cs, "from the stranger", 17, ZMQ_DONTWAIT);
    wait_counter(&counters.auth_denied, 1);
    /* alice gets through; hers is the only message there is */
    void *ca = curve_client(ctx, "alice", ep);
    assert_int_equal(zmq_send(ca, "from alice", 10, 0), 10);
    char buf[64];
    int n = zmq_recv(pull, buf, sizeof buf, 0);
    assert_int_equal(n, 10);
    assert_memory_equal(buf, "from alice", 10);
    assert_int_equal(zmq_recv(pull, buf, sizeof buf, ZMQ_DONTWAIT), -1);
    assert_int_equal(atomic_load(&counters.auth_allowed), 1);
    zmq_close(cs);
    zmq_close(ca);

    /* SIGHUP: a broken directory is refused and changes nothing */
    ed_auth_list *list = NULL;
    assert_int_equal(ed_auth_reload_prepare(a, tpath("server.key"), tpath("empty"), &list, err,
                                            sizeof err),
                     -1);
    assert_null(list);
    assert_int_equal(ed_auth_allowed_count(a), 2);
    /* allowed2 holds only the stranger: swapped in, the stranger gets through, alice not */
    assert_int_equal(ed_auth_reload_prepare(a, tpath("server.key"), tpath("allowed2"), &list,
                                            err, sizeof err),
                     0);
    assert_non_null(list);
    ed_auth_reload_commit(a, list, tpath("server.key"), tpath("allowed2"));
    assert_int_equal(ed_auth_allowed_count(a), 1);
    ca = curve_client(ctx, "alice", ep);
    zmq_send(ca, "alice again", 11, ZMQ_DONTWAIT);
    wait_counter(&counters.auth_denied, 2);
    cs = curve_client(ctx, "stranger", ep);
    assert_int_equal(zmq_send(cs, "stranger now", 12, 0), 12);
    n = zmq_recv(pull, buf, sizeof buf, 0);
    assert_int_equal(n, 12);
    assert_memory_equal(buf, "stranger now", 12);
    /* turning security off needs a restart: nothing to load, nothing changes */
    assert_int_equal(ed_auth_reload_prepare(a, "", "", &list, err, sizeof err), 0);
    assert_null(list);
    ed_auth_reload_commit(a, list, "", "");
    assert_int_equal(ed_auth_allowed_count(a), 1);
    zmq_close(cs);
    zmq_close(ca);
    zmq_close(pull);
    ed_auth_stop(a);
    assert_int_equal(zmq_ctx_term(ctx), 0);
}

static void test_security_off(void **state)
{
    (void)state;
    void *ctx = zmq_ctx_new();
    ed_counters counters;
    ed_counters_init(&counters);
    ed_auth *a = (ed_auth *)&counters; /* must be overwritten */
    char err[256] = "";
    assert_int_equal(ed_auth_start(ctx, "", "", &counters, &a, err, sizeof err), 0);
    assert_null(a);
    void *s = zmq_socket(ctx, ZMQ_PULL);
    assert_int_equal(ed_auth_apply_server(s, NULL), 0);
    int mech = -1;
    size_t sz = sizeof mech;
    zmq_getsockopt(s, ZMQ_MECHANISM, &mech, &sz);
    assert_int_equal(mech, ZMQ_NULL);
    ed_auth_list *list = (ed_auth_list *)&counters;
    assert_int_equal(ed_auth_reload_prepare(NULL, tpath("server.key"), tpath("allowed"), &list,
                                            err, sizeof err),
                     0);
    assert_null(list);
    ed_auth_reload_commit(NULL, NULL, tpath("server.key"), tpath("allowed")); /* warns only */
    ed_auth_stop(NULL);
    assert_int_equal(ed_auth_allowed_count(NULL), 0);
    /* only one path set: refused at start too */
    assert_int_equal(ed_auth_start(ctx, tpath("server.key"), "", &counters, &a, err, sizeof err),
                     -1);
    zmq_close(s);
    zmq_ctx_term(ctx);
}

/* ---- the denial log's rate limit ------------------------------------------------------------ */

static int count_lines(FILE *f, const char *needle)
{
    fflush(f);
    rewind(f);
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f))
        if (strstr(line, needle))
            n++;
    return n;
}

static void test_denial_log_rate_limit(void **state)
{
    (void)state;
    FILE *logf = tmpfile();
    assert_non_null(logf);
    ed_log_set_stream(logf);
    void *ctx = zmq_ctx_new();
    ed_counters counters;
    ed_counters_init(&counters);
    ed_auth *a = NULL;
    char err[1024] = "";
    if (ed_auth_start(ctx, tpath("server.key"), tpath("allowed"), &counters, &a, err,
                      sizeof err) != 0)
        fail_msg("%s", err);
    void *req = zmq_socket(ctx, ZMQ_REQ);
    int timeout = 5000, zero = 0;
    zmq_setsockopt(req, ZMQ_RCVTIMEO, &timeout, sizeof timeout);
    zmq_setsockopt(req, ZMQ_LINGER, &zero, sizeof zero);
    assert_int_equal(zmq_connect(req, ED_AUTH_ZAP_ENDPOINT), 0);
    const int sizes[7] = {-1, -1, -1, -1, -1, -1, ED_KEY_BYTES};
    uint8_t key[ED_KEY_BYTES];
    memset(key, 0x11, sizeof key);
    /* the same unknown key 20 times: one line */
    for (int i = 0; i < 20; i++) {
        const char *f[7] = {"1.0", "x", ED_AUTH_DOMAIN, "192.0.2.7", "", "CURVE", (char *)key};
        zap_reply r = zap_ask(req, 7, f, sizes);
        assert_string_equal(r.status, "400");
    }
    assert_int_equal(count_lines(logf, "connection denied"), 1);
    /* 100 different keys: at most the burst (plus one refill if this ran very slowly) */
    for (int i = 0; i < 100; i++) {
        key[0] = (uint8_t)i;
        key[1] = 0x22;
        const char *f[7] = {"1.0", "y", ED_AUTH_DOMAIN, "192.0.2.8", "", "CURVE", (char *)key};
        zap_reply r = zap_ask(req, 7, f, sizes);
        assert_string_equal(r.status, "400");
    }
    int lines = count_lines(logf, "connection denied");
    assert_true(lines >= ED_AUTH_LOG_BURST && lines <= ED_AUTH_LOG_BURST + 1);
    assert_int_equal(atomic_load(&counters.auth_denied), 120);
    /* the second line reports the 19 repeats it held back */
    assert_int_equal(count_lines(logf, "\"unlogged_before\":19"), 1);
    zmq_close(req);
    ed_auth_stop(a);
    zmq_ctx_term(ctx);
    ed_log_set_stream(stderr);
    fclose(logf);
}

static void test_endpoint_is_local(void **state)
{
    (void)state;
    static const char *const local[] = {
        "tcp://127.0.0.1:5557", "tcp://127.1.2.3:*", "tcp://localhost:5557", "tcp://[::1]:5557",
        "tcp://lo:5557", "tcp://[::ffff:127.0.0.1]:1", "ipc:///run/enrichd/feed",
        "inproc://x", "tcp://10.0.0.1:1;127.0.0.1:5557"};
    static const char *const exposed[] = {
        "tcp://0.0.0.0:5557", "tcp://*:5557", "tcp://eth0:5557", "tcp://192.168.1.10:5557",
        "tcp://[::]:5557", "tcp://news.example.org:5557", "tcp://127.0.0.1:1;10.0.0.2:5557",
        "pgm://eth0;239.1.1.1:5555", "tcp://:5557", "tcp://[::1:5557"};
    for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
        if (!ed_auth_endpoint_is_local(local[i]))
            fail_msg("%s should be local", local[i]);
    for (size_t i = 0; i < sizeof exposed / sizeof exposed[0]; i++)
        if (ed_auth_endpoint_is_local(exposed[i]))
            fail_msg("%s should be exposed", exposed[i]);

    /* the warning: only for a socket without CURVE on an exposed endpoint */
    FILE *logf = tmpfile();
    assert_non_null(logf);
    ed_log_set_stream(logf);
    void *ctx = zmq_ctx_new();
    void *plain = zmq_socket(ctx, ZMQ_PUB);
    ed_auth_warn_if_exposed(plain, "output", "tcp://127.0.0.1:5558");
    assert_int_equal(count_lines(logf, "without CURVE"), 0);
    ed_auth_warn_if_exposed(plain, "output", "tcp://0.0.0.0:5558");
    assert_int_equal(count_lines(logf, "without CURVE"), 1);
    void *secured = zmq_socket(ctx, ZMQ_PUB);
    int one = 1;
    uint8_t sec[ED_KEY_BYTES] = {1};
    zmq_setsockopt(secured, ZMQ_CURVE_SERVER, &one, sizeof one);
    zmq_setsockopt(secured, ZMQ_CURVE_SECRETKEY, sec, sizeof sec);
    ed_auth_warn_if_exposed(secured, "output", "tcp://0.0.0.0:5558");
    assert_int_equal(count_lines(logf, "without CURVE"), 1);
    zmq_close(plain);
    zmq_close(secured);
    zmq_ctx_term(ctx);
    ed_log_set_stream(stderr);
    fclose(logf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_check),
        cmocka_unit_test(test_config_group),
        cmocka_unit_test(test_zap_requests),
        cmocka_unit_test(test_curve_connections_and_reload),
        cmocka_unit_test(test_security_off),
        cmocka_unit_test(test_denial_log_rate_limit),
        cmocka_unit_test(test_endpoint_is_local),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
