/*
 * publisher.c — the publisher thread: owns the output PUB socket and writes the journal. Takes
 * records from the pipeline in batches (up to ED_PUBLISH_BATCH), gives each the next seq
 * (continuing the journal's last seq), splices it into the body, appends the batch to the
 * journal in one LMDB transaction, THEN publishes each as [topic][record]. Syncs the journal when
 * journal.sync_records records or journal.sync_ms ms are unsynced, and only then sends the
 * notices for acked records to the receiver (so an "ok" reply survives kill -9 and power loss).
 * Applies age retention about once a second when idle. With output.backpressure = "block" the
 * PUB has ZMQ_XPUB_NODROP and a send waits for room (the pipeline stalls behind it).
 * Returns after one END from each sender (every worker and the receiver), after a last sync,
 * the last notices and an END notice, so everything received has been journaled, published
 * and acknowledged when it exits.
 * May touch: from_pipeline, out, notices (its sockets); the journal (the only writer);
 * counters (published, journal gauges); the publisher queue gauge (stats.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pipeline.h"

#define PARTS 5
#define RETAIN_EVERY_MS 1000
#define RETAIN_MAX_DELETE 10000

typedef struct item {
    zmq_msg_t parts[PARTS];
    int nparts;
    char topic[ED_TOPIC_LEN];
    size_t tlen;
    char *out;          /* the record with seq (malloc'd; moves into the PUB message) */
    size_t out_len;
    uint64_t seq;
    unsigned flags;
    int code;
    const unsigned char *rid;
    size_t rid_len;
    char id[ED_ID_MAX + 1];
    uint64_t raw_total;
} item;

typedef struct notice_buf {
    unsigned char *data; /* malloc'd notice frames, back to back */
    size_t *lens;
    size_t n, cap, bytes, bytes_cap;
} notice_buf;

typedef struct pub_state {
    ed_publisher *p;
    item batch[ED_PUBLISH_BATCH];
    size_t nbatch;
    notice_buf pending;     /* notices waiting for the next sync */
    uint64_t unsynced;      /* records committed since the last sync */
    int64_t sync_due_ms;    /* monotonic ms when the oldest unsynced record must be synced */
    int64_t next_retain_ms;
    int journal_broken_logged;
} pub_state;

static void free_buffer(void *data, void *hint)
{
    (void)hint;
    free(data);
}

static int64_t mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int recv_part(void *sock, zmq_msg_t *msg, int flags)
{
    for (;;) {
        if (zmq_msg_recv(msg, sock, flags) >= 0)
            return 0;
        if (errno != EINTR)
            return -1;
    }
}

static void update_gauges(pub_state *s)
{
    ed_journal *j = s->p->sh->journal;
    if (j == NULL)
        return;
    ed_journal_stats st;
    ed_journal_writer_stats(j, &st);
    ed_counters *c = &s->p->sh->counters;
    atomic_store_explicit(&c->journal_bytes, st.bytes, memory_order_relaxed);
    atomic_store_explicit(&c->journal_records, st.records, memory_order_relaxed);
    atomic_store_explicit(&c->journal_first_seq, st.first_seq, memory_order_relaxed);
    atomic_store_explicit(&c->journal_last_seq, st.last_seq, memory_order_relaxed);
    atomic_store_explicit(&c->journal_synced_seq, st.synced_seq, memory_order_relaxed);
}

static void journal_error(pub_state *s, const char *what, const char *err)
{
    atomic_fetch_add_explicit(&s->p->sh->counters.journal_errors, 1, memory_order_relaxed);
    ed_log_line line;
    if (ed_log_begin(&line, ED_LOG_ERROR, what)) {
        ed_log_str(&line, "error", err);
        ed_log_int(&line, "seq", (int64_t)s->p->seq);
        ed_log_end(&line);
    }
}

static int sync_now(pub_state *s);
static int publish_body(pub_state *s, item *it);
static int publish_body_topic(pub_state *s, item *it);

/* ---- notices to the receiver ---------------------------------------------------------------- */

static int send_notice_frame(pub_state *s, const void *data, size_t len)
{
    for (;;) {
        if (zmq_send(s->p->notices, data, len, 0) >= 0)
            return 0;
        if (errno != EINTR)
            return errno == ETERM ? -1 : 0;
    }
}

