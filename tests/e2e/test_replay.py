"""test_replay — the replay ROUTER and the journal behind it, with a real enrichd.

1. Replay: the records after `since`, in seq order, equal to what the SUB saw live; `limit`
   and `next` page through; the end marker's first_seq / last_seq / next / instance; the topics
   prefix filter; `raw: true` adds the journaled input bytes (cut at journal.raw_max_bytes) as a
   4th frame of error records only; a REQ-style empty delimiter is echoed; bad requests (not
   JSON, no since, wrong types) get one ["error"][{"message"}].
2. Restart (SIGTERM, same state_dir): seq continues after the last journaled seq, and the old
   records are still served.
3. Retention (journal.max_records): old records are deleted, replay says where history starts
   (first_seq) and serves from there.
4. A record that cannot fit in the journal (journal.map_bytes = 1 MiB, a 1.3 MB article): it
   is still published, the error is logged and counted, the daemon goes on, and the records
   after it are journaled (seq keeps growing without a reuse).
Touches: its own daemons and temp dirs (tests/e2e/enrichd_e2e.py).
"""

import json
import os
import signal
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import enrichd_e2e as e2e  # noqa: E402

N = 60
RAW_MAX = 40


def article(i):
    return {"id": "rp-%03d" % i,
            "text": "The council approved budget number %d on Monday, the mayor said in a "
                    "statement." % i}


def bad_input(i):
    # invalid JSON, longer than RAW_MAX so the journal keeps a prefix
    return ('{"id": "bad-%d", "text": "unterminated string ........................' % i).encode()


def push_all(d, push, sub, n, with_errors=True):
    """Pushes n articles (+ an invalid frame every 10th) and returns the records seen live
    until every one of them came out (late probe records included)."""
    want = set()
    for i in range(n):
        e2e.send_envelope(push, article(i))
        want.add(article(i)["id"])
        if with_errors and i % 10 == 0:
            push.send(bad_input(i))
            want.add(e2e.stable_id(bad_input(i)))  # invalid JSON: the id is the frame's hash
    got = []
    while want:
        item = e2e.recv_record(sub, 20 * e2e.SLOW)
        e2e.check(item is not None, "%d records never came out" % len(want))
        got.append(item)
        want.discard(item[1]["id"])
    return got


def test_replay_and_restart():
    d = e2e.Daemon(instance="e2e-replay", journal="raw_max_bytes = %d;" % RAW_MAX)
    tmp = d.tmp
    try:
        e2e.check(d.replay is not None, "no 'listening' line for the replay socket")
        push = d.push()
        sub, probes = d.sub(push)
        live = probes + push_all(d, push, sub, N)
        by_seq = {r["seq"]: (t, r) for t, r in live}
        last = max(by_seq)
        # (a probe pushed before the SUB was live has a seq the SUB never saw)

        # everything, in order, equal to the live records
        recs, end = d.replay_request({"since": 0})
        e2e.check(end == {"first_seq": 1, "last_seq": last, "next": last,
                          "instance": "e2e-replay"}, "end marker %r" % end)
        e2e.check([r["seq"] for _, r, _ in recs] == list(range(1, last + 1)),
                  "replay seqs %r" % [r["seq"] for _, r, _ in recs][:20])
        replayed = {r["seq"]: (t, r) for t, r, _ in recs}
        for seq, (t, live_rec) in by_seq.items():
            e2e.check(replayed[seq] == (t, live_rec), "replayed seq %d differs from live" % seq)
        for topic, rec, raw in recs:
            e2e.check(raw is None, "raw frame sent without raw: true")
            e2e.check(rec["seq"] in by_seq or rec["id"].startswith("probe-"),
                      "replay has seq %d (%s) that never came out live"
                      % (rec["seq"], rec["id"]))

        # since + limit, paging with next
        recs, end = d.replay_request({"since": 10, "limit": 5})
        e2e.check([r["seq"] for _, r, _ in recs] == [11, 12, 13, 14, 15], "since 10 limit 5: %r"
                  % [r["seq"] for _, r, _ in recs])
        e2e.check(end["next"] == 15 and end["last_seq"] == last, "end %r" % end)
        recs, end = d.replay_request({"since": end["next"], "limit": 3})
        e2e.check([r["seq"] for _, r, _ in recs] == [16, 17, 18], "paging: %r" % end)
        recs, end = d.replay_request({"since": last})
        e2e.check(recs == [] and end["next"] == last, "since = last: %r %r" % (recs, end))

        # topics filter and raw
        recs, end = d.replay_request({"since": 0, "topics": ["error"], "raw": True})
        errors = [r for t, r in live if t == "error"]
        e2e.check(len(recs) == len(errors) > 0, "%d error records replayed, %d live"
                  % (len(recs), len(errors)))
        for topic, rec, raw in recs:
            e2e.check(topic == "error", "topics filter let %s through" % topic)
            i = int(rec["id"].split("-")[1]) if rec["id"].startswith("bad-") else None
            want = bad_input(i)[:RAW_MAX] if i is not None else None
            if want is None:  # the id is the hash of the frame: find the frame
                frames = [bad_input(k) for k in range(0, N, 10)]
                match = [f for f in frames if e2e.stable_id(f) == rec["id"]]
                e2e.check(match, "error record %s matches no frame sent" % rec["id"])
                want = match[0][:RAW_MAX]
            e2e.check(raw == want, "raw of %s: %r, want %r" % (rec["id"], raw, want))
        e2e.check(end["next"] == last, "filtered replay end %r" % end)
        recs, _ = d.replay_request({"since": 0, "topics": ["article."], "raw": True})
        e2e.check(recs and all(t.startswith("article.") and raw is None for t, _, raw in recs),
                  "article filter / raw on articles")

        # REQ-style delimiter
        de = d.dealer(d.replay)
        de.send_multipart([b"", json.dumps({"since": last - 1}).encode()])
        e2e.check(de.poll(int(10000 * e2e.SLOW)), "no answer to a request with a delimiter")
        f = de.recv_multipart()
        e2e.check(f[0] == b"" and f[1] == b"rec", "delimiter not echoed: %r" % f[:3])
        f = de.recv_multipart()
        e2e.check(f[:2] == [b"", b"end"], "end not after the record: %r" % f[:2])

        # bad requests
        for req in (b"not json", b'{"limit": 3}', b'{"since": -1}', b'{"since": "5"}',
                    b'{"since": 1, "limit": 0}', b'{"since": 1, "topics": "error"}',
                    b'{"since": 1, "raw": 1}', b"[1]"):
            de.send(req)
            e2e.check(de.poll(int(10000 * e2e.SLOW)), "no answer to %r" % req)
            f = de.recv_multipart()
            e2e.check(len(f) == 2 and f[0] == b"error" and json.loads(f[1]).get("message"),
                      "bad request %r answered %r" % (req, f))
        de.send_multipart([b"a", b"b"])
        e2e.check(de.poll(int(10000 * e2e.SLOW)) and de.recv_multipart()[0] == b"error",
                  "two frames not rejected")

        # restart on the same state_dir: seq continues
        d.signal(signal.SIGTERM)
        e2e.check(d.wait_exit(20 * e2e.SLOW) == 0, "enrichd did not exit 0 on SIGTERM")
        d.keep_tmp = True
        d.close()
    except BaseException:
        d.close()
        raise
    with e2e.Daemon(instance="e2e-replay", tmp=tmp) as d2:
        d2.keep_tmp = False
        push = d2.push()
        sub, probes = d2.sub(push)
        e2e.check(probes[-1][1]["seq"] > last, "after restart seq %d, want > %d"
                  % (probes[-1][1]["seq"], last))
        recs, end = d2.replay_request({"since": last})
        e2e.check(recs and recs[0][1]["seq"] == last + 1,
                  "the first record after the restart is not seq %d" % (last + 1))
        new_last = end["last_seq"]
        recs, end = d2.replay_request({"since": 0, "limit": 5000})
        e2e.check([r["seq"] for _, r, _ in recs] == list(range(1, new_last + 1)),
                  "replay after restart: seqs not 1..%d" % new_last)
        e2e.check(end["first_seq"] == 1 and new_last == probes[-1][1]["seq"], "end %r" % end)


