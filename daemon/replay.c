/*
 * replay.c — the replay thread: owns the replay ROUTER (docs/protocol.md "Replay"). For each
 * request {"since": S, "limit": N, "topics": [...], "raw": bool} it reads the journal in one
 * LMDB read transaction (the env is shared read-only with the publisher, which writes) and
 * answers one message per record, ["rec"][topic][record] (+ [raw] for error records when asked),
 * in seq order, then ["end"][{"first_seq","last_seq","next","instance"}]; a bad request gets
 * ["error"][{"message"}]. A request with an empty delimiter frame first (REQ) gets replies that
 * start with one too. ROUTER_MANDATORY is off: replies to a client that vanished are dropped;
 * the send HWM (replay.hwm ≥ 2 × max_limit + 2) holds a whole answer.
 * May touch: sock, ctl (its sockets); the journal (read only).
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pipeline.h"

#define DEFAULT_LIMIT 1000
#define TOPICS_MAX 32
#define REQUEST_MAX_BYTES 65536
#define SCAN_FACTOR 20 /* records looked at per request: at most SCAN_FACTOR × max_limit */

typedef struct request {
    uint64_t since;
    size_t limit;
    const char *topics[TOPICS_MAX];
    size_t topic_len[TOPICS_MAX];
    size_t ntopics;   /* 0 = every topic */
    int raw;
} request;

typedef struct answer {
    ed_replay *r;
    const void *rid;
    size_t rid_len;
    int delim;
    const request *req;
    size_t sent;
    uint64_t last_sent;
    int fatal;
} answer;

/* Sends the routing envelope (rid, optional delimiter). Returns 0 or -1. */
static int send_head(ed_replay *r, const void *rid, size_t rid_len, int delim)
{
    if (zmq_send(r->sock, rid, rid_len, ZMQ_SNDMORE) < 0)
        return -1;
    if (delim && zmq_send(r->sock, "", 0, ZMQ_SNDMORE) < 0)
        return -1;
    return 0;
}

static int send_json(ed_replay *r, const void *rid, size_t rid_len, int delim, const char *kind,
                     json_t *body)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    if (text == NULL)
        return 0;
    int rc = 0;
    if (send_head(r, rid, rid_len, delim) < 0 ||
        zmq_send(r->sock, kind, strlen(kind), ZMQ_SNDMORE) < 0 ||
        zmq_send(r->sock, text, strlen(text), 0) < 0)
        rc = errno == ETERM ? -1 : 0;
    free(text);
    return rc;
}

static int send_error(ed_replay *r, const void *rid, size_t rid_len, int delim, const char *msg)
{
    return send_json(r, rid, rid_len, delim, "error", json_pack("{s:s}", "message", msg));
}

static int topic_wanted(const request *req, const ed_journal_rec *rec)
{
    if (req->ntopics == 0)
        return 1;
    for (size_t i = 0; i < req->ntopics; i++)
        if (req->topic_len[i] <= rec->topic_len &&
            memcmp(req->topics[i], rec->topic, req->topic_len[i]) == 0)
            return 1;
    return 0;
}

static int visit(void *arg, const ed_journal_rec *rec)
{
    answer *a = arg;
    if (!topic_wanted(a->req, rec))
        return 0;
    int is_error = rec->topic_len == 5 && memcmp(rec->topic, "error", 5) == 0;
    int with_raw = a->req->raw && is_error;
    ed_replay *r = a->r;
    if (send_head(r, a->rid, a->rid_len, a->delim) < 0 ||
        zmq_send(r->sock, "rec", 3, ZMQ_SNDMORE) < 0 ||
        zmq_send(r->sock, rec->topic, rec->topic_len, ZMQ_SNDMORE) < 0 ||
        zmq_send(r->sock, rec->json, rec->json_len, with_raw ? ZMQ_SNDMORE : 0) < 0 ||
        (with_raw && zmq_send(r->sock, rec->raw ? rec->raw : "", rec->raw_len, 0) < 0)) {
        if (errno == ETERM) {
            a->fatal = 1;
            return 2;
        }
    }
    a->sent++;
    a->last_sent = rec->seq;
    return a->sent >= a->req->limit ? 1 : 0;
}

/* Parses the request JSON into req (strings borrowed from root). Returns NULL or a message. */
static const char *parse_request(json_t *root, int max_limit, request *req, char *why,
                                 size_t whylen)
{
    memset(req, 0, sizeof *req);
    req->limit = DEFAULT_LIMIT < max_limit ? DEFAULT_LIMIT : (size_t)max_limit;
    if (!json_is_object(root))
        return "the request must be a JSON object";
    json_t *since = json_object_get(root, "since");
    if (since == NULL)
        return "'since' is required (the last seq you have; 0 for everything)";
    if (!json_is_integer(since) || json_integer_value(since) < 0)
        return "'since' must be an integer >= 0";
    req->since = (uint64_t)json_integer_value(since);
    json_t *limit = json_object_get(root, "limit");
    if (limit != NULL) {
        if (!json_is_integer(limit) || json_integer_value(limit) < 1)
            return "'limit' must be an integer >= 1";
        json_int_t l = json_integer_value(limit);
        req->limit = l > max_limit ? (size_t)max_limit : (size_t)l;
    }
    json_t *topics = json_object_get(root, "topics");
    if (topics != NULL && !json_is_null(topics)) {
        if (!json_is_array(topics))
            return "'topics' must be an array of strings";
        if (json_array_size(topics) > TOPICS_MAX) {
            snprintf(why, whylen, "'topics' has %zu entries; at most %d",
                     json_array_size(topics), TOPICS_MAX);
            return why;
        }
        size_t i;
        json_t *t;
        json_array_foreach(topics, i, t) {
            if (!json_is_string(t))
                return "'topics' must be an array of strings";
            req->topics[i] = json_string_value(t);
            req->topic_len[i] = json_string_length(t);
            req->ntopics++;
        }
        if (req->ntopics == 0)
            req->ntopics = 0; /* [] = every topic, like no filter */
    }
    json_t *raw = json_object_get(root, "raw");
    if (raw != NULL && !json_is_null(raw)) {
        if (!json_is_boolean(raw))
            return "'raw' must be true or false";
        req->raw = json_is_true(raw);
    }
    return NULL;
}

