/*
 * replay.c — replay endpoint client (replay.h): builds the JSON request, reads the
 * ["rec"][topic][record]([raw]) messages and the ["end"][JSON] / ["error"][JSON] that closes an
 * answer. Touches only its own DEALER socket.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <zmq.h>

#include "cli.h"
#include "net.h"
#include "replay.h"

/* A new DEALER with CURVE applied when configured. Returns CLI_EXIT_OK, or an exit code with
 * the message printed for command cmd. */
static int make_socket(replay_client *c, const char *cmd)
{
    c->sock = zmq_socket(c->ctx, ZMQ_DEALER);
    int zero = 0;
    if (!c->sock || zmq_setsockopt(c->sock, ZMQ_LINGER, &zero, sizeof zero) != 0 ||
        zmq_setsockopt(c->sock, ZMQ_RCVHWM, &zero, sizeof zero) != 0) {
        fprintf(stderr, "enrich %s: replay socket: %s\n", cmd, zmq_strerror(errno));
        return CLI_EXIT_FAIL;
    }
    return cli_curve_client(c->sock, cmd, c->server_key, c->key);
}

int replay_open(replay_client *c, void *ctx, const char *endpoint, const char *cmd)
{
    c->ctx = ctx;
    c->endpoint = endpoint;
    if (c->timeout_ms <= 0)
        c->timeout_ms = REPLAY_DEFAULT_TIMEOUT_MS;
    if (c->page == 0)
        c->page = REPLAY_DEFAULT_PAGE;
    int rc = make_socket(c, cmd);
    if (rc != CLI_EXIT_OK) {
        replay_close(c);
        return rc;
    }
    rc = cli_connect(c->sock, cmd, endpoint);
    if (rc != CLI_EXIT_OK)
        replay_close(c);
    return rc;
}

void replay_close(replay_client *c)
{
    if (c->sock)
        zmq_close(c->sock);
    c->sock = NULL;
}

/* After a failure: a new socket, so that the rest of an abandoned answer is never read. */
static void reset_socket(replay_client *c)
{
    replay_close(c);
    if (make_socket(c, "replay") != CLI_EXIT_OK || zmq_connect(c->sock, c->endpoint) != 0)
        replay_close(c); /* the next replay_page reports it */
}

static char *build_request(const replay_client *c, uint64_t since)
{
    json_t *req = json_object();
    if (!req)
        return NULL;
    int bad = json_object_set_new(req, "since", json_integer((json_int_t)since)) ||
              json_object_set_new(req, "limit", json_integer((json_int_t)c->page));
    if (c->ntopics > 0) {
        json_t *arr = json_array();
        for (int i = 0; arr && i < c->ntopics; i++)
            bad |= json_array_append_new(arr, json_string(c->topics[i]));
        bad |= json_object_set_new(req, "topics", arr);
    }
    if (c->raw)
        bad |= json_object_set_new(req, "raw", json_true());
    char *s = bad ? NULL : json_dumps(req, JSON_COMPACT);
    json_decref(req);
    return s;
}

static int get_u64(json_t *obj, const char *key, uint64_t *out)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return -1;
    *out = (uint64_t)json_integer_value(v);
    return 0;
}

static int parse_end(const char *bytes, size_t len, replay_end *end, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *root = json_loadb(bytes, len, 0, &jerr);
    memset(end, 0, sizeof *end);
    int rc = -1;
    if (!json_is_object(root))
        snprintf(err, errlen, "end marker is not a JSON object");
    else if (get_u64(root, "first_seq", &end->first_seq) || get_u64(root, "last_seq", &end->last_seq) ||
             get_u64(root, "next", &end->next))
        snprintf(err, errlen, "end marker lacks first_seq, last_seq or next");
    else {
        const char *inst = json_string_value(json_object_get(root, "instance"));
        snprintf(end->instance, sizeof end->instance, "%s", inst ? inst : "");
        rc = 0;
    }
    json_decref(root);
    return rc;
}

static void server_error(const cli_msg *m, char *err, size_t errlen)
{
    const char *msg = NULL;
    json_t *root = m->n >= 2 ? json_loadb(cli_msg_data(m, 1), cli_msg_size(m, 1), 0, NULL) : NULL;
    msg = json_string_value(json_object_get(root, "message"));
    snprintf(err, errlen, "replay refused the request: %s", msg ? msg : "(no message)");
    json_decref(root);
}

