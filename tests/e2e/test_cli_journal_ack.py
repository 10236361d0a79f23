"""test_cli_journal_ack — `enrich push --ack` and `enrich dlq` against the REAL daemon, checked
against its journal (replay endpoint, read with pyzmq) and its /metrics.

1. push --ack of 30 good article files: status 0, ok=30; `--acks` prints each id with the seq
   the journal holds for it.
2. 5 good files + 1 bad input: status 4, ok=5 rejected=1; then 3 more bad inputs (invalid
   UTF-8, blank text, a long broken envelope cut by journal.raw_max_bytes): status 4, rejected=3.
3. The 30 first files pushed again: status 0, ok=30 with the same seqs; the journal's last seq
   does not move, nothing is published (a subscriber gets the next new article first), and
   enrichd_ack_duplicates_total counts 30.
4. `enrich dlq` lists the 4 rejected inputs (seq, id, code, bytes as the journal's error
   records); `--raw DIR` writes DIR/SEQ.bin with the bytes sent (the long one cut, which a stderr
   line says); `--from` and `--json` select and print the same records.
5. /metrics: enrichd_journal_last_seq and enrichd_journal_records match the journal,
   enrichd_acks_total{reply="ok"} / {reply="error"} match what the clients were told.
6. After a restart on the same journal, the 30 first files pushed again still get their first
   seqs and make no record (the id index survives the restart).
Touches: its own daemon, temp dir, loopback ports and enrich processes.
"""

import json
import os
import re
import shutil
import sys
import tempfile
import time
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import enrichd_e2e as e2e  # noqa: E402
import cli_journal as cj  # noqa: E402

RAW_MAX = 200
SAMPLE_RE = re.compile(r'^([a-z_]+)(\{[^}]*\})? (\S+)$')


