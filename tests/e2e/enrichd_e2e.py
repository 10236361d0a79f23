"""enrichd_e2e — helpers shared by the end-to-end tests in tests/e2e/test_*.py.

What it does: writes a temporary configuration, starts the real enrichd binary on EPHEMERAL
loopback ports, reads the actual endpoints from the daemon's JSON log lines on stderr
("listening" ... "ready"), and gives the tests pyzmq PUSH/SUB sockets, the fixtures, the output
schema and small assertion helpers. Every socket operation has a timeout, so a broken daemon
fails a test instead of hanging it.

What it may touch: a temporary directory per daemon (config, state, log), the environment
variables ENRICHD_BIN / ENRICHD_DATA / ENRICHD_SRC (set by ctest), loopback sockets, and the
processes it started itself (never any other).

Ownership: a Daemon owns its process, its temp dir and its log-reader thread; close() (or the
context manager) stops and removes them. Sockets made by Daemon.push()/Daemon.sub() belong to
the daemon's zmq context and are closed with it.
"""

import hashlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time

import zmq

SKIP = 77  # ctest's SKIP_RETURN_CODE

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("ENRICHD_SRC") or os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("ENRICHD_BIN") or os.path.join(SRC, "build", "bin")
DATA = os.environ.get("ENRICHD_DATA") or os.path.join(SRC, "data")
FIXTURES = os.path.join(SRC, "tests", "fixtures")

# Sanitizer builds are several times slower: every wait scales with this factor.
SLOW = float(os.environ.get("ENRICHD_E2E_SLOW", "1"))


class TestFailure(AssertionError):
    """A failed check; run() prints it and exits 1."""


def check(cond, message):
    """Fails the test with message unless cond holds."""
    if not cond:
        raise TestFailure(message)


def log(message):
    print(message, flush=True)


def run(main):
    """Runs main() as a test program: exit 0 on success, 1 on a failed check or error,
    77 when main returns SKIP."""
    try:
        rc = main()
    except TestFailure as exc:
        log("FAIL: %s" % exc)
        sys.exit(1)
    except Exception:  # an unexpected error is a failure too, with its traceback
        import traceback

        traceback.print_exc()
        log("FAIL: unexpected error")
        sys.exit(1)
    if rc == SKIP:
        sys.exit(SKIP)
    log("PASS")
    sys.exit(0)


def enrichd_path():
    return os.path.join(BIN, "enrichd")


def require_binary():
    """Returns the daemon path; fails when it was not built."""
    path = enrichd_path()
    check(os.access(path, os.X_OK), "%s not found or not executable (build it first)" % path)
    return path


# ---- fixtures ----------------------------------------------------------------------------

def fixture_lang(name):
    """Expected language of a fixture, from its name: fr-*.txt → fr, en-*.json → en."""
    return name.split("-", 1)[0]


def load_fixtures():
    """Returns (raw, envelopes): raw = [(name, text)], envelopes = [(name, dict)]."""
    raw, envelopes = [], []
    for name in sorted(os.listdir(FIXTURES)):
        path = os.path.join(FIXTURES, name)
        if not name.startswith(("fr-", "en-")):
            continue
        with open(path, encoding="utf-8") as f:
            if name.endswith(".txt"):
                raw.append((name, f.read()))
            elif name.endswith(".json"):
                envelopes.append((name, json.load(f)))
    check(raw and envelopes, "no fixtures in %s" % FIXTURES)
    return raw, envelopes


