/*
 * keyfile.c — reads and writes enrichd's CURVE key files (see keyfile.h for the format).
 * Validation: 40 characters decoded by zmq_z85_decode; a .key file's public key must be the one
 * its secret key gives (zmq_curve_public). Secrets are wiped with sodium_memzero.
 * May touch: the key files named by the caller; no sockets, no threads.
 */
#include "keyfile.h"
#include "errmsg.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

enum { HAVE_PUBLIC = 1, HAVE_SECRET = 2 };

/* What one file held; secret is wiped by the reader before it returns. */
typedef struct parsed_keys {
    char pub[ED_KEY_Z85_LEN + 1];
    char sec[ED_KEY_Z85_LEN + 1];
    int have;
} parsed_keys;

void ed_key_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        sodium_memzero(p, n);
}

void ed_key_to_z85(const uint8_t key[ED_KEY_BYTES], char out[ED_KEY_Z85_LEN + 1])
{
    if (zmq_z85_encode(out, key, ED_KEY_BYTES) == NULL)
        out[0] = '\0'; /* cannot happen: 32 is a multiple of 4 */
}

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/* Parses the text of one key file. want_secret: decode `secret-key` (else its line is skipped
 * unread). Errors name path and line; values never appear in messages. */
static int parse_text(const char *path, const char *text, size_t len, int want_secret,
                      parsed_keys *pk, char *err, size_t errlen)
{
    size_t pos = 0;
    int line = 0;
    while (pos < len) {
        line++;
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        const char *e = nl ? nl : text + len;
        pos = (size_t)(e - text) + (nl ? 1 : 0);
        while (s < e && is_blank(*s))
            s++;
        while (e > s && is_blank(e[-1]))
            e--;
        if (s == e || *s == '#')
            continue;
        const char *name = s;
        while (s < e && !is_blank(*s) && *s != '=')
            s++;
        size_t name_len = (size_t)(s - name);
        while (s < e && is_blank(*s))
            s++;
        if (name_len == 0 || s == e || *s != '=')
            return ed_fail(err, errlen, "%s:%d: expected name = \"value\"", path, line);
        s++;
        while (s < e && is_blank(*s))
            s++;
        if (s == e || *s != '"')
            return ed_fail(err, errlen, "%s:%d: the value must be in double quotes", path, line);
        const char *value = ++s;
        while (s < e && *s != '"')
            s++;
        if (s == e)
            return ed_fail(err, errlen, "%s:%d: missing closing quote", path, line);
        size_t value_len = (size_t)(s - value);
        s++;
        while (s < e && is_blank(*s))
            s++;
        if (s != e && *s != '#')
            return ed_fail(err, errlen, "%s:%d: unexpected text after the value", path, line);

        int which;
        const char *label;
        if (name_len == 10 && memcmp(name, "public-key", 10) == 0) {
            which = HAVE_PUBLIC;
            label = "public-key";
        } else if (name_len == 10 && memcmp(name, "secret-key", 10) == 0) {
            which = HAVE_SECRET;
            label = "secret-key";
        } else {
            return ed_fail(err, errlen, "%s:%d: unknown name '%.*s' (known: public-key, secret-key)",
                           path, line, (int)(name_len > 40 ? 40 : name_len), name);
        }
        if (pk->have & which)
            return ed_fail(err, errlen, "%s:%d: %s is given twice", path, line, label);
        pk->have |= which;
        if (which == HAVE_SECRET && !want_secret)
            continue;
        if (value_len != ED_KEY_Z85_LEN)
            return ed_fail(err, errlen, "%s:%d: %s must be %d Z85 characters, not %zu", path, line,
                           label, ED_KEY_Z85_LEN, value_len);
        char *dst = which == HAVE_PUBLIC ? pk->pub : pk->sec;
        memcpy(dst, value, ED_KEY_Z85_LEN);
        dst[ED_KEY_Z85_LEN] = '\0';
        uint8_t bin[ED_KEY_BYTES];
        int ok = zmq_z85_decode(bin, dst) != NULL;
        ed_key_wipe(bin, sizeof bin);
        if (!ok)
            return ed_fail(err, errlen, "%s:%d: %s is not valid Z85", path, line, label);
    }
    if (!(pk->have & HAVE_PUBLIC))
        return ed_fail(err, errlen, "%s: no public-key line", path);
    if (want_secret && !(pk->have & HAVE_SECRET))
        return ed_fail(err, errlen, "%s: no secret-key line (is this a .pub file?)", path);
    return 0;
}