def metrics(d):
    """{name or name{labels}: value} of the daemon's /metrics."""
    with urllib.request.urlopen(d.metrics + "/metrics", timeout=10 * e2e.SLOW) as r:
        text = r.read().decode("utf-8")
    out = {}
    for line in text.splitlines():
        m = SAMPLE_RE.match(line)
        if m:
            out[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return out


def acks(out):
    """{id: ("ok"|"error", seq or code)} from push --acks output."""
    got = {}
    for line in out.splitlines():
        if line.startswith("articles="):
            continue
        parts = line.split("\t")
        e2e.check(len(parts) == 4, "not an --acks line: %r" % line)
        e2e.check(parts[1] not in got, "two answers for %s" % parts[1])
        got[parts[1]] = (parts[2], parts[3])
    return got


def push_ack(d, files, *extra):
    rc, out, err = cj.run_enrich("push", "--ack", "--acks", "--ack-endpoint", d.ack,
                                 "--timeout-ms", int(10000 * e2e.SLOW), *extra, *files)
    return rc, cj.summary(out), acks(out), err


def write_bad(directory):
    """The bad inputs of step 2 as files: [(path, bytes, code, id or None)]."""
    bad = [
        ("bad-json.json", b'{"id": "bad-json", "text": "Le maire a dit', "invalid_json", None),
        ("latin1.txt", "Le préfet a signé l'arrêté jeudi.".encode("latin-1"), "invalid_utf8",
         None),
        ("blank.json", b'{"id": "blank-1", "text": "   \\n  "}', "empty", "blank-1"),
        ("long.json", b'{"id": "long-bad", "text": "' + b"Le conseil a vote. " * 40,
         "invalid_json", None),
    ]
    out = []
    for name, data, code, aid in bad:
        path = os.path.join(directory, name)
        with open(path, "wb") as f:
            f.write(data)
        out.append((path, data, code, aid or e2e.stable_id(data)))
    return out


def main():
    cj.require_enrich()
    tmp = tempfile.mkdtemp(prefix="enrichd-cliack-")
    try:
        check_all(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


def check_all(tmp):
    with e2e.Daemon(tmp=tmp, journal="raw_max_bytes = %d;" % RAW_MAX) as d:
        arts = os.path.join(d.tmp, "articles")
        first, first_ids = cj.write_articles(arts, "ack", 30)
        more, more_ids = cj.write_articles(arts, "more", 5)
        bad = write_bad(d.tmp)
        told = {"ok": 0, "error": 0}

        # 1. 30 good articles
        rc, s, a1, err = push_ack(d, first)
        e2e.check(rc == 0, "push --ack of 30 articles: status %d, %s" % (rc, err))
        e2e.check(s == {"articles": 30, "ok": 30, "rejected": 0, "unacknowledged": 0,
                        "resends": 0}, "summary %r" % s)
        e2e.check(sorted(a1) == first_ids and all(v[0] == "ok" for v in a1.values()),
                  "--acks lines %r" % a1)
        told["ok"] += 30
        jrecs, end = cj.journal(d)
        by_id = {r["id"]: r["seq"] for _, r, _ in jrecs}
        e2e.check(all(by_id.get(i) == int(a1[i][1]) for i in first_ids),
                  "the seqs push --acks printed are not the journal's")
        e2e.log("ok: push --ack 30 articles: status 0, ok=30, seqs as journaled")

        # 2. with bad inputs: status 4
        rc, s, a2, err = push_ack(d, more + [bad[0][0]])
        e2e.check(rc == 4, "push --ack with a bad input: status %d (want 4), %s" % (rc, err))
        e2e.check(s["ok"] == 5 and s["rejected"] == 1 and s["unacknowledged"] == 0,
                  "summary %r" % s)
        e2e.check(a2.get(bad[0][3]) == ("error", "invalid_json"), "--acks %r" % a2)
        e2e.check("rejected: invalid_json" in err, "no stderr line for the rejection: %s" % err)
        rc, s, a3, err = push_ack(d, [b[0] for b in bad[1:]], "--quiet")
        e2e.check(rc == 4 and s["rejected"] == 3 and s["ok"] == 0, "3 bad: %d %r" % (rc, s))
        e2e.check(all(a3.get(aid) == ("error", code) for _, _, code, aid in bad[1:]),
                  "--acks for the bad inputs: %r" % a3)
        e2e.check("rejected" not in err, "--quiet printed %s" % err)
        told["ok"] += 5
        told["error"] += 4
        e2e.log("ok: push --ack with bad inputs: status 4, rejected counted")

        # 3. resend de-duplication
        sub, _ = d.sub(d.push())
        before = cj.last_seq(d)
        m0 = metrics(d)
        rc, s, a4, err = push_ack(d, first)
        e2e.check(rc == 0 and s["ok"] == 30, "second push: status %d %r %s" % (rc, s, err))
        e2e.check(a4 == a1, "second push: other answers than the first: %r" % a4)
        told["ok"] += 30
        e2e.check(cj.last_seq(d) == before, "the resent articles made new records")
        rc, s, _, err = push_ack(d, cj.write_articles(arts, "sentinel", 1)[0])
        e2e.check(rc == 0, "sentinel: %s" % err)
        told["ok"] += 1
        got = e2e.recv_until(sub, lambda t, r: r.get("id") == "sentinel-00000", 20 * e2e.SLOW)
        e2e.check(len(got) == 1, "published before the sentinel: %s" % [r["id"] for _, r in got])
        e2e.check(got[0][1]["seq"] == before + 1, "sentinel seq %d, want %d"
                  % (got[0][1]["seq"], before + 1))
        dup = metrics(d)["enrichd_ack_duplicates_total"] - m0["enrichd_ack_duplicates_total"]
        e2e.check(dup == 30, "enrichd_ack_duplicates_total grew by %d, want 30" % dup)
        e2e.log("ok: resend of 30 articles: same seqs, no new record, 30 duplicates counted")

        # 4. enrich dlq
        jrecs, end = cj.journal(d, raw=True)
        errors = [(r, raw) for t, r, raw in jrecs if t == "error"]
        e2e.check(len(errors) == 4, "%d error records journaled, want 4" % len(errors))
        rawdir = os.path.join(d.tmp, "rejects")
        rc, out, err = cj.run_enrich("dlq", "--replay", d.replay, "--raw", rawdir)
        e2e.check(rc == 0, "dlq: status %d, %s" % (rc, err))
        lines = [l.split("\t") for l in out.splitlines()]
        want = [[str(r["seq"]), r["id"], r["error"]["code"], r["error"]["message"],
                 str(r["bytes"])] for r, _ in errors]
        e2e.check(lines == want, "dlq lines:\n%s\nwant:\n%s" % (lines, want))
        e2e.check([(l[1], l[2]) for l in lines] == [(aid, code) for _, _, code, aid in bad],
                  "dlq ids/codes are not the bad inputs' in the order sent: %s" % lines)
        for (r, _), (_, data, _, _) in zip(errors, bad):
            with open(os.path.join(rawdir, "%d.bin" % r["seq"]), "rb") as f:
                e2e.check(f.read() == data[:RAW_MAX], "raw bytes of %s" % r["id"])
        e2e.check(sorted(os.listdir(rawdir)) == sorted("%d.bin" % r["seq"] for r, _ in errors),
                  "files in --raw DIR: %s" % os.listdir(rawdir))
        long_seq = errors[3][0]["seq"]
        e2e.check("record %d: raw input cut at %d of %d bytes" % (long_seq, RAW_MAX,
                                                                   len(bad[3][1])) in err,
                  "no stderr line for the cut raw input: %s" % err)
        e2e.check(err.count("cut at") == 1, "other cut inputs reported: %s" % err)
        e2e.check("4 rejected input(s)" in err, "dlq summary: %s" % err)
        since = errors[1][0]["seq"]
        rc, out, err = cj.run_enrich("dlq", "--replay", d.replay, "--from", since, "--json")
        e2e.check(rc == 0, "dlq --from --json: %s" % err)
        e2e.check([json.loads(l) for l in out.splitlines()] == [r for r, _ in errors[2:]],
                  "dlq --from %d --json printed other records" % since)
        e2e.log("ok: enrich dlq lists the 4 rejected inputs; --raw writes their bytes")

        # 5. /metrics
        deadline = time.monotonic() + 10 * e2e.SLOW
        while True:
            m = metrics(d)
            last = cj.last_seq(d)
            got = (m["enrichd_journal_last_seq"], m["enrichd_journal_records"],
                   m['enrichd_acks_total{reply="ok"}'], m['enrichd_acks_total{reply="error"}'])
            want = (last, last, told["ok"], told["error"])
            if got == want or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        e2e.check(got == want, "metrics (last_seq, records, acks ok, acks error) = %s, want %s"
                  % (got, want))
        e2e.log("ok: /metrics last_seq=%d records=%d acks ok=%d error=%d" % want)
        sub.close(0)
    # a sanitizer report in the daemon would make its status non-zero
    e2e.check(d.proc.returncode == 0, "enrichd exit status %s" % d.proc.returncode)

    # 6. after a restart
    with e2e.Daemon(tmp=tmp, journal="raw_max_bytes = %d;" % RAW_MAX) as d:
        before = cj.last_seq(d)
        rc, s, a5, err = push_ack(d, first)
        e2e.check(rc == 0 and s["ok"] == 30, "push after restart: status %d %r %s" % (rc, s, err))
        e2e.check(a5 == a1, "after a restart, other answers than the first: %r" % a5)
        e2e.check(cj.last_seq(d) == before, "the resent articles made new records")
        e2e.check(metrics(d)["enrichd_ack_duplicates_total"] == 30, "duplicates after restart")
    e2e.check(d.proc.returncode == 0, "enrichd exit status %s" % d.proc.returncode)
    e2e.log("ok: after a restart, a resend of 30 articles gets the first seqs, no new record")


if __name__ == "__main__":
    e2e.run(main)
