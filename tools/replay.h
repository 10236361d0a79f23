/*
 * replay.h — the client side of enrichd's replay endpoint (docs/protocol.md, "Replay"): a DEALER
 * that asks for the journaled records after a seq, page by page, for `enrich tail --from` and
 * `enrich dlq`. Touches only its own socket (in the caller's ZeroMQ context).
 *
 * Ownership: a replay_client owns its socket; endpoint and topics are borrowed (argv) and must
 * outlive it. The record handed to the callback is borrowed for the duration of the call.
 */
#ifndef ENRICHD_TOOLS_REPLAY_H
#define ENRICHD_TOOLS_REPLAY_H

#include <stddef.h>
#include <stdint.h>

#define REPLAY_DEFAULT_ENDPOINT "tcp://127.0.0.1:5559"
#define REPLAY_DEFAULT_PAGE 1000
#define REPLAY_DEFAULT_TIMEOUT_MS 5000

typedef struct replay_rec {
    const char *topic, *json, *raw; /* raw: NULL unless asked for and sent (error records) */
    size_t topic_len, json_len, raw_len;
} replay_rec;

/* The end marker of one answer. */
typedef struct replay_end {
    uint64_t first_seq; /* oldest seq the journal holds (0 when empty) */
    uint64_t last_seq;  /* newest journaled seq */
    uint64_t next;      /* the since that continues */
    char instance[256];
} replay_end;

/* Called per record, in seq order. Returns 0 to go on, -1 to stop (replay_* → REPLAY_ABORT). */
typedef int (*replay_fn)(void *arg, const replay_rec *rec);

enum { REPLAY_OK = 0, REPLAY_FAIL = -1, REPLAY_STOP = -2, REPLAY_ABORT = -3 };

typedef struct replay_client {
    void *ctx, *sock;
    const char *endpoint;
    int timeout_ms;        /* longest wait for each message of an answer */
    int stop_fd;           /* a readable fd that means "stop" (the signal pipe), or -1 */
    uint64_t page;         /* "limit" of each request */
    const char *const *topics;
    int ntopics;           /* 0: every topic */
    int raw;               /* ask for the raw input of error records */
    const char *server_key, *key; /* CURVE client key files (curve.c), or NULL: plain */
} replay_client;

/* Creates the socket and connects. Returns CLI_EXIT_OK, or CLI_EXIT_USAGE / CLI_EXIT_FAIL with
 * a message printed for command cmd. The other fields are set by the caller before or after. */
int replay_open(replay_client *c, void *ctx, const char *endpoint, const char *cmd);
void replay_close(replay_client *c);

/* One request {"since": since, "limit": page, ...}: calls fn per record, fills end.
 * Returns REPLAY_OK; REPLAY_FAIL with err set (no answer within timeout_ms, an error answer, a
 * malformed message: the socket is then replaced so a late answer cannot be mistaken for the
 * next one); REPLAY_STOP when stop_fd became readable; REPLAY_ABORT when fn asked. */
int replay_page(replay_client *c, uint64_t since, replay_fn fn, void *arg, replay_end *end,
                char *err, size_t errlen);

/* Pages from since until the journal's end (next == last_seq). end gets the last marker;
 * *history_from gets the first marker's first_seq when records after since were already
 * deleted (first_seq > since + 1), else 0. Returns as replay_page. */
int replay_all(replay_client *c, uint64_t since, replay_fn fn, void *arg, replay_end *end,
               uint64_t *history_from, char *err, size_t errlen);

#endif
