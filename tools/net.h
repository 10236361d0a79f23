/*
 * net.h — the ZeroMQ plumbing the network commands (push, tail, dlq) share: connecting with the
 * CLI's exit conventions, receiving a whole multipart message, and the SIGINT/SIGTERM self-pipe
 * that lets a zmq_poll loop stop cleanly. Touches only sockets the caller owns and the two
 * signal handlers it installs.
 *
 * Ownership: a cli_msg owns its zmq_msg_t frames until cli_msg_close.
 */
#ifndef ENRICHD_TOOLS_NET_H
#define ENRICHD_TOOLS_NET_H

#include <stddef.h>

#include <zmq.h>

#define CLI_MSG_MAX_FRAMES 8 /* frames kept per message; more are counted and dropped */

typedef struct cli_msg {
    zmq_msg_t part[CLI_MSG_MAX_FRAMES];
    int n;       /* frames kept */
    int total;   /* frames the message had */
} cli_msg;

/* Receives one whole message (flags: 0 or ZMQ_DONTWAIT for its first frame). Returns the number
 * of frames, or -1 with errno (EAGAIN, EINTR, ...); on -1 nothing is left to close. */
int cli_msg_recv(cli_msg *m, void *sock, int flags);
void cli_msg_close(cli_msg *m);
/* Frame i's bytes and size (i < n). */
const char *cli_msg_data(const cli_msg *m, int i);
size_t cli_msg_size(const cli_msg *m, int i);
/* 1 when frame i equals the NUL-terminated string s. */
int cli_msg_is(const cli_msg *m, int i, const char *s);

/* zmq_connect with the CLI's conventions: returns CLI_EXIT_OK, or prints why and returns
 * CLI_EXIT_USAGE (malformed endpoint) or CLI_EXIT_FAIL. */
int cli_connect(void *sock, const char *cmd, const char *endpoint);

/* 1 when the socket has a message waiting (ZMQ_EVENTS), else 0. */
int cli_sock_readable(void *sock);

/* Installs SIGINT/SIGTERM handlers that write to a self-pipe and ignores SIGPIPE. Returns the
 * pipe's read end to poll (readable = stop asked), or -1 with errno. */
int cli_signals_install(void);
void cli_signals_close(void);

#endif
