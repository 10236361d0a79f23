/*
 * push_ack.h — `enrich push --ack`: the acknowledged-feed client (cmd_push.c parses the options
 * and calls it). Touches only its own socket, the input files and stdout/stderr.
 */
#ifndef ENRICHD_TOOLS_PUSH_ACK_H
#define ENRICHD_TOOLS_PUSH_ACK_H

#include <stdint.h>

#define PUSH_ACK_DEFAULT_ENDPOINT "tcp://127.0.0.1:5556"
#define PUSH_ACK_DEFAULT_WINDOW 100
#define PUSH_ACK_DEFAULT_TIMEOUT_MS 5000
#define PUSH_ACK_DEFAULT_RETRIES 3

typedef struct push_ack_opts {
    const char *endpoint;
    uint64_t window;     /* articles in flight at most */
    uint64_t timeout_ms; /* resend an article not answered within this */
    uint64_t retries;    /* resends per article before it counts as unacknowledged */
    int quiet;           /* no line per rejected article */
    int print_acks;      /* one stdout line per answer: N, id, ok/error, seq/code */
    const char *server_key, *key; /* CURVE client key files (curve.c), or NULL: plain */
} push_ack_opts;

/* Sends each FILE (one frame each) or, with no file, each non-blank stdin line, and waits for
 * every answer. Prints the summary line on stdout. Returns CLI_EXIT_OK (all "ok"),
 * CLI_EXIT_REJECTED (all answered, some "error"), CLI_EXIT_FAIL (some unacknowledged, an
 * unreadable file, interrupted). */
int push_ack_run(const push_ack_opts *o, char **files, int nfiles);

#endif
