"""test_cli_journal_tail — `enrich tail --from` against the REAL daemon and its journal (issue 5
proof: "a subscriber stopped for 5,000 records catches up with enrich tail --from and sees each
once"; "restart keeps seq growing").

1. `enrich tail --from 0` follows while 400 articles are pushed; it is killed (SIGKILL) after
   150 printed records; 5,000 more articles are pushed while it is away; restarted with
   `--from <last seq it printed>`, it prints every missed record exactly once, in seq order,
   then the 200 articles pushed after it caught up (live). Both runs together: seqs 1..5,600
   once each, and (seq, id) as the journal holds them, ids exactly what was pushed.
2. The daemon is stopped (SIGTERM) and restarted on the same state dir, then killed (-9) and
   restarted again: each time, `enrich tail --from <last seq>` on the new endpoints prints the
   records pushed after the restart with seqs continuing after the old ones, none given twice.
3. A tail that keeps running while the daemon restarts on the same endpoints (SIGTERM, then
   kill -9): the 300 records published after each restart, a burst that may be over before its
   SUB has reconnected, are printed once, in order, without any later record to reveal the hole
   (the idle check asks the journal; before it, the tail waited forever).
Touches: its own daemons, temp dirs, loopback ports and enrich processes.
"""

import os
import shutil
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import enrichd_e2e as e2e  # noqa: E402
import cli_journal as cj  # noqa: E402

FIRST, AWAY, LIVE = 400, 5000, 200


def push_all(d, sock, tag, start, n):
    """Pushes n envelopes with ids TAG-start...; returns the ids."""
    ids = []
    for i in range(start, start + n):
        aid = "%s-%05d" % (tag, i)
        e2e.send_envelope(sock, {"id": aid, "text": cj.article_text(tag, i)})
        ids.append(aid)
    return ids


def tail_args(d, since, count, timeout_s=60):
    return ["--from", since, "--endpoint", d.output, "--replay", d.replay, "--count", count,
            "--timeout", int(timeout_s * 1000 * e2e.SLOW),
            "--replay-timeout-ms", int(10000 * e2e.SLOW)]


def check_catch_up(d):
    push = d.push()
    pushed = []
    # 1. a first tail, killed after 150 records while more keep arriving
    t1 = cj.Tail(*tail_args(d, 0, 1000000))
    try:
        pushed += push_all(d, push, "a", 0, FIRST)
        t1.wait_count(150)
        first_run = t1.kill()
    finally:
        t1.close()
    e2e.check(len(first_run) >= 150, "first tail printed %d" % len(first_run))
    cj.check_seqs(first_run, list(range(1, len(first_run) + 1)), "first tail")
    last = first_run[-1]["seq"]
    e2e.log("first tail killed after %d records (last seq %d)" % (len(first_run), last))

    # 2. 5,000 more while it is away, all journaled before it comes back
    pushed += push_all(d, push, "b", 0, AWAY)
    total = FIRST + AWAY
    cj.wait_last_seq(d, total, timeout=120)
    missed = total - last
    e2e.check(missed >= AWAY, "only %d records missed" % missed)

    # 3. restarted from the last seq it printed: the missed records, then live ones
    t2 = cj.Tail(*tail_args(d, last, missed + LIVE))
    try:
        t2.wait_count(missed, timeout=120)
        time.sleep(0.2 * e2e.SLOW)  # nothing more may come before the live pushes
        e2e.check(t2.count() == missed, "the restarted tail printed %d records before the live "
                  "pushes, %d were missed" % (t2.count(), missed))
        pushed += push_all(d, push, "c", 0, LIVE)
        rc = t2.wait(timeout=120)
    finally:
        t2.close()
    second_run = t2.lines
    e2e.check(rc == 0, "restarted tail: status %d; stderr: %s" % (rc, t2.stderr()))
    e2e.check("gap" not in t2.stderr() and "history" not in t2.stderr(),
              "restarted tail reported: %s" % t2.stderr())
    cj.check_seqs(second_run, list(range(last + 1, total + LIVE + 1)), "restarted tail")
    e2e.check([r["id"] for r in second_run[missed:]].count("c-00000") == 1,
              "the live records are not the ones pushed after the catch-up")

    # 4. against the journal and what was pushed
    both = first_run + second_run
    jrecs, _ = cj.journal(d)
    want = [(r["seq"], r["id"]) for _, r, _ in jrecs]
    got = [(r["seq"], r["id"]) for r in both]
    e2e.check(got == want, "tail's (seq, id) differ from the journal's")
    e2e.check(sorted(r["id"] for r in both) == sorted(pushed),
              "ids printed are not exactly the ids pushed")
    e2e.check(all(r["schema"] == "enrichd.article/1" and r["instance"] == d.instance
                  for r in both), "a record that is not an article of this instance")
    e2e.log("ok: restarted tail printed %d missed + %d live records, once each, in seq order"
            % (missed, LIVE))
    push.close(linger=0)
    return total + LIVE


