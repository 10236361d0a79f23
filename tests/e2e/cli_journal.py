"""cli_journal — helpers shared by tests/e2e/test_cli_journal*.py: the real `enrich` binary
driven against the real daemon (enrichd_e2e.Daemon) on its journal endpoints.

What it does: runs `enrich` commands (one-shot, or `enrich tail` in the background with a thread
collecting its stdout lines), writes article files, and reads the daemon's journal through its
replay endpoint with pyzmq (an independent view to compare the CLI's output with).
What it may touch: the temp dirs it is given, loopback sockets, and the processes it starts.
Ownership: a Tail owns its process and reader thread; stop()/kill() end them.
"""

import json
import os
import signal
import socket
import subprocess
import threading
import time

import enrichd_e2e as e2e

ENRICH = os.path.join(e2e.BIN, "enrich")


def require_enrich():
    """Fails the test when the enrich binary is missing (it is built with the daemon)."""
    e2e.check(os.access(ENRICH, os.X_OK), "%s not built" % ENRICH)


def run_enrich(*args, timeout=120, stdin=None):
    """Runs enrich ARGS; returns (status, stdout str, stderr str)."""
    p = subprocess.run([ENRICH] + [str(a) for a in args], capture_output=True,
                       timeout=timeout * e2e.SLOW, input=stdin)
    return (p.returncode, p.stdout.decode("utf-8", "replace"),
            p.stderr.decode("utf-8", "replace"))


def summary(out):
    """The `articles=N ok=N ...` line of push --ack as a dict of ints."""
    lines = [l for l in out.splitlines() if l.startswith("articles=")]
    e2e.check(len(lines) == 1, "no single summary line in %r" % out)
    return {k: int(v) for k, v in (kv.split("=") for kv in lines[0].split())}


def article_text(tag, i):
    """A short invented news text, different for every (tag, i)."""
    towns = ("Rennes", "Dijon", "Nancy", "Pau", "Brest", "Metz", "Tours", "Caen")
    return ("Le conseil municipal de %s a voté mardi la rénovation de l'école numéro %d (%s), "
            "a indiqué la maire. Les travaux doivent durer huit mois."
            % (towns[i % len(towns)], i, tag))


def write_articles(directory, tag, n):
    """Writes n envelope files with ids TAG-00000...; returns (paths, ids)."""
    os.makedirs(directory, exist_ok=True)
    paths, ids = [], []
    for i in range(n):
        aid = "%s-%05d" % (tag, i)
        path = os.path.join(directory, aid + ".json")
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"id": aid, "text": article_text(tag, i)}, f, ensure_ascii=False)
        paths.append(path)
        ids.append(aid)
    return paths, ids


def journal(d, since=0, **extra):
    """Every record the daemon's journal holds after since, via its replay endpoint:
    ([(topic, record, raw)], last end marker)."""
    recs, end = [], None
    while True:
        req = {"since": since, "limit": 5000}
        req.update(extra)
        got, end = d.replay_request(req)
        e2e.check(got != "error", "replay error: %r" % (end,))
        recs.extend(got)
        if end["next"] >= end["last_seq"]:
            return recs, end
        since = end["next"]


def last_seq(d):
    """The newest journaled seq (replay end marker)."""
    got, end = d.replay_request({"since": 0, "limit": 1})
    e2e.check(got != "error", "replay error: %r" % (end,))
    return end["last_seq"]


def wait_last_seq(d, want, timeout=60.0):
    """Waits until the journal's newest seq reaches want; returns it."""
    deadline = time.monotonic() + timeout * e2e.SLOW
    while True:
        seq = last_seq(d)
        if seq >= want or time.monotonic() > deadline:
            e2e.check(seq >= want, "the journal ends at %d, want %d" % (seq, want))
            return seq
        time.sleep(0.02)


def free_port():
    """A loopback TCP port that was free a moment ago."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class FixedPortDaemon(e2e.Daemon):
    """A Daemon whose endpoints named in `ports` ({"ack": PORT, "output": PORT, ...}, a class
    attribute set before starting) bind fixed ports, so a restarted daemon is the same peer for
    the clients that stay connected."""

    ports = {}

    def write_config(self, **config):
        text = e2e.make_config(self.tmp, **config)
        for name, port in self.ports.items():
            any_port = '%s = { bind = ["tcp://127.0.0.1:*"];' % name
            e2e.check(any_port in text, "make_config changed: no %s bind line" % name)
            text = text.replace(any_port, '%s = { bind = ["tcp://127.0.0.1:%d"];' % (name, port))
        self.write_config_text(text)


class Tail:
    """`enrich tail ARGS` in the background; lines holds each record it printed (dict)."""

    def __init__(self, *args, env=None):
        self.cmd = [ENRICH, "tail"] + [str(a) for a in args]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env)
        self.lines = []
        self.bad = []
        self.cond = threading.Condition()
        self.err = b""
        self.out_thread = threading.Thread(target=self._read, daemon=True)
        self.err_thread = threading.Thread(target=self._read_err, daemon=True)
        self.out_thread.start()
        self.err_thread.start()

    def _read(self):
        for raw in iter(self.proc.stdout.readline, b""):
            with self.cond:
                try:
                    self.lines.append(json.loads(raw.decode("utf-8")))
                except ValueError:
                    self.bad.append(raw)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def _read_err(self):
        self.err = self.proc.stderr.read()

    def count(self):
        with self.cond:
            return len(self.lines)

    def wait_count(self, n, timeout=60.0):
        """Waits until n records were printed; fails on timeout or an early exit."""
        deadline = time.monotonic() + timeout * e2e.SLOW
        with self.cond:
            while len(self.lines) < n:
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.out_thread.is_alive()):
                    raise e2e.TestFailure(
                        "enrich tail printed %d of %d records (status %s); stderr: %s"
                        % (len(self.lines), n, self.proc.poll(), self.stderr()))
                self.cond.wait(min(left, 0.2))

    def kill(self):
        """SIGKILL; returns every record it printed (what was in the pipe included)."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.out_thread.join(10)
        self.err_thread.join(10)
        return list(self.lines)

    def wait(self, timeout=60.0):
        """Waits for the exit; returns the status (fails on timeout)."""
        try:
            rc = self.proc.wait(timeout * e2e.SLOW)
        except subprocess.TimeoutExpired:
            self.kill()
            raise e2e.TestFailure("enrich tail did not exit; it printed %d records; stderr: %s"
                                  % (len(self.lines), self.stderr()))
        self.out_thread.join(10)
        self.err_thread.join(10)
        e2e.check(not self.bad, "enrich tail printed lines that are not JSON: %r" % self.bad[:3])
        return rc

    def stderr(self):
        return self.err.decode("utf-8", "replace")

    def close(self):
        if self.proc.poll() is None:
            self.kill()


def check_seqs(recs, want, what):
    """Fails unless the records' seqs are exactly the list want (once each, in order)."""
    seqs = [r["seq"] for r in recs]
    if seqs != want:
        i = next((i for i, (a, b) in enumerate(zip(seqs, want)) if a != b),
                 min(len(seqs), len(want)))
        raise e2e.TestFailure("%s: %d records, want %d; first difference at index %d: got %s, "
                              "want %s" % (what, len(seqs), len(want), i, seqs[i:i + 5],
                                           want[i:i + 5]))