/* Builds the notice of it into out (≥ ED_NOTICE_HDR + 255 + ED_ID_MAX bytes); returns its
 * size. */
static size_t build_notice(const item *it, int status, unsigned char *out)
{
    size_t id_len = strlen(it->id);
    out[0] = (unsigned char)status;
    out[1] = (unsigned char)it->flags;
    out[2] = (unsigned char)it->rid_len;
    out[3] = (unsigned char)it->code;
    memcpy(out + 4, &it->seq, 8);
    if (it->rid_len)
        memcpy(out + ED_NOTICE_HDR, it->rid, it->rid_len);
    memcpy(out + ED_NOTICE_HDR + it->rid_len, it->id, id_len);
    return ED_NOTICE_HDR + it->rid_len + id_len;
}

/* Keeps a notice until the next sync. Returns 0, or -1 out of memory. */
static int pending_add(notice_buf *b, const unsigned char *data, size_t len)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        size_t *l = realloc(b->lens, cap * sizeof *l);
        if (l == NULL)
            return -1;
        b->lens = l;
        b->cap = cap;
    }
    if (b->bytes + len > b->bytes_cap) {
        size_t cap = b->bytes_cap ? b->bytes_cap : 16384;
        while (cap < b->bytes + len)
            cap *= 2;
        unsigned char *d = realloc(b->data, cap);
        if (d == NULL)
            return -1;
        b->data = d;
        b->bytes_cap = cap;
    }
    memcpy(b->data + b->bytes, data, len);
    b->bytes += len;
    b->lens[b->n++] = len;
    return 0;
}

/* Sends every pending notice (after a sync), or turns them into LOST when lost is set. */
static int pending_flush(pub_state *s, int lost)
{
    notice_buf *b = &s->pending;
    size_t off = 0;
    int rc = 0;
    for (size_t i = 0; i < b->n && rc == 0; i++) {
        if (lost)
            b->data[off] = ED_NOTICE_LOST;
        rc = send_notice_frame(s, b->data + off, b->lens[i]);
        off += b->lens[i];
    }
    b->n = 0;
    b->bytes = 0;
    return rc;
}

/* ---- journal sync ------------------------------------------------------------------------- */

/* Syncs the journal and releases the pending notices. Returns 0, or -1 on ETERM. */
static int sync_now(pub_state *s)
{
    ed_journal *j = s->p->sh->journal;
    int lost = 0;
    if (j != NULL && s->unsynced > 0) {
        char err[256];
        if (ed_journal_sync(j, err, sizeof err) != 0) {
            journal_error(s, "journal sync failed; acked records not answered", err);
            lost = 1;
        }
        update_gauges(s);
    }
    s->unsynced = 0;
    return pending_flush(s, lost);
}

static int sync_due(const pub_state *s, int64_t now)
{
    return s->unsynced > 0 &&
           (s->unsynced >= (uint64_t)s->p->sync_records || now >= s->sync_due_ms);
}

/* ---- one batch -------------------------------------------------------------------------- */

