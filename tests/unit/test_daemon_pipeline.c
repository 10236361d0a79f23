/*
 * test_daemon_pipeline.c — runs a real enrichd pipeline in-process (ed_daemon_start on loopback
 * ports chosen by the kernel) and drives it over ZeroMQ: articles and envelopes come out as
 * article records, every kind of bad input as an error record with its code, seq grows by one
 * per record, a reload changes input.max_bytes live, a bind conflict fails the start, and a stop
 * under load publishes everything that was received.
 * Needs the language packs: $ENRICHD_DATA (skips with 77 when unset).
 * May touch: loopback TCP ports, its own ZeroMQ context.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zmq.h>

#include "config.h"
#include "counters.h"
#include "daemon.h"
#include "envelope.h"

static const char *data_dir;

typedef struct harness {
    ed_config cfg;
    ed_daemon *d;
    void *zctx;
    void *push; /* to the feed */
    void *sub;  /* from the output */
    uint64_t last_seq;
} harness;

static void load_config(ed_config *cfg, long long max_bytes)
{
    char text[1024];
    snprintf(text, sizeof text,
             "instance = \"unit-1\";\n"
             "data_dir = \"%s\";\n"
             "workers = 2;\n"
             "drain_timeout_ms = 20000;\n"
             "log = { level = \"warn\"; };\n"
             "input = { max_bytes = %lld; };\n"
             "feed = { bind = [\"tcp://127.0.0.1:*\"]; hwm = 100000; };\n"
             "output = { bind = [\"tcp://127.0.0.1:*\"]; hwm = 1000000; };\n"
             "metrics = { bind = \"127.0.0.1:0\"; };\n",
             data_dir, max_bytes);
    char err[ED_CONFIG_ERRLEN];
    if (ed_config_load_string(text, "unit.conf", cfg, err, sizeof err) != 0)
        fail_msg("config: %s", err);
}

/* Receives one record within timeout_ms; returns its JSON (caller decrefs) and topic. */
static json_t *recv_record(harness *h, char topic[32], int timeout_ms)
{
    zmq_pollitem_t item = {h->sub, 0, ZMQ_POLLIN, 0};
    if (zmq_poll(&item, 1, timeout_ms) <= 0)
        return NULL;
    zmq_msg_t t, body;
    zmq_msg_init(&t);
    zmq_msg_init(&body);
    assert_true(zmq_msg_recv(&t, h->sub, 0) >= 0);
    assert_true(zmq_msg_more(&t));
    assert_true(zmq_msg_recv(&body, h->sub, 0) >= 0);
    assert_false(zmq_msg_more(&body));
    size_t tl = zmq_msg_size(&t) < 31 ? zmq_msg_size(&t) : 31;
    memcpy(topic, zmq_msg_data(&t), tl);
    topic[tl] = '\0';
    json_error_t je;
    json_t *rec = json_loadb(zmq_msg_data(&body), zmq_msg_size(&body), 0, &je);
    if (rec == NULL)
        fail_msg("record is not JSON: %s", je.text);
    zmq_msg_close(&t);
    zmq_msg_close(&body);
    /* seq: one more than the last, always */
    json_t *seq = json_object_get(rec, "seq");
    assert_true(json_is_integer(seq));
    if (h->last_seq != 0)
        assert_int_equal((uint64_t)json_integer_value(seq), h->last_seq + 1);
    h->last_seq = (uint64_t)json_integer_value(seq);
    assert_string_equal(json_string_value(json_object_get(rec, "instance")), "unit-1");
    return rec;
}

static void send_frame(harness *h, const void *bytes, size_t len)
{
    assert_int_equal(zmq_send(h->push, bytes, len, 0), (int)len);
}

static void send_str(harness *h, const char *s) { send_frame(h, s, strlen(s)); }

static void start(harness *h, long long max_bytes)
{
    memset(h, 0, sizeof *h);
    load_config(&h->cfg, max_bytes);
    char err[512];
    if (ed_daemon_start(&h->cfg, &h->d, err, sizeof err) != 0)
        fail_msg("ed_daemon_start: %s", err);
    h->zctx = zmq_ctx_new();
    h->push = zmq_socket(h->zctx, ZMQ_PUSH);
    h->sub = zmq_socket(h->zctx, ZMQ_SUB);
    int zero = 0;
    zmq_setsockopt(h->sub, ZMQ_RCVHWM, &zero, sizeof zero);
    zmq_setsockopt(h->push, ZMQ_SNDHWM, &zero, sizeof zero);
    zmq_setsockopt(h->sub, ZMQ_SUBSCRIBE, "", 0);
    assert_int_equal(zmq_connect(h->sub, ed_daemon_endpoint(h->d, "output", 0)), 0);
    assert_int_equal(zmq_connect(h->push, ed_daemon_endpoint(h->d, "feed", 0)), 0);
    assert_null(ed_daemon_endpoint(h->d, "feed", 1));
    assert_non_null(strstr(ed_daemon_endpoint(h->d, "feed", 0), "tcp://127.0.0.1:"));
    /* subscriptions take a moment: probe until a record comes back */
    for (int i = 0; i < 100; i++) {
        send_str(h, "Sonde : le service répond-il ?");
        char topic[32];
        json_t *rec = recv_record(h, topic, 100);
        if (rec != NULL) {
            json_decref(rec);
            break;
        }
        assert_true(i < 99);
    }
    /* drain late probe answers */
    char topic[32];
    json_t *rec;
    while ((rec = recv_record(h, topic, 300)) != NULL)
        json_decref(rec);
}