def restart_and_tail(tmp, last, how):
    """Restarts the daemon on tmp's journal, pushes 50 articles, checks tail --from last."""
    with e2e.Daemon(tmp=tmp) as d:
        push = d.push()
        ids = push_all(d, push, how, 0, 50)
        t = cj.Tail(*tail_args(d, last, 50))
        try:
            rc = t.wait(timeout=60)
        finally:
            t.close()
        e2e.check(rc == 0, "tail after %s: status %d, %s" % (how, rc, t.stderr()))
        cj.check_seqs(t.lines, list(range(last + 1, last + 51)), "tail after %s" % how)
        e2e.check(sorted(r["id"] for r in t.lines) == ids, "ids after %s" % how)
        e2e.check("gap" not in t.stderr() and "history" not in t.stderr(),
                  "tail after %s reported: %s" % (how, t.stderr()))
        push.close(linger=0)
        if how == "sigterm":
            d.signal(15)
            e2e.check(d.wait_exit(30 * e2e.SLOW) == 0, "enrichd exit after SIGTERM")
        else:
            cj.wait_last_seq(d, last + 50)
            d.kill9()
    e2e.log("ok: after a %s restart, tail --from %d prints seqs %d..%d"
            % (how, last, last + 1, last + 50))
    return last + 50


def tail_through_restarts():
    tmp = tempfile.mkdtemp(prefix="enrichd-clitail-")
    cj.FixedPortDaemon.ports = {n: cj.free_port() for n in ("feed", "output", "replay")}
    t = d = None
    try:
        d = cj.FixedPortDaemon(tmp=tmp)
        push = d.push()
        ids = push_all(d, push, "r0", 0, 100)
        t = cj.Tail(*tail_args(d, 0, 700, timeout_s=60), "--idle-check-ms",
                    int(300 * e2e.SLOW))
        t.wait_count(100)
        for how in ("sigterm", "kill9"):
            if how == "kill9":
                cj.wait_last_seq(d, t.count())
                d.kill9()
            else:
                d.signal(15)
                e2e.check(d.wait_exit(30 * e2e.SLOW) == 0, "enrichd exit after SIGTERM")
            d.close()
            d = cj.FixedPortDaemon(tmp=tmp)
            push = d.push()
            ids += push_all(d, push, "r-" + how, 0, 300)
            t.wait_count(len(ids), timeout=60)
            e2e.log("ok: a running tail printed the 300 records published after a %s restart"
                    % how)
        rc = t.wait()
        e2e.check(rc == 0, "tail through restarts: status %d, %s" % (rc, t.stderr()))
        cj.check_seqs(t.lines, list(range(1, 701)), "tail through restarts")
        e2e.check(sorted(r["id"] for r in t.lines) == sorted(ids), "tail through restarts: ids")
        e2e.check("gap" not in t.stderr(), "tail through restarts: %s" % t.stderr())
    finally:
        if t is not None:
            t.close()
        if d is not None:
            d.close()
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    cj.require_enrich()
    tmp = tempfile.mkdtemp(prefix="enrichd-clitail-")
    try:
        with e2e.Daemon(tmp=tmp) as d:
            last = check_catch_up(d)
        last = restart_and_tail(tmp, last, "sigterm")
        last = restart_and_tail(tmp, last, "kill9")
        restart_and_tail(tmp, last, "final")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    tail_through_restarts()
    return 0


if __name__ == "__main__":
    e2e.run(main)
