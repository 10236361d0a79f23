"""test_acked — the acknowledged feed (ROUTER) with a real enrichd, an independent pyzmq DEALER.

1. Replies: ["ok"][id][seq] for an article, ["error"][id][code] for rejected input (invalid
   JSON, missing text, two payload frames → bad_frames), the empty delimiter echoed for a
   REQ-style request; the seq in the ok reply is the record's seq on the output.
2. De-duplication: the same id sent twice at once and once more after the ack → one record,
   three replies with the same seq.
3. SIGTERM while 2,000 acked requests are queued: the daemon exits 0 and every article it
   journaled was answered (same seq), none answered without being journaled.
4. kill -9 in the middle of 10,000 acked pushes, restart on the same state_dir, the producer
   resends whatever was not acknowledged: joining the live SUB output before the kill, the
   live output after the restart and the replay of the journal, every article appears exactly
   once (one seq per id, one id per seq), nothing is lost, and each ack names that seq.
Touches: its own daemons and temp dir (tests/e2e/enrichd_e2e.py).
"""

import json
import os
import signal
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zmq  # noqa: E402

import enrichd_e2e as e2e  # noqa: E402

N = 10000
KILL_AFTER = 4000      # acknowledged articles before the kill
WINDOW = 400           # requests outstanding at once
RESEND_S = 3.0         # resend an unacknowledged request after this long (× SLOW)


def article(i):
    return {"id": "ack-%05d" % i, "lang": "fr",
            "text": "Le conseil municipal a voté lundi le budget numéro %d. Le maire a promis "
                    "la réouverture du pont avant l'été, selon un communiqué." % i}


def drain(sub, live, idle=0.0):
    """Moves every record waiting on sub into live (seq → (id, topic)); waits up to idle s."""
    while True:
        item = e2e.recv_record(sub, idle)
        if item is None:
            return
        topic, rec = item
        seq, rid = rec["seq"], rec["id"]
        if seq in live:
            e2e.check(live[seq][0] == rid, "seq %d seen for %s and %s" % (seq, live[seq][0], rid))
        live[seq] = (rid, topic)


def produce(d, ids, acked, live, sub, stop_after=None, deadline_s=120.0):
    """Sends the articles ids over a DEALER with WINDOW outstanding, resending after RESEND_S,
    until each is acknowledged (or stop_after acks in total). acked: id → seq. Records coming
    out on sub go into live meanwhile."""
    de = d.dealer()
    queue = [i for i in ids if article(i)["id"] not in acked]
    queue.reverse()
    out = {}  # id → (index, last send time)
    poller = zmq.Poller()
    poller.register(de, zmq.POLLIN)
    poller.register(sub, zmq.POLLIN)
    deadline = time.monotonic() + deadline_s * e2e.SLOW
    try:
        while queue or out:
            if stop_after is not None and len(acked) >= stop_after:
                return
            e2e.check(time.monotonic() < deadline, "acked push: %d still unacknowledged after "
                      "%.0f s" % (len(queue) + len(out), deadline_s * e2e.SLOW))
            while queue and len(out) < WINDOW:
                i = queue.pop()
                de.send(json.dumps(article(i)).encode())
                out[article(i)["id"]] = (i, time.monotonic())
            for sock, _ in poller.poll(100):
                if sock is sub:
                    drain(sub, live)
                    continue
                while de.poll(0):
                    frames = de.recv_multipart()
                    e2e.check(len(frames) == 3 and frames[0] == b"ok",
                              "unexpected reply %r" % frames[:3])
                    rid, seq = frames[1].decode(), int(frames[2])
                    if rid in acked:
                        e2e.check(acked[rid] == seq, "id %s acknowledged with seq %d and %d"
                                  % (rid, acked[rid], seq))
                    acked[rid] = seq
                    out.pop(rid, None)
            now = time.monotonic()
            for rid, (i, sent) in list(out.items()):
                if now - sent > RESEND_S * e2e.SLOW:
                    de.send(json.dumps(article(i)).encode())
                    out[rid] = (i, now)
    finally:
        de.close(0)


