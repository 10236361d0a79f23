/*
 * worker.c — a worker thread: takes ed_jobs from its own inproc pipe, runs the extraction
 * library on each (one resources reference per article, so a SIGHUP swap never disturbs work in
 * flight), builds the record body and pushes it to the publisher. An extraction failure becomes
 * an error record with the matching code; no message is lost. END: forward END and return.
 * May touch: from_receiver, to_publisher (its sockets); the resources slot; counters; its own
 * histograms and queue gauge (stats.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "pipeline.h"

/* Processes one job and frees it. Returns 0, or -1 when the publisher pipe is gone (ETERM). */
static int process(ed_worker *w, ed_job *job)
{
    ed_shared *sh = w->sh;
    const void *raw = zmq_msg_data(&job->frame);
    size_t raw_len = zmq_msg_size(&job->frame);
    ex_input in = {
        .text = job->env.text,
        .text_len = job->env.text_len,
        .lang_hint = job->env.lang,
        .published = job->env.published,
        .title = job->env.title,
        .received_ms = job->received_ms,
    };
    ex_resources *res = ed_res_slot_acquire(&sh->resources);
    ex_doc *doc = NULL;
    char err[EX_ERRLEN] = "";
    int64_t t0 = ed_stats_now_us();
    ex_status st = ex_extract(res, &in, &doc, err, sizeof err);
    ed_stats_extracted(&sh->stats, (size_t)w->index, st == EX_OK ? doc : NULL,
                       (uint64_t)(ed_stats_now_us() - t0));

    int rc = 0;
    ed_record rec;
    memset(&rec, 0, sizeof rec);
    if (st == EX_OK &&
        ed_record_article(&rec, &job->env, doc, sh->instance, job->received_ms) == 0) {
        ed_pipe_meta m = {.flags = job->pipe_flags, .id = job->env.id};
        if (ed_pipe_send_record(w->to_publisher, &rec, &m) == 0)
            ed_stats_add(&sh->stats.publish_queued, 1);
        else if (errno == ETERM)
            rc = -1;
        ed_record_release(&rec);
    } else {
        ed_errcode code = ED_ERR_INTERNAL;
        const char *why = "cannot build the article record (out of memory)";
        if (st != EX_OK) {
            code = ed_errcode_of_status(st);
            why = err[0] ? err : ex_status_name(st);
        }
        if (code == ED_ERR_INTERNAL) {
            ed_log_line line;
            if (ed_log_begin(&line, ED_LOG_ERROR, "extraction failed")) {
                ed_log_str(&line, "id", job->env.id);
                ed_log_str(&line, "error", why);
                ed_log_end(&line);
            }
        }
        ed_pipe_meta reply = {.flags = job->pipe_flags};
        rc = ed_pipe_send_error(sh, w->to_publisher, &job->env, code, why, raw, raw_len,
                                job->received_ms, job->pipe_flags ? &reply : NULL);
    }
    ex_doc_free(doc);
    ex_resources_unref(res);
    ed_envelope_release(&job->env);
    zmq_msg_close(&job->frame);
    free(job);
    ed_stats_add(ed_stats_worker_queue(&sh->stats, (size_t)w->index), -1);
    return rc;
}

void *ed_worker_thread(void *arg)
{
    ed_worker *w = arg;
    int fatal = 0;
    for (;;) {
        ed_job *job = NULL;
        int n = zmq_recv(w->from_receiver, &job, sizeof job, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            fatal = 1;
            break;
        }
        if (n == 0) { /* END: everything queued before it is done */
            if (ed_pipe_send_end(w->to_publisher) < 0)
                fatal = 1;
            break;
        }
        if (n != (int)sizeof job || job == NULL)
            continue; /* cannot happen: only the receiver writes this pipe */
        if (process(w, job) < 0) {
            fatal = 1;
            break;
        }
    }
    ed_close_socket(w->from_receiver, 0);
    ed_close_socket(w->to_publisher, fatal ? 0 : -1);
    w->from_receiver = w->to_publisher = NULL;
    ed_shared_exit(w->sh);
    return NULL;
}
