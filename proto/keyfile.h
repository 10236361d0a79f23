/*
 * keyfile.h — CURVE key files as pinned for enrichd (docs/protocol.md, docs/config.md):
 *   NAME.pub  (mode 0644):  public-key = "<40 Z85 characters>"
 *   NAME.key  (mode 0600):  public-key = "…"  and  secret-key = "…"
 * One `name = "value"` per line; blank lines and lines starting with `#` are ignored; an unknown
 * name, a repeated name or a value that is not 40 valid Z85 characters is an error "FILE:LINE:".
 * Used by the daemon (server key, allow-list) and by the `enrich` tool (keygen, client keys).
 *
 * Ownership: every key is returned into caller-provided fixed-size buffers (nothing is
 * allocated). Secret bytes that pass through this module (file text, Z85 and binary copies) are
 * wiped before the functions return; the caller wipes its own copy with ed_key_wipe.
 * May touch: the key files named by the caller (read, create); no sockets, no threads.
 */
#ifndef ENRICHD_KEYFILE_H
#define ENRICHD_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#define ED_KEY_BYTES 32                 /* a CURVE key in binary */
#define ED_KEY_Z85_LEN 40               /* the same in Z85, without the NUL */
#define ED_KEYFILE_MAX_BYTES 65536      /* a larger key file is refused */

/* Reads the public key of a .pub file (or of a .key file; its secret is not decoded and no mode
 * check is made). Returns 0 with key filled, or -1 with err set ("FILE:LINE: reason"). */
int ed_keyfile_read_public(const char *path, uint8_t key[ED_KEY_BYTES], char *err,
                           size_t errlen);

/* Reads a .key file: refuses it when group or others have any access to it (the message names
 * the file and its mode), needs both names, and checks that the public key belongs to the
 * secret key. Returns 0 with both keys filled (public_key may be NULL), or -1 with err set.
 * The caller wipes secret_key with ed_key_wipe when done. */
int ed_keyfile_read_secret(const char *path, uint8_t public_key[ED_KEY_BYTES],
                           uint8_t secret_key[ED_KEY_BYTES], char *err, size_t errlen);

/* Makes a new key pair and writes NAME.key (mode 0600) and NAME.pub (mode 0644), each created
 * complete under a temporary name then moved into place. Refuses when either file exists unless
 * force. public_z85 (41 bytes, may be NULL) receives the public key. Returns 0, or -1 with err
 * set (nothing left behind). */
int ed_keyfile_generate(const char *name, int force, char public_z85[ED_KEY_Z85_LEN + 1],
                        char *err, size_t errlen);

/* Z85 text of a binary key into out (41 bytes). */
void ed_key_to_z85(const uint8_t key[ED_KEY_BYTES], char out[ED_KEY_Z85_LEN + 1]);

/* Overwrites n bytes at p with zeros in a way the compiler cannot drop. */
void ed_key_wipe(void *p, size_t n);

#endif
