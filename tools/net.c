/*
 * net.c — the ZeroMQ helpers of net.h, shared by push, tail and dlq. Touches only sockets its
 * callers own, and the SIGINT/SIGTERM/SIGPIPE dispositions of this process.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "net.h"

int cli_msg_recv(cli_msg *m, void *sock, int flags)
{
    m->n = 0;
    m->total = 0;
    int more = 1;
    zmq_msg_t spill;
    while (more) {
        zmq_msg_t *dst = m->n < CLI_MSG_MAX_FRAMES ? &m->part[m->n] : &spill;
        zmq_msg_init(dst);
        /* Only the first frame may be refused with EAGAIN: the rest of a message is there. */
        int rc = zmq_msg_recv(dst, sock, m->total == 0 ? flags : 0);
        if (rc < 0) {
            int e = errno;
            zmq_msg_close(dst);
            if (m->total > 0 && e == EINTR)
                continue;
            cli_msg_close(m);
            errno = e;
            return -1;
        }
        more = zmq_msg_more(dst);
        m->total++;
        if (dst == &spill)
            zmq_msg_close(&spill);
        else
            m->n++;
    }
    return m->total;
}

void cli_msg_close(cli_msg *m)
{
    for (int i = 0; i < m->n; i++)
        zmq_msg_close(&m->part[i]);
    m->n = 0;
}

const char *cli_msg_data(const cli_msg *m, int i)
{
    return (const char *)zmq_msg_data((zmq_msg_t *)&m->part[i]);
}

size_t cli_msg_size(const cli_msg *m, int i)
{
    return zmq_msg_size((zmq_msg_t *)&m->part[i]);
}

int cli_msg_is(const cli_msg *m, int i, const char *s)
{
    size_t n = strlen(s);
    return i < m->n && cli_msg_size(m, i) == n && memcmp(cli_msg_data(m, i), s, n) == 0;
}

int cli_connect(void *sock, const char *cmd, const char *endpoint)
{
    if (zmq_connect(sock, endpoint) == 0)
        return CLI_EXIT_OK;
    int e = errno;
    if (e == EINVAL || e == EPROTONOSUPPORT)
        return cli_usage_error(cmd, "bad endpoint '%s': %s", endpoint, zmq_strerror(e));
    fprintf(stderr, "enrich %s: connect %s: %s\n", cmd, endpoint, zmq_strerror(e));
    return CLI_EXIT_FAIL;
}

int cli_sock_readable(void *sock)
{
    int events = 0;
    size_t sz = sizeof events;
    return zmq_getsockopt(sock, ZMQ_EVENTS, &events, &sz) == 0 && (events & ZMQ_POLLIN);
}

static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t n = write(signal_pipe[1], &b, 1);
    (void)n; /* a full pipe already holds a wake-up byte */
    errno = saved;
}

int cli_signals_install(void)
{
    if (signal_pipe[0] >= 0)
        return signal_pipe[0];
    if (pipe(signal_pipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(signal_pipe[i], F_GETFL);
        fcntl(signal_pipe[i], F_SETFL, fl | O_NONBLOCK);
        fcntl(signal_pipe[i], F_SETFD, FD_CLOEXEC);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGINT, &sa, NULL) != 0 || sigaction(SIGTERM, &sa, NULL) != 0)
        return -1;
    signal(SIGPIPE, SIG_IGN); /* `enrich tail | head`: a write error ends the loop instead */
    return signal_pipe[0];
}

void cli_signals_close(void)
{
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    for (int i = 0; i < 2; i++) {
        if (signal_pipe[i] >= 0)
            close(signal_pipe[i]);
        signal_pipe[i] = -1;
    }
}
