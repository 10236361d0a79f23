/*
 * publisher.c — the publisher thread: owns the output PUB socket. Gives every record (article or
 * error) the next seq (in memory, from 1), splices it into the body and publishes two frames
 * [topic][record]. Returns after one END from each sender (every worker and the receiver), so
 * everything received has been published when it exits.
 * May touch: from_pipeline, out (its sockets); counters; the publisher queue gauge (stats.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pipeline.h"

static void free_buffer(void *data, void *hint)
{
    (void)hint;
    free(data);
}

static int recv_part(void *sock, zmq_msg_t *msg)
{
    for (;;) {
        if (zmq_msg_recv(msg, sock, 0) >= 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

/* Publishes one record whose three frames are topic, body, seq_at. Returns 0, or -1 on ETERM. */
static int publish(ed_publisher *p, zmq_msg_t *topic_msg, zmq_msg_t *body, zmq_msg_t *seq_msg)
{
    char topic[ED_TOPIC_LEN];
    size_t tlen = zmq_msg_size(topic_msg);
    if (tlen >= sizeof topic)
        tlen = sizeof topic - 1;
    memcpy(topic, zmq_msg_data(topic_msg), tlen);
    topic[tlen] = '\0';

    uint64_t seq_at = 0;
    if (zmq_msg_size(seq_msg) == sizeof seq_at)
        memcpy(&seq_at, zmq_msg_data(seq_msg), sizeof seq_at);
    size_t body_len = zmq_msg_size(body);
    if (body_len == 0 || seq_at > body_len - 1) {
        ed_log_kv(ED_LOG_ERROR, "publisher: malformed pipeline message dropped", "topic", topic);
        return 0;
    }
    ed_record rec;
    memset(&rec, 0, sizeof rec);
    rec.json = zmq_msg_data(body); /* NUL-terminated: the sender includes the NUL */
    rec.len = body_len - 1;
    rec.seq_at = (size_t)seq_at;
    memcpy(rec.topic, topic, tlen + 1);

    size_t out_len = 0;
    char *out = ed_record_with_seq(&rec, p->seq + 1, &out_len);
    if (out == NULL) {
        ed_log_kv(ED_LOG_ERROR, "publisher: out of memory; record dropped", "topic", topic);
        ed_counters_error(&p->sh->counters, ED_ERR_INTERNAL);
        return 0;
    }
    p->seq++;
    zmq_msg_t out_msg;
    if (zmq_msg_init_data(&out_msg, out, out_len, free_buffer, NULL) != 0) {
        free(out);
        return 0;
    }
    /* PUB never blocks: a subscriber past its HWM loses messages, the daemon does not stall */
    if (zmq_send(p->out, topic, tlen, ZMQ_SNDMORE) < 0 ||
        zmq_msg_send(&out_msg, p->out, 0) < 0) {
        int e = errno;
        zmq_msg_close(&out_msg);
        if (e == ETERM)
            return -1;
        ed_log_kv(ED_LOG_ERROR, "publisher: send failed", "error", zmq_strerror(e));
        return 0;
    }
    ed_counters_published(&p->sh->counters, topic);
    return 0;
}

void *ed_publisher_thread(void *arg)
{
    ed_publisher *p = arg;
    size_t ends = 0;
    int fatal = 0;
    while (ends < p->nsenders && !fatal) {
        zmq_msg_t parts[3];
        for (int i = 0; i < 3; i++)
            zmq_msg_init(&parts[i]);
        if (recv_part(p->from_pipeline, &parts[0]) < 0) {
            fatal = 1;
        } else if (!zmq_msg_more(&parts[0])) {
            ends++; /* END from one sender */
        } else {
            int n = 1;
            while (n < 3 && zmq_msg_more(&parts[n - 1])) {
                if (recv_part(p->from_pipeline, &parts[n]) < 0) {
                    fatal = 1;
                    break;
                }
                n++;
            }
            /* swallow any unexpected extra frames */
            while (!fatal && zmq_msg_more(&parts[n - 1])) {
                zmq_msg_t extra;
                zmq_msg_init(&extra);
                fatal = recv_part(p->from_pipeline, &extra) < 0;
                int more = zmq_msg_more(&extra);
                zmq_msg_close(&extra);
                if (!more)
                    break;
            }
            if (n == 3)
                ed_stats_add(&p->sh->stats.publish_queued, -1);
            if (!fatal && n == 3 && publish(p, &parts[0], &parts[1], &parts[2]) < 0)
                fatal = 1;
        }
        for (int i = 0; i < 3; i++)
            zmq_msg_close(&parts[i]);
    }
    ed_close_socket(p->from_pipeline, 0);
    ed_close_socket(p->out, fatal ? 0 : ED_OUTPUT_LINGER_MS);
    p->from_pipeline = p->out = NULL;
    ed_shared_exit(p->sh);
    return NULL;
}