def test_retention():
    keep = 20
    with e2e.Daemon(instance="e2e-retain", journal="max_records = %d;" % keep) as d:
        push = d.push()
        sub, probes = d.sub(push)
        live = probes + push_all(d, push, sub, 50, with_errors=False)
        last = max(r["seq"] for _, r in live)
        recs, end = d.replay_request({"since": 0})
        last = max(last, end["last_seq"])  # a late probe may come after the articles
        first = last - keep + 1
        e2e.check(end["first_seq"] == first and end["last_seq"] == last,
                  "retention: end %r, want first_seq %d last_seq %d" % (end, first, last))
        e2e.check([r["seq"] for _, r, _ in recs] == list(range(first, last + 1)),
                  "retention: replay serves %r" % [r["seq"] for _, r, _ in recs])
        e2e.check(end["next"] == last, "next %r" % end)
        e2e.log("retention: %r" % end)


def test_journal_full():
    with e2e.Daemon(instance="e2e-full", max_bytes=2000000, max_frame_bytes=4000000,
                    journal="map_bytes = 1048576; max_bytes = 786432;") as d:
        push = d.push()
        sub, probes = d.sub(push)
        big = {"id": "too-big", "text": ("Le maire a parlé du pont pendant une heure. " * 28000)}
        e2e.send_envelope(push, big)
        got = e2e.recv_until(sub, lambda t, r: r["id"] == "too-big", 60 * e2e.SLOW)
        big_seq = got[-1][1]["seq"]
        d.wait_log(lambda r: r.get("msg", "").startswith("journal append failed"),
                   10 * e2e.SLOW, what="the journal error line")
        for i in range(5):
            e2e.send_envelope(push, article(i))
        after = e2e.recv_count(sub, 5, 20 * e2e.SLOW)
        seqs = [r["seq"] for _, r in after]
        e2e.check(seqs == list(range(big_seq + 1, big_seq + 6)), "seqs after: %r" % seqs)
        recs, end = d.replay_request({"since": 0})
        held = [r["seq"] for _, r, _ in recs]
        e2e.check(big_seq not in held and set(seqs) <= set(held),
                  "journal holds %r (big %d)" % (held, big_seq))
        e2e.check(end["last_seq"] == big_seq + 5, "end %r" % end)
        e2e.check(d.alive(), "enrichd died")


def main():
    test_replay_and_restart()
    test_retention()
    test_journal_full()


if __name__ == "__main__":
    e2e.run(main)