static void stop(harness *h)
{
    assert_int_equal(ed_daemon_stop(h->d, h->cfg.drain_timeout_ms, NULL, NULL), 0);
    ed_daemon_free(h->d);
    ed_config_free(&h->cfg);
    int zero = 0;
    zmq_setsockopt(h->push, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(h->push);
    zmq_close(h->sub);
    zmq_ctx_term(h->zctx);
}

typedef struct expected {
    const char *id;   /* record id */
    const char *code; /* error code, or NULL for an article */
    int seen;
} expected;

static void test_records(void **state)
{
    (void)state;
    harness h;
    start(&h, 4096);

    const char *article = "Le conseil municipal de Lyon a voté mardi un budget de 12 millions "
                          "d'euros pour rénover les écoles du quartier.";
    const char *envelope = "{\"id\":\"env-1\",\"lang\":\"en\",\"title\":\"Harbour reopens\","
                           "\"meta\":{\"desk\":\"city\",\"n\":[1,2]},"
                           "\"text\":\"The harbour reopened on Monday after three weeks of "
                           "repairs, the port authority said.\"}";
    const unsigned char bad_utf8[] = {'L', 'e', ' ', 0xC3, 0x28, ' ', 'x'};
    char big[5000];
    memset(big, 'a', sizeof big);

    char id_article[33], id_utf8[33], id_json[33], id_missing[33], id_empty[33], id_big[33],
        id_frames[33];
    ed_hash_id(article, strlen(article), id_article);
    ed_hash_id(bad_utf8, sizeof bad_utf8, id_utf8);
    ed_hash_id("{\"text\": ", 9, id_json);
    ed_hash_id("{\"title\":\"x\"}", 13, id_missing);
    ed_hash_id(" \n\t ", 4, id_empty);
    ed_hash_id(big, sizeof big, id_big);
    ed_hash_id("part one", 8, id_frames);

    send_str(&h, article);
    send_str(&h, envelope);
    send_frame(&h, bad_utf8, sizeof bad_utf8);
    send_str(&h, "{\"text\": ");
    send_str(&h, "{\"title\":\"x\"}");
    send_str(&h, " \n\t ");
    send_frame(&h, big, sizeof big);
    assert_int_equal(zmq_send(h.push, "part one", 8, ZMQ_SNDMORE), 8);
    assert_int_equal(zmq_send(h.push, "part two", 8, 0), 8);

    expected want[] = {
        {id_article, NULL, 0},          {"env-1", NULL, 0},
        {id_utf8, "invalid_utf8", 0},   {id_json, "invalid_json", 0},
        {id_missing, "missing_text", 0}, {id_empty, "empty", 0},
        {id_big, "too_large", 0},       {id_frames, "bad_frames", 0},
    };
    size_t nwant = sizeof want / sizeof want[0];
    for (size_t k = 0; k < nwant; k++) {
        char topic[32];
        json_t *rec = recv_record(&h, topic, 10000);
        if (rec == NULL)
            fail_msg("only %zu of %zu records came out", k, nwant);
        const char *id = json_string_value(json_object_get(rec, "id"));
        assert_non_null(id);
        expected *e = NULL;
        for (size_t i = 0; i < nwant; i++)
            if (strcmp(want[i].id, id) == 0)
                e = &want[i];
        if (e == NULL)
            fail_msg("unexpected record id %s (topic %s)", id, topic);
        assert_int_equal(e->seen, 0);
        e->seen = 1;
        if (e->code == NULL) {
            assert_string_equal(json_string_value(json_object_get(rec, "schema")),
                                "enrichd.article/1");
            assert_true(strncmp(topic, "article.", 8) == 0);
            assert_non_null(json_object_get(rec, "text"));
            if (strcmp(id, "env-1") == 0) {
                assert_string_equal(topic, "article.en");
                json_t *meta = json_object_get(rec, "meta");
                assert_string_equal(json_string_value(json_object_get(meta, "desk")), "city");
                assert_int_equal(json_array_size(json_object_get(meta, "n")), 2);
            }
        } else {
            assert_string_equal(topic, "error");
            assert_string_equal(json_string_value(json_object_get(rec, "schema")),
                                "enrichd.error/1");
            json_t *err = json_object_get(rec, "error");
            assert_string_equal(json_string_value(json_object_get(err, "code")), e->code);
        }
        json_decref(rec);
    }
    const ed_counters *c = ed_daemon_counters(h.d);
    assert_int_equal(atomic_load(&c->errors[ED_ERR_TOO_LARGE]), 1);
    assert_int_equal(atomic_load(&c->errors[ED_ERR_BAD_FRAMES]), 1);
    assert_int_equal(atomic_load(&c->errors[ED_ERR_INVALID_UTF8]), 1);
    assert_int_equal(ed_counters_errors_total(c), 6);

    /* reload: a larger max_bytes applies at once, the same frame is now an article */
    ed_config bigger;
    load_config(&bigger, 100000);
    char err[512];
    char gen_before[128], gen_after[128];
    ed_daemon_generation(h.d, gen_before, sizeof gen_before);
    if (ed_daemon_reload(h.d, &bigger, err, sizeof err) != 0)
        fail_msg("reload: %s", err);
    ed_daemon_generation(h.d, gen_after, sizeof gen_after);
    assert_string_not_equal(gen_before, gen_after);
    ed_config_free(&bigger);
    char text[6000];
    snprintf(text, sizeof text, "%s", "La rénovation du port a duré trois semaines. ");
    while (strlen(text) < 4500)
        strcat(text, "Les dockers ont repris le travail lundi matin. ");
    send_str(&h, text);
    char topic[32];
    json_t *rec = recv_record(&h, topic, 10000);
    assert_non_null(rec);
    assert_true(strncmp(topic, "article.", 8) == 0);
    json_decref(rec);

    /* a reload with a data_dir that cannot load fails and changes nothing */
    ed_config broken;
    load_config(&broken, 10);
    free(broken.data_dir);
    broken.data_dir = strdup("/nonexistent/enrichd-data");
    assert_int_equal(ed_daemon_reload(h.d, &broken, err, sizeof err), -1);
    assert_non_null(strstr(err, "/nonexistent/enrichd-data"));
    ed_config_free(&broken);
    send_str(&h, text); /* max_bytes is still 100000 */
    rec = recv_record(&h, topic, 10000);
    assert_non_null(rec);
    assert_true(strncmp(topic, "article.", 8) == 0);
    json_decref(rec);

    stop(&h);
}

static void test_bind_conflict(void **state)
{
    (void)state;
    harness h;
    start(&h, 4096);
    ed_config clash;
    load_config(&clash, 4096);
    free(clash.feed.bind[0]);
    clash.feed.bind[0] = strdup(ed_daemon_endpoint(h.d, "feed", 0));
    ed_daemon *d2 = NULL;
    char err[512] = "";
    assert_int_equal(ed_daemon_start(&clash, &d2, err, sizeof err), -1);
    assert_null(d2);
    assert_non_null(strstr(err, "cannot bind feed socket"));
    ed_config_free(&clash);
    stop(&h);
}

static void test_stop_under_load(void **state)
{
    (void)state;
    harness h;
    start(&h, 100000);
    const ed_counters *c = ed_daemon_counters(h.d);
    uint64_t before = atomic_load(&c->published);
    enum { N = 3000 };
    char text[800];
    for (int i = 0; i < N; i++) {
        snprintf(text, sizeof text,
                 "Dépêche %d. Le ministre de l'Économie a présenté jeudi à Bercy un plan de "
                 "relance de 2,5 milliards d'euros, selon un communiqué publié dans la soirée.",
                 i);
        send_str(&h, text);
    }
    usleep(20000); /* let some arrive, not all */
    assert_int_equal(ed_daemon_stop(h.d, h.cfg.drain_timeout_ms, NULL, NULL), 0);
    uint64_t received = atomic_load(&c->received);
    uint64_t published = atomic_load(&c->published);
    assert_int_equal(published, received);
    assert_int_equal(ed_counters_errors_total(c), 0);
    /* everything published reached the subscriber, in seq order */
    uint64_t got = 0;
    char topic[32];
    json_t *rec;
    while ((rec = recv_record(&h, topic, 1000)) != NULL) {
        got++;
        json_decref(rec);
    }
    assert_int_equal(got, published - before);
    print_message("stop under load: %llu of %d received before the stop, all published\n",
                  (unsigned long long)(received - before), N);
    ed_daemon_free(h.d);
    ed_config_free(&h.cfg);
    int zero = 0;
    zmq_setsockopt(h.push, ZMQ_LINGER, &zero, sizeof zero);
    zmq_close(h.push);
    zmq_close(h.sub);
    zmq_ctx_term(h.zctx);
}

int main(void)
{
    data_dir = getenv("ENRICHD_DATA");
    if (data_dir == NULL || *data_dir == '\0' || access(data_dir, R_OK) != 0) {
        printf("SKIP: ENRICHD_DATA (language packs) absent\n");
        return 77;
    }
    ed_log_set_level(ED_LOG_WARN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records),
        cmocka_unit_test(test_bind_conflict),
        cmocka_unit_test(test_stop_under_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