/* Fills it from its received frames. Returns 0, or -1 when the message is malformed. */
static int parse_item(pub_state *s, item *it)
{
    zmq_msg_t *topic_msg = &it->parts[0], *body = &it->parts[1], *seq_msg = &it->parts[2];
    size_t tlen = zmq_msg_size(topic_msg);
    if (tlen >= sizeof it->topic)
        tlen = sizeof it->topic - 1;
    memcpy(it->topic, zmq_msg_data(topic_msg), tlen);
    it->topic[tlen] = '\0';
    it->tlen = tlen;
    if (it->nparts != PARTS) {
        ed_log_kv(ED_LOG_ERROR, "publisher: malformed pipeline message dropped", "topic",
                  it->topic);
        return -1;
    }
    uint64_t seq_at = 0;
    if (zmq_msg_size(seq_msg) == sizeof seq_at)
        memcpy(&seq_at, zmq_msg_data(seq_msg), sizeof seq_at);
    size_t body_len = zmq_msg_size(body);
    const unsigned char *meta = zmq_msg_data(&it->parts[3]);
    size_t meta_len = zmq_msg_size(&it->parts[3]);
    if (body_len == 0 || seq_at > body_len - 1 || meta_len < ED_PIPE_META_HDR ||
        meta_len < (size_t)ED_PIPE_META_HDR + meta[1]) {
        ed_log_kv(ED_LOG_ERROR, "publisher: malformed pipeline message dropped", "topic",
                  it->topic);
        return -1;
    }
    it->flags = meta[0];
    it->rid_len = meta[1];
    it->code = meta[2];
    memcpy(&it->raw_total, meta + 3, 8);
    it->rid = meta + ED_PIPE_META_HDR;
    size_t id_len = meta_len - ED_PIPE_META_HDR - it->rid_len;
    if (id_len > ED_ID_MAX)
        id_len = ED_ID_MAX;
    memcpy(it->id, it->rid + it->rid_len, id_len);
    it->id[id_len] = '\0';

    ed_record rec;
    memset(&rec, 0, sizeof rec);
    rec.json = zmq_msg_data(body); /* NUL-terminated: the sender includes the NUL */
    rec.len = body_len - 1;
    rec.seq_at = (size_t)seq_at;
    memcpy(rec.topic, it->topic, tlen + 1);
    it->out = ed_record_with_seq(&rec, s->p->seq + 1, &it->out_len);
    if (it->out == NULL) {
        ed_log_kv(ED_LOG_ERROR, "publisher: out of memory; record dropped", "topic", it->topic);
        ed_counters_error(&s->p->sh->counters, ED_ERR_INTERNAL);
        return -1;
    }
    it->seq = ++s->p->seq;
    return 0;
}

/* Publishes it (its out buffer moves into the message). Returns 0, or -1 on ETERM. */
static int publish(pub_state *s, item *it)
{
    ed_publisher *p = s->p;
    /* block: before waiting for a slow subscriber, make what is journaled durable and answer
     * the producers, so a stall never stretches the unsynced window past journal.sync_ms */
    if (p->block) {
        int rc = zmq_send(p->out, it->topic, it->tlen, ZMQ_SNDMORE | ZMQ_DONTWAIT);
        if (rc < 0 && errno == EAGAIN && sync_now(s) < 0)
            return -1;
        if (rc >= 0)
            return publish_body(s, it);
    }
    return publish_body_topic(s, it);
}

/* Sends the topic frame (blocking when the PUB blocks), then the body. */
static int publish_body_topic(pub_state *s, item *it)
{
    ed_publisher *p = s->p;
    int rc;
    for (;;) {
        rc = zmq_send(p->out, it->topic, it->tlen, ZMQ_SNDMORE);
        if (rc >= 0 || errno != EINTR)
            break;
    }
    if (rc < 0) {
        int e = errno;
        free(it->out);
        it->out = NULL;
        if (e == ETERM)
            return -1;
        ed_log_kv(ED_LOG_ERROR, "publisher: send failed", "error", zmq_strerror(e));
        return 0;
    }
    return publish_body(s, it);
}

/* Sends the body frame after the topic went. Returns 0, or -1 on ETERM. */
static int publish_body(pub_state *s, item *it)
{
    ed_publisher *p = s->p;
    zmq_msg_t out_msg;
    if (zmq_msg_init_data(&out_msg, it->out, it->out_len, free_buffer, NULL) != 0) {
        free(it->out);
        it->out = NULL;
        return 0;
    }
    it->out = NULL;
    /* drop: PUB never blocks, a subscriber past its HWM loses messages (replay has them);
     * block: XPUB_NODROP, the send waits until every matching subscriber has room (checked
     * on the first frame of a message only) */
    int rc = -1;
    for (;;) {
        rc = zmq_msg_send(&out_msg, p->out, 0);
        if (rc >= 0 || errno != EINTR)
            break;
    }
    if (rc < 0) {
        int e = errno;
        zmq_msg_close(&out_msg);
        if (e == ETERM)
            return -1;
        ed_log_kv(ED_LOG_ERROR, "publisher: send failed", "error", zmq_strerror(e));
        return 0;
    }
    ed_counters_published(&p->sh->counters, it->topic);
    return 0;
}

