"""test_bad_input — every kind of rejected input becomes an error record, and the daemon keeps
serving.

For each bad input (invalid UTF-8, invalid JSON, a JSON envelope that is not a valid object,
missing text, non-string text, empty text, more than input.max_bytes, more than one frame) the
test pushes it, then a good article, and checks: an error record on topic "error" with schema
enrichd.error/1, the right error.code, a message, the input size in "bytes", valid against
docs/schema.json; and the good article right after it still comes out as an article. seq stays
gap-free across errors and articles. A frame that is a whole JSON array or string is JSON that
is not an object (invalid_json); prose that merely starts with '[' stays raw text.
Touches: its own daemon and temp dir (tests/e2e/enrichd_e2e.py).
"""

import json
import os
import signal
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import enrichd_e2e as e2e  # noqa: E402

INSTANCE = "e2e-bad-input"
MAX_BYTES = 4096
MAX_FRAME_BYTES = 256 * 1024  # the memory guard: larger frames drop the connection

FR_SENTENCE = ("Le conseil municipal de Valbrune a adopté mardi soir le budget de l'année, "
               "après trois heures de débats parfois vifs entre la majorité et l'opposition. ")


def cases():
    """[(name, frames, expected code, envelope id or None)]."""
    big_raw = (FR_SENTENCE * (MAX_BYTES // len(FR_SENTENCE) + 2)).encode("utf-8")
    big_env = json.dumps({"id": "big-1", "text": FR_SENTENCE * 40}, ensure_ascii=False).encode()
    assert len(big_raw) > MAX_BYTES and len(big_env) > MAX_BYTES
    return [
        ("raw text in Latin-1", ["Le maire s'est exprimé devant la presse.".encode("latin-1")],
         "invalid_utf8", None),
        ("envelope with a truncated UTF-8 sequence", [b'{"text": "Le pr\xc3"}'],
         "invalid_utf8", None),
        ("surrogate encoded in UTF-8", [b"L'\xed\xa0\x80 article du jour."], "invalid_utf8", None),
        ("truncated JSON", ['{"id": "cut-1", "text": "Le maire a parlé", '.encode()],
         "invalid_json", None),
        ("JSON with a trailing comma", [b'{"text": "Une phrase.",}'], "invalid_json", None),
        # An envelope is an object whose fields have the documented types; anything else in a
        # frame that starts with '{' is not one.
        ("id is a number", [b'{"id": 17, "text": "Le maire a parl\xc3\xa9."}'], "invalid_json",
         None),
        ("title is an object", [b'{"title": {"fr": "Titre"}, "text": "Le maire a parl\xc3\xa9."}'],
         "invalid_json", None),
        ("id longer than 256 bytes",
         [json.dumps({"id": "x" * 300, "text": "Une phrase."}).encode()],
         "invalid_json", None),
        ("envelope without text", [b'{"id": "no-text-1", "title": "Un titre sans article"}'],
         "missing_text", "no-text-1"),
        ("text is a number", [b'{"id": "num-text-1", "text": 42}'], "missing_text", "num-text-1"),
        ("text is null", [b'{"text": null}'], "missing_text", None),
        ("text is an array", [b'{"text": ["Le maire", "a parl\xc3\xa9"]}'], "missing_text",
         None),
        ("empty text in an envelope", [b'{"id": "empty-1", "text": ""}'], "empty", "empty-1"),
        ("blank text in an envelope", [b'{"text": "  \\n\\t  "}'], "empty", None),
        ("blank raw frame", [b"   \n\t  \n"], "empty", None),
        ("zero-length frame", [b""], "empty", None),
        ("raw text over max_bytes", [big_raw], "too_large", None),
        ("envelope over max_bytes", [big_env], "too_large", None),
        ("JSON that is not an object (array)",
         [json.dumps([{"id": "arr-1", "text": "Le maire a parlé."}]).encode()], "invalid_json", None),
        ("JSON that is not an object (string)", [b'"Le maire a parl\xc3\xa9."'], "invalid_json",
         None),
        ("two frames", [FR_SENTENCE.encode(), b"second frame"], "bad_frames", None),
        ("three frames", [b'{"text": "Une phrase."}', b"", b"x"], "bad_frames", None),
    ]


def check_error_record(validator, name, topic, rec, frames, code, env_id):
    problems = e2e.schema_errors(validator, rec)
    e2e.check(not problems, "%s: error record does not match docs/schema.json: %s"
              % (name, problems))
    e2e.check(topic == "error", "%s: topic %r (want error)" % (name, topic))
    e2e.check(rec.get("schema") == "enrichd.error/1", "%s: schema %r" % (name, rec.get("schema")))
    e2e.check(rec.get("instance") == INSTANCE, "%s: instance %r" % (name, rec.get("instance")))
    err = rec.get("error")
    e2e.check(isinstance(err, dict), "%s: no error object: %r" % (name, err))
    e2e.check(err.get("code") == code, "%s: error.code %r (want %s); message %r"
              % (name, err.get("code"), code, err.get("message")))
    e2e.check(isinstance(err.get("message"), str) and err["message"].strip(),
              "%s: error.message empty" % name)
    e2e.check(isinstance(rec.get("id"), str) and rec["id"], "%s: no id" % name)
    e2e.check(isinstance(rec.get("received"), str), "%s: no received time" % name)
    if len(frames) == 1:
        e2e.check(rec.get("bytes") == len(frames[0]), "%s: bytes %r (want %d)"
                  % (name, rec.get("bytes"), len(frames[0])))
        e2e.check(isinstance(rec.get("head"), str), "%s: head %r" % (name, rec.get("head")))
        allowed = {e2e.stable_id(frames[0])}
        if env_id:
            allowed.add(env_id)
        e2e.check(rec["id"] in allowed, "%s: id %r, want one of %s" % (name, rec["id"], allowed))


def main():
    e2e.require_binary()
    validator = e2e.load_schema()
    with e2e.Daemon(instance=INSTANCE, max_bytes=MAX_BYTES, max_frame_bytes=MAX_FRAME_BYTES,
                   workers=2) as d:
        push = d.push()
        sub, probes = d.sub(push)
        seqs = [rec.get("seq") for _, rec in probes]
        for i, (name, frames, code, env_id) in enumerate(cases()):
            push.send_multipart(frames)
            good_id = "good-after-%d" % i
            e2e.send_envelope(push, {"id": good_id, "lang": "fr",
                                     "text": FR_SENTENCE + "Le vote final est prévu jeudi."})
            got, good, errs = [], None, []
            while good is None or not errs:
                item = e2e.recv_record(sub, 10 * e2e.SLOW)
                e2e.check(item is not None, "%s: no %s within %.0f s (got %s)"
                          % (name, "good article" if errs else "error record", 10 * e2e.SLOW,
                             [(t, r.get("id")) for t, r in got]))
                got.append(item)
                seqs.append(item[1].get("seq"))
                if item[0] == "error":
                    errs.append(item)
                elif item[1].get("id") == good_id:
                    good = item
            e2e.check(good is not None, "%s: the good article after it did not come out" % name)
            e2e.check(good[0] == "article.fr", "%s: the good article came out on %s: %s"
                      % (name, good[0], good[1].get("error")))
            e2e.check(len(errs) == 1, "%s: %d error records (want 1): %s"
                      % (name, len(errs), [r.get("error") for _, r in errs]))
            check_error_record(validator, name, errs[0][0], errs[0][1], frames, code, env_id)
            stray = [r.get("id") for t, r in got if t != "error" and r.get("id") != good_id]
            e2e.check(not stray, "%s: unexpected records %s" % (name, stray))
            e2e.log("ok: %-42s -> %s" % (name, code))

        # Prose that starts with '[' but is not JSON stays raw article text.
        frame = "[Mise à jour] Le maire a parlé devant le conseil municipal."
        push.send(frame.encode("utf-8"))
        got = e2e.recv_until(sub, lambda t, r: r.get("id") == e2e.stable_id(frame), 10 * e2e.SLOW)
        seqs.extend(r.get("seq") for _, r in got)
        topic, rec = got[-1]
        e2e.check(topic.startswith("article.") and "[Mise" in rec.get("text", ""),
                  "prose starting with '[' came out on %s (%s), want an article"
                  % (topic, rec.get("error")))
        e2e.log("ok: %-42s -> %s" % ("prose starting with '['", topic))

        # A frame above input.max_frame_bytes: libzmq drops that producer's connection before
        # the frame is buffered; no record, and the daemon keeps serving everyone else.
        rogue = d.push()
        rogue.send(b"x" * (MAX_FRAME_BYTES * 4))
        e2e.send_envelope(push, {"id": "good-after-guard", "lang": "fr",
                                 "text": FR_SENTENCE + "Le vote final est prévu jeudi."})
        got = e2e.recv_until(sub, lambda t, r: r.get("id") == "good-after-guard", 10 * e2e.SLOW)
        seqs.extend(r.get("seq") for _, r in got)
        e2e.check([r.get("id") for _, r in got] == ["good-after-guard"],
                  "after a frame above max_frame_bytes: %s" % [(t, r.get("error")) for t, r in got])
        rogue.close(0)
        e2e.log("ok: %-42s -> %s" % ("frame above input.max_frame_bytes", "dropped, serving"))

        e2e.check(all(isinstance(s, int) for s in seqs), "a record without an integer seq")
        for a, b in zip(seqs, seqs[1:]):
            e2e.check(b == a + 1, "seq not strictly increasing by 1: %d then %d" % (a, b))

        d.signal(signal.SIGTERM)
        status = d.wait_exit(30 * e2e.SLOW)
        e2e.check(status == 0, "enrichd exit status %s after SIGTERM (want 0)" % status)


if __name__ == "__main__":
    e2e.run(main)
