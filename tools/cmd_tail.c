/*
 * cmd_tail.c — `enrich tail`: a ZeroMQ SUB client for enrichd's output. Prints the record frame
 * of every [topic][record] message as one JSON line, flushed per line. SIGINT/SIGTERM write a
 * byte to a self-pipe that zmq_poll watches, so the exit is clean and race-free.
 * Touches only tools/.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zmq.h>

#include "cli.h"

#define TAIL_MAX_TOPICS 64

static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t n = write(signal_pipe[1], &b, 1);
    (void)n; /* a full pipe already holds a wake-up byte */
    errno = saved;
}

static int install_signals(void)
{
    if (pipe(signal_pipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(signal_pipe[i], F_GETFL);
        fcntl(signal_pipe[i], F_SETFL, fl | O_NONBLOCK);
        fcntl(signal_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -1;
    signal(SIGPIPE, SIG_IGN); /* `enrich tail | head`: a write error ends the loop instead */
    return 0;
}

/* Receives one multipart message; prints its record. Returns 1 (printed), 0 (skipped: not two
 * frames), -1 (write error on stdout). */
static int print_message(void *sock, int with_topic)
{
    zmq_msg_t topic, body;
    zmq_msg_init(&topic);
    zmq_msg_init(&body);
    int frames = 0, printed = 0;
    int more = 1;
    while (more) {
        zmq_msg_t *m = frames == 0 ? &topic : &body;
        if (frames >= 2) { /* an extra frame: drain it into body */
            zmq_msg_close(&body);
            zmq_msg_init(&body);
        }
        if (zmq_msg_recv(m, sock, 0) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        frames++;
        more = zmq_msg_more(m);
    }
    if (frames == 2) {
        int ok = 1;
        if (with_topic) {
            ok = fwrite(zmq_msg_data(&topic), 1, zmq_msg_size(&topic), stdout) ==
                     zmq_msg_size(&topic) &&
                 fputc('\t', stdout) != EOF;
        }
        ok = ok &&
             fwrite(zmq_msg_data(&body), 1, zmq_msg_size(&body), stdout) == zmq_msg_size(&body) &&
             fputc('\n', stdout) != EOF && fflush(stdout) == 0;
        printed = ok ? 1 : -1;
    } else {
        fprintf(stderr, "enrich tail: skipped a message of %d frame(s), expected 2\n", frames);
    }
    zmq_msg_close(&topic);
    zmq_msg_close(&body);
    return printed;
}

int cmd_tail(int argc, char **argv)
{
    enum { OPT_COUNT = 256, OPT_TIMEOUT, OPT_TOPIC, OPT_WITH_TOPIC, OPT_HELP, OPT_SERVER_KEY,
           OPT_KEY };
    static const struct option longopts[] = {{"count", required_argument, NULL, OPT_COUNT},
                                             {"timeout", required_argument, NULL, OPT_TIMEOUT},
                                             {"topic", required_argument, NULL, OPT_TOPIC},
                                             {"with-topic", no_argument, NULL, OPT_WITH_TOPIC},
                                             {"help", no_argument, NULL, OPT_HELP},
                                             {"server-key", required_argument, NULL, OPT_SERVER_KEY},
                                             {"key", required_argument, NULL, OPT_KEY},
                                             {NULL, 0, NULL, 0}};
    uint64_t count = 0, timeout = 0;
    int with_topic = 0;
    const char *server_key = NULL, *key = NULL; /* CURVE (curve.c) */
    const char *topics[TAIL_MAX_TOPICS];
    int ntopics = 0;
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case OPT_COUNT:
            if (cli_parse_u64(optarg, &count) != 0 || count == 0)
                return cli_usage_error("tail", "--count needs a positive number");
            break;
        case OPT_TIMEOUT:
            if (cli_parse_u64(optarg, &timeout) != 0 || timeout == 0 || timeout > 86400000)
                return cli_usage_error("tail", "--timeout needs milliseconds (1..86400000)");
            break;
        case OPT_TOPIC:
            if (ntopics == TAIL_MAX_TOPICS)
                return cli_usage_error("tail", "too many topics (max %d)", TAIL_MAX_TOPICS);
            topics[ntopics++] = optarg;
            break;
        case OPT_WITH_TOPIC:
            with_topic = 1;
            break;
        case OPT_HELP:
            cli_usage(stdout, "tail");
            return CLI_EXIT_OK;
        case OPT_SERVER_KEY:
            server_key = optarg;
            break;
        case OPT_KEY:
            key = optarg;
            break;
        default:
            cli_usage(stderr, "tail");
            return CLI_EXIT_USAGE;
        }
    }
    if (optind >= argc)
        return cli_usage_error("tail", "missing ENDPOINT");
    const char *endpoint = argv[optind++];
    for (; optind < argc; optind++) {
        if (ntopics == TAIL_MAX_TOPICS)
            return cli_usage_error("tail", "too many topics (max %d)", TAIL_MAX_TOPICS);
        topics[ntopics++] = argv[optind];
    }
    if (install_signals() != 0) {
        fprintf(stderr, "enrich tail: cannot install signal handlers: %s\n", strerror(errno));
        return CLI_EXIT_FAIL;
    }

    void *ctx = zmq_ctx_new();
    void *sock = ctx ? zmq_socket(ctx, ZMQ_SUB) : NULL;
    int zero = 0;
    if (!sock || zmq_setsockopt(sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(sock, ZMQ_RCVHWM, &zero, sizeof zero) != 0) {
        fprintf(stderr, "enrich tail: socket setup: %s\n", zmq_strerror(errno));
        if (sock)
            zmq_close(sock);
        if (ctx)
            zmq_ctx_term(ctx);
        return CLI_EXIT_FAIL;
    }
    int rc = cli_curve_client(sock, "tail", server_key, key);
    if (rc != CLI_EXIT_OK) {
        zmq_close(sock);
        zmq_ctx_term(ctx);
        return rc;
    }
    if (ntopics == 0) {
        if (zmq_setsockopt(sock, ZMQ_SUBSCRIBE, "", 0) != 0)
            rc = CLI_EXIT_FAIL;
    }
    for (int i = 0; i < ntopics && rc == CLI_EXIT_OK; i++)
        if (zmq_setsockopt(sock, ZMQ_SUBSCRIBE, topics[i], strlen(topics[i])) != 0)
            rc = CLI_EXIT_FAIL;
    if (rc != CLI_EXIT_OK) {
        fprintf(stderr, "enrich tail: subscribe: %s\n", zmq_strerror(errno));
    } else if (zmq_connect(sock, endpoint) != 0) {
        int e = errno;
        zmq_close(sock);
        zmq_ctx_term(ctx);
        if (e == EINVAL || e == EPROTONOSUPPORT)
            return cli_usage_error("tail", "bad endpoint '%s': %s", endpoint, zmq_strerror(e));
        fprintf(stderr, "enrich tail: connect %s: %s\n", endpoint, zmq_strerror(e));
        return CLI_EXIT_FAIL;
    }

    uint64_t printed = 0;
    while (rc == CLI_EXIT_OK && (count == 0 || printed < count)) {
        zmq_pollitem_t items[2] = {{.socket = sock, .events = ZMQ_POLLIN},
                                   {.socket = NULL, .fd = signal_pipe[0], .events = ZMQ_POLLIN}};
        int n = zmq_poll(items, 2, timeout ? (long)timeout : -1);
        if (n < 0) {
            if (errno == EINTR)
                continue; /* the pipe byte is seen on the next poll */
            fprintf(stderr, "enrich tail: poll: %s\n", zmq_strerror(errno));
            rc = CLI_EXIT_FAIL;
            break;
        }
        if (items[1].revents & ZMQ_POLLIN)
            break; /* SIGINT / SIGTERM: clean exit */
        if (n == 0) {
            fprintf(stderr, "enrich tail: nothing received for %llu ms\n",
                    (unsigned long long)timeout);
            rc = CLI_EXIT_TIMEOUT;
            break;
        }
        /* Drain what is queued without polling again, so a burst costs one poll. */
        for (;;) {
            int r = print_message(sock, with_topic);
            if (r < 0) {
                rc = errno == EPIPE ? CLI_EXIT_OK : CLI_EXIT_FAIL;
                if (rc != CLI_EXIT_OK)
                    fprintf(stderr, "enrich tail: cannot write to stdout\n");
                goto done;
            }
            printed += (uint64_t)r;
            if (count && printed >= count)
                break;
            int events = 0;
            size_t sz = sizeof events;
            if (zmq_getsockopt(sock, ZMQ_EVENTS, &events, &sz) != 0 || !(events & ZMQ_POLLIN))
                break;
        }
    }
done:
    zmq_close(sock);
    zmq_ctx_term(ctx);
    close(signal_pipe[0]);
    close(signal_pipe[1]);
    return rc;
}
