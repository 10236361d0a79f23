/*
 * curve.c — the CURVE client options the `enrich` commands share (--server-key FILE.pub
 * --key FILE.key): reads the pinned key files through proto/keyfile.h and makes a socket a
 * CURVE client of the daemon. Touches only tools/ and the key files named on the command line.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "cli.h"
#include "keyfile.h"

int cli_curve_client(void *sock, const char *cmd, const char *server_key_file,
                     const char *key_file)
{
    if (server_key_file == NULL && key_file == NULL)
        return CLI_EXIT_OK;
    if (server_key_file == NULL || key_file == NULL)
        return cli_usage_error(cmd, "--server-key and --key go together (CURVE needs both)");
    uint8_t server[ED_KEY_BYTES], pub[ED_KEY_BYTES], sec[ED_KEY_BYTES];
    char err[600];
    if (ed_keyfile_read_public(server_key_file, server, err, sizeof err) < 0 ||
        ed_keyfile_read_secret(key_file, pub, sec, err, sizeof err) < 0) {
        fprintf(stderr, "enrich %s: %s\n", cmd, err);
        ed_key_wipe(sec, sizeof sec);
        return CLI_EXIT_FAIL;
    }
    int rc = CLI_EXIT_OK;
    if (zmq_setsockopt(sock, ZMQ_CURVE_SERVERKEY, server, sizeof server) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_PUBLICKEY, pub, sizeof pub) != 0 ||
        zmq_setsockopt(sock, ZMQ_CURVE_SECRETKEY, sec, sizeof sec) != 0) {
        fprintf(stderr, "enrich %s: cannot set the CURVE keys: %s\n", cmd, zmq_strerror(errno));
        rc = CLI_EXIT_FAIL;
    }
    ed_key_wipe(sec, sizeof sec);
    return rc;
}
