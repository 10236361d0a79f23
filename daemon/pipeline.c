/*
 * pipeline.c — helpers shared by the receiver, worker and publisher threads (see pipeline.h):
 * moving a record into an inproc message without copying, END sentinels, thread exit
 * bookkeeping, socket close.
 * May touch: the socket passed in by the calling thread; ed_shared's exit counter.
 */
#include "pipeline.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

int64_t ed_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void ed_shared_exit(ed_shared *sh)
{
    pthread_mutex_lock(&sh->exit_mu);
    sh->alive--;
    pthread_cond_broadcast(&sh->exit_cv);
    pthread_mutex_unlock(&sh->exit_mu);
}

static void free_buffer(void *data, void *hint)
{
    (void)hint;
    free(data);
}

/* zmq_send that retries on EINTR. */
static int send_retry(void *sock, const void *buf, size_t len, int flags)
{
    for (;;) {
        if (zmq_send(sock, buf, len, flags) >= 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

int ed_pipe_send_record(void *sock, ed_record *rec, const ed_pipe_meta *m)
{
    char *json = rec->json;
    size_t len = rec->len;
    rec->json = NULL;
    rec->len = 0;
    zmq_msg_t body;
    if (zmq_msg_init_data(&body, json, len + 1, free_buffer, NULL) != 0) {
        free(json);
        return -1;
    }
    /* meta frame: flags, rid_len, code, raw_total, rid, id */
    static const ed_pipe_meta none = {.id = ""};
    if (m == NULL)
        m = &none;
    const char *id = m->id ? m->id : "";
    size_t rid_len = m->rid != NULL ? (m->rid_len > 255 ? 255 : m->rid_len) : 0;
    size_t id_len = strlen(id);
    unsigned char meta[ED_PIPE_META_HDR + 255 + ED_ID_MAX + 1];
    if (id_len > ED_ID_MAX)
        id_len = ED_ID_MAX;
    meta[0] = (unsigned char)m->flags;
    meta[1] = (unsigned char)rid_len;
    meta[2] = (unsigned char)m->code;
    memcpy(meta + 3, &m->raw_total, 8);
    if (rid_len)
        memcpy(meta + ED_PIPE_META_HDR, m->rid, rid_len);
    memcpy(meta + ED_PIPE_META_HDR + rid_len, id, id_len);
    size_t meta_len = ED_PIPE_META_HDR + rid_len + id_len;

    uint64_t seq_at = rec->seq_at;
    if (send_retry(sock, rec->topic, strlen(rec->topic), ZMQ_SNDMORE) < 0) {
        zmq_msg_close(&body);
        return -1;
    }
    for (;;) {
        if (zmq_msg_send(&body, sock, ZMQ_SNDMORE) >= 0)
            break;
        if (errno != EINTR) {
            int saved = errno;
            zmq_msg_close(&body);
            errno = saved;
            return -1;
        }
    }
    if (send_retry(sock, &seq_at, sizeof seq_at, ZMQ_SNDMORE) < 0 ||
        send_retry(sock, meta, meta_len, ZMQ_SNDMORE) < 0)
        return -1;
    return send_retry(sock, m->raw_len ? m->raw : "", m->raw_len, 0);
}

int ed_pipe_send_end(void *sock) { return send_retry(sock, "", 0, 0); }

void ed_close_socket(void *sock, int linger_ms)
{
    if (sock == NULL)
        return;
    zmq_setsockopt(sock, ZMQ_LINGER, &linger_ms, sizeof linger_ms);
    zmq_close(sock);
}

int ed_pipe_send_error(ed_shared *sh, void *to_publisher, const ed_envelope *env,
                       ed_errcode code, const char *message, const void *raw, size_t raw_len,
                       int64_t received_ms, const ed_pipe_meta *reply)
{
    ed_record rec;
    memset(&rec, 0, sizeof rec);
    ed_counters_error(&sh->counters, code);
    if (ed_record_error(&rec, env, code, message, raw, raw_len, sh->instance, received_ms) != 0) {
        ed_log_line line;
        if (ed_log_begin(&line, ED_LOG_ERROR, "cannot build an error record")) {
            ed_log_str(&line, "code", ed_errcode_name(code));
            ed_log_str(&line, "error", "out of memory");
            ed_log_end(&line);
        }
        return 0;
    }
    ed_pipe_meta m;
    if (reply != NULL)
        m = *reply;
    else
        memset(&m, 0, sizeof m);
    char hashed[33];
    if (env != NULL) {
        m.id = env->id;
    } else {
        ed_hash_id(raw, raw_len, hashed);
        m.id = hashed;
    }
    m.code = (int)code;
    m.raw = raw;
    m.raw_len = raw_len < sh->raw_max ? raw_len : sh->raw_max;
    m.raw_total = raw_len;
    int rc = ed_pipe_send_record(to_publisher, &rec, &m);
    ed_record_release(&rec);
    if (rc < 0)
        return errno == ETERM ? -1 : 0;
    ed_stats_add(&sh->stats.publish_queued, 1);
    return 0;
}
