"""test_cli_journal_kill — `enrich push --ack` through a kill -9 of the REAL daemon (issue 5
proof, with the real client): 10,000 envelopes on stdin go to the acked feed on a fixed port;
the daemon is killed (SIGKILL) once about 3,000 are journaled and restarted on the same journal
and ports. The client resends what got no answer and ends with status 0, ok=10000; the journal
shows each id exactly once, with seqs 1..10000, and so do two subscribers' views: an `enrich tail
--from 0` that ran through the kill and the restart, and one started afterwards.
Touches: its own daemons, temp dir, one loopback port it picks, and enrich processes.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import enrichd_e2e as e2e  # noqa: E402
import cli_journal as cj  # noqa: E402

N = 10000


def main():
    cj.require_enrich()
    tmp = tempfile.mkdtemp(prefix="enrichd-clikill-")
    cj.FixedPortDaemon.ports = {n: cj.free_port() for n in ("ack", "output", "replay")}
    endpoint = "tcp://127.0.0.1:%d" % cj.FixedPortDaemon.ports["ack"]
    try:
        ids = ["k-%05d" % i for i in range(N)]
        lines = os.path.join(tmp, "in.jsonl")
        with open(lines, "w", encoding="utf-8") as f:
            for i, aid in enumerate(ids):
                f.write(json.dumps({"id": aid, "text": cj.article_text("k", i)},
                                   ensure_ascii=False) + "\n")
        d = cj.FixedPortDaemon(tmp=tmp)
        through = cj.Tail("--from", 0, "--endpoint", d.output, "--replay", d.replay, "--count", N,
                          "--timeout", int(60000 * e2e.SLOW), "--idle-check-ms", 300)
        with open(lines, "rb") as stdin:
            client = subprocess.Popen([cj.ENRICH, "push", "--ack", "--ack-endpoint", endpoint,
                                       "--window", "200", "--timeout-ms",
                                       str(int(1000 * e2e.SLOW)), "--retries", "60", "--quiet"],
                                      stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            at_kill = cj.wait_last_seq(d, 3000, timeout=60)
            d.kill9()
            d.close()
            e2e.check(at_kill < N, "all %d were journaled before the kill: too fast to test" % N)
            time.sleep(0.3)
            with cj.FixedPortDaemon(tmp=tmp) as d2:
                out, err = client.communicate(timeout=120 * e2e.SLOW)
                rc = client.returncode
                s = cj.summary(out.decode())
                e2e.check(rc == 0, "push --ack through the kill: status %d, %s %s"
                          % (rc, out, err[-2000:]))
                e2e.check(s["articles"] == N and s["ok"] == N and s["unacknowledged"] == 0,
                          "summary %r" % s)
                jrecs, end = cj.journal(d2)
                got = sorted(r["id"] for _, r, _ in jrecs)
                e2e.check(got == ids, "the journal holds %d records, %d distinct ids (want %d)"
                          % (len(got), len(set(got)), N))
                cj.check_seqs([r for _, r, _ in jrecs], list(range(1, N + 1)), "journal")
                t = cj.Tail("--from", 0, "--endpoint", d2.output, "--replay", d2.replay,
                            "--count", N, "--timeout", int(30000 * e2e.SLOW))
                try:
                    trc = t.wait(timeout=120)
                finally:
                    t.close()
                e2e.check(trc == 0, "tail --from 0: status %d, %s" % (trc, t.stderr()))
                cj.check_seqs(t.lines, list(range(1, N + 1)), "tail --from 0")
                e2e.check(sorted(r["id"] for r in t.lines) == ids, "tail ids")
                trc = through.wait(timeout=60)
                e2e.check(trc == 0, "tail through the kill: status %d, %s"
                          % (trc, through.stderr()))
                cj.check_seqs(through.lines, list(range(1, N + 1)), "tail through the kill")
                e2e.check([(r["seq"], r["id"]) for r in through.lines]
                          == [(r["seq"], r["id"]) for r in t.lines],
                          "the tail through the kill and the later one differ")
        finally:
            through.close()
            if client.poll() is None:
                client.kill()
                client.wait(10)
        e2e.log("ok: killed at seq %d; push --ack ended with ok=%d, %d resends; each id once in "
                "the journal and in both tails" % (at_kill, s["ok"], s["resends"]))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    e2e.run(main)