int replay_page(replay_client *c, uint64_t since, replay_fn fn, void *arg, replay_end *end,
                char *err, size_t errlen)
{
    if (!c->sock) {
        snprintf(err, errlen, "no replay socket");
        return REPLAY_FAIL;
    }
    char *req = build_request(c, since);
    if (!req) {
        snprintf(err, errlen, "out of memory");
        return REPLAY_FAIL;
    }
    int rc = zmq_send(c->sock, req, strlen(req), ZMQ_DONTWAIT);
    free(req);
    if (rc < 0 && errno != EAGAIN) {
        snprintf(err, errlen, "send to %s: %s", c->endpoint, zmq_strerror(errno));
        reset_socket(c);
        return REPLAY_FAIL;
    }
    /* EAGAIN: no connection yet; the request is lost, the wait below times out. A DEALER
     * without ZMQ_IMMEDIATE queues it instead, which is what normally happens. */
    for (;;) {
        zmq_pollitem_t items[2] = {{.socket = c->sock, .events = ZMQ_POLLIN},
                                   {.socket = NULL, .fd = c->stop_fd, .events = ZMQ_POLLIN}};
        int n = zmq_poll(items, c->stop_fd >= 0 ? 2 : 1, c->timeout_ms);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            snprintf(err, errlen, "poll: %s", zmq_strerror(errno));
            reset_socket(c);
            return REPLAY_FAIL;
        }
        if (c->stop_fd >= 0 && (items[1].revents & ZMQ_POLLIN))
            return REPLAY_STOP;
        if (n == 0) {
            snprintf(err, errlen, "no answer from %s within %d ms", c->endpoint, c->timeout_ms);
            reset_socket(c);
            return REPLAY_FAIL;
        }
        while (cli_sock_readable(c->sock)) {
            cli_msg m;
            if (cli_msg_recv(&m, c->sock, ZMQ_DONTWAIT) < 0)
                break;
            int done = 0;
            rc = REPLAY_OK;
            if (cli_msg_is(&m, 0, "rec") && (m.total == 3 || m.total == 4)) {
                replay_rec r = {.topic = cli_msg_data(&m, 1), .topic_len = cli_msg_size(&m, 1),
                                .json = cli_msg_data(&m, 2), .json_len = cli_msg_size(&m, 2)};
                if (m.total == 4) {
                    r.raw = cli_msg_data(&m, 3);
                    r.raw_len = cli_msg_size(&m, 3);
                }
                if (fn(arg, &r) != 0) {
                    rc = REPLAY_ABORT;
                    done = 1;
                }
            } else if (cli_msg_is(&m, 0, "end") && m.total == 2) {
                if (parse_end(cli_msg_data(&m, 1), cli_msg_size(&m, 1), end, err, errlen) != 0)
                    rc = REPLAY_FAIL;
                done = 1;
            } else if (cli_msg_is(&m, 0, "error")) {
                server_error(&m, err, errlen);
                rc = REPLAY_FAIL;
                done = 1;
            } else {
                snprintf(err, errlen, "unexpected message of %d frame(s) from %s", m.total,
                         c->endpoint);
                rc = REPLAY_FAIL;
                done = 1;
            }
            cli_msg_close(&m);
            if (done) {
                if (rc != REPLAY_OK)
                    reset_socket(c);
                return rc;
            }
        }
    }
}

int replay_all(replay_client *c, uint64_t since, replay_fn fn, void *arg, replay_end *end,
               uint64_t *history_from, char *err, size_t errlen)
{
    *history_from = 0;
    int first = 1;
    for (;;) {
        int rc = replay_page(c, since, fn, arg, end, err, errlen);
        if (rc != REPLAY_OK)
            return rc;
        if (first && end->first_seq > since + 1)
            *history_from = end->first_seq;
        first = 0;
        if (end->next >= end->last_seq)
            return REPLAY_OK;
        if (end->next <= since) {
            snprintf(err, errlen, "replay made no progress (since %llu, next %llu, last %llu)",
                     (unsigned long long)since, (unsigned long long)end->next,
                     (unsigned long long)end->last_seq);
            return REPLAY_FAIL;
        }
        since = end->next;
    }
}
