"""test_cli_dlq — `enrich dlq` against fake_enrichd's replay endpoint.

Checks: only error records are listed, one tab-separated line each (seq, id, code, message,
bytes), in seq order, across several pages; --from skips the older ones; --raw DIR writes each
kept raw input to DIR/<seq>.bin byte for byte and warns about a cut one; --json prints the
records; "history starts at" after retention; an unreachable endpoint is status 1.
Touches: its fake server's loopback sockets, a temp dir, the enrich processes it starts.
"""

import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from enrichd_e2e import BIN, SKIP, SLOW, check, log, run  # noqa: E402
from fake_enrichd import FakeEnrichd  # noqa: E402

ENRICH = os.path.join(BIN, "enrich")

REJECTS = [
    (b"Caf\xe9 cr\xe8me : le prix grimpe", "invalid_utf8", "invalid UTF-8 at byte 3 (0xE9)"),
    (b'{"id": "dep-9", "text": "   "}', "empty", "text is empty or white space only (3 bytes)"),
    (b'{"id": "x", "text": "sans\tfin', "invalid_json", "invalid JSON at line 1\tcolumn 30"),
    (b"\x00\x01binaire", "invalid_utf8", "contains a NUL character\n(U+0000) at byte 0"),
]


def fill(fake):
    seqs = []
    for i, (raw, code, message) in enumerate(REJECTS):
        fake.add(3)
        seqs.append(fake.append("error", rec_id="rej-%d" % i, error=(code, message), raw=raw))
    # one whose raw input the journal cut (journal.raw_max_bytes)
    fake.add(2)
    seqs.append(fake.append("error", rec_id="rej-big", error=("too_large", "frame is 5000 bytes"),
                            raw=b"A" * 64, nbytes=5000))
    fake.add(2)
    return seqs


def dlq(fake, *args):
    cmd = [ENRICH, "dlq", "--replay", fake.replay_endpoint] + list(args)
    p = subprocess.run(cmd, capture_output=True, timeout=30 * SLOW)
    return p.returncode, p.stdout.decode("utf-8"), p.stderr.decode("utf-8", "replace")


def garbage_server():
    """A replay endpoint that answers nonsense: the clients report it and exit 1, no crash."""
    import threading
    import zmq
    ctx = zmq.Context()
    router = ctx.socket(zmq.ROUTER)
    router.setsockopt(zmq.LINGER, 0)
    endpoint = "tcp://127.0.0.1:%d" % router.bind_to_random_port("tcp://127.0.0.1")
    answers = [[b"rec", b"error", b"{not json", b"raw"], [b"rec", b"error", b"[1,2]"],
               [b"end", b'{"first_seq": "one"}']]
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            if router.poll(20):
                ident = router.recv_multipart()[0]
                for a in answers:
                    router.send_multipart([ident] + a)
    t = threading.Thread(target=serve, daemon=True)
    t.start()
    runs = [["dlq", "--replay", endpoint, "--timeout-ms", "500"],
            ["tail", "--from", "0", "--replay", endpoint, "--endpoint", "tcp://127.0.0.1:9",
             "--replay-timeout-ms", "500"]]
    try:
        with tempfile.TemporaryDirectory() as tmp:
            runs[0] += ["--raw", os.path.join(tmp, "raw")]
            for cmd in runs:
                p = subprocess.run([ENRICH] + cmd, capture_output=True, timeout=30 * SLOW)
                check(p.returncode == 1, "%s on garbage: status %d, stderr %r"
                      % (cmd[0], p.returncode, p.stderr))
                check(b"end marker" in p.stderr, "%s on garbage: %r" % (cmd[0], p.stderr))
    finally:
        stop.set()
        t.join()
        ctx.destroy(linger=0)


def main():
    if not os.access(ENRICH, os.X_OK):
        log("SKIP: %s not built" % ENRICH)
        return SKIP
    with FakeEnrichd() as fake, tempfile.TemporaryDirectory() as tmp:
        seqs = fake.call(fill)
        rc, out, err = dlq(fake, "--page", "2")
        log("dlq: status %d\n%s" % (rc, out))
        check(rc == 0, "status %d: %s" % (rc, err))
        rows = [line.split("\t") for line in out.splitlines()]
        check(len(rows) == 5, "%d rows, want 5" % len(rows))
        check(all(len(r) == 5 for r in rows), "rows of 5 fields: %s" % rows)
        check([int(r[0]) for r in rows] == seqs, "seqs %s, want %s" % ([r[0] for r in rows], seqs))
        check([r[1] for r in rows] == ["rej-0", "rej-1", "rej-2", "rej-3", "rej-big"], "ids")
        check([r[2] for r in rows] == [c for (_, c, _) in REJECTS] + ["too_large"], "codes")
        check(rows[0][3] == "invalid UTF-8 at byte 3 (0xE9)", "message: %r" % rows[0][3])
        check(rows[2][3] == "invalid JSON at line 1 column 30", "tab in message: %r" % rows[2][3])
        check(rows[3][3] == "contains a NUL character (U+0000) at byte 0", "newline in message")
        check([int(r[4]) for r in rows] == [len(raw) for (raw, _, _) in REJECTS] + [5000], "bytes")
        check("5 rejected input(s)" in err, "summary: %s" % err)

        rc, out, err = dlq(fake, "--from", str(seqs[1]))
        check(rc == 0 and [int(l.split("\t")[0]) for l in out.splitlines()] == seqs[2:],
              "--from: %s" % out)

        rawdir = os.path.join(tmp, "raw")
        rc, out, err = dlq(fake, "--raw", rawdir)
        check(rc == 0, "--raw: status %d: %s" % (rc, err))
        names = sorted(os.listdir(rawdir))
        check(names == sorted("%d.bin" % s for s in seqs), "raw files %s" % names)
        for s, (raw, _, _) in zip(seqs, REJECTS):
            with open(os.path.join(rawdir, "%d.bin" % s), "rb") as f:
                check(f.read() == raw, "raw file of seq %d differs" % s)
        check("cut at 64 of 5000 bytes" in err, "no warning for the cut raw input: %s" % err)

        rc, out, err = dlq(fake, "--json")
        recs = [json.loads(l) for l in out.splitlines()]
        check(rc == 0 and [r["seq"] for r in recs] == seqs, "--json seqs")
        check(all(r["schema"] == "enrichd.error/1" for r in recs), "--json: non-error record")

        fake.call(lambda f: f.retain_from(seqs[2]))
        rc, out, err = dlq(fake)
        check(rc == 0 and len(out.splitlines()) == 3, "after retention: %s" % out)
        check("history starts at %d" % seqs[2] in err, "no history report: %s" % err)

    garbage_server()
    p = subprocess.run([ENRICH, "dlq", "--replay", "tcp://127.0.0.1:9", "--timeout-ms", "200"],
                       capture_output=True, timeout=30 * SLOW)
    check(p.returncode == 1 and b"no answer" in p.stderr, "unreachable: %d %r"
          % (p.returncode, p.stderr))
    p = subprocess.run([ENRICH, "dlq", "extra"], capture_output=True, timeout=10)
    check(p.returncode == 2, "stray argument: status %d, want 2" % p.returncode)
    return 0


if __name__ == "__main__":
    run(main)