/* Handles one request message. Returns 0, or -1 on ETERM. */
static int serve(ed_replay *r)
{
    zmq_msg_t f[4];
    size_t nf = 0, total = 0;
    for (;;) {
        zmq_msg_t msg;
        zmq_msg_init(&msg);
        if (zmq_msg_recv(&msg, r->sock, nf == 0 && total == 0 ? ZMQ_DONTWAIT : 0) < 0) {
            int e = errno;
            zmq_msg_close(&msg);
            if (e == EINTR)
                continue;
            for (size_t i = 0; i < nf; i++)
                zmq_msg_close(&f[i]);
            return (e == EAGAIN && total == 0) ? 0 : -1;
        }
        total++;
        int more = zmq_msg_more(&msg);
        if (nf < 4) {
            zmq_msg_init(&f[nf]);
            zmq_msg_move(&f[nf++], &msg);
        }
        zmq_msg_close(&msg);
        if (!more)
            break;
    }
    int rc = 0;
    if (nf < 2)
        goto done;
    const void *rid = zmq_msg_data(&f[0]);
    size_t rid_len = zmq_msg_size(&f[0]);
    int delim = total >= 3 && zmq_msg_size(&f[1]) == 0;
    size_t body_at = delim ? 2 : 1;
    if (total != body_at + 1) {
        rc = send_error(r, rid, rid_len, delim,
                        "a replay request is one frame: a JSON object {\"since\": SEQ, ...}");
        goto done;
    }
    size_t len = zmq_msg_size(&f[body_at]);
    if (len > REQUEST_MAX_BYTES) {
        rc = send_error(r, rid, rid_len, delim, "request too large");
        goto done;
    }
    json_error_t jerr;
    json_t *root = json_loadb(zmq_msg_data(&f[body_at]), len, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        char msg[256];
        snprintf(msg, sizeof msg, "the request is not JSON: %s", jerr.text);
        rc = send_error(r, rid, rid_len, delim, msg);
        goto done;
    }
    request req;
    char why[128];
    const char *bad = parse_request(root, r->max_limit, &req, why, sizeof why);
    if (bad != NULL) {
        rc = send_error(r, rid, rid_len, delim, bad);
        json_decref(root);
        goto done;
    }
    answer a = {.r = r, .rid = rid, .rid_len = rid_len, .delim = delim, .req = &req,
                .last_sent = req.since};
    ed_journal_stats st;
    memset(&st, 0, sizeof st);
    uint64_t last_visited = req.since;
    char err[256] = "";
    int scan = ed_journal_scan(r->sh->journal, req.since, (size_t)r->max_limit * SCAN_FACTOR,
                               visit, &a, &st, &last_visited, err, sizeof err);
    if (a.fatal) {
        json_decref(root);
        rc = -1;
        goto done;
    }
    if (scan < 0) {
        ed_log_kv(ED_LOG_ERROR, "replay: journal read failed", "error", err);
        rc = send_error(r, rid, rid_len, delim, "journal read failed");
        json_decref(root);
        goto done;
    }
    /* next: where the client continues — the last record looked at when the scan stopped
     * early (limit or scan bound), else the newest journaled seq */
    uint64_t next;
    if (scan == 1)
        next = a.last_sent;
    else if (last_visited < st.last_seq && last_visited > req.since)
        next = last_visited; /* stopped by the scan bound */
    else
        next = st.last_seq;
    json_decref(root);
    rc = send_json(r, rid, rid_len, delim, "end",
                   json_pack("{s:I,s:I,s:I,s:s}", "first_seq", (json_int_t)st.first_seq,
                             "last_seq", (json_int_t)st.last_seq, "next", (json_int_t)next,
                             "instance", r->sh->instance));
done:
    for (size_t i = 0; i < nf; i++)
        zmq_msg_close(&f[i]);
    return rc;
}

void *ed_replay_thread(void *arg)
{
    ed_replay *r = arg;
    int fatal = 0;
    for (;;) {
        zmq_pollitem_t items[2] = {{r->ctl, 0, ZMQ_POLLIN, 0}, {r->sock, 0, ZMQ_POLLIN, 0}};
        if (zmq_poll(items, 2, -1) < 0) {
            if (errno == EINTR)
                continue;
            fatal = 1;
            break;
        }
        if (items[0].revents & ZMQ_POLLIN)
            break; /* STOP (the only command) */
        if (items[1].revents & ZMQ_POLLIN) {
            for (int i = 0; i < 16; i++) {
                zmq_pollitem_t pi = {r->sock, 0, ZMQ_POLLIN, 0};
                if (zmq_poll(&pi, 1, 0) <= 0)
                    break;
                if (serve(r) < 0) {
                    fatal = 1;
                    break;
                }
            }
            if (fatal)
                break;
        }
    }
    ed_close_socket(r->ctl, 0);
    ed_close_socket(r->sock, fatal ? 0 : 500);
    r->ctl = r->sock = NULL;
    ed_shared_exit(r->sh);
    return NULL;
}
