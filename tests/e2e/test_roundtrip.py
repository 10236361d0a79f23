"""test_roundtrip — 1,000 articles through a real enrichd over loopback TCP.

Pushes a mix of raw text and JSON envelopes built from tests/fixtures (French and English, each
with a distinct id), and checks that exactly 1,000 records come out with: the ids pushed, valid
against docs/schema.json, seq strictly increasing by one, topic article.fr / article.en matching
the fixture's language, url/source/meta echoed from the envelope, the instance name, and for
input without an id the stable BLAKE2b-128 hash of the text (the same for a re-sent article);
raw page copies come out with their section, title and authors, and without section label or
furniture in the text.
Touches: its own daemon and temp dir (tests/e2e/enrichd_e2e.py).
"""

import json
import os
import signal
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import enrichd_e2e as e2e  # noqa: E402

N = 1000
INSTANCE = "e2e-roundtrip"


def build_inputs():
    """Returns [(frame bytes, expectation dict)] for N distinct articles: half raw text (id =
    hash of the bytes), a quarter envelopes with an id, a quarter envelopes without one (id =
    hash of the text). Every text gets a distinct closing line so that no two ids collide."""
    raw, envelopes = e2e.load_fixtures()
    closing = {
        "fr": "Dépêche mise à jour, version %d.",
        "en": "Report updated, version %d.",
    }
    inputs = []
    for i in range(N):
        kind = i % 4
        if kind in (0, 3):  # raw text; the id is the hash of the bytes
            name, text = raw[(i // 4 + kind) % len(raw)]
            lang = e2e.fixture_lang(name)
            text = text.rstrip("\n") + "\n\n" + (closing[lang] % (i + 1)) + "\n"
            data = text.encode("utf-8")
            inputs.append((data, {"id": e2e.stable_id(data), "lang": lang, "env": None,
                                  "name": name}))
        else:  # envelope, with its id (kind 1) or without (kind 2: hash of the text)
            name, env = envelopes[(i // 4) % len(envelopes)]
            lang = e2e.fixture_lang(name)
            env = dict(env)
            env["text"] = env["text"].rstrip("\n") + "\n\n" + (closing[lang] % (i + 1))
            if kind == 1:
                env["id"] = "rt-%04d-%s" % (i, env.get("id", "x"))
                want_id = env["id"]
            else:
                env.pop("id", None)
                want_id = e2e.stable_id(env["text"])
            data = json.dumps(env, ensure_ascii=False).encode("utf-8")
            inputs.append((data, {"id": want_id, "lang": lang, "env": env, "name": name}))
    ids = [exp["id"] for _, exp in inputs]
    e2e.check(len(set(ids)) == N, "test bug: the %d inputs do not have distinct ids" % N)
    return inputs


def check_record(validator, topic, rec, exp):
    rid = rec.get("id")
    problems = e2e.schema_errors(validator, rec)
    e2e.check(not problems, "record %s does not match docs/schema.json: %s" % (rid, problems))
    e2e.check(rec.get("schema") == "enrichd.article/1",
              "record %s: schema %r (want enrichd.article/1)" % (rid, rec.get("schema")))
    e2e.check(rec.get("instance") == INSTANCE,
              "record %s: instance %r (want %s)" % (rid, rec.get("instance"), INSTANCE))
    want_topic = "article." + exp["lang"]
    e2e.check(topic == want_topic, "record %s (%s): topic %s, want %s"
              % (rid, exp["name"], topic, want_topic))
    e2e.check(rec.get("lang") == exp["lang"], "record %s (%s): lang %r, want %s"
              % (rid, exp["name"], rec.get("lang"), exp["lang"]))
    env = exp["env"]
    if env is not None:
        for key in ("url", "source", "meta"):
            e2e.check(rec.get(key) == env[key], "record %s: %s not echoed: got %r, sent %r"
                      % (rid, key, rec.get(key), env[key]))
        if "published" in env:
            e2e.check(isinstance(rec.get("published"), str)
                      and rec["published"][:10] == env["published"][:10],
                      "record %s: published %r, envelope said %r"
                      % (rid, rec.get("published"), env["published"]))
    text = rec.get("text")
    e2e.check(isinstance(text, str) and len(text) > 200,
              "record %s: text missing or too short: %r"
              % (rid, text if text is None else text[:80]))
    if env is None:
        # the raw fixtures are page copies: section label, title, byline (see tests/fixtures)
        e2e.check(isinstance(rec.get("section"), str) and isinstance(rec.get("title"), str)
                  and rec.get("authors"),
                  "record %s (%s): layout missing: section %r, title %r, authors %r"
                  % (rid, exp["name"], rec.get("section"), rec.get("title"), rec.get("authors")))
        e2e.check(not text.startswith(rec["section"] + "\n") and "LIRE AUSSI" not in text
                  and "Share this article" not in text,
                  "record %s (%s): section label or furniture left in text" % (rid, exp["name"]))


def main():
    e2e.require_binary()
    validator = e2e.load_schema()
    inputs = build_inputs()
    expected = {exp["id"]: exp for _, exp in inputs}

    with e2e.Daemon(instance=INSTANCE, workers=2) as d:
        push = d.push()
        sub, probes = d.sub(push)
        for topic, rec in probes:
            e2e.check(not e2e.schema_errors(validator, rec),
                      "probe record does not match docs/schema.json: %s"
                      % e2e.schema_errors(validator, rec))

        for data, _ in inputs:
            push.send(data)
        e2e.log("pushed %d articles to %s" % (N, d.feed))

        seen = {}
        seqs = [rec["seq"] for _, rec in probes if isinstance(rec.get("seq"), int)]
        idle = 30 * e2e.SLOW
        while len(seen) < N:
            item = e2e.recv_record(sub, idle)
            e2e.check(item is not None, "only %d of %d records arrived (nothing for %.0f s)"
                      % (len(seen), N, idle))
            topic, rec = item
            e2e.check(isinstance(rec.get("seq"), int), "record without an integer seq: %r"
                      % {k: rec.get(k) for k in ("id", "schema", "error")})
            seqs.append(rec["seq"])
            rid = rec.get("id")
            if isinstance(rid, str) and rid.startswith("probe-"):
                continue
            e2e.check(topic != "error", "error record for %s: %s" % (rid, rec.get("error")))
            e2e.check(rid in expected, "record with an id that was not pushed: %r" % rid)
            e2e.check(rid not in seen, "record %s published twice" % rid)
            check_record(validator, topic, rec, expected[rid])
            seen[rid] = rec
        extra = e2e.recv_record(sub, 1.0 * e2e.SLOW)
        e2e.check(extra is None or extra[1].get("id", "").startswith("probe-"),
                  "a record beyond the %d pushed: %r" % (N, extra and extra[1].get("id")))

        # seq: one per record, no gap, no repeat, in publication order.
        for a, b in zip(seqs, seqs[1:]):
            e2e.check(b == a + 1, "seq not strictly increasing by 1: %d then %d" % (a, b))
        e2e.log("%d records, seq %d..%d" % (len(seen), seqs[0], seqs[-1]))

        # Stability: the same raw text sent again gets the same id (and a new seq).
        data, exp = inputs[0]
        push.send(data)
        again = e2e.recv_until(sub, lambda t, r: r.get("id") == exp["id"], 30 * e2e.SLOW)
        e2e.check(again[-1][1]["seq"] > seqs[-1], "re-sent article did not get a new seq")

        status = d.proc.poll()
        e2e.check(status is None, "enrichd exited during the test (status %s)" % status)
        d.signal(signal.SIGTERM)
        status = d.wait_exit(30 * e2e.SLOW)
        e2e.check(status == 0, "enrichd exit status %s after SIGTERM (want 0)" % status)


if __name__ == "__main__":
    e2e.run(main)
