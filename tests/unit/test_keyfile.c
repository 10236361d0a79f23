/*
 * test_keyfile.c — unit tests of proto/keyfile.c: key pairs made by ed_keyfile_generate (file
 * modes whatever the umask, contents read back, --force), the mode check on secret key files,
 * and every parse error of the pinned `name = "value"` format.
 * May touch: a temporary directory under $TMPDIR it creates and removes.
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

#include "keyfile.h"

static char tmpdir[256];
static const char ZEROS[] = "0000000000000000000000000000000000000000"; /* 32 zero bytes */

static int make_tmpdir(void **state)
{
    (void)state;
    const char *base = getenv("TMPDIR");
    snprintf(tmpdir, sizeof tmpdir, "%s/test_keyfile.XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int remove_tmpdir(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

/* tmpdir/name into a static buffer (two of them, alternating). */
static const char *tpath(const char *name)
{
    static char bufs[2][512];
    static int which;
    which ^= 1;
    snprintf(bufs[which], sizeof bufs[which], "%s/%s", tmpdir, name);
    return bufs[which];
}

static const char *write_text(const char *name, const char *text, mode_t mode)
{
    const char *path = tpath(name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
    return path;
}

static mode_t mode_of(const char *path)
{
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    return st.st_mode & 07777;
}

static void test_generate_modes_and_read_back(void **state)
{
    (void)state;
    mode_t old = umask(077); /* .pub must still end up 0644 */
    char z85[ED_KEY_Z85_LEN + 1] = "";
    char err[256] = "";
    int rc = ed_keyfile_generate(tpath("server"), 0, z85, err, sizeof err);
    umask(old);
    assert_int_equal(rc, 0);
    assert_int_equal(strlen(z85), ED_KEY_Z85_LEN);
    assert_int_equal(mode_of(tpath("server.key")), 0600);
    assert_int_equal(mode_of(tpath("server.pub")), 0644);

    uint8_t pub1[ED_KEY_BYTES], pub2[ED_KEY_BYTES], pub3[ED_KEY_BYTES], sec[ED_KEY_BYTES];
    assert_int_equal(ed_keyfile_read_public(tpath("server.pub"), pub1, err, sizeof err), 0);
    assert_int_equal(ed_keyfile_read_public(tpath("server.key"), pub2, err, sizeof err), 0);
    assert_int_equal(ed_keyfile_read_secret(tpath("server.key"), pub3, sec, err, sizeof err), 0);
    assert_memory_equal(pub1, pub2, ED_KEY_BYTES);
    assert_memory_equal(pub1, pub3, ED_KEY_BYTES);
    char back[ED_KEY_Z85_LEN + 1];
    ed_key_to_z85(pub1, back);
    assert_string_equal(back, z85);
    uint8_t zero[ED_KEY_BYTES] = {0};
    assert_memory_not_equal(sec, zero, ED_KEY_BYTES);
    ed_key_wipe(sec, sizeof sec);
    assert_memory_equal(sec, zero, ED_KEY_BYTES);
    /* no temporary file left next to them */
    char cmd[600];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -q tmp", tmpdir);
    assert_int_not_equal(system(cmd), 0);
}

static void test_generate_refuses_existing_unless_forced(void **state)
{
    (void)state;
    char z1[ED_KEY_Z85_LEN + 1], z2[ED_KEY_Z85_LEN + 1], err[256] = "";
    assert_int_equal(ed_keyfile_generate(tpath("again"), 0, z1, err, sizeof err), 0);
    assert_int_equal(ed_keyfile_generate(tpath("again"), 0, z2, err, sizeof err), -1);
    assert_non_null(strstr(err, "again.key exists"));
    unlink(tpath("again.key"));
    assert_int_equal(ed_keyfile_generate(tpath("again"), 0, z2, err, sizeof err), -1);
    assert_non_null(strstr(err, "again.pub exists"));
    assert_int_equal(access(tpath("again.key"), F_OK), -1); /* nothing half made */
    assert_int_equal(ed_keyfile_generate(tpath("again"), 1, z2, err, sizeof err), 0);
    assert_string_not_equal(z1, z2);
    uint8_t pub[ED_KEY_BYTES];
    char back[ED_KEY_Z85_LEN + 1];
    assert_int_equal(ed_keyfile_read_public(tpath("again.pub"), pub, err, sizeof err), 0);
    ed_key_to_z85(pub, back);
    assert_string_equal(back, z2);
    assert_int_equal(ed_keyfile_generate(tpath("no-such-dir/x"), 0, z1, err, sizeof err), -1);
    assert_int_equal(ed_keyfile_generate("", 0, z1, err, sizeof err), -1);
}

static void test_secret_mode_check(void **state)
{
    (void)state;
    char err[512] = "";
    assert_int_equal(ed_keyfile_generate(tpath("modes"), 0, NULL, err, sizeof err), 0);
    const char *key = tpath("modes.key");
    uint8_t sec[ED_KEY_BYTES];
    static const mode_t refused[] = {0644, 0640, 0604, 0620, 0601, 0660};
    for (size_t i = 0; i < sizeof refused / sizeof refused[0]; i++) {
        assert_int_equal(chmod(key, refused[i]), 0);
        err[0] = '\0';
        assert_int_equal(ed_keyfile_read_secret(key, NULL, sec, err, sizeof err), -1);
        char want[16];
        snprintf(want, sizeof want, "mode %04o", (unsigned)refused[i]);
        assert_non_null(strstr(err, want));
        assert_non_null(strstr(err, key));
        /* the public half can still be read from it */
        uint8_t pub[ED_KEY_BYTES];
        assert_int_equal(ed_keyfile_read_public(key, pub, err, sizeof err), 0);
    }
    static const mode_t accepted[] = {0600, 0400};
    for (size_t i = 0; i < sizeof accepted / sizeof accepted[0]; i++) {
        assert_int_equal(chmod(key, accepted[i]), 0);
        assert_int_equal(ed_keyfile_read_secret(key, NULL, sec, err, sizeof err), 0);
    }
    ed_key_wipe(sec, sizeof sec);
}

static void test_format_comments_blanks_crlf(void **state)
{
    (void)state;
    char text[512];
    snprintf(text, sizeof text,
             "# a comment\r\n\r\n   \t\n  public-key   =   \"%s\"   # trailing comment\r\n# end\n",
             ZEROS);
    const char *p = write_text("fmt.pub", text, 0644);
    uint8_t pub[ED_KEY_BYTES], zero[ED_KEY_BYTES] = {0};
    char err[256] = "";
    assert_int_equal(ed_keyfile_read_public(p, pub, err, sizeof err), 0);
    assert_memory_equal(pub, zero, ED_KEY_BYTES);
    /* no newline at the end of the file */
    snprintf(text, sizeof text, "public-key=\"%s\"", ZEROS);
    p = write_text("nonl.pub", text, 0644);
    assert_int_equal(ed_keyfile_read_public(p, pub, err, sizeof err), 0);
}

/* Writes text as name (mode 0600) and expects reading it to fail with want in the message. */
static void expect_error(const char *name, const char *text, int secret, const char *want)
{
    const char *p = write_text(name, text, 0600);
    char err[512] = "";
    uint8_t a[ED_KEY_BYTES], b[ED_KEY_BYTES];
    int rc = secret ? ed_keyfile_read_secret(p, a, b, err, sizeof err)
                    : ed_keyfile_read_public(p, a, err, sizeof err);
    if (rc != -1 || strstr(err, want) == NULL)
        fail_msg("%s: rc %d, err \"%s\", want \"%s\"", name, rc, err, want);
}

static void test_format_errors(void **state)
{
    (void)state;
    char text[1024];
    expect_error("empty.pub", "", 0, "no public-key line");
    expect_error("comments.pub", "# only a comment\n", 0, "no public-key line");
    expect_error("short.pub", "public-key = \"0000000000\"\n", 0,
                 "short.pub:1: public-key must be 40 Z85 characters, not 10");
    snprintf(text, sizeof text, "\npublic-key = \"%.39s~\"\n", ZEROS);
    expect_error("badchar.pub", text, 0, "badchar.pub:2: public-key is not valid Z85");
    snprintf(text, sizeof text, "public-key = \"%.39s \"\n", ZEROS);
    expect_error("space.pub", text, 0, "is not valid Z85");
    /* 5 characters whose base-85 value exceeds 32 bits */
    snprintf(text, sizeof text, "public-key = \"%.35s#####\"\n", ZEROS);
    expect_error("overflow.pub", text, 0, "is not valid Z85");
    snprintf(text, sizeof text, "private-key = \"%s\"\n", ZEROS);
    expect_error("unknown.pub", text, 0, "unknown name 'private-key'");
    snprintf(text, sizeof text, "public-key = \"%s\"\npublic-key = \"%s\"\n", ZEROS, ZEROS);
    expect_error("twice.pub", text, 0, "twice.pub:2: public-key is given twice");
    snprintf(text, sizeof text, "public-key = %s\n", ZEROS);
    expect_error("noquote.pub", text, 0, "double quotes");
    snprintf(text, sizeof text, "public-key = \"%s\n", ZEROS);
    expect_error("unclosed.pub", text, 0, "missing closing quote");
    snprintf(text, sizeof text, "public-key = \"%s\";\n", ZEROS);
    expect_error("junk.pub", text, 0, "unexpected text after the value");
    snprintf(text, sizeof text, "public-key \"%s\"\n", ZEROS);
    expect_error("noequal.pub", text, 0, "expected name = \"value\"");
    char err[256] = "";
    uint8_t k[ED_KEY_BYTES];
    assert_int_equal(ed_keyfile_read_public(tpath("does-not-exist.pub"), k, err, sizeof err), -1);
    assert_non_null(strstr(err, "does-not-exist.pub"));
    assert_int_equal(ed_keyfile_read_public(tmpdir, k, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a regular file"));
}

static void test_secret_file_errors(void **state)
{
    (void)state;
    char text[1024], err[256] = "";
    /* a .pub file given as the secret key */
    snprintf(text, sizeof text, "public-key = \"%s\"\n", ZEROS);
    expect_error("pub-as-key.key", text, 1, "no secret-key line");
    /* a secret key with the public key of another pair */
    char za[ED_KEY_Z85_LEN + 1];
    assert_int_equal(ed_keyfile_generate(tpath("pair-a"), 0, za, err, sizeof err), 0);
    assert_int_equal(ed_keyfile_generate(tpath("pair-b"), 0, NULL, err, sizeof err), 0);
    FILE *f = fopen(tpath("pair-b.key"), "r");
    assert_non_null(f);
    char line[256], secret_line[256] = "";
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "secret-key", 10) == 0)
            snprintf(secret_line, sizeof secret_line, "%s", line);
    fclose(f);
    assert_true(secret_line[0] != '\0');
    snprintf(text, sizeof text, "public-key = \"%s\"\n%s", za, secret_line);
    expect_error("mixed.key", text, 1, "public-key does not belong to secret-key");
    /* the secret line of a .key file is not decoded when only the public key is wanted */
    snprintf(text, sizeof text, "public-key = \"%s\"\nsecret-key = \"x\"\n", ZEROS);
    const char *p = write_text("badsecret.key", text, 0600);
    uint8_t k[ED_KEY_BYTES], s[ED_KEY_BYTES];
    assert_int_equal(ed_keyfile_read_public(p, k, err, sizeof err), 0);
    assert_int_equal(ed_keyfile_read_secret(p, k, s, err, sizeof err), -1);
    assert_non_null(strstr(err, "secret-key must be 40 Z85 characters"));
    assert_null(strstr(err, "\"x\"")); /* values never appear in messages */
}

static void test_size_and_nul(void **state)
{
    (void)state;
    char *big = malloc(ED_KEYFILE_MAX_BYTES + 100);
    assert_non_null(big);
    memset(big, '#', ED_KEYFILE_MAX_BYTES + 99);
    big[ED_KEYFILE_MAX_BYTES + 99] = '\0';
    expect_error("big.pub", big, 0, "larger than 65536 bytes");
    free(big);
    const char *p = tpath("nul.pub");
    FILE *f = fopen(p, "w");
    assert_non_null(f);
    fwrite("# a\0b\n", 1, 6, f);
    fclose(f);
    uint8_t k[ED_KEY_BYTES];
    char err[256] = "";
    assert_int_equal(ed_keyfile_read_public(p, k, err, sizeof err), -1);
    assert_non_null(strstr(err, "NUL"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_modes_and_read_back),
        cmocka_unit_test(test_generate_refuses_existing_unless_forced),
        cmocka_unit_test(test_secret_mode_check),
        cmocka_unit_test(test_format_comments_blanks_crlf),
        cmocka_unit_test(test_format_errors),
        cmocka_unit_test(test_secret_file_errors),
        cmocka_unit_test(test_size_and_nul),
    };
    return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
