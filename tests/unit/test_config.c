/*
 * test_config.c — unit tests of daemon/config.c: a complete file, the defaults, the shipped
 * etc/enrichd.conf, every kind of invalid input (with its file:line), the limits at their edges
 * and the live-versus-restart diff used by SIGHUP.
 * May touch: temporary files and directories it creates under $TMPDIR (removed at the end).
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
#include <unistd.h>

#include "config.h"

static char tmpdir[256];

static int make_tmpdir(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_config.XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* Writes text to tmpdir/name and returns the path (static buffer). */
static const char *write_file(const char *name, const char *text)
{
    static char path[512];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

/* Loads text and expects failure whose message contains every given fragment. */
static void expect_error(const char *text, const char *fragment1, const char *fragment2)
{
    ed_config cfg;
    char err[ED_CONFIG_ERRLEN] = "";
    int rc = ed_config_load_string(text, "t.conf", &cfg, err, sizeof err);
    if (rc == 0)
        fail_msg("accepted invalid config:\n%s", text);
    if (strstr(err, fragment1) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", err, fragment1);
    if (fragment2 != NULL && strstr(err, fragment2) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", err, fragment2);
    ed_config_free(&cfg);
}

static void expect_ok(const char *text, ed_config *cfg)
{
    char err[ED_CONFIG_ERRLEN] = "";
    int rc = ed_config_load_string(text, "t.conf", cfg, err, sizeof err);
    if (rc != 0)
        fail_msg("rejected valid config (%s):\n%s", err, text);
}

static void test_full_file(void **state)
{
    (void)state;
    char text[1024];
    snprintf(text, sizeof text,
             "# a complete file\n"
             "instance = \"enrichd-7\";\n"
             "data_dir = \"/opt/enrichd/data\";\n"
             "state_dir = \"%s\";\n"
             "workers = 3;\n"
             "drain_timeout_ms = 2500;\n"
             "log = { level = \"debug\"; };\n"
             "input = { max_bytes = 2048; };\n"
             "feed = { bind = [\"tcp://127.0.0.1:*\", \"ipc:///tmp/feed.sock\"];\n"
             "         connect = [\"tcp://10.0.0.1:6000\"]; hwm = 50; };\n"
             "output = { bind = []; connect = [\"tcp://127.0.0.1:7000\"]; hwm = 1; };\n",
             tmpdir);
    const char *path = write_file("full.conf", text);
    ed_config cfg;
    char err[ED_CONFIG_ERRLEN] = "";
    assert_int_equal(ed_config_load(path, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg.path, path);
    assert_string_equal(cfg.instance, "enrichd-7");
    assert_string_equal(cfg.data_dir, "/opt/enrichd/data");
    assert_string_equal(cfg.state_dir, tmpdir);
    assert_int_equal(cfg.workers, 3);
    assert_int_equal(ed_config_worker_count(&cfg), 3);
    assert_int_equal(cfg.drain_timeout_ms, 2500);
    assert_int_equal(cfg.log_level, ED_LOG_DEBUG);
    assert_int_equal(cfg.max_bytes, 2048);
    assert_int_equal(cfg.feed.nbind, 2);
    assert_string_equal(cfg.feed.bind[0], "tcp://127.0.0.1:*");
    assert_string_equal(cfg.feed.bind[1], "ipc:///tmp/feed.sock");
    assert_int_equal(cfg.feed.nconnect, 1);
    assert_string_equal(cfg.feed.connect[0], "tcp://10.0.0.1:6000");
    assert_int_equal(cfg.feed.hwm, 50);
    assert_int_equal(cfg.output.nbind, 0);
    assert_int_equal(cfg.output.nconnect, 1);
    assert_int_equal(cfg.output.hwm, 1);
    ed_config_free(&cfg);
    ed_config_free(&cfg); /* idempotent */
}

static void test_defaults(void **state)
{
    (void)state;
    ed_config cfg;
    expect_ok("", &cfg);
    assert_true(strncmp(cfg.instance, "enrichd-", 8) == 0);
    assert_true(strlen(cfg.instance) > 8);
    assert_string_equal(cfg.data_dir, ENRICHD_DATADIR);
    assert_string_equal(cfg.state_dir, "");
    assert_int_equal(cfg.workers, 0);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    assert_int_equal(ed_config_worker_count(&cfg), cpus < 1 ? 1 : cpus);
    assert_int_equal(cfg.drain_timeout_ms, 10000);
    assert_int_equal(cfg.log_level, ED_LOG_INFO);
    assert_int_equal(cfg.max_bytes, 1048576);
    assert_int_equal(cfg.max_frame_bytes, 64LL * 1024 * 1024);
    assert_int_equal(cfg.feed.nbind, 1);
    assert_string_equal(cfg.feed.bind[0], "tcp://127.0.0.1:5557");
    assert_int_equal(cfg.feed.nconnect, 0);
    assert_int_equal(cfg.feed.hwm, 1000);
    assert_int_equal(cfg.output.nbind, 1);
    assert_string_equal(cfg.output.bind[0], "tcp://127.0.0.1:5558");
    assert_int_equal(cfg.output.hwm, 10000);

    /* the same as ed_config_defaults */
    ed_config def;
    char err[64];
    assert_int_equal(ed_config_defaults(&def, err, sizeof err), 0);
    assert_int_equal(ed_config_diff(&def, &cfg), 0);
    ed_config_free(&def);
    ed_config_free(&cfg);
}

static void test_group_defaults(void **state)
{
    (void)state;
    ed_config cfg;
    /* a group with only hwm keeps the default bind */
    expect_ok("feed = { hwm = 5; };\n", &cfg);
    assert_int_equal(cfg.feed.nbind, 1);
    assert_string_equal(cfg.feed.bind[0], "tcp://127.0.0.1:5557");
    assert_int_equal(cfg.feed.hwm, 5);
    ed_config_free(&cfg);
    /* naming connect only means: no bind */
    expect_ok("feed = { connect = [\"tcp://127.0.0.1:9000\"]; };\n", &cfg);
    assert_int_equal(cfg.feed.nbind, 0);
    assert_int_equal(cfg.feed.nconnect, 1);
    assert_int_equal(cfg.feed.hwm, 1000);
    ed_config_free(&cfg);
    /* lists ( ... ) are accepted like arrays; empty groups are fine */
    expect_ok("output = { bind = (\"ipc:///tmp/o\"); };\nlog = {};\ninput = {};\n", &cfg);
    assert_int_equal(cfg.output.nbind, 1);
    assert_string_equal(cfg.output.bind[0], "ipc:///tmp/o");
    ed_config_free(&cfg);
}

static void test_shipped_config(void **state)
{
    (void)state;
    const char *data = getenv("ENRICHD_DATA");
    if (data == NULL || *data == '\0') {
        print_message("SKIP: ENRICHD_DATA unset: etc/enrichd.conf not located\n");
        skip();
    }
    char path[1024];
    snprintf(path, sizeof path, "%s/../etc/enrichd.conf", data);
    if (access(path, R_OK) != 0) {
        print_message("SKIP: %s absent\n", path);
        skip();
    }
    ed_config cfg;
    char err[ED_CONFIG_ERRLEN] = "";
    if (ed_config_load(path, &cfg, err, sizeof err) != 0)
        fail_msg("shipped config rejected: %s", err);
    /* the shipped file documents the defaults and binds loopback only */
    ed_config def;
    assert_int_equal(ed_config_defaults(&def, err, sizeof err), 0);
    assert_int_equal(ed_config_diff(&def, &cfg), 0);
    for (size_t i = 0; i < cfg.feed.nbind; i++)
        assert_non_null(strstr(cfg.feed.bind[i], "127.0.0.1"));
    for (size_t i = 0; i < cfg.output.nbind; i++)
        assert_non_null(strstr(cfg.output.bind[i], "127.0.0.1"));
    ed_config_free(&def);
    ed_config_free(&cfg);
}

static void test_unknown_keys(void **state)
{
    (void)state;
    expect_error("workers = 2;\nworker = 3;\n", "t.conf:2:", "unknown setting 'worker'");
    expect_error("feeed = { hwm = 1; };\n", "t.conf:1:", "'feeed'");
    expect_error("\n\nlog = { levle = \"info\"; };\n", "t.conf:3:", "'levle' in log");
    expect_error("input = { max_byte = 10; };\n", "'max_byte' in input", NULL);
    expect_error("feed = { bnid = []; };\n", "'bnid' in feed", NULL);
    expect_error("output = { hwm = 5; extra = 1; };\n", "'extra' in output", NULL);
}

static void test_wrong_types(void **state)
{
    (void)state;
    expect_error("workers = \"2\";\n", "t.conf:1:", "workers must be an integer");
    expect_error("workers = 2.0;\n", "workers must be an integer", "a float");
    expect_error("drain_timeout_ms = true;\n", "drain_timeout_ms must be an integer", NULL);
    expect_error("instance = 5;\n", "instance must be a string", NULL);
    expect_error("data_dir = [\"/a\"];\n", "data_dir must be a string", NULL);
    expect_error("state_dir = 1;\n", "state_dir must be a string", NULL);
    expect_error("log = \"info\";\n", "log must be a group", NULL);
    expect_error("log = { level = 1; };\n", "log.level must be a string", NULL);
    expect_error("input = { max_bytes = \"1M\"; };\n", "input.max_bytes must be an integer", NULL);
    expect_error("feed = \"tcp://127.0.0.1:1\";\n", "feed must be a group", NULL);
    expect_error("feed = { bind = \"tcp://127.0.0.1:1\"; };\n", "feed.bind must be an array",
                 NULL);
    expect_error("output = { connect = [1, 2]; };\n", "output.connect[0] must be a string",
                 NULL);
    expect_error("feed = { hwm = \"10\"; };\n", "feed.hwm must be an integer", NULL);
}

static void test_ranges(void **state)
{
    (void)state;
    expect_error("workers = -1;\n", "workers = -1 is out of range [0, 256]", NULL);
    expect_error("workers = 257;\n", "out of range", NULL);
    expect_error("drain_timeout_ms = 0;\n", "drain_timeout_ms = 0 is out of range", NULL);
    expect_error("drain_timeout_ms = 3600001;\n", "out of range", NULL);
    expect_error("input = { max_bytes = 0; };\n", "input.max_bytes = 0 is out of range", NULL);
    /* the frame guard may not undercut the application limit */
    expect_error("input = { max_bytes = 4096; max_frame_bytes = 1024; };\n",
                 "input.max_frame_bytes (1024) must be 0 or at least input.max_bytes (4096)", NULL);
    expect_error("input = { max_bytes = 134217728; };\n", "must be 0 or at least", NULL);
    expect_error("input = { max_frame_bytes = -1; };\n", "out of range", NULL);
    expect_error("input = { max_bytes = 1073741825L; };\n", "out of range", NULL);
    /* libconfig would wrap these to 32 bits silently: they must be errors, not other values */
    expect_error("# 1\n/* 2\n 3 */ input = { max_bytes = 5000000000; };\n", "t.conf:3:",
                 "integer 5000000000 does not fit in 32 bits");
    expect_error("input = { max_bytes = 5000000000L; };\n", "out of range", NULL);
    expect_error("workers = -2147483649;\n", "does not fit", NULL);
    expect_error("feed = { hwm = 0x1FFFFFFFF; };\n", "does not fit", NULL);
    /* numbers inside strings and comments, floats, and names with digits are not integers */
    ed_config cfg0;
    expect_ok("# 99999999999\ninstance = \"n-99999999999\"; // 88888888888\n"
              "workers = 2 ;\n",
              &cfg0);
    ed_config_free(&cfg0);
    expect_error("workers = 2147483647;\n", "out of range", NULL);
    expect_error("workers = 1.5e12;\n", "must be an integer", NULL);
    expect_error("feed = { hwm = 0; };\n", "feed.hwm = 0 is out of range", NULL);
    expect_error("output = { hwm = -5; };\n", "output.hwm = -5 is out of range", NULL);
    expect_error("output = { hwm = 10000001; };\n", "out of range", NULL);
    expect_error("log = { level = \"verbose\"; };\n", "\"verbose\" is not one of", NULL);
    expect_error("log = { level = \"INFO\"; };\n", "is not one of", NULL);
    expect_error("instance = \"\";\n", "instance \"\" must be 1 to 64", NULL);
    expect_error("instance = \"has space\";\n", "must be 1 to 64", NULL);
    expect_error("instance = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\";\n",
                 "must be 1 to 64", NULL);
    expect_error("data_dir = \"\";\n", "data_dir must not be empty", NULL);

    /* the edges themselves pass */
    ed_config cfg;
    expect_ok("workers = 256;\ndrain_timeout_ms = 1;\n"
              "input = { max_bytes = 1073741824; max_frame_bytes = 0; };\n"
              "feed = { hwm = 1; };\noutput = { hwm = 10000000; };\n"
              "instance = \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\";\n",
              &cfg);
    assert_int_equal(cfg.workers, 256);
    assert_int_equal(ed_config_worker_count(&cfg), 256);
    assert_int_equal(cfg.max_bytes, 1073741824LL);
    assert_int_equal(cfg.feed.hwm, 1);
    assert_int_equal(cfg.output.hwm, 10000000);
    assert_int_equal(strlen(cfg.instance), 64);
    ed_config_free(&cfg);
    expect_ok("input = { max_bytes = 1; };\nworkers = 0;\ndrain_timeout_ms = 3600000;\n", &cfg);
    assert_int_equal(cfg.max_bytes, 1);
    ed_config_free(&cfg);
}

static void test_endpoints(void **state)
{
    (void)state;
    expect_error("feed = { bind = []; connect = []; };\n", "t.conf:1:",
                 "feed needs at least one endpoint");
    expect_error("output = { bind = []; };\n", "output needs at least one endpoint", NULL);
    expect_error("feed = { bind = [\"127.0.0.1:5557\"]; };\n", "must start with tcp:// or ipc://",
                 NULL);
    expect_error("feed = { bind = [\"inproc://x\"]; };\n", "must start with tcp://", NULL);
    expect_error("feed = { bind = [\"tcp://127.0.0.1\"]; };\n", "needs a host and a port", NULL);
    expect_error("output = { connect = [\"tcp://:5\"]; };\n", "needs a host and a port", NULL);
    expect_error("feed = { bind = [\"ipc://\"]; };\n", "needs a path", NULL);
    expect_error("feed = { bind = [\"\"]; };\n", "is empty", NULL);
    char many[4096] = "feed = { bind = [";
    for (int i = 0; i <= ED_CONFIG_ENDPOINTS_MAX; i++) {
        char ep[40];
        snprintf(ep, sizeof ep, "%s\"tcp://127.0.0.1:%d\"", i ? ", " : "", 6000 + i);
        strcat(many, ep);
    }
    strcat(many, "]; };\n");
    expect_error(many, "at most 32", NULL);
}

static void test_syntax_and_files(void **state)
{
    (void)state;
    expect_error("workers = 2;\nlog = { level = = \"info\"; };\n", "t.conf:2: syntax error", NULL);
    expect_error("workers = ;\n", "t.conf:1: syntax error", NULL);
    expect_error("feed = { bind = [\"tcp://127.0.0.1:1\", 2]; };\n", "syntax error", NULL);

    ed_config cfg;
    char err[ED_CONFIG_ERRLEN] = "";
    char missing[512];
    snprintf(missing, sizeof missing, "%s/nope.conf", tmpdir);
    assert_int_equal(ed_config_load(missing, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, missing));
    assert_non_null(strstr(err, "No such file"));
    ed_config_free(&cfg);

    const char *path = write_file("bad.conf", "# comment\n\nworkers = 999;\n");
    assert_int_equal(ed_config_load(path, &cfg, err, sizeof err), -1);
    char want[600];
    snprintf(want, sizeof want, "%s:3: workers = 999", path);
    if (strstr(err, want) == NULL)
        fail_msg("error \"%s\" lacks \"%s\"", err, want);
    ed_config_free(&cfg);
}

static void test_paths(void **state)
{
    (void)state;
    /* relative data_dir and state_dir resolve against the file's directory */
    char sub[512];
    snprintf(sub, sizeof sub, "%s/state", tmpdir);
    assert_int_equal(mkdir(sub, 0700), 0);
    const char *path = write_file("rel.conf", "data_dir = \"data\";\nstate_dir = \"state\";\n");
    ed_config cfg;
    char err[ED_CONFIG_ERRLEN] = "";
    if (ed_config_load(path, &cfg, err, sizeof err) != 0)
        fail_msg("%s", err);
    char want[600];
    snprintf(want, sizeof want, "%s/data", tmpdir);
    assert_string_equal(cfg.data_dir, want);
    assert_string_equal(cfg.state_dir, sub);
    ed_config_free(&cfg);

    /* state_dir must exist, be a directory, be writable */
    char text[700];
    snprintf(text, sizeof text, "state_dir = \"%s/absent\";\n", tmpdir);
    expect_error(text, "t.conf:1: state_dir", "No such file");
    snprintf(text, sizeof text, "state_dir = \"%s/rel.conf\";\n", tmpdir);
    expect_error(text, "is not a directory", NULL);
    if (geteuid() != 0) { /* root may write anywhere */
        chmod(sub, 0500);
        snprintf(text, sizeof text, "state_dir = \"%s\";\n", sub);
        expect_error(text, "is not writable", NULL);
        chmod(sub, 0700);
    }
    expect_ok("state_dir = \"\";\n", &cfg);
    assert_string_equal(cfg.state_dir, "");
    ed_config_free(&cfg);
}

static void test_diff(void **state)
{
    (void)state;
    const char *base = "instance = \"a\";\ndata_dir = \"/d1\";\nworkers = 2;\n"
                       "drain_timeout_ms = 100;\nlog = { level = \"info\"; };\n"
                       "input = { max_bytes = 10; };\n"
                       "feed = { bind = [\"tcp://127.0.0.1:1\"]; hwm = 5; };\n"
                       "output = { bind = [\"tcp://127.0.0.1:2\"]; hwm = 6; };\n";
    ed_config a, b;
    expect_ok(base, &a);
    expect_ok(base, &b);
    assert_int_equal(ed_config_diff(&a, &b), 0);
    ed_config_free(&b);

    expect_ok("instance = \"b\";\ndata_dir = \"/d2\";\nworkers = 3;\n"
              "drain_timeout_ms = 200;\nlog = { level = \"warn\"; };\n"
              "input = { max_bytes = 20; };\n"
              "feed = { bind = [\"tcp://127.0.0.1:1\"]; hwm = 7; };\n"
              "output = { bind = [\"tcp://127.0.0.1:3\"]; hwm = 6; };\n",
              &b);
    unsigned d = ed_config_diff(&a, &b);
    assert_int_equal(d, ED_SET_INSTANCE | ED_SET_DATA_DIR | ED_SET_WORKERS |
                            ED_SET_DRAIN_TIMEOUT | ED_SET_LOG_LEVEL | ED_SET_MAX_BYTES |
                            ED_SET_FEED | ED_SET_OUTPUT);
    assert_int_equal(d & ED_SET_LIVE_MASK, ED_SET_LOG_LEVEL | ED_SET_MAX_BYTES |
                                               ED_SET_DRAIN_TIMEOUT | ED_SET_DATA_DIR);
    assert_int_equal(d & ED_SET_RESTART_MASK,
                     ED_SET_INSTANCE | ED_SET_WORKERS | ED_SET_FEED | ED_SET_OUTPUT);
    assert_int_equal(ED_SET_LIVE_MASK & ED_SET_RESTART_MASK, 0);
    assert_int_equal(ED_SET_LIVE_MASK | ED_SET_RESTART_MASK, (1u << ED_SET_COUNT) - 1);
    ed_config_free(&b);

    /* a connect endpoint added is a change; so is state_dir */
    char text[1024];
    snprintf(text, sizeof text,
             "%sfeed = { bind = [\"tcp://127.0.0.1:1\"]; connect = [\"ipc:///x\"]; hwm = 5; };\n",
             "instance = \"a\";\ndata_dir = \"/d1\";\nworkers = 2;\ndrain_timeout_ms = 100;\n"
             "input = { max_bytes = 10; };\n"
             "output = { bind = [\"tcp://127.0.0.1:2\"]; hwm = 6; };\n");
    expect_ok(text, &b);
    assert_int_equal(ed_config_diff(&a, &b), ED_SET_FEED);
    ed_config_free(&b);
    snprintf(text, sizeof text, "%sstate_dir = \"%s\";\n", base, tmpdir);
    expect_ok(text, &b);
    assert_int_equal(ed_config_diff(&a, &b), ED_SET_STATE_DIR);
    ed_config_free(&b);
    ed_config_free(&a);

    /* workers = 0 and workers = <CPUs> run the same number of threads: no change */
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(text, sizeof text, "workers = %ld;\n", cpus < 1 ? 1 : cpus);
    expect_ok("workers = 0;\n", &a);
    expect_ok(text, &b);
    assert_int_equal(ed_config_diff(&a, &b), 0);
    ed_config_free(&a);
    ed_config_free(&b);

    assert_string_equal(ed_config_setting_name(ED_SET_LOG_LEVEL), "log.level");
    assert_string_equal(ed_config_setting_name(ED_SET_MAX_BYTES), "input.max_bytes");
    assert_string_equal(ed_config_setting_name(ED_SET_FEED), "feed");
    assert_string_equal(ed_config_setting_name(ED_SET_STATE_DIR), "state_dir");
    for (unsigned bit = 1; bit < (1u << ED_SET_COUNT); bit <<= 1)
        assert_string_not_equal(ed_config_setting_name(bit), "?");
}

static void test_include(void **state)
{
    (void)state;
    write_file("part.conf", "workers = 4;\n");
    const char *path = write_file("main.conf", "@include \"part.conf\"\nlog = { level = \"warn\"; };\n");
    ed_config cfg;
    char err[ED_CONFIG_ERRLEN] = "";
    if (ed_config_load(path, &cfg, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_int_equal(cfg.workers, 4);
    assert_int_equal(cfg.log_level, ED_LOG_WARN);
    ed_config_free(&cfg);
    /* an error inside the included file names that file */
    write_file("part2.conf", "\nworkers = -4;\n");
    path = write_file("main2.conf", "@include \"part2.conf\"\n");
    assert_int_equal(ed_config_load(path, &cfg, err, sizeof err), -1);
    if (strstr(err, "part2.conf:2:") == NULL)
        fail_msg("error \"%s\" lacks part2.conf:2:", err);
    ed_config_free(&cfg);
}

/* issue 5: output.backpressure, journal, ack, replay — defaults, values, errors, diff bits */
static void test_journal_settings(void **state)
{
    (void)state;
    ed_config cfg;
    expect_ok("", &cfg);
    assert_int_equal(cfg.output_block, 0);
    assert_int_equal(cfg.journal.map_bytes, 1LL << 30);
    assert_int_equal(cfg.journal.max_bytes, 768LL << 20);
    assert_int_equal(cfg.journal.sync_records, 1000);
    assert_int_equal(cfg.journal.sync_ms, 50);
    assert_int_equal(cfg.journal.raw_max_bytes, 65536);
    assert_string_equal(cfg.ack.bind[0], "tcp://127.0.0.1:5556");
    assert_string_equal(cfg.replay.bind[0], "tcp://127.0.0.1:5559");
    assert_int_equal(cfg.replay_max_limit, 5000);
    assert_true(cfg.replay.hwm >= 2 * cfg.replay_max_limit + 2);
    ed_config_free(&cfg);

    expect_ok("output = { backpressure = \"block\"; };\n"
              "journal = { map_bytes = 4294967296L; max_bytes = 1000000; max_records = 0;\n"
              "  max_age_s = 0; sync_records = 1; sync_ms = 0; raw_max_bytes = 0; };\n"
              "ack = { bind = [\"tcp://127.0.0.1:*\"]; hwm = 5; };\n"
              "replay = { connect = [\"ipc:///tmp/r\"]; max_limit = 10; hwm = 22; };\n",
              &cfg);
    assert_int_equal(cfg.output_block, 1);
    assert_int_equal(cfg.journal.map_bytes, 4294967296LL);
    assert_int_equal(cfg.journal.max_bytes, 1000000);
    assert_int_equal(cfg.journal.sync_ms, 0);
    assert_int_equal(cfg.ack.hwm, 5);
    assert_int_equal(cfg.replay.nbind, 0);
    assert_int_equal(cfg.replay.nconnect, 1);
    assert_int_equal(cfg.replay_max_limit, 10);
    ed_config_free(&cfg);

    expect_error("output = { backpressure = \"wait\"; };\n", "t.conf:1:",
                 "not one of drop, block");
    expect_error("journal = { sync_every = 3; };\n", "unknown setting 'sync_every'", "journal");
    expect_error("journal = { map_bytes = 1024; };\n", "journal.map_bytes", "out of range");
    expect_error("journal = { sync_records = 0; };\n", "journal.sync_records", "out of range");
    expect_error("journal = { map_bytes = 1048576; max_bytes = 1000000; };\n",
                 "journal.max_bytes", "3/4");
    expect_ok("journal = { map_bytes = 1048576; };\n", &cfg); /* the default follows the map */
    assert_int_equal(cfg.journal.max_bytes, 786432);
    ed_config_free(&cfg);
    expect_error("replay = { max_limit = 100; hwm = 150; };\n", "replay.hwm (150)", "202");
    expect_error("ack = { max_limit = 3; };\n", "unknown setting 'max_limit'", "ack");
    expect_error("journal = 3;\n", "journal must be a group", NULL);

    /* every new group is a restart-only change */
    ed_config a, b;
    expect_ok("", &a);
    expect_ok("output = { backpressure = \"block\"; };\njournal = { sync_ms = 10; };\n"
              "ack = { hwm = 7; };\nreplay = { max_limit = 10; };\n",
              &b);
    unsigned d = ed_config_diff(&a, &b);
    assert_int_equal(d, ED_SET_OUTPUT | ED_SET_JOURNAL | ED_SET_ACK | ED_SET_REPLAY);
    assert_int_equal(d & ED_SET_LIVE_MASK, 0);
    assert_string_equal(ed_config_setting_name(ED_SET_JOURNAL), "journal");
    ed_config_free(&a);
    ed_config_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_full_file),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_group_defaults),
        cmocka_unit_test(test_shipped_config),
        cmocka_unit_test(test_unknown_keys),
        cmocka_unit_test(test_wrong_types),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_endpoints),
        cmocka_unit_test(test_syntax_and_files),
        cmocka_unit_test(test_paths),
        cmocka_unit_test(test_diff),
        cmocka_unit_test(test_include),
        cmocka_unit_test(test_journal_settings),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
