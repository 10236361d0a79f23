"""test_cli_tail_replay — `enrich tail --from` against fake_enrichd (the journal's replay
endpoint and the output, in memory), before the daemon side exists.

Checks: a tail started with --from 0 while the fake holds 5,000 journaled records and keeps
publishing more (while it replays and after) prints every seq exactly once, in order; records
lost on the live path come from the journal; seqs that are nowhere are reported as a gap;
"history starts at F" when retention deleted the start; --topic filters replay and live alike;
an unreachable replay endpoint is an error (status 1), not a hang.
Touches: its fake server's loopback sockets and the enrich processes it starts.
"""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from enrichd_e2e import BIN, SKIP, SLOW, check, log, run  # noqa: E402
from fake_enrichd import FakeEnrichd  # noqa: E402

ENRICH = os.path.join(BIN, "enrich")


def tail(fake, *args, timeout=60):
    cmd = [ENRICH, "tail", "--endpoint", fake.output_endpoint, "--replay", fake.replay_endpoint,
           "--timeout-ms", str(int(10000 * SLOW))] + list(args)
    p = subprocess.run(cmd, capture_output=True, timeout=timeout * SLOW)
    recs = [json.loads(line) for line in p.stdout.decode("utf-8").splitlines()]
    return p.returncode, recs, p.stderr.decode("utf-8", "replace")


def test_catch_up_while_publishing(*extra):
    """5,000 journaled; 25 more published live on each of the first 4 replay requests (the
    catch-up needs at least 6 pages of 1,000), so the journal grows while the client reads it;
    after the catch-up 1,700 more live, of which 3 are lost on the way (journaled only), then 4
    seqs that exist nowhere, then 6 more: 6,810 seqs, 6,806 records."""
    lost = {5400, 5401, 6100}
    with FakeEnrichd() as fake:
        def setup(f):
            f.add(5000)
            f.live_per_request = 25
            f.live_during_replay_left = 100
            f.lose_live = set(lost)
            f.live_after_catch_up = [("rec", 1700), ("vanish", 4), ("rec", 6)]
        fake.call(setup)
        rc, recs, err = tail(fake, "--from", "0", "--count", "6806", *extra)
        during = fake.call(lambda f: 100 - f.live_during_replay_left)
        newest = fake.call(lambda f: f.seq)
        requests = fake.call(lambda f: list(f.replay_requests))
    seqs = [r["seq"] for r in recs]
    log("tail --from 0 %s: status %d, %d records, %d published during the replay, %d replay "
        "requests" % (" ".join(extra), rc, len(recs), during, len(requests)))
    check(rc == 0, "status %d, stderr: %s" % (rc, err))
    check(during == 100 and newest == 6810, "fake: %d during the replay, newest %d"
          % (during, newest))
    expected = [s for s in range(1, 6811) if not 6801 <= s <= 6804]
    check(len(recs) == 6806, "printed %d records, want 6806" % len(recs))
    check(seqs == expected,
          "seqs not 1..N once each in order: first difference at index %d"
          % next((i for i, (a, b) in enumerate(zip(seqs, expected)) if a != b), -1))
    via_live = [r["seq"] for r in recs if r.get("via") == "live"]
    check(via_live, "no record was printed from the live stream")
    check(all(r.get("via") != "live" for r in recs if r["seq"] in lost),
          "a record lost on the live path was not taken from the journal")
    check(any(q["since"] >= 5100 for q in requests[6:]), "no replay request filled a hole")
    check("gap: records 6801..6804 of enrichd-fake are missing (not in the journal)" in err,
          "no gap report for 6801..6804; stderr: %s" % err)
    check(err.count("gap:") == 1, "other gaps reported: %s" % err)
    check("history starts" not in err, "history report without retention: %s" % err)


def test_history_starts():
    with FakeEnrichd() as fake:
        def setup(f):
            f.add(300)
            f.retain_from(101)
        fake.call(setup)
        rc, recs, err = tail(fake, "--from", "0", "--count", "200")
        check(rc == 0, "status %d: %s" % (rc, err))
        check([r["seq"] for r in recs] == list(range(101, 301)), "records after retention")
        check("history starts at 101: records 1..100 were deleted by retention" in err,
              "no history report: %s" % err)
        # from inside the kept history: no report
        rc, recs, err = tail(fake, "--from", "250", "--count", "50")
        check(rc == 0 and [r["seq"] for r in recs] == list(range(251, 301)), "from 250")
        check("history" not in err and "gap" not in err, "spurious report: %s" % err)
        # a topic filter: the history report comes from the end marker
        rc, recs, err = tail(fake, "--from", "10", "--count", "20", "--topic", "article.")
        check(rc == 0 and [r["seq"] for r in recs] == list(range(101, 121)), "topic + history")
        check("history starts at 101: records 11..100" in err, "topic + history: %s" % err)


def test_topic_filter():
    """Replay and live both filtered; every error record once, in order."""
    with FakeEnrichd() as fake:
        def setup(f):
            f.add(2000, topics=("article.fr", "article.en", "error"))
            f.live_after_catch_up = [("rec", 10)]
        fake.call(setup)

        def live_errors(f):
            for _ in range(30):
                f.append("error", publish=True, error=("empty", "texte vide"))
                f.append("article.en", publish=True)
        rc, recs, err = tail(fake, "--from", "0", "--topic", "error", "--count", "666")
        check(rc == 0, "status %d: %s" % (rc, err))
        seqs = [r["seq"] for r in recs]
        check(all(r["schema"] == "enrichd.error/1" for r in recs), "a non-error record printed")
        check(seqs == list(range(3, 2001, 3))[:666], "error records of the replay: %s" % seqs[:5])
        # the live part: 30 errors published after a new client caught up
        fake.call(lambda f: setattr(f, "live_after_catch_up", []))
        import threading
        t = threading.Timer(1.0 * SLOW, lambda: fake.call(live_errors))
        t.start()
        rc, recs, err = tail(fake, "--from", "2010", "--topic", "error", "--count", "30")
        t.join()
        check(rc == 0, "live errors: status %d: %s" % (rc, err))
        seqs = [r["seq"] for r in recs]
        check(len(seqs) == 30 and seqs == sorted(set(seqs)), "live errors once, in order")
        check(all(r["schema"] == "enrichd.error/1" for r in recs), "live filter")
        check("gap" not in err, "spurious gap with a topic filter: %s" % err)


def test_replay_unreachable():
    with FakeEnrichd() as fake:
        cmd = [ENRICH, "tail", "--from", "0", "--endpoint", fake.output_endpoint,
               "--replay", "tcp://127.0.0.1:9", "--replay-timeout-ms", "300"]
        p = subprocess.run(cmd, capture_output=True, timeout=30 * SLOW)
        check(p.returncode == 1, "status %d, want 1" % p.returncode)
        check(b"no answer" in p.stderr, "stderr: %r" % p.stderr)
        p = subprocess.run([ENRICH, "tail", "--from", "x"], capture_output=True, timeout=10)
        check(p.returncode == 2, "--from x: status %d, want 2" % p.returncode)


def main():
    if not os.access(ENRICH, os.X_OK):
        log("SKIP: %s not built" % ENRICH)
        return SKIP
    test_catch_up_while_publishing()
    # a live buffer too small for the burst: what does not fit comes from the journal
    test_catch_up_while_publishing("--buffer", "10", "--page", "300")
    test_history_starts()
    test_topic_filter()
    test_replay_unreachable()
    return 0


if __name__ == "__main__":
    run(main)
