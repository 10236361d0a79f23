#!/usr/bin/python3
"""test_layout_fixtures — golden test of the layout stage (issue 3) over tests/fixtures/layout.

What it does: for every fixture NAME in the fixture directory it runs
`$ENRICHD_BIN/enrich extract` on the input, compares the record with NAME.expect.json and prints,
per fixture, every key that does not match (with a line diff for lists). Exit status: 0 when every
fixture passes, 1 on any mismatch, 2 on a usage or setup error.

Usage: test_layout_fixtures.py [FIXTURE_DIR] [-k NAME]...
  FIXTURE_DIR  default: tests/fixtures/layout next to this script's source tree
  -k NAME      run only fixture NAME (may be repeated)

Fixture format (tests/fixtures/layout/README.md says the same, with the conventions):
  NAME.txt          the input as a page copy gives it (UTF-8).
  NAME.env.json     optional: envelope fields besides "text" (title, published, lang). When it
                    exists the runner sends the envelope {"text": <NAME.txt>, ...those fields}.
  NAME.expect.json  the expected layout. Any of the keys "section", "title", "standfirst",
                    "authors", "published", "published_from", "subheadings", "blocks",
                    "boilerplate", "text". Each key present is compared exactly; null means the
                    record must not have the key or has null; absent keys are not checked.
                    "blocks" is compared as a list of {"kind", "text"} in order, where text is
                    record.text[start:end] (offsets are code points); "boilerplate" as a list of
                    {"kind", "text"} in order.

Environment: ENRICHD_BIN (directory of the `enrich` binary; default build/bin of the source tree),
ENRICHD_DATA (language packs; default data/ of the source tree). Standard library only.
What it may touch: reads the fixtures, runs `enrich extract` as a child process; writes nothing.
"""

import difflib
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.environ.get("ENRICHD_SRC") or os.path.dirname(os.path.dirname(HERE))
BIN = os.environ.get("ENRICHD_BIN") or os.path.join(SRC, "build", "bin")
DATA = os.environ.get("ENRICHD_DATA") or os.path.join(SRC, "data")
DEFAULT_DIR = os.path.join(SRC, "tests", "fixtures", "layout")

KEYS = ("section", "title", "standfirst", "authors", "published", "published_from",
        "subheadings", "blocks", "boilerplate", "text")
LIST_KEYS = ("blocks", "boilerplate", "subheadings", "authors")


def usage(msg):
    sys.stderr.write("test_layout_fixtures: %s\nusage: %s [FIXTURE_DIR] [-k NAME]...\n"
                     % (msg, os.path.basename(sys.argv[0])))
    sys.exit(2)


def parse_args(argv):
    fixture_dir, only = None, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "-k":
            if i + 1 >= len(argv):
                usage("-k needs a fixture name")
            only.append(argv[i + 1])
            i += 2
            continue
        if a.startswith("-"):
            usage("unknown option " + a)
        if fixture_dir is not None:
            usage("one fixture directory at most")
        fixture_dir = a
        i += 1
    return fixture_dir or DEFAULT_DIR, only


def fixture_names(fixture_dir):
    names = []
    for f in sorted(os.listdir(fixture_dir)):
        if f.endswith(".txt"):
            names.append(f[:-4])
    return names


def load_json(path):
    with open(path, encoding="utf-8") as fp:
        return json.load(fp)


def run_extract(fixture_dir, name):
    """Returns (record dict or None, error message or None)."""
    with open(os.path.join(fixture_dir, name + ".txt"), encoding="utf-8", newline="") as fp:
        text = fp.read()
    env_path = os.path.join(fixture_dir, name + ".env.json")
    if os.path.exists(env_path):
        env = load_json(env_path)
        if not isinstance(env, dict) or "text" in env:
            return None, "%s: must be an object without \"text\"" % env_path
        env["text"] = text
        payload = json.dumps(env, ensure_ascii=False).encode("utf-8")
    else:
        payload = text.encode("utf-8")
    cmd = [os.path.join(BIN, "enrich"), "extract", "--data", DATA]
    try:
        proc = subprocess.run(cmd, input=payload, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              timeout=120)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "cannot run %s: %s" % (" ".join(cmd), e)
    out = proc.stdout.decode("utf-8", "replace").strip()
    try:
        rec = json.loads(out) if out else None
    except ValueError as e:
        return None, "output is not one JSON record (%s): %s" % (e, out[:300])
    if proc.returncode != 0 or not isinstance(rec, dict) or rec.get("schema") != "enrichd.article/1":
        return None, "enrich extract exit %d, stderr %r, record %s" % (
            proc.returncode, proc.stderr.decode("utf-8", "replace")[:300], out[:300])
    return rec, None


def actual_value(rec, key):
    """The record's value for key, in the expect file's shape."""
    if key == "blocks":
        text = rec.get("text") or ""
        blocks = rec.get("blocks")
        if blocks is None:
            return None
        return [{"kind": b.get("kind"), "text": text[b.get("start", 0):b.get("end", 0)]}
                for b in blocks]
    if key == "boilerplate":
        items = rec.get("boilerplate")
        if items is None:
            return None
        return [{"kind": b.get("kind"), "text": b.get("text")} for b in items]
    return rec.get(key)


def show(value):
    return json.dumps(value, ensure_ascii=False)


def compare(expect, rec):
    """Returns a list of printable mismatch descriptions (empty when all keys match)."""
    problems = []
    for key in KEYS:
        if key not in expect:
            continue
        want = expect[key]
        got = actual_value(rec, key)
        if want == got:
            continue
        if key in LIST_KEYS and isinstance(want, list) and isinstance(got, list):
            diff = difflib.unified_diff([show(x) for x in want], [show(x) for x in got],
                                        "expected", "got", lineterm="", n=1)
            problems.append("  %s differs:\n%s" % (key, "\n".join("    " + l for l in diff)))
        elif key == "text" and isinstance(want, str) and isinstance(got, str):
            diff = difflib.unified_diff(want.split("\n\n"), got.split("\n\n"),
                                        "expected", "got", lineterm="", n=1)
            problems.append("  text differs (by paragraph):\n%s"
                            % "\n".join("    " + l for l in diff))
        else:
            problems.append("  %s: expected %s, got %s" % (key, show(want), show(got)))
    return problems


def main():
    fixture_dir, only = parse_args(sys.argv[1:])
    if not os.path.isdir(fixture_dir):
        usage("no fixture directory " + fixture_dir)
    if not os.access(os.path.join(BIN, "enrich"), os.X_OK):
        usage("no enrich binary in %s (set ENRICHD_BIN)" % BIN)
    names = fixture_names(fixture_dir)
    for n in only:
        if n not in names:
            usage("no fixture " + n)
    if only:
        names = [n for n in names if n in only]
    if not names:
        usage("no fixtures in " + fixture_dir)

    failed = []
    for name in names:
        expect_path = os.path.join(fixture_dir, name + ".expect.json")
        if not os.path.exists(expect_path):
            failed.append(name)
            print("FAIL %s\n  missing %s" % (name, expect_path))
            continue
        expect = load_json(expect_path)
        unknown = sorted(set(expect) - set(KEYS))
        rec, err = run_extract(fixture_dir, name)
        problems = []
        if unknown:
            problems.append("  unknown keys in expect file: %s" % ", ".join(unknown))
        if err:
            problems.append("  " + err)
        else:
            problems.extend(compare(expect, rec))
        if problems:
            failed.append(name)
            print("FAIL %s" % name)
            print("\n".join(problems))
        else:
            print("ok   %s" % name)
    print("%d/%d layout fixtures pass" % (len(names) - len(failed), len(names)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