/* Journals, publishes and queues the notices of the batch; frees it. Returns 0 or -1 (ETERM). */
static int flush_batch(pub_state *s)
{
    ed_publisher *p = s->p;
    ed_journal *j = p->sh->journal;
    int fatal = 0;
    int journaled = 0;
    size_t nvalid = 0;
    if (j != NULL) {
        ed_journal_entry e[ED_PUBLISH_BATCH];
        int64_t now = ed_now_ms();
        for (size_t i = 0; i < s->nbatch; i++) {
            item *it = &s->batch[i];
            if (it->out == NULL)
                continue;
            int article = strncmp(it->topic, "article.", 8) == 0;
            e[nvalid++] = (ed_journal_entry){
                .seq = it->seq, .time_ms = now, .topic = it->topic, .id = it->id,
                .json = it->out, .json_len = it->out_len,
                .raw = zmq_msg_data(&it->parts[4]), .raw_len = zmq_msg_size(&it->parts[4]),
                .raw_total = it->raw_total,
                .flags = (article && (it->flags & ED_PIPE_BYID)) ? ED_JOURNAL_INDEX_ID : 0u};
        }
        char err[256];
        if (nvalid == 0 || ed_journal_append(j, e, nvalid, now, err, sizeof err) == 0) {
            journaled = 1;
            if (nvalid > 0) {
                if (s->unsynced == 0)
                    s->sync_due_ms = mono_ms() + p->sync_ms;
                s->unsynced += nvalid;
            }
        } else {
            journal_error(s, "journal append failed; records published without it", err);
        }
        update_gauges(s);
    }
    for (size_t i = 0; i < s->nbatch; i++) {
        item *it = &s->batch[i];
        if (it->out != NULL && !fatal) {
            int acked = (it->flags & ED_PIPE_ACKED) && p->notices != NULL;
            unsigned char notice[ED_NOTICE_HDR + 255 + ED_ID_MAX];
            size_t nlen = 0;
            if (acked) {
                int status = strcmp(it->topic, "error") == 0 ? ED_NOTICE_ERROR : ED_NOTICE_OK;
                nlen = build_notice(it, journaled ? status : ED_NOTICE_LOST, notice);
            }
            if (publish(s, it) < 0)
                fatal = 1;
            if (acked && !fatal) {
                if (!journaled) {
                    fatal = send_notice_frame(s, notice, nlen) < 0;
                } else if (pending_add(&s->pending, notice, nlen) < 0) {
                    notice[0] = ED_NOTICE_LOST;
                    fatal = send_notice_frame(s, notice, nlen) < 0;
                }
            }
        }
        free(it->out);
        it->out = NULL;
        for (int k = 0; k < PARTS; k++)
            zmq_msg_close(&it->parts[k]);
    }
    s->nbatch = 0;
    return fatal ? -1 : 0;
}

/* Receives one whole message into it (parts). Returns 1 for a record, 0 for END, 2 when
 * nothing was waiting (DONTWAIT), -1 on ETERM. */
static int receive(ed_publisher *p, item *it, int flags)
{
    for (int k = 0; k < PARTS; k++)
        zmq_msg_init(&it->parts[k]);
    it->nparts = 0;
    it->out = NULL;
    if (recv_part(p->from_pipeline, &it->parts[0], flags) < 0) {
        int e = errno;
        for (int k = 0; k < PARTS; k++)
            zmq_msg_close(&it->parts[k]);
        return e == EAGAIN ? 2 : -1;
    }
    it->nparts = 1;
    if (!zmq_msg_more(&it->parts[0])) {
        for (int k = 0; k < PARTS; k++)
            zmq_msg_close(&it->parts[k]);
        return 0; /* END from one sender */
    }
    while (it->nparts < PARTS && zmq_msg_more(&it->parts[it->nparts - 1])) {
        if (recv_part(p->from_pipeline, &it->parts[it->nparts], 0) < 0) {
            for (int k = 0; k < PARTS; k++)
                zmq_msg_close(&it->parts[k]);
            return -1;
        }
        it->nparts++;
    }
    /* swallow any unexpected extra frames */
    int more = zmq_msg_more(&it->parts[it->nparts - 1]);
    while (more) {
        zmq_msg_t extra;
        zmq_msg_init(&extra);
        if (recv_part(p->from_pipeline, &extra, 0) < 0) {
            zmq_msg_close(&extra);
            for (int k = 0; k < PARTS; k++)
                zmq_msg_close(&it->parts[k]);
            return -1;
        }
        more = zmq_msg_more(&extra);
        zmq_msg_close(&extra);
        it->nparts = PARTS + 1; /* malformed */
    }
    return 1;
}

