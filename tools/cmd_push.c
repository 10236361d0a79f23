/*
 * cmd_push.c — `enrich push`: a ZeroMQ PUSH client for enrichd's feed. Each file is one frame;
 * with no file, each non-blank stdin line is one frame. Delivery: ZMQ_IMMEDIATE keeps frames off
 * connections that are not complete (so zmq_send waits for a real peer), and ZMQ_LINGER makes
 * zmq_ctx_term wait until every queued frame has been written to the peer. Touches only tools/.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "cli.h"

typedef struct push_state {
    void *sock;
    int timeout_ms;       /* <= 0: wait forever */
    unsigned long long sent;
} push_state;

/* Sends one frame; returns 0, or -1 with a message printed. */
static int send_frame(push_state *ps, const void *bytes, size_t len)
{
    for (;;) {
        if (zmq_send(ps->sock, bytes, len, 0) >= 0) {
            ps->sent++;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            fprintf(stderr, "enrich push: no peer took frame %llu within %d ms\n", ps->sent + 1,
                    ps->timeout_ms);
        else
            fprintf(stderr, "enrich push: send failed: %s\n", zmq_strerror(errno));
        return -1;
    }
}

static int push_lines(push_state *ps, FILE *fp)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    while (rc == 0 && (n = getline(&line, &cap, fp)) >= 0) {
        size_t len = (size_t)n;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        size_t i = 0;
        while (i < len && (line[i] == ' ' || line[i] == '\t'))
            i++;
        if (i == len)
            continue; /* blank line */
        rc = send_frame(ps, line, len);
    }
    if (rc == 0 && ferror(fp)) {
        fprintf(stderr, "enrich push: error reading stdin\n");
        rc = -1;
    }
    free(line);
    return rc;
}

int cmd_push(int argc, char **argv)
{
    enum { OPT_COUNT = 256, OPT_TIMEOUT, OPT_HELP, OPT_SERVER_KEY, OPT_KEY };
    static const struct option longopts[] = {{"count", no_argument, NULL, OPT_COUNT},
                                             {"timeout", required_argument, NULL, OPT_TIMEOUT},
                                             {"help", no_argument, NULL, OPT_HELP},
                                             {"server-key", required_argument, NULL, OPT_SERVER_KEY},
                                             {"key", required_argument, NULL, OPT_KEY},
                                             {NULL, 0, NULL, 0}};
    int print_count = 0;
    uint64_t timeout = 30000;
    const char *server_key = NULL, *key = NULL; /* CURVE (curve.c) */
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_COUNT:
            print_count = 1;
            break;
        case OPT_TIMEOUT:
            if (cli_parse_u64(optarg, &timeout) != 0 || timeout > 86400000)
                return cli_usage_error("push", "--timeout needs milliseconds (<= 86400000)");
            break;
        case OPT_HELP:
            cli_usage(stdout, "push");
            return CLI_EXIT_OK;
        case OPT_SERVER_KEY:
            server_key = optarg;
            break;
        case OPT_KEY:
            key = optarg;
            break;
        default:
            cli_usage(stderr, "push");
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cli_usage_error("push", "missing ENDPOINT");
    const char *endpoint = argv[optind++];

    push_state ps = {.timeout_ms = (int)timeout};
    int wait_ms = timeout == 0 ? -1 : (int)timeout;
    void *ctx = zmq_ctx_new();
    if (!ctx) {
        fprintf(stderr, "enrich push: zmq_ctx_new: %s\n", zmq_strerror(errno));
        return CLI_EXIT_FAIL;
    }
    ps.sock = zmq_socket(ctx, ZMQ_PUSH);
    int one = 1;
    if (!ps.sock || zmq_setsockopt(ps.sock, ZMQ_IMMEDIATE, &one, sizeof one) != 0 ||
        zmq_setsockopt(ps.sock, ZMQ_SNDTIMEO, &wait_ms, sizeof wait_ms) != 0 ||
        zmq_setsockopt(ps.sock, ZMQ_LINGER, &wait_ms, sizeof wait_ms) != 0) {
        fprintf(stderr, "enrich push: socket setup: %s\n", zmq_strerror(errno));
        if (ps.sock)
            zmq_close(ps.sock);
        zmq_ctx_term(ctx);
        return CLI_EXIT_FAIL;
    }
    int crc = cli_curve_client(ps.sock, "push", server_key, key);
    if (crc != CLI_EXIT_OK) {
        zmq_close(ps.sock);
        zmq_ctx_term(ctx);
        return crc;
    }
    if (zmq_connect(ps.sock, endpoint) != 0) {
        int e = errno;
        zmq_close(ps.sock);
        zmq_ctx_term(ctx);
        if (e == EINVAL || e == EPROTONOSUPPORT)
            return cli_usage_error("push", "bad endpoint '%s': %s", endpoint, zmq_strerror(e));
        fprintf(stderr, "enrich push: connect %s: %s\n", endpoint, zmq_strerror(e));
        return CLI_EXIT_FAIL;
    }

    int rc = 0;
    if (optind >= argc) {
        rc = push_lines(&ps, stdin);
    } else {
        for (int i = optind; i < argc && rc == 0; i++) {
            char err[300];
            size_t len = 0;
            char *bytes = cli_read_file(argv[i], &len, err, sizeof err);
            if (!bytes) {
                fprintf(stderr, "enrich push: %s\n", err);
                rc = -1;
                break;
            }
            rc = send_frame(&ps, bytes, len);
            free(bytes);
        }
    }

    /* zmq_ctx_term returns once every queued frame is written out, or when LINGER runs out;
     * taking the whole linger time means frames were left behind. */
    zmq_close(ps.sock);
    int64_t t0 = cli_mono_ns();
    while (zmq_ctx_term(ctx) != 0 && errno == EINTR)
        ;
    int64_t waited_ms = (cli_mono_ns() - t0) / 1000000;
    if (ps.sent > 0 && wait_ms > 0 && waited_ms >= wait_ms) {
        fprintf(stderr, "enrich push: frames still queued after %d ms: some were not delivered\n",
                wait_ms);
        rc = -1;
    }
    if (print_count)
        printf("%llu\n", ps.sent);
    return rc == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