def test_replies_and_dedup():
    with e2e.Daemon(instance="e2e-acked", workers=2) as d:
        e2e.check(d.ack is not None, "no 'listening' line for the ack socket")
        push = d.push()
        sub, _ = d.sub(push)
        de = d.dealer()
        art = {"id": "dup-1", "text": "Le ministre a présenté mercredi un budget en hausse."}
        de.send(json.dumps(art).encode())
        de.send(json.dumps(art).encode())  # a resend while the first is in flight
        replies = [de.recv_multipart() for _ in range(2)] if de.poll(int(20000 * e2e.SLOW)) else []
        e2e.check(len(replies) == 2, "no replies")
        e2e.check(replies[0] == replies[1] and replies[0][:2] == [b"ok", b"dup-1"],
                  "the two copies were answered differently: %r" % replies)
        seq = int(replies[0][2])
        de.send(json.dumps(art).encode())  # a resend after the ack: answered from the journal
        e2e.check(de.poll(int(20000 * e2e.SLOW)), "no reply to the third copy")
        e2e.check(de.recv_multipart() == [b"ok", b"dup-1", str(seq).encode()],
                  "third copy answered differently")
        got = e2e.recv_until(sub, lambda t, r: r["id"] == "dup-1", 20 * e2e.SLOW)
        e2e.check(got[-1][1]["seq"] == seq, "record seq %d, ack seq %d" % (got[-1][1]["seq"], seq))

        # rejected input: error replies with the record's code; REQ-style delimiter echoed
        de.send(b'{"id": "bad-json", "text": ')  # noqa: the JSON is cut on purpose
        de.send_multipart([b"", b'{"id": "no-text"}'])
        de.send_multipart([b"frame one", b"frame two"])
        replies = []
        while len(replies) < 3 and de.poll(int(20000 * e2e.SLOW)):
            replies.append(de.recv_multipart())
        e2e.check(len(replies) == 3, "only %d error replies" % len(replies))
        by = {tuple(r[:-1]): r[-1] for r in replies}
        bad_id = e2e.stable_id(b'{"id": "bad-json", "text": ').encode()  # the envelope never parsed
        e2e.check(by.get((b"error", bad_id)) == b"invalid_json", "invalid_json: %r" % replies)
        e2e.check(by.get((b"", b"error", b"no-text")) == b"missing_text",
                  "missing_text with the delimiter echoed: %r" % replies)
        bad = [r for r in replies if r[-1] == b"bad_frames"]
        e2e.check(len(bad) == 1 and bad[0][0] == b"error", "bad_frames: %r" % replies)
        # and each is an error record on the output, after dup-1 (never a second dup-1)
        got = e2e.recv_count(sub, 3, 20 * e2e.SLOW)
        codes = sorted(r["error"]["code"] for t, r in got if t == "error")
        e2e.check(codes == ["bad_frames", "invalid_json", "missing_text"],
                  "error records: %r" % [(t, r.get("id")) for t, r in got])
        e2e.check(e2e.recv_record(sub, 0.3) is None, "an extra record came out")


def replay_all(d):
    """Every record the journal holds: seq → (id, topic), paging with next."""
    got, since = {}, 0
    while True:
        recs, end = d.replay_request({"since": since, "limit": 5000})
        e2e.check(recs != "error", "replay error: %r" % (end,))
        for topic, rec, _ in recs:
            got[rec["seq"]] = (rec["id"], topic)
        e2e.check(end["next"] >= since, "replay next went back: %r" % end)
        if end["next"] >= end["last_seq"]:
            return got, end
        since = end["next"]