static void retain(pub_state *s)
{
    ed_journal *j = s->p->sh->journal;
    if (j == NULL)
        return;
    char err[256];
    if (ed_journal_retain(j, ed_now_ms(), RETAIN_MAX_DELETE, err, sizeof err) < 0)
        journal_error(s, "journal retention failed", err);
    update_gauges(s);
}

void *ed_publisher_thread(void *arg)
{
    ed_publisher *p = arg;
    pub_state *s = calloc(1, sizeof *s);
    size_t ends = 0;
    int fatal = s == NULL;
    if (s != NULL) {
        s->p = p;
        s->next_retain_ms = mono_ms() + RETAIN_EVERY_MS;
        update_gauges(s);
    }
    while (!fatal && ends < p->nsenders) {
        int64_t now = mono_ms();
        long timeout = -1;
        if (s->unsynced > 0)
            timeout = s->sync_due_ms > now ? (long)(s->sync_due_ms - now) : 0;
        if (p->sh->journal != NULL) {
            long until_retain = s->next_retain_ms > now ? (long)(s->next_retain_ms - now) : 0;
            if (timeout < 0 || until_retain < timeout)
                timeout = until_retain;
        }
        zmq_pollitem_t pi = {p->from_pipeline, 0, ZMQ_POLLIN, 0};
        int n = zmq_poll(&pi, 1, timeout);
        if (n < 0 && errno != EINTR) {
            fatal = 1;
            break;
        }
        if (n > 0) {
            /* everything waiting, up to one batch, and never past journal.sync_records
             * unsynced records */
            size_t room = ED_PUBLISH_BATCH;
            if (p->sh->journal != NULL) {
                uint64_t left = (uint64_t)p->sync_records > s->unsynced
                                    ? (uint64_t)p->sync_records - s->unsynced
                                    : 1;
                if (left < room)
                    room = (size_t)left;
            }
            while (s->nbatch < room && ends < p->nsenders) {
                item *it = &s->batch[s->nbatch];
                int rc = receive(p, it, ZMQ_DONTWAIT);
                if (rc < 0) {
                    fatal = 1;
                    break;
                }
                if (rc == 2)
                    break;
                if (rc == 0) {
                    ends++;
                    continue;
                }
                ed_stats_add(&p->sh->stats.publish_queued, -1);
                if (parse_item(s, it) < 0) {
                    for (int k = 0; k < PARTS; k++)
                        zmq_msg_close(&it->parts[k]);
                    continue;
                }
                s->nbatch++;
            }
            if (!fatal && s->nbatch > 0 && flush_batch(s) < 0)
                fatal = 1;
        }
        now = mono_ms();
        if (!fatal && (sync_due(s, now) || (p->sh->journal == NULL && s->pending.n > 0)) &&
            sync_now(s) < 0)
            fatal = 1;
        if (!fatal && p->sh->journal != NULL && now >= s->next_retain_ms) {
            retain(s);
            s->next_retain_ms = now + RETAIN_EVERY_MS;
        }
    }
    if (s != NULL) {
        for (size_t i = 0; i < s->nbatch; i++) {
            free(s->batch[i].out);
            for (int k = 0; k < PARTS; k++)
                zmq_msg_close(&s->batch[i].parts[k]);
        }
        if (!fatal) {
            /* everything is published: the last sync, the last notices, then END */
            s->unsynced += s->unsynced == 0 && s->pending.n > 0;
            if (sync_now(s) < 0 || (p->notices != NULL && send_notice_frame(s, "", 0) < 0))
                fatal = 1;
        }
        free(s->pending.data);
        free(s->pending.lens);
        free(s);
    }
    ed_close_socket(p->from_pipeline, 0);
    ed_close_socket(p->out, fatal ? 0 : ED_OUTPUT_LINGER_MS);
    ed_close_socket(p->notices, fatal ? 0 : -1);
    p->from_pipeline = p->out = p->notices = NULL;
    ed_shared_exit(p->sh);
    return NULL;
}
