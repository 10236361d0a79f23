"""fake_enrichd — a stand-in for enrichd's journal endpoints, to test the `enrich` clients
(tail --from, dlq, push --ack) before the daemon side exists.

What it does: one background thread owns three pyzmq sockets bound on ephemeral loopback ports:
an XPUB (the output: it sees subscriptions, so a test can wait for the subscriber), a ROUTER
implementing the replay protocol and a ROUTER implementing the acknowledged feed, as pinned for
issue 5 (docs/protocol.md). The journal is an in-memory list; records are small JSON objects
with seq and instance. Knobs let a test drop or withhold acknowledgements, lose live messages,
make seqs vanish, delete old history, and publish live records while a client catches up.

What it may touch: its own sockets and thread. Nothing on disk.

Ownership: a FakeEnrichd owns its context, sockets and thread; close() (or the context
manager) stops and frees them. Tests talk to the thread only through call(), which runs a
function inside it, so no socket or journal state is shared between threads.
"""

import hashlib
import json
import queue
import threading
import time

import zmq

TOPIC_PREFIXES_OK = (str,)


def stable_id(data):
    """The id enrichd gives input without one: 32 hex chars of BLAKE2b-128."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    return hashlib.blake2b(data, digest_size=16).hexdigest()


class FakeEnrichd:
    def __init__(self, instance="enrichd-fake", max_limit=1000):
        self.instance = instance
        self.max_limit = max_limit
        self.ctx = zmq.Context()
        self.pub = self.ctx.socket(zmq.XPUB)
        self.pub.setsockopt(zmq.SNDHWM, 0)  # no silent drops: a test loses messages on purpose
        self.pub.setsockopt(zmq.XPUB_VERBOSE, 1)
        self.replay = self.ctx.socket(zmq.ROUTER)
        self.ack = self.ctx.socket(zmq.ROUTER)
        for s in (self.pub, self.replay, self.ack):
            s.setsockopt(zmq.LINGER, 0)
        # A page is max_limit records plus the end marker: with the default HWM of 1000 a ROUTER
        # would drop the end marker of a full page sent to a client that has not read yet.
        self.replay.setsockopt(zmq.SNDHWM, 0)
        self.output_endpoint = "tcp://127.0.0.1:%d" % self.pub.bind_to_random_port("tcp://127.0.0.1")
        self.replay_endpoint = "tcp://127.0.0.1:%d" % self.replay.bind_to_random_port("tcp://127.0.0.1")
        self.ack_endpoint = "tcp://127.0.0.1:%d" % self.ack.bind_to_random_port("tcp://127.0.0.1")

        # ---- state, touched only by the server thread (or before start) ----
        self.journal = []          # dicts: seq, topic (bytes), body (bytes), raw (bytes|None)
        self.seq = 0               # newest seq given
        self.subscribers = 0
        self.replay_requests = []  # the parsed requests, in order
        # live publishing while a client replays: on each replay request, publish this many new
        # records before answering, until live_during_replay_total have been published
        self.live_per_request = 0
        self.live_during_replay_left = 0
        # published once the first answer that ends at the journal's end has gone out
        self.live_after_catch_up = []   # list of ("rec", n) / ("vanish", n) steps
        self.lose_live = set()     # seqs journaled but never published
        # acked feed
        self.acked = {}            # id -> (status, seq or code)
        self.receipts = []         # (id, payload bytes) of every request, resends included
        self.drop_first_reply = set()  # ids: the first request is journaled but not answered
        self.never_reply = set()   # ids: journaled, never answered

        self._cmds = queue.Queue()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    # ---- life cycle ---------------------------------------------------------------------
    def start(self):
        self._thread.start()
        return self

    def close(self):
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        self.ctx.destroy(linger=0)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    def call(self, fn, timeout=10):
        """Runs fn(self) in the server thread and returns its result."""
        if not self._thread.is_alive():
            return fn(self)
        done = queue.Queue()
        self._cmds.put((fn, done))
        ok, value = done.get(timeout=timeout)
        if not ok:
            raise value
        return value

    # ---- journal ---------------------------------------------------------------------------
    def make_record(self, seq, topic, rec_id=None, live=False, error=None, nbytes=0):
        if topic == "error":
            error = error or ("empty", "text is empty or white space only")
            rec = {"schema": "enrichd.error/1", "id": rec_id or "err-%d" % seq,
                   "instance": self.instance, "seq": seq,
                   "error": {"code": error[0], "message": error[1]}, "bytes": nbytes}
        else:
            rec = {"schema": "enrichd.article/1", "id": rec_id or "art-%d" % seq,
                   "instance": self.instance, "seq": seq, "lang": topic.split(".")[-1],
                   "text": "Dépêche numéro %d : le conseil a voté." % seq}
        if live:
            rec["via"] = "live"  # only the fake marks its live copies, for the tests
        return json.dumps(rec, ensure_ascii=False, separators=(",", ":")).encode()

    def append(self, topic="article.fr", publish=False, rec_id=None, error=None, raw=None,
               nbytes=None):
        """Journals one record (and publishes it unless its seq is in lose_live or publish is
        False). An error record keeps raw (the input, or its head when nbytes says the input
        was longer). Returns its seq."""
        self.seq += 1
        seq = self.seq
        if nbytes is None:
            nbytes = len(raw) if raw is not None else 0
        body = self.make_record(seq, topic, rec_id, error=error, nbytes=nbytes)
        self.journal.append({"seq": seq, "topic": topic.encode(), "body": body, "raw": raw})
        if publish and seq not in self.lose_live:
            live = self.make_record(seq, topic, rec_id, live=True, error=error, nbytes=nbytes)
            self.pub.send_multipart([topic.encode(), live])
        return seq

    def add(self, n, topics=("article.fr",)):
        for i in range(n):
            self.append(topics[i % len(topics)])

    def vanish(self, n):
        """n seqs that are neither journaled nor published (a hole no replay can fill)."""
        self.seq += n

    def retain_from(self, first):
        """Retention: deletes the records before seq first."""
        self.journal = [r for r in self.journal if r["seq"] >= first]

    # ---- server loop ---------------------------------------------------------------------
    def _loop(self):
        poller = zmq.Poller()
        for s in (self.pub, self.replay, self.ack):
            poller.register(s, zmq.POLLIN)
        while not self._stop.is_set():
            while True:
                try:
                    fn, done = self._cmds.get_nowait()
                except queue.Empty:
                    break
                try:
                    done.put((True, fn(self)))
                except Exception as exc:  # handed back to the caller
                    done.put((False, exc))
            for sock, _ in poller.poll(5):
                if sock is self.pub:
                    msg = self.pub.recv()
                    if msg[:1] == b"\x01":
                        self.subscribers += 1
                    elif msg[:1] == b"\x00":
                        self.subscribers -= 1
                elif sock is self.replay:
                    self._on_replay(self.replay.recv_multipart())
                else:
                    self._on_ack(self.ack.recv_multipart())

    def _await_subscriber(self, timeout):
        end = time.time() + timeout
        while self.subscribers == 0 and time.time() < end:
            if self.pub.poll(10):
                msg = self.pub.recv()
                if msg[:1] == b"\x01":
                    self.subscribers += 1

    # ---- replay ----------------------------------------------------------------------------
    def _replay_error(self, head, message):
        self.replay.send_multipart(head + [b"error", json.dumps({"message": message}).encode()])

    def _on_replay(self, frames):
        ident, rest = frames[0], frames[1:]
        head = [ident]
        if len(rest) == 2 and rest[0] == b"":
            head, rest = [ident, b""], rest[1:]
        if len(rest) != 1:
            return self._replay_error(head, "one frame expected")
        try:
            req = json.loads(rest[0])
        except ValueError:
            return self._replay_error(head, "request is not JSON")
        since = req.get("since") if isinstance(req, dict) else None
        if not isinstance(since, int) or isinstance(since, bool) or since < 0:
            return self._replay_error(head, "'since' must be an integer >= 0")
        limit = req.get("limit", 1000)
        if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
            return self._replay_error(head, "'limit' must be a positive integer")
        limit = min(limit, self.max_limit)
        topics = req.get("topics")
        if topics is not None and (not isinstance(topics, list) or
                                   not all(isinstance(t, str) for t in topics)):
            return self._replay_error(head, "'topics' must be a list of strings")
        raw = req.get("raw", False)
        if not isinstance(raw, bool):
            return self._replay_error(head, "'raw' must be a boolean")
        self.replay_requests.append(req)

        # a client catching up while the daemon keeps publishing (to a subscription that has
        # arrived: a SUB connects before it asks for the replay, but its subscription travels
        # on its own)
        if (self.live_per_request or self.live_after_catch_up) and self.subscribers == 0:
            self._await_subscriber(5.0)
        n = min(self.live_per_request, self.live_during_replay_left)
        for _ in range(n):
            self.append("article.fr", publish=True)
        self.live_during_replay_left -= n

        prefixes = [t.encode() for t in topics] if topics is not None else None
        sent = []
        for r in self.journal:
            if r["seq"] <= since:
                continue
            if prefixes is not None and not any(r["topic"].startswith(p) for p in prefixes):
                continue
            sent.append(r)
            if len(sent) == limit:
                break
        for r in sent:
            msg = head + [b"rec", r["topic"], r["body"]]
            if raw and r["topic"] == b"error" and r["raw"] is not None:
                msg.append(r["raw"])
            self.replay.send_multipart(msg)
        first = self.journal[0]["seq"] if self.journal else 0
        last = self.seq
        # a full page continues after its last record; a short one reached the end
        nxt = sent[-1]["seq"] if len(sent) == limit else last
        self.replay.send_multipart(head + [b"end", json.dumps(
            {"first_seq": first, "last_seq": last, "next": nxt, "instance": self.instance}).encode()])
        if nxt >= last and self.live_after_catch_up:
            steps, self.live_after_catch_up = self.live_after_catch_up, []
            for kind, count in steps:
                if kind == "vanish":
                    self.vanish(count)
                else:
                    for _ in range(count):
                        self.append("article.fr", publish=True)

    # ---- acknowledged feed -----------------------------------------------------------------
    @staticmethod
    def judge(payload):
        """(id, None) for an article enrichd would accept, (id, code) for one it rejects."""
        text = payload
        if text.startswith(b"\xef\xbb\xbf"):
            text = text[3:]
        if text.lstrip(b" \t\r\n")[:1] == b"{":
            try:
                env = json.loads(payload.decode("utf-8"))
            except (ValueError, UnicodeDecodeError):
                return stable_id(payload), "invalid_json"
            if not isinstance(env, dict):
                return stable_id(payload), "invalid_json"
            rid = env.get("id")
            body = env.get("text")
            if not isinstance(body, str):
                return (rid if isinstance(rid, str) else stable_id(payload)), "missing_text"
            rid = rid if isinstance(rid, str) else stable_id(body)
            return rid, (None if body.strip() else "empty")
        try:
            body = text.decode("utf-8")
        except UnicodeDecodeError:
            return stable_id(payload), "invalid_utf8"
        return stable_id(text), (None if body.strip() else "empty")

    def _on_ack(self, frames):
        ident, rest = frames[0], frames[1:]
        head = [ident]
        if len(rest) >= 2 and rest[0] == b"":
            head, rest = [ident, b""], rest[1:]
        if len(rest) != 1:
            rid, code = stable_id(rest[0] if rest else b""), "bad_frames"
        else:
            rid, code = self.judge(rest[0])
        self.receipts.append((rid, rest[0] if rest else b""))
        first_time = rid not in self.acked
        if first_time:
            if code is None:
                seq = self.append("article.fr", publish=True, rec_id=rid)
                self.acked[rid] = (b"ok", str(seq).encode())
            else:
                self.append("error", publish=True, rec_id=rid,
                            error=(code, "rejected by the fake"), raw=rest[0] if rest else b"")
                self.acked[rid] = (b"error", code.encode())
        if rid in self.never_reply:
            return
        if first_time and rid in self.drop_first_reply:
            return
        status, detail = self.acked[rid]
        self.ack.send_multipart(head + [status, rid.encode(), detail])


def wait_for(cond, timeout=10.0, step=0.01):
    """Polls cond() until true or timeout; returns its last value."""
    end = time.time() + timeout
    while True:
        v = cond()
        if v or time.time() >= end:
            return v
        time.sleep(step)