/* Opens, checks and parses path. secret: refuse group/other access and decode secret-key. */
static int load(const char *path, int secret, parsed_keys *pk, char *err, size_t errlen)
{
    memset(pk, 0, sizeof *pk);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return ed_fail(err, errlen, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return ed_fail(err, errlen, "%s: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return ed_fail(err, errlen, "%s: not a regular file", path);
    }
    if (secret && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        close(fd);
        return ed_fail(err, errlen,
                       "secret key file %s has mode %04o: group or others may access it; "
                       "refusing to use it (run: chmod 600 %s)",
                       path, (unsigned)(st.st_mode & 07777), path);
    }
    char *buf = malloc(ED_KEYFILE_MAX_BYTES + 1);
    if (buf == NULL) {
        close(fd);
        return ed_fail(err, errlen, "%s: out of memory", path);
    }
    size_t len = 0;
    int rc = 0;
    while (len < ED_KEYFILE_MAX_BYTES + 1) {
        ssize_t n = read(fd, buf + len, ED_KEYFILE_MAX_BYTES + 1 - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ed_fail(err, errlen, "%s: %s", path, strerror(errno));
            break;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    close(fd);
    if (rc == 0 && len > ED_KEYFILE_MAX_BYTES)
        rc = ed_fail(err, errlen, "%s: larger than %d bytes: not a key file", path,
                     ED_KEYFILE_MAX_BYTES);
    else if (rc == 0 && memchr(buf, '\0', len) != NULL)
        rc = ed_fail(err, errlen, "%s: contains a NUL byte: not a key file", path);
    if (rc == 0)
        rc = parse_text(path, buf, len, secret, pk, err, errlen);
    ed_key_wipe(buf, len);
    free(buf);
    if (rc != 0)
        ed_key_wipe(pk, sizeof *pk);
    return rc;
}

int ed_keyfile_read_public(const char *path, uint8_t key[ED_KEY_BYTES], char *err,
                           size_t errlen)
{
    parsed_keys pk;
    if (load(path, 0, &pk, err, errlen) < 0)
        return -1;
    zmq_z85_decode(key, pk.pub); /* validated by load */
    return 0;
}

int ed_keyfile_read_secret(const char *path, uint8_t public_key[ED_KEY_BYTES],
                           uint8_t secret_key[ED_KEY_BYTES], char *err, size_t errlen)
{
    parsed_keys pk;
    if (load(path, 1, &pk, err, errlen) < 0)
        return -1;
    char derived[ED_KEY_Z85_LEN + 1];
    int rc = 0;
    if (zmq_curve_public(derived, pk.sec) != 0)
        rc = ed_fail(err, errlen, "%s: cannot derive the public key: %s", path,
                     zmq_strerror(errno));
    else if (strcmp(derived, pk.pub) != 0)
        rc = ed_fail(err, errlen, "%s: public-key does not belong to secret-key", path);
    if (rc == 0) {
        zmq_z85_decode(secret_key, pk.sec);
        if (public_key != NULL)
            zmq_z85_decode(public_key, pk.pub);
    }
    ed_key_wipe(&pk, sizeof pk);
    return rc;
}

/* Writes content to a temporary file next to final, sets mode, syncs, moves it to final. */
static int write_file(const char *final, const char *content, mode_t mode, char *err,
                      size_t errlen)
{
    char tmp[PATH_MAX];
    if (snprintf(tmp, sizeof tmp, "%s.tmpXXXXXX", final) >= (int)sizeof tmp)
        return ed_fail(err, errlen, "%s: name too long", final);
    int fd = mkstemp(tmp); /* created 0600 */
    if (fd < 0)
        return ed_fail(err, errlen, "cannot create a file next to %s: %s", final,
                       strerror(errno));
    size_t len = strlen(content), done = 0;
    int rc = 0;
    while (done < len) {
        ssize_t n = write(fd, content + done, len - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ed_fail(err, errlen, "%s: %s", tmp, strerror(errno));
            break;
        }
        done += (size_t)n;
    }
    if (rc == 0 && fchmod(fd, mode) != 0)
        rc = ed_fail(err, errlen, "%s: chmod: %s", tmp, strerror(errno));
    if (rc == 0 && fsync(fd) != 0)
        rc = ed_fail(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
    if (close(fd) != 0 && rc == 0)
        rc = ed_fail(err, errlen, "%s: close: %s", tmp, strerror(errno));
    if (rc == 0 && rename(tmp, final) != 0)
        rc = ed_fail(err, errlen, "cannot move %s to %s: %s", tmp, final, strerror(errno));
    if (rc != 0)
        unlink(tmp);
    return rc;
}

int ed_keyfile_generate(const char *name, int force, char public_z85[ED_KEY_Z85_LEN + 1],
                        char *err, size_t errlen)
{
    char key_path[PATH_MAX], pub_path[PATH_MAX];
    if (name == NULL || name[0] == '\0')
        return ed_fail(err, errlen, "empty key name");
    if (snprintf(key_path, sizeof key_path, "%s.key", name) >= (int)sizeof key_path - 12 ||
        snprintf(pub_path, sizeof pub_path, "%s.pub", name) >= (int)sizeof pub_path - 12)
        return ed_fail(err, errlen, "key name too long");
    if (!force) {
        struct stat st;
        if (lstat(key_path, &st) == 0)
            return ed_fail(err, errlen, "%s exists (use --force to replace it)", key_path);
        if (lstat(pub_path, &st) == 0)
            return ed_fail(err, errlen, "%s exists (use --force to replace it)", pub_path);
    }
    char pub[ED_KEY_Z85_LEN + 1], sec[ED_KEY_Z85_LEN + 1];
    if (zmq_curve_keypair(pub, sec) != 0)
        return ed_fail(err, errlen, "cannot make a CURVE key pair: %s (libzmq without CURVE?)",
                       zmq_strerror(errno));
    char key_text[512], pub_text[512];
    snprintf(key_text, sizeof key_text,
             "# enrichd CURVE key pair. SECRET: keep this file private (mode 0600).\n"
             "# Made by `enrich keygen`; its public half is in the matching .pub file.\n"
             "public-key = \"%s\"\n"
             "secret-key = \"%s\"\n",
             pub, sec);
    snprintf(pub_text, sizeof pub_text,
             "# enrichd CURVE public key, made by `enrich keygen`. Safe to share: put it in a\n"
             "# server's security.curve_allowed_keys_dir, or give it to clients (--server-key).\n"
             "public-key = \"%s\"\n",
             pub);
    int rc = write_file(key_path, key_text, 0600, err, errlen);
    if (rc == 0) {
        rc = write_file(pub_path, pub_text, 0644, err, errlen);
        if (rc != 0)
            unlink(key_path);
    }
    ed_key_wipe(sec, sizeof sec);
    ed_key_wipe(key_text, sizeof key_text);
    if (rc == 0 && public_z85 != NULL)
        memcpy(public_z85, pub, sizeof pub);
    return rc;
}
