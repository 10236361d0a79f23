"""test_backpressure — output.backpressure = "block" (ZMQ_XPUB_NODROP) with a real enrichd.

A subscriber with a tiny receive queue (RCVHWM 10, output.hwm 10) stops reading while 4,000
articles of a few kilobytes each (far more than the socket buffers hold) go through, then reads
slowly: with "block" the daemon waits for it, so it receives every record, seq without a gap.
(With the default "drop" the same subscriber loses most of them; the replay endpoint is the
remedy there.)
Touches: its own daemon and temp dir (tests/e2e/enrichd_e2e.py).
"""

import os
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import zmq  # noqa: E402

import enrichd_e2e as e2e  # noqa: E402

N = 4000
PARAGRAPH = ("Le conseil municipal a longuement débattu lundi soir du projet de rénovation du "
             "pont, dont le coût dépasse désormais les prévisions initiales. ")


def article(i):
    return {"id": "bp-%05d" % i, "lang": "fr",
            "text": "Article %d.\n\n" % i + PARAGRAPH * 16}


def main():
    with e2e.Daemon(instance="e2e-block", backpressure="block", output_hwm=10) as d:
        push = d.push()
        sub = d.ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.RCVHWM, 10)
        sub.setsockopt(zmq.LINGER, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(d.output)
        # live: wait for a probe (probes are pushed until one comes out)
        got_probe = None
        for k in range(int(40 * e2e.SLOW)):
            pid = "probe-bp-%d" % k
            e2e.send_envelope(push, {"id": pid, "text": "Probe %d: the mayor spoke." % k})
            got = e2e.recv_until(sub, lambda t, r: r["id"] == pid, 0.5 * e2e.SLOW, fail=False)
            if got is not None:
                got_probe = got[-1][1]
                break
        e2e.check(got_probe is not None, "the subscriber never got a probe")
        # drain probes still on their way
        while e2e.recv_record(sub, 0.5 * e2e.SLOW) is not None:
            pass

        for i in range(N):
            e2e.send_envelope(push, article(i))
        time.sleep(2.0)  # the subscriber does not read: the daemon must wait for it

        seqs, ids = [], set()
        deadline = time.monotonic() + 120 * e2e.SLOW
        while len(ids) < N:
            e2e.check(time.monotonic() < deadline, "only %d of %d records in time" % (len(ids), N))
            item = e2e.recv_record(sub, 20 * e2e.SLOW)
            e2e.check(item is not None, "only %d of %d records arrived (a slow subscriber lost "
                      "records under backpressure = block)" % (len(ids), N))
            topic, rec = item
            if rec["id"].startswith("bp-"):
                e2e.check(rec["id"] not in ids, "record %s twice" % rec["id"])
                ids.add(rec["id"])
                seqs.append(rec["seq"])
            if len(seqs) % 200 == 0:
                time.sleep(0.01)  # a slow reader
        e2e.check(seqs == list(range(seqs[0], seqs[0] + N)),
                  "seq has gaps: the subscriber lost records")
        e2e.log("blocked subscriber got all %d records (seq %d..%d)" % (N, seqs[0], seqs[-1]))


if __name__ == "__main__":
    e2e.run(main)
