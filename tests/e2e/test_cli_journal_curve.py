"""test_cli_journal_curve — CURVE on the acked feed and replay endpoints, with the real daemon
and the real `enrich` client commands (keys made by `enrich keygen`).

The daemon runs with `security` set and only alice.pub allowed:
1. alice: `push --ack` (4 good articles, 1 bad: status 4), `tail --from 0` (prints the 5
   records, in order), `dlq` (lists the bad one) all work with --server-key/--key.
2. trudy (a key not in the allow-list) and a client without CURVE: `push --ack` ends with
   status 1 and every article unacknowledged; `tail --from 0` and `dlq` get no replay answer
   (status 1); the daemon logs the denials; nothing they sent was journaled or published (the
   journal, read by alice over CURVE, still ends at seq 5, and the daemon received 5 frames).
Touches: its own daemon, temp dirs, loopback ports and enrich processes.
"""

import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import enrichd_e2e as e2e  # noqa: E402
import cli_journal as cj  # noqa: E402
import zmq  # noqa: E402


def keygen(tmp, name):
    base = os.path.join(tmp, name)
    rc, _, err = cj.run_enrich("keygen", base)
    e2e.check(rc == 0, "enrich keygen %s: %s" % (name, err))
    return base


def read_z85(path, name):
    with open(path, encoding="ascii") as f:
        for line in f:
            key, _, value = line.partition("=")
            if key.strip() == name:
                return value.strip().strip('"').encode("ascii")
    raise e2e.TestFailure("%s has no %s" % (path, name))


def curve_dealer(d, server, client):
    """A pyzmq DEALER to the replay endpoint with the client's keys."""
    s = d.ctx.socket(zmq.DEALER)
    s.setsockopt(zmq.LINGER, 0)
    s.curve_serverkey = read_z85(server + ".pub", "public-key")
    s.curve_publickey = read_z85(client + ".key", "public-key")
    s.curve_secretkey = read_z85(client + ".key", "secret-key")
    s.connect(d.replay)
    return s


def keys(server, client):
    return ["--server-key", server + ".pub", "--key", client + ".key"] if client else []


def main():
    if not zmq.has("curve"):
        e2e.log("SKIP: this pyzmq/libzmq has no CURVE")
        return e2e.SKIP
    cj.require_enrich()
    tmp = tempfile.mkdtemp(prefix="enrichd-clicurve-")
    try:
        server, alice, trudy = (keygen(tmp, n) for n in ("server", "alice", "trudy"))
        allowed = os.path.join(tmp, "allowed")
        os.mkdir(allowed)
        shutil.copy(alice + ".pub", allowed)
        extra = ('security = { curve_secret_key_file = "%s"; curve_allowed_keys_dir = "%s"; };\n'
                 % (server + ".key", allowed))
        files, ids = cj.write_articles(os.path.join(tmp, "arts"), "curve", 4)
        bad = os.path.join(tmp, "bad.json")
        with open(bad, "wb") as f:
            f.write(b'{"id": "curve-bad", "text": 42}')
        with e2e.Daemon(extra=extra) as d:
            d.wait_log(lambda r: r.get("msg") == "CURVE on", 5, what="the CURVE on line")
            t_ms = str(int(10000 * e2e.SLOW))

            # 1. alice
            rc, out, err = cj.run_enrich("push", "--ack", "--ack-endpoint", d.ack,
                                         "--timeout-ms", t_ms, *keys(server, alice), *files, bad)
            e2e.check(rc == 4, "alice push --ack: status %d (want 4), %s" % (rc, err))
            e2e.check(cj.summary(out)["ok"] == 4 and cj.summary(out)["rejected"] == 1,
                      "alice push --ack: %s" % out)
            t = cj.Tail("--from", 0, "--endpoint", d.output, "--replay", d.replay, "--count", 5,
                        "--replay-timeout-ms", t_ms, "--timeout", t_ms, *keys(server, alice))
            try:
                rc = t.wait()
            finally:
                t.close()
            e2e.check(rc == 0, "alice tail --from 0: status %d, %s" % (rc, t.stderr()))
            cj.check_seqs(t.lines, [1, 2, 3, 4, 5], "alice tail --from 0")
            e2e.check(sorted(r["id"] for r in t.lines) == sorted(ids + ["curve-bad"]),
                      "alice tail ids: %s" % [r["id"] for r in t.lines])
            rc, out, err = cj.run_enrich("dlq", "--replay", d.replay, "--timeout-ms", t_ms,
                                         *keys(server, alice))
            e2e.check(rc == 0, "alice dlq: status %d, %s" % (rc, err))
            rows = [l.split("\t") for l in out.splitlines()]
            e2e.check(len(rows) == 1 and rows[0][1:3] == ["curve-bad", "missing_text"],
                      "alice dlq: %r" % out)
            e2e.log("ok: alice (allowed key): push --ack, tail --from, dlq")

            # 2. trudy (unknown key) and a plain client
            for who, client in (("trudy", trudy), ("plain", None)):
                start = d.line_count()
                rc, out, err = cj.run_enrich("push", "--ack", "--ack-endpoint", d.ack,
                                             "--timeout-ms", 300, "--retries", 1,
                                             *keys(server, client), *files)
                s = cj.summary(out)
                e2e.check(rc == 1 and s["ok"] == 0 and s["unacknowledged"] == 4,
                          "%s push --ack: status %d, %s" % (who, rc, out))
                rc, out, err = cj.run_enrich("tail", "--from", 0, "--endpoint", d.output,
                                             "--replay", d.replay, "--replay-timeout-ms", 300,
                                             *keys(server, client))
                e2e.check(rc == 1 and not out and "no answer" in err,
                          "%s tail --from 0: status %d, %r %s" % (who, rc, out, err))
                rc, out, err = cj.run_enrich("dlq", "--replay", d.replay, "--timeout-ms", 300,
                                             *keys(server, client))
                e2e.check(rc == 1 and not out, "%s dlq: status %d, %r" % (who, rc, out))
                if client:
                    z85 = read_z85(client + ".pub", "public-key").decode()
                    d.wait_log(lambda r: r.get("msg") == "connection denied"
                               and r.get("client_key") == z85, 10 * e2e.SLOW, start=start,
                               what="the denial of %s" % who)
            sock = curve_dealer(d, server, alice)
            got, end = d.replay_request({"since": 0}, sock=sock)
            sock.close(0)
            e2e.check(got != "error" and end["last_seq"] == 5 and len(got) == 5,
                      "after the denied clients the journal is %r" % (end,))
            e2e.log("ok: unknown key / no CURVE: push --ack, tail --from, dlq all fail, "
                    "nothing journaled")
        e2e.check(d.proc.returncode == 0, "enrichd exit status %s" % d.proc.returncode)
        stopped = [r for r in d.records if r.get("msg") == "stopped"]
        e2e.check(stopped and stopped[-1].get("received") == 5,
                  "the daemon received %s frames, want 5" %
                  (stopped[-1].get("received") if stopped else None))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    e2e.run(main)
