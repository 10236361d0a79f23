"""test_cli_push_ack — `enrich push --ack` against fake_enrichd's acknowledged feed.

Checks: answers dropped once → the articles are sent again unchanged (same id at the server),
every article ends "ok", exit 0, and the journal holds each article once; an article never
answered → exit 1 after its retries, the others still "ok"; articles answered "error" → exit 4
(every article answered, some rejected); files are one article each and the client's ids match
the server's (envelope id, hash of raw text); a window of 1 still finishes; no server → exit 1.
Touches: its fake server's loopback sockets, a temp dir, the enrich processes it starts.
"""

import json
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from enrichd_e2e import BIN, SKIP, SLOW, check, log, run  # noqa: E402
from fake_enrichd import FakeEnrichd, stable_id  # noqa: E402

ENRICH = os.path.join(BIN, "enrich")

ARTICLES = [{"id": "ack-%02d" % i, "lang": "fr",
             "text": "Le conseil régional a voté la délibération numéro %d mardi soir." % i}
            for i in range(1, 21)]


def lines(articles):
    return "".join(json.dumps(a, ensure_ascii=False) + "\n" for a in articles).encode()


def push(fake, data, *args, timeout=60):
    cmd = [ENRICH, "push", "--ack", "--ack-endpoint", fake.ack_endpoint] + list(args)
    p = subprocess.run(cmd, input=data, capture_output=True, timeout=timeout * SLOW)
    summary = dict(re.findall(r"(\w+)=(\d+)", p.stdout.decode()))
    return p.returncode, {k: int(v) for k, v in summary.items()}, p.stderr.decode("utf-8", "replace")


def journal_ids(fake):
    return fake.call(lambda f: [json.loads(r["body"])["id"] for r in f.journal])


def test_resend_after_lost_answer():
    dropped = {"ack-03", "ack-07", "ack-20"}
    with FakeEnrichd() as fake:
        fake.call(lambda f: f.drop_first_reply.update(dropped))
        rc, summary, err = push(fake, lines(ARTICLES), "--timeout-ms", str(int(300 * SLOW)),
                                "--retries", "3", "--window", "8")
        receipts = fake.call(lambda f: list(f.receipts))
        ids = journal_ids(fake)
    log("lost answers: status %d, %s" % (rc, summary))
    check(rc == 0, "status %d, stderr: %s" % (rc, err))
    check(summary.get("articles") == 20 and summary.get("ok") == 20, "summary %s" % summary)
    check(summary.get("unacknowledged") == 0 and summary.get("rejected") == 0, "summary %s" % summary)
    check(summary.get("resends", 0) >= 3, "resends %s, want >= 3" % summary.get("resends"))
    for rid in dropped:
        copies = [payload for (i, payload) in receipts if i == rid]
        check(len(copies) >= 2, "%s received %d time(s), want a resend" % (rid, len(copies)))
        check(len(set(copies)) == 1, "%s resent with different bytes" % rid)
    check(sorted(ids) == sorted(a["id"] for a in ARTICLES), "journal: %s" % ids)


def test_never_answered():
    with FakeEnrichd() as fake:
        fake.call(lambda f: f.never_reply.add("ack-05"))
        rc, summary, err = push(fake, lines(ARTICLES[:10]), "--timeout-ms", str(int(200 * SLOW)),
                                "--retries", "2")
        receipts = fake.call(lambda f: [i for (i, _) in f.receipts if i == "ack-05"])
    log("never answered: status %d, %s" % (rc, summary))
    check(rc == 1, "status %d, want 1; stderr: %s" % (rc, err))
    check(summary.get("ok") == 9 and summary.get("unacknowledged") == 1, "summary %s" % summary)
    check(len(receipts) == 3, "ack-05 sent %d times, want 1 + 2 retries" % len(receipts))
    check("ack-05" in err and "unacknowledged" in err, "stderr names no article: %s" % err)


def test_rejected():
    bad = [b'{"id": "bad-json", "text": "sans fin', b'{"id": "blank", "text": "   "}']
    data = lines(ARTICLES[:5]) + b"\n".join(bad) + b"\n"
    with FakeEnrichd() as fake:
        rc, summary, err = push(fake, data, "--timeout-ms", str(int(2000 * SLOW)))
    log("rejected: status %d, %s" % (rc, summary))
    check(rc == 4, "status %d, want 4; stderr: %s" % (rc, err))
    check(summary.get("ok") == 5 and summary.get("rejected") == 2, "summary %s" % summary)
    check("invalid_json" in err and "empty" in err, "stderr lacks the codes: %s" % err)
    # --quiet: the summary only
    with FakeEnrichd() as fake:
        rc, summary, err = push(fake, data, "--quiet")
    check(rc == 4 and "rejected:" not in err, "--quiet: %d %s" % (rc, err))


def test_files_and_window():
    with tempfile.TemporaryDirectory() as tmp, FakeEnrichd() as fake:
        raw = os.path.join(tmp, "brève.txt")
        env = os.path.join(tmp, "env.json")
        with open(raw, "w", encoding="utf-8") as f:
            f.write("Grève des contrôleurs : trafic perturbé jeudi sur les lignes régionales.\n")
        with open(env, "w", encoding="utf-8") as f:
            json.dump({"text": "Le port de Brest accueille un nouveau ferry."}, f)
        cmd = [ENRICH, "push", "--ack", fake.ack_endpoint, "--window", "1", raw, env]
        p = subprocess.run(cmd, capture_output=True, timeout=30 * SLOW)
        check(p.returncode == 0, "files: status %d, %s" % (p.returncode, p.stderr))
        check(b"articles=2 ok=2" in p.stdout, "files: %s" % p.stdout)
        want = {stable_id(open(raw, "rb").read()),
                stable_id("Le port de Brest accueille un nouveau ferry.")}
        check(set(journal_ids(fake)) == want, "ids %s, want %s" % (journal_ids(fake), want))
        # the same articles again: the server answers from its dedup table, no new record
        p = subprocess.run(cmd, capture_output=True, timeout=30 * SLOW)
        check(p.returncode == 0 and len(journal_ids(fake)) == 2, "resend of the same files")


def test_no_server():
    p = subprocess.run([ENRICH, "push", "--ack", "--ack-endpoint", "tcp://127.0.0.1:9",
                        "--timeout-ms", "100", "--retries", "1"],
                       input=lines(ARTICLES[:2]), capture_output=True, timeout=30 * SLOW)
    check(p.returncode == 1, "no server: status %d, want 1" % p.returncode)
    check(b"unacknowledged=2" in p.stdout, "no server: %s" % p.stdout)
    p = subprocess.run([ENRICH, "push", "--ack", "--window", "0"], capture_output=True, timeout=10)
    check(p.returncode == 2, "--window 0: status %d, want 2" % p.returncode)


def main():
    if not os.access(ENRICH, os.X_OK):
        log("SKIP: %s not built" % ENRICH)
        return SKIP
    test_resend_after_lost_answer()
    test_never_answered()
    test_rejected()
    test_files_and_window()
    test_no_server()
    return 0


if __name__ == "__main__":
    run(main)
