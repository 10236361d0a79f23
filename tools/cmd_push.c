/*
 * cmd_push.c — `enrich push`: a ZeroMQ PUSH client for enrichd's feed. Each file is one frame;
 * with no file, each non-blank stdin line is one frame. Delivery: ZMQ_IMMEDIATE keeps frames off
 * connections that are not complete (so zmq_send waits for a real peer), and ZMQ_LINGER makes
 * zmq_ctx_term wait until every queued frame has been written to the peer. With --ack the
 * articles go to the acknowledged feed instead (push_ack.c). Touches only tools/.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "cli.h"
#include "jsonl.h"
#include "net.h"
#include "push_ack.h"

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

int cmd_push(int argc, char **argv)
{
    enum { OPT_COUNT = 256, OPT_TIMEOUT, OPT_ACK, OPT_ACK_ENDPOINT, OPT_WINDOW, OPT_RETRIES,
           OPT_QUIET, OPT_HELP, OPT_SERVER_KEY, OPT_KEY, OPT_ACKS };
    static const struct option longopts[] = {
        {"count", no_argument, NULL, OPT_COUNT},
        {"timeout", required_argument, NULL, OPT_TIMEOUT},
        {"timeout-ms", required_argument, NULL, OPT_TIMEOUT},
        {"ack", no_argument, NULL, OPT_ACK},
        {"ack-endpoint", required_argument, NULL, OPT_ACK_ENDPOINT},
        {"window", required_argument, NULL, OPT_WINDOW},
        {"retries", required_argument, NULL, OPT_RETRIES},
        {"quiet", no_argument, NULL, OPT_QUIET},
        {"acks", no_argument, NULL, OPT_ACKS},
        {"help", no_argument, NULL, OPT_HELP},
        {"server-key", required_argument, NULL, OPT_SERVER_KEY},
        {"key", required_argument, NULL, OPT_KEY},
        {NULL, 0, NULL, 0}};
    int print_count = 0, ack = 0, timeout_set = 0;
    uint64_t timeout = 30000;
    const char *server_key = NULL, *key = NULL; /* CURVE (curve.c) */
    push_ack_opts ao = {.endpoint = NULL,
                        .window = PUSH_ACK_DEFAULT_WINDOW,
                        .timeout_ms = PUSH_ACK_DEFAULT_TIMEOUT_MS,
                        .retries = PUSH_ACK_DEFAULT_RETRIES};
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
            timeout_set = 1;
            break;
        case OPT_ACK:
            ack = 1;
            break;
        case OPT_ACK_ENDPOINT:
            ao.endpoint = optarg;
            ack = 1;
            break;
        case OPT_WINDOW:
            if (cli_parse_u64(optarg, &ao.window) != 0 || ao.window == 0 || ao.window > 100000)
                return cli_usage_error("push", "--window needs a number of articles (1..100000)");
            break;
        case OPT_RETRIES:
            if (cli_parse_u64(optarg, &ao.retries) != 0 || ao.retries > 1000)
                return cli_usage_error("push", "--retries needs a number (0..1000)");
            break;
        case OPT_QUIET:
            ao.quiet = 1;
            break;
        case OPT_ACKS:
            ao.print_acks = 1;
            ack = 1;
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
    if (ack) {
        if (timeout_set) {
            if (timeout == 0)
                return cli_usage_error("push", "--ack needs a --timeout-ms above 0");
            ao.timeout_ms = timeout;
        }
        /* An endpoint may also come first, as without --ack. */
        if (!ao.endpoint && optind < argc && strstr(argv[optind], "://"))
            ao.endpoint = argv[optind++];
        if (!ao.endpoint)
            ao.endpoint = PUSH_ACK_DEFAULT_ENDPOINT;
        ao.server_key = server_key;
        ao.key = key;
        return push_ack_run(&ao, argv + optind, argc - optind);
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
    if (crc == CLI_EXIT_OK)
        crc = cli_connect(ps.sock, "push", endpoint);
    if (crc != CLI_EXIT_OK) {
        zmq_close(ps.sock);
        zmq_ctx_term(ctx);
        return crc;
    }

    /* Files: one frame each; stdin: one frame per non-blank line. */
    int rc = 0;
    cli_frames frames;
    cli_frames_init(&frames, argv + optind, argc - optind, optind >= argc);
    for (;;) {
        const char *bytes;
        size_t len = 0;
        char err[300];
        int got = cli_frames_next(&frames, &bytes, &len, err, sizeof err);
        if (got == 0)
            break;
        if (got < 0) {
            fprintf(stderr, "enrich push: %s\n", err);
            rc = -1;
            break;
        }
        if (send_frame(&ps, bytes, len) != 0) {
            rc = -1;
            break;
        }
    }
    cli_frames_close(&frames);

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
