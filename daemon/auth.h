/*
 * auth.h — CURVE security for the daemon's endpoints: the server key, the allow-list of client
 * public keys (every *.pub file of security.curve_allowed_keys_dir) and the ZAP handler thread
 * (ZeroMQ RFC 27) that libzmq asks about every CURVE handshake on a server socket.
 *
 *   ZAP handler: REP bound to inproc://zeromq.zap.01 in the daemon's context, before any server
 *   socket binds. Request [version "1.0"][request id][domain][address][routing id]
 *   [mechanism "CURVE"][client public key, 32 bytes] → reply [version][request id]
 *   ["200" | "400" | "500"][text][user id = the .pub file's name without .pub][metadata ""].
 *   Denials are counted (ed_counters.auth_denied) and logged rate-limited: a key is logged at
 *   most once per ED_AUTH_LOG_REPEAT_MS, and at most ED_AUTH_LOG_BURST lines are written in a
 *   burst (then one per ED_AUTH_LOG_REFILL_MS); each line says how many denials went unlogged.
 *
 * Ownership: ed_auth_start returns an ed_auth owned by the caller (the daemon), NULL when
 * security is off; ed_auth_stop stops its thread, closes its sockets, wipes the server secret
 * key and frees it. An ed_auth_list from ed_auth_reload_prepare is owned by the caller until
 * given to ed_auth_reload_commit (which takes it) or freed with ed_auth_list_free.
 * Threads: start, apply_server (on a socket the caller owns), reload_* and stop are called from
 * the thread that created the daemon's sockets (main); the handler thread touches only its own
 * sockets, the allow-list (under a mutex) and the counters.
 * May touch: the key files and the allow-list directory (read), its inproc sockets, one thread.
 */
#ifndef ENRICHD_AUTH_H
#define ENRICHD_AUTH_H

#include <stddef.h>

#include "counters.h"

#define ED_AUTH_ZAP_ENDPOINT "inproc://zeromq.zap.01"
#define ED_AUTH_DOMAIN "enrichd"         /* ZMQ_ZAP_DOMAIN of every server socket */
#define ED_AUTH_MAX_KEYS 100000          /* *.pub files in the allow-list directory */
#define ED_AUTH_LOG_REPEAT_MS 60000      /* one denial line per client key per minute */
#define ED_AUTH_LOG_BURST 10             /* denial lines written back to back at most */
#define ED_AUTH_LOG_REFILL_MS 6000       /* then one more line per 6 s */

typedef struct ed_auth ed_auth;
typedef struct ed_auth_list ed_auth_list;

/* Checks a security configuration without starting anything (config load, --check-config):
 * both paths "" (off) or both set; the secret key file readable by its owner only and valid;
 * the directory readable with at least one *.pub file, each valid. Returns 0, or -1 with err
 * naming the file (and its mode when that is the problem). */
int ed_auth_check(const char *secret_key_file, const char *allowed_dir, char *err,
                  size_t errlen);

/* Starts security in zctx: with both paths "" sets *out = NULL and returns 0 (security off);
 * else loads the secret key and the allow-list, binds the ZAP handler and starts its thread.
 * Call before creating any server socket. counters (borrowed, outlives the ed_auth) gets
 * auth_allowed / auth_denied. Returns 0, or -1 with err set and nothing left running. */
int ed_auth_start(void *zctx, const char *secret_key_file, const char *allowed_dir,
                  ed_counters *counters, ed_auth **out, char *err, size_t errlen);

/* Makes sock a CURVE server of a (ZMQ_CURVE_SERVER, ZMQ_CURVE_SECRETKEY, ZMQ_ZAP_DOMAIN); call
 * before its bind/connect. a == NULL (security off) does nothing. Returns 0, or -1 with errno
 * set by zmq_setsockopt. */
int ed_auth_apply_server(void *sock, const ed_auth *a);

/* SIGHUP, step 1: loads the allow-list of the new configuration into *out (NULL when there is
 * nothing to reload: security off now or in the new configuration). Returns 0, or -1 with err
 * set (then the reload should be refused; nothing changed). */
int ed_auth_reload_prepare(const ed_auth *a, const char *secret_key_file,
                           const char *allowed_dir, ed_auth_list **out, char *err,
                           size_t errlen);
/* SIGHUP, step 2: swaps in list (taken; may be NULL) and logs the reload; logs a warning for
 * each security setting that only a restart applies (the secret key file, on/off). */
void ed_auth_reload_commit(ed_auth *a, ed_auth_list *list, const char *secret_key_file,
                           const char *allowed_dir);
void ed_auth_list_free(ed_auth_list *list);

/* Number of keys in the allow-list now. */
size_t ed_auth_allowed_count(const ed_auth *a);

/* Stops the handler thread (also after zmq_ctx_shutdown), closes its sockets, wipes the secret
 * and frees a. Call before zmq_ctx_term. NULL-safe. */
void ed_auth_stop(ed_auth *a);

/* 1 when a tcp:// endpoint's host is loopback (127.0.0.0/8, ::1, localhost, lo), or when the
 * endpoint is not tcp:// at all (ipc, inproc: not reachable from the network); else 0. */
int ed_auth_endpoint_is_local(const char *endpoint);

/* Logs a warning when sock does not use CURVE and endpoint is reachable from the network:
 * without CURVE, anyone who reaches it may send articles or read records. */
void ed_auth_warn_if_exposed(void *sock, const char *socket_name, const char *endpoint);

#endif