def stable_id(data):
    """The id the daemon gives input without one: 32 hex chars of BLAKE2b-128 of the bytes."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def load_schema():
    """Returns a validator for docs/schema.json (fails the test when the file is absent)."""
    import jsonschema

    path = os.path.join(SRC, "docs", "schema.json")
    check(os.path.exists(path), "%s absent: the output schema is needed" % path)
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def schema_errors(validator, record):
    """Returns a one-line description of the first few schema violations, or ''."""
    errors = sorted(validator.iter_errors(record), key=lambda e: list(e.path))
    if not errors:
        return ""
    return "; ".join("%s: %s" % ("/".join(str(p) for p in e.path) or "(root)", e.message[:200])
                     for e in errors[:3])


# ---- configuration -----------------------------------------------------------------------

def conf_string(value):
    return '"%s"' % value.replace("\\", "\\\\").replace('"', '\\"')


def make_config(tmpdir, **over):
    """Text of a daemon configuration on ephemeral loopback ports; keyword arguments override
    instance, workers, drain_timeout_ms, level, max_bytes, max_frame_bytes, feed_hwm, output_hwm, data_dir,
    state_dir, metrics (the metrics group's body; default: any free loopback port), or add raw
    text with extra. The acked feed and replay endpoints (journal on when state_dir is set) are
    on ephemeral ports too; journal, ack_hwm, replay_max_limit, replay_hwm, backpressure override
    their settings ("journal" is the text inside `journal = { ... }`)."""
    opts = {
        "instance": "e2e",
        "data_dir": DATA,
        "state_dir": os.path.join(tmpdir, "state"),
        "workers": 2,
        "drain_timeout_ms": int(20000 * SLOW),
        "level": "info",
        "max_bytes": 1048576,
        "max_frame_bytes": 64 * 1024 * 1024,
        "feed_hwm": 100000,
        "output_hwm": 100000,
        "metrics": 'bind = "127.0.0.1:0";',
        "backpressure": "drop",
        "journal": "",
        "ack_hwm": 1000,
        "replay_max_limit": 5000,
        "replay_hwm": 12000,
        "extra": "",
    }
    opts.update(over)
    return (
        "# written by tests/e2e/enrichd_e2e.py\n"
        "instance = %s;\n"
        "data_dir = %s;\n"
        "state_dir = %s;\n"
        "workers = %d;\n"
        "drain_timeout_ms = %d;\n"
        "log = { level = %s; };\n"
        "input = { max_bytes = %d; max_frame_bytes = %d; };\n"
        'feed = { bind = ["tcp://127.0.0.1:*"]; connect = []; hwm = %d; };\n'
        'output = { bind = ["tcp://127.0.0.1:*"]; connect = []; hwm = %d; backpressure = %s; };\n'
        'ack = { bind = ["tcp://127.0.0.1:*"]; connect = []; hwm = %d; };\n'
        'replay = { bind = ["tcp://127.0.0.1:*"]; connect = []; max_limit = %d; hwm = %d; };\n'
        "journal = { %s };\n"
        "metrics = { %s };\n"
        "%s"
    ) % (
        conf_string(opts["instance"]), conf_string(opts["data_dir"]),
        conf_string(opts["state_dir"]), opts["workers"], opts["drain_timeout_ms"],
        conf_string(opts["level"]), opts["max_bytes"], opts["max_frame_bytes"], opts["feed_hwm"], opts["output_hwm"],
        conf_string(opts["backpressure"]), opts["ack_hwm"], opts["replay_max_limit"],
        opts["replay_hwm"], opts["journal"], opts["metrics"], opts["extra"],
    )


# ---- the daemon --------------------------------------------------------------------------

class Daemon:
    """One enrichd process with a temporary config. Use as a context manager. env: extra
    environment variables for the daemon (e.g. NOTIFY_SOCKET)."""

    def __init__(self, start_timeout=20.0, env=None, tmp=None, **config):
        """tmp: reuse an existing temp dir (its state/ keeps the journal: a restart)."""
        self.tmp = tmp or tempfile.mkdtemp(prefix="enrichd-e2e-")
        self.keep_tmp = tmp is not None
        if not os.path.isdir(os.path.join(self.tmp, "state")):
            os.mkdir(os.path.join(self.tmp, "state"))
        self.config_path = os.path.join(self.tmp, "enrichd.conf")
        self.write_config(**config)
        self.instance = config.get("instance", "e2e")
        self.lines = []          # every stderr line, in order (str)
        self.records = []        # parsed JSON log lines (dict), with "_line" = index in lines
        self.cond = threading.Condition()
        self.ctx = zmq.Context()
        self.proc = None
        self.feed = None
        self.output = None
        self.metrics = None
        self.ack = None          # acked feed endpoint (None when the journal is off)
        self.replay = None
        self.probe_count = 0
        self._start(start_timeout * SLOW, env)

    # -- lifecycle --

    def write_config(self, **config):
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(make_config(self.tmp, **config))

    def write_config_text(self, text):
        with open(self.config_path, "w", encoding="utf-8") as f:
            f.write(text)

    def _start(self, timeout, env):
        # Never let a test daemon talk to the service manager that may be running the tests.
        full_env = {k: v for k, v in os.environ.items()
                    if k not in ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID")}
        full_env.update(env or {})
        self.proc = subprocess.Popen(
            [require_binary(), "-c", self.config_path],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            env=full_env,
        )
        self.reader = threading.Thread(target=self._read_stderr, daemon=True)
        self.reader.start()
        ready = self.wait_log(lambda r: r.get("msg") == "ready", timeout, what="the ready line")
        endpoints = {}
        for r in self.records[: ready["_line"] + 1]:
            if r.get("msg") == "listening":
                endpoints.setdefault(r.get("socket"), r.get("endpoint"))
        check("feed" in endpoints and "output" in endpoints,
              "no 'listening' lines for feed and output before 'ready': %s" % endpoints)
        for name, ep in endpoints.items():
            scheme = "http" if name == "metrics" else "tcp"
            check(isinstance(ep, str) and ep.startswith(scheme + "://127.0.0.1:")
                  and not ep.endswith((":*", ":0")),
                  "listening line for %s has no actual endpoint: %r" % (name, ep))
        self.feed, self.output = endpoints["feed"], endpoints["output"]
        self.metrics = endpoints.get("metrics")  # "http://127.0.0.1:PORT", None when off
        self.ack, self.replay = endpoints.get("ack"), endpoints.get("replay")

    def _read_stderr(self):
        for raw in iter(self.proc.stderr.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip("\n")
            with self.cond:
                index = len(self.lines)
                self.lines.append(line)
                try:
                    rec = json.loads(line)
                except ValueError:
                    rec = None
                if isinstance(rec, dict):
                    rec["_line"] = index
                    self.records.append(rec)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def wait_log(self, pred, timeout, start=0, what="a log line"):
        """Waits for a JSON log line with index >= start for which pred(record) holds; returns
        it. Fails when the daemon exits or the time runs out."""
        deadline = time.monotonic() + timeout
        seen = 0
        with self.cond:
            while True:
                for rec in self.records[seen:]:
                    if rec["_line"] >= start and pred(rec):
                        return rec
                seen = len(self.records)
                if not self.alive() and not self.reader.is_alive():
                    raise TestFailure("enrichd exited (status %s) while waiting for %s; log:\n%s"
                                      % (self.proc.returncode, what, self.log_tail()))
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TestFailure("timeout waiting for %s; log:\n%s" % (what, self.log_tail()))
                self.cond.wait(min(left, 0.2))

    def line_count(self):
        with self.cond:
            return len(self.lines)

    def log_tail(self, n=40):
        with self.cond:
            return "\n".join("  | " + l for l in self.lines[-n:])

    def signal(self, sig):
        check(self.alive(), "enrichd is not running (status %s)" % self.proc.poll())
        self.proc.send_signal(sig)

    def wait_exit(self, timeout):
        """Waits for the process to exit; returns its status, or None on timeout."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            if self.wait_exit(10 * SLOW) is None:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc is not None:
            self.reader.join(5)
            self.proc.stderr.close()
        self.ctx.destroy(linger=0)
        import shutil

        if not self.keep_tmp:
            shutil.rmtree(self.tmp, ignore_errors=True)

    def kill9(self):
        """SIGKILL, then waits for the exit; the temp dir (and journal) stay for a restart, the
        sockets stay open (what they already received can still be read); close() ends them."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self.reader.join(5)
        self.proc.stderr.close()
        self.proc = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if exc[0] is not None:
            log("enrichd log (last lines):\n" + self.log_tail())
        self.close()

    # -- sockets --

    def push(self, hwm=100000, timeout_ms=30000):
        """A PUSH socket connected to the feed; sends time out after timeout_ms."""
        s = self.ctx.socket(zmq.PUSH)
        s.setsockopt(zmq.SNDHWM, hwm)
        s.setsockopt(zmq.SNDTIMEO, int(timeout_ms * SLOW))
        s.setsockopt(zmq.LINGER, 2000)
        s.connect(self.feed)
        return s

    def dealer(self, endpoint=None, hwm=100000):
        """A DEALER connected to the acked feed (or endpoint, e.g. self.replay)."""
        s = self.ctx.socket(zmq.DEALER)
        s.setsockopt(zmq.SNDHWM, hwm)
        s.setsockopt(zmq.RCVHWM, hwm)
        s.setsockopt(zmq.LINGER, 0)
        s.connect(endpoint or self.ack)
        return s

    def replay_request(self, req, timeout=20.0, sock=None):
        """Sends one replay request; returns (records, end) where records are
        [(topic, dict, raw bytes or None)] and end the parsed end marker, or ("error", dict)."""
        own = sock is None
        if own:
            sock = self.dealer(self.replay)
        try:
            sock.send(json.dumps(req).encode())
            recs = []
            while True:
                if not sock.poll(int(timeout * SLOW * 1000)):
                    raise TestFailure("replay: no answer for %.0f s to %r" % (timeout, req))
                frames = sock.recv_multipart()
                kind = frames[0]
                if kind == b"rec":
                    check(len(frames) in (3, 4), "replay rec with %d frames" % len(frames))
                    recs.append((frames[1].decode(), json.loads(frames[2].decode()),
                                 frames[3] if len(frames) == 4 else None))
                elif kind == b"end":
                    check(len(frames) == 2, "replay end with %d frames" % len(frames))
                    return recs, json.loads(frames[1].decode())
                elif kind == b"error":
                    return "error", json.loads(frames[1].decode())
                else:
                    raise TestFailure("replay: unexpected frame %r" % frames[:2])
        finally:
            if own:
                sock.close(0)

    def sub(self, pusher, topics=(b"",), hwm=1000000):
        """A SUB socket connected to the output and known to be live: probe articles are
        pushed through `pusher` until one comes out (each probe is a record with an id starting
        with "probe-"). Returns (socket, probe_records)."""
        s = self.ctx.socket(zmq.SUB)
        s.setsockopt(zmq.RCVHWM, hwm)
        s.setsockopt(zmq.LINGER, 0)
        s.setsockopt(zmq.SUBSCRIBE, b"")
        s.connect(self.output)
        probes = []
        deadline = time.monotonic() + 20 * SLOW
        while time.monotonic() < deadline:
            self.probe_count += 1
            pid = "probe-%d" % self.probe_count
            send_envelope(pusher, {"id": pid, "text": "Probe article number %d: the mayor said "
                                   "the bridge would reopen on Monday." % self.probe_count})
            got = recv_until(s, lambda t, r: r.get("id") == pid, 0.5 * SLOW, fail=False)
            if got is not None:
                probes.extend(got)
                return s, probes
        raise TestFailure("no probe article came out of %s within 20 s; log:\n%s"
                          % (self.output, self.log_tail()))


# ---- sending and receiving ---------------------------------------------------------------

def send_envelope(sock, env):
    sock.send(json.dumps(env, ensure_ascii=False).encode("utf-8"))


def recv_record(sock, timeout):
    """Receives one record: returns (topic, dict), or None after timeout seconds. Fails on a
    record that is not two frames of topic + JSON object."""
    if not sock.poll(int(timeout * 1000)):
        return None
    frames = sock.recv_multipart()
    check(len(frames) == 2, "record with %d frames (want 2: topic, JSON)" % len(frames))
    topic = frames[0].decode("utf-8")
    try:
        rec = json.loads(frames[1].decode("utf-8"))
    except ValueError as exc:
        raise TestFailure("record on %s is not JSON (%s): %r" % (topic, exc, frames[1][:200]))
    check(isinstance(rec, dict), "record on %s is not a JSON object" % topic)
    return topic, rec


def recv_until(sock, done, timeout, fail=True):
    """Receives records until done(topic, record) holds for one; returns all records received
    as (topic, dict) pairs. timeout is the longest wait for the next record. On timeout: fails,
    or returns None when fail is False."""
    got = []
    while True:
        item = recv_record(sock, timeout)
        if item is None:
            if fail:
                raise TestFailure("no record for %.1f s (received %d so far)" % (timeout, len(got)))
            return None
        got.append(item)
        if done(*item):
            return got


def recv_count(sock, n, idle_timeout):
    """Receives n records (fails when none arrives for idle_timeout seconds)."""
    got = []
    while len(got) < n:
        item = recv_record(sock, idle_timeout)
        if item is None:
            raise TestFailure("only %d of %d records arrived (nothing for %.0f s)"
                              % (len(got), n, idle_timeout))
        got.append(item)
    return got