def test_kill9_resend():
    ids = list(range(N))
    acked, live1, live2 = {}, {}, {}
    d1 = e2e.Daemon(instance="e2e-kill", workers=2)
    tmp = d1.tmp
    t0 = time.monotonic()
    try:
        push = d1.push()
        sub, _ = d1.sub(push)
        produce(d1, ids, acked, live1, sub, stop_after=KILL_AFTER)
        d1.kill9()
        drain(sub, live1, 0.0)
        d1.keep_tmp = True
        d1.close()  # the sockets; the journal stays
    except BaseException:
        e2e.log("enrichd log (last lines):\n" + d1.log_tail())
        d1.close()
        raise
    e2e.log("killed after %d acks, %d records seen live" % (len(acked), len(live1)))
    e2e.check(len(acked) >= KILL_AFTER, "too few acks before the kill")
    e2e.check(len(acked) < N, "everything was acknowledged before the kill: nothing tested")

    with e2e.Daemon(instance="e2e-kill", workers=2, tmp=tmp) as d2:
        d2.keep_tmp = False  # removed when this daemon closes
        push = d2.push()
        sub, probes = d2.sub(push)
        for t, r in probes:
            live2[r["seq"]] = (r["id"], t)
        produce(d2, ids, acked, live2, sub)
        # everything published so far reaches the SUB before this last probe
        d2.probe_count += 1000
        pid = "probe-end"
        e2e.send_envelope(push, {"id": pid, "text": "Final probe: the bridge reopened."})
        while not any(v[0] == pid for v in live2.values()):
            item = e2e.recv_record(sub, 20 * e2e.SLOW)
            e2e.check(item is not None, "the final probe never came out")
            live2[item[1]["seq"]] = (item[1]["id"], item[0])
        journal, end = replay_all(d2)
    elapsed = time.monotonic() - t0
    e2e.log("resend done: %d acked, %d live after restart, journal %d records (%r), %.1f s"
            % (len(acked), len(live2), len(journal), end, elapsed))

    e2e.check(len(acked) == N, "only %d of %d articles acknowledged" % (len(acked), N))
    e2e.check(end["first_seq"] == 1, "retention deleted records: %r" % end)
    # every seq the journal holds, 1..last, once
    e2e.check(sorted(journal) == list(range(1, end["last_seq"] + 1)),
              "journal seqs are not 1..%d without gaps" % end["last_seq"])
    # one id per seq across the three views
    for view, name in ((live1, "live before the kill"), (live2, "live after the restart")):
        for seq, (rid, _) in view.items():
            e2e.check(seq in journal, "%s: seq %d (%s) is not in the journal" % (name, seq, rid))
            e2e.check(journal[seq][0] == rid, "%s: seq %d is %s live but %s in the journal"
                      % (name, seq, rid, journal[seq][0]))
    # one seq per id, and it is the acknowledged one
    seqs_of = {}
    for view in (live1, live2, journal):
        for seq, (rid, _) in view.items():
            seqs_of.setdefault(rid, set()).add(seq)
    for i in ids:
        rid = article(i)["id"]
        e2e.check(rid in seqs_of, "article %s was acknowledged but never published" % rid)
        e2e.check(len(seqs_of[rid]) == 1, "article %s has several seqs: %s"
                  % (rid, sorted(seqs_of[rid])))
        e2e.check(seqs_of[rid] == {acked[rid]}, "article %s: ack seq %d, record seq %s"
                  % (rid, acked[rid], sorted(seqs_of[rid])))
    # the live views overlap the replay only where they should: the union is the journal
    union = set(live1) | set(live2) | set(journal)
    e2e.check(union == set(journal), "records seen live that the journal does not hold")
    articles = [s for s, (rid, t) in journal.items() if rid.startswith("ack-")]
    e2e.check(len(articles) == N, "%d article records for %d articles" % (len(articles), N))


def test_drain_answers():
    n = 2000
    d = e2e.Daemon(instance="e2e-drain", workers=2)
    tmp = d.tmp
    replies = {}
    try:
        de = d.dealer()
        for i in range(n):
            a = article(i)
            a["id"] = "dr-%05d" % i
            de.send(json.dumps(a).encode())
        e2e.check(de.poll(int(20000 * e2e.SLOW)), "no reply before the stop")
        d.signal(signal.SIGTERM)
        deadline = time.monotonic() + 30 * e2e.SLOW
        exited_at = None
        while time.monotonic() < deadline:
            while de.poll(50):
                f = de.recv_multipart()
                e2e.check(len(f) == 3 and f[0] == b"ok", "unexpected reply %r" % f[:3])
                e2e.check(f[1].decode() not in replies, "two replies for %s" % f[1])
                replies[f[1].decode()] = int(f[2])
            if exited_at is None and not d.alive():
                exited_at = time.monotonic()
            if exited_at is not None and time.monotonic() - exited_at > 0.5:
                break
        e2e.check(d.wait_exit(1) == 0, "enrichd did not exit 0 after SIGTERM (%s)" % d.proc.poll())
        d.keep_tmp = True
        d.close()
    except BaseException:
        d.close()
        raise
    with e2e.Daemon(instance="e2e-drain", tmp=tmp) as d2:
        d2.keep_tmp = False
        journal, _ = replay_all(d2)
    journaled = {rid: seq for seq, (rid, _) in journal.items() if rid.startswith("dr-")}
    e2e.log("drain: %d requests, %d journaled, %d answered" % (n, len(journaled), len(replies)))
    e2e.check(len(journaled) > 0, "nothing was journaled before the stop")
    for rid, seq in replies.items():
        e2e.check(journaled.get(rid) == seq, "%s answered seq %d, journal has %s"
                  % (rid, seq, journaled.get(rid)))
    missing = sorted(set(journaled) - set(replies))
    e2e.check(not missing, "%d journaled articles were never answered (e.g. %s)"
              % (len(missing), missing[:3]))


def main():
    test_replies_and_dedup()
    test_drain_answers()
    test_kill9_resend()


if __name__ == "__main__":
    e2e.run(main)
