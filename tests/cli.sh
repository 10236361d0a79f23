#!/bin/bash
# cli.sh — tests of the `enrich` command-line tool: `enrich extract` on French and English
# inputs written here (raw text, envelopes, JSON lines), the error records of bad inputs, exit
# statuses, usage errors, and `enrich push` / `enrich tail` against a pyzmq peer (skipped when
# pyzmq is absent). Needs ENRICHD_BIN (the bin dir, set by ctest); uses a temp dir it removes.
set -u

BIN="${ENRICHD_BIN:-}"
if [ -z "$BIN" ] || [ ! -x "$BIN/enrich" ]; then
    echo "SKIP: enrich binary absent (ENRICHD_BIN='$BIN')"
    exit 77
fi
ENRICH="$BIN/enrich"
PY=/usr/bin/python3
SRC="${ENRICHD_SRC:-$(cd "$(dirname "$0")/.." && pwd)}"
export ENRICHD_DATA="${ENRICHD_DATA:-$SRC/data}"

T=$(mktemp -d /tmp/enrich-cli-test.XXXXXX)
trap 'rm -rf "$T"' EXIT
FAILS=0
CHECKS=0

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
pass() { CHECKS=$((CHECKS + 1)); }

# expect_status WANT DESCRIPTION -- command...
expect_status() {
    local want=$1 what=$2
    shift 3
    "$@" >"$T/out" 2>"$T/err" </dev/null
    local got=$?
    if [ "$got" -ne "$want" ]; then
        fail "$what: exit status $got, want $want"
        sed 's/^/    stderr: /' "$T/err" | head -5
    else
        pass
    fi
}

# check_json WHAT PYTHON-CODE: runs the code with `recs` = the JSON lines of $T/out.
check_json() {
    local what=$1 code=$2
    if "$PY" - "$T/out" <<EOF 2>"$T/pyerr"; then pass; else fail "$what"; sed 's/^/    /' "$T/pyerr" | tail -4; fi
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
$code
EOF
}

# ---- inputs (our own sentences, in the style of news copy) -----------------------------------
cat >"$T/fr.txt" <<'EOF'
La mairie de Lyon lance un plan vélo de 40 millions d'euros

Le conseil municipal a adopté mardi soir un plan destiné à doubler le nombre de pistes cyclables d'ici à 2030. Les travaux commenceront au printemps dans le quartier de la Part-Dieu.

« Nous voulons que chaque habitant trouve une piste sûre à moins de cinq minutes de chez lui », a déclaré l'adjointe chargée des mobilités lors de la séance.

L'opposition juge le calendrier trop ambitieux et réclame une étude sur le coût de l'entretien des nouvelles voies.
EOF

cat >"$T/en.json" <<'EOF'
{"id": "cli-en-1", "url": "https://example.org/harbour", "source": "Example Gazette",
 "published": "2024-03-14", "meta": {"desk": "metro", "n": 7},
 "text": "Harbour bridge to close for three weeks of repairs\n\nThe city's main harbour bridge will close to traffic from Monday while engineers replace worn expansion joints, officials said on Thursday.\n\nCommuters have been told to expect longer journeys, and extra ferries will run every fifteen minutes during the morning and evening peaks.\n\n\"We know this is disruptive, but the work cannot wait any longer,\" the transport commissioner told reporters."}
EOF

# ---- usage and version ---------------------------------------------------------------------
expect_status 0 "--help" -- "$ENRICH" --help
grep -q "usage: enrich" "$T/out" && pass || fail "--help prints no usage on stdout"
expect_status 0 "--version" -- "$ENRICH" --version
grep -Eq '^enrich [0-9]+\.[0-9]+\.[0-9]+' "$T/out" && pass || fail "--version output: $(cat "$T/out")"
expect_status 2 "no command" -- "$ENRICH"
grep -q "usage:" "$T/err" && pass || fail "usage error prints no usage on stderr"
[ ! -s "$T/out" ] && pass || fail "usage error wrote to stdout"
expect_status 2 "unknown command" -- "$ENRICH" frobnicate
expect_status 2 "unknown option" -- "$ENRICH" extract --bogus "$T/fr.txt"
expect_status 2 "bad --max-bytes" -- "$ENRICH" extract --max-bytes lots "$T/fr.txt"
expect_status 2 "push without endpoint" -- "$ENRICH" push
expect_status 2 "push bad endpoint" -- "$ENRICH" push nowhere "$T/fr.txt"
expect_status 2 "tail without endpoint" -- "$ENRICH" tail
expect_status 2 "tail bad --count" -- "$ENRICH" tail --count x tcp://127.0.0.1:1
expect_status 2 "bench without kind" -- "$ENRICH" bench
expect_status 2 "bench unknown kind" -- "$ENRICH" bench nope
expect_status 0 "extract --help" -- "$ENRICH" extract --help

# ---- extract: French raw text ------------------------------------------------------------------
expect_status 0 "extract French raw text" -- "$ENRICH" extract --instance cli-test "$T/fr.txt"
check_json "French raw text record" '
assert len(recs) == 1, recs
r = recs[0]
assert r["schema"] == "enrichd.article/1", r["schema"]
assert r["instance"] == "cli-test" and r["seq"] == 1
assert re.fullmatch(r"[0-9a-f]{32}", r["id"]), r["id"]
assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", r["received"]), r["received"]
assert r["lang"] == "fr", r["lang"]
assert "plan vélo" in r["text"] and "Part-Dieu" in r["text"]
assert r["stats"]["words"] >= 60, r["stats"]
keys = list(r)
assert keys[:5] == ["schema", "id", "instance", "seq", "received"], keys[:6]
'
# The id of raw text is the hash of the bytes: same input, same id.
cp "$T/out" "$T/first"
"$ENRICH" extract --instance cli-test <"$T/fr.txt" >"$T/out" 2>"$T/err"
check_json "stdin gives the same id" '
first = json.loads(open(sys.argv[1].replace("/out", "/first")).read())
assert recs[0]["id"] == first["id"], (recs[0]["id"], first["id"])
'

# ---- extract: English envelope -----------------------------------------------------------------
expect_status 0 "extract English envelope" -- "$ENRICH" extract "$T/en.json"
check_json "English envelope record" '
r = recs[0]
assert r["id"] == "cli-en-1", r["id"]
assert r["lang"] == "en", r["lang"]
assert r["url"] == "https://example.org/harbour" and r["source"] == "Example Gazette"
assert r["meta"] == {"desk": "metro", "n": 7}, r["meta"]
assert r["published"].startswith("2024-03-14") and r["published_from"] == "envelope", r
assert r["instance"].startswith("enrichd-")
assert "expansion joints" in r["text"]
'

# ---- overrides -------------------------------------------------------------------------------
expect_status 0 "--lang and --published" -- "$ENRICH" extract --lang fr --published 2023-11-20 "$T/en.json"
check_json "--lang overrides, --published overrides" '
r = recs[0]
assert r["lang"] == "fr", r["lang"]
assert r["published"].startswith("2023-11-20") and r["published_from"] == "envelope", r["published"]
'

# ---- several inputs, seq, pretty ---------------------------------------------------------------
expect_status 0 "two files" -- "$ENRICH" extract "$T/fr.txt" "$T/en.json"
check_json "two files: seq 1 and 2, languages" '
assert [r["seq"] for r in recs] == [1, 2]
assert [r["lang"] for r in recs] == ["fr", "en"]
'
expect_status 0 "--pretty" -- "$ENRICH" extract --pretty "$T/en.json"
if "$PY" -c 'import json,sys; t=open(sys.argv[1]).read(); assert t.count("\n") > 10; assert json.loads(t)["id"] == "cli-en-1"' "$T/out"; then pass; else fail "--pretty output"; fi

# ---- bad inputs -----------------------------------------------------------------------------
printf 'Un titre\n\nUn texte \xff\xfe cass\xe9.\n' >"$T/bad-utf8.txt"
expect_status 1 "invalid UTF-8" -- "$ENRICH" extract "$T/bad-utf8.txt"
check_json "invalid UTF-8 error record" '
r = recs[0]
assert r["schema"] == "enrichd.error/1", r
assert r["error"]["code"] == "invalid_utf8", r["error"]
assert r["bytes"] == 29 and r["seq"] == 1, r
'
printf '{"id": "x1", "text": "Le texte' >"$T/bad.json"
expect_status 1 "invalid JSON" -- "$ENRICH" extract "$T/bad.json"
check_json "invalid JSON error record" 'assert recs[0]["error"]["code"] == "invalid_json", recs'
printf '{"id": "x2", "title": "Sans texte"}' >"$T/notext.json"
expect_status 1 "missing text" -- "$ENRICH" extract "$T/notext.json"
check_json "missing text error record" 'assert recs[0]["error"]["code"] == "missing_text", recs'
printf '{"id": "x3", "text": "  \\n\\n  "}' >"$T/blank.json"
expect_status 1 "blank text" -- "$ENRICH" extract "$T/blank.json"
check_json "blank text error record" '
assert recs[0]["error"]["code"] == "empty", recs
assert recs[0]["id"] == "x3", recs
'
expect_status 1 "too large" -- "$ENRICH" extract --max-bytes 100 "$T/fr.txt"
check_json "too large error record" '
r = recs[0]
assert r["error"]["code"] == "too_large", r
assert r["bytes"] > 100
'
expect_status 1 "missing file" -- "$ENRICH" extract "$T/absent.txt"
grep -q "absent.txt" "$T/err" && pass || fail "missing file: no message naming it"

# ---- JSON lines: good, bad, good; blank lines skipped ---------------------------------------
{
    "$PY" -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' "$T/en.json"
    echo
    echo '{"id": "broken", "text": '
    "$PY" -c 'import json,sys; print(json.dumps({"id": "cli-fr-2", "text": open(sys.argv[1]).read()}, ensure_ascii=False))' "$T/fr.txt"
} >"$T/in.jsonl"
"$ENRICH" extract --jsonl <"$T/in.jsonl" >"$T/out" 2>"$T/err"
st=$?
[ "$st" -eq 1 ] && pass || fail "--jsonl with a bad line: exit status $st, want 1"
check_json "--jsonl records" '
assert len(recs) == 3, len(recs)
assert [r["seq"] for r in recs] == [1, 2, 3]
assert recs[0]["id"] == "cli-en-1" and recs[0]["lang"] == "en"
assert recs[1]["schema"] == "enrichd.error/1" and recs[1]["error"]["code"] == "invalid_json"
assert recs[2]["id"] == "cli-fr-2" and recs[2]["lang"] == "fr"
'

# ---- data dir ----------------------------------------------------------------------------------
expect_status 1 "--data on a missing directory" -- "$ENRICH" extract --data "$T/no-such-dir" "$T/fr.txt"
grep -q "no-such-dir" "$T/err" && pass || fail "--data: no message naming the directory"

# ---- benchmarks, smoke: a two-article corpus ---------------------------------------------------
grep -v broken "$T/in.jsonl" | grep . >"$T/corpus.jsonl"
expect_status 0 "bench extract" -- "$ENRICH" bench extract --corpus "$T/corpus.jsonl" --repeat 2 --json
check_json "bench extract --json" '
b = recs[0]
assert b["bench"] == "extract" and b["articles"] == 2 and b["passes"] == 2, b
assert b["errors"] == 0 and b["articles_per_s"] > 0 and b["words_per_s"] > 0, b
assert set(b["stages_us"]) >= {"text", "tokens", "lang"}, b["stages_us"]
'
if [ -x "$BIN/enrichd" ]; then
    expect_status 0 "bench e2e" -- "$ENRICH" bench e2e --corpus "$T/corpus.jsonl" --articles 40 --workers 1 --json
    check_json "bench e2e --json" '
b = recs[0]
assert b["received"] == 40 and b["lost"] == 0 and b["duplicates"] == 0, b
assert b["seq_gaps"] == 0 and b["meta_missing"] == 0 and b["daemon_exit"] == 0, b
assert b["latency_ms"]["p50"] > 0 and b["inproc_per_s"] > 0, b
assert b["state_dir"] is None, b
'
    expect_status 0 "bench e2e --state-dir" -- "$ENRICH" bench e2e --corpus "$T/corpus.jsonl" --articles 40 --state-dir "$T/bench-state" --json
    check_json "bench e2e --state-dir --json" '
b = recs[0]
assert b["received"] == 40 and b["lost"] == 0 and b["seq_gaps"] == 0 and b["daemon_exit"] == 0, b
assert b["state_dir"].endswith("/bench-state"), b
'
    [ -s "$T/bench-state/journal/data.mdb" ] && pass || fail "bench e2e --state-dir: no journal in $T/bench-state"
else
    echo "SKIP: enrichd absent: bench e2e not run"
fi

# ---- keygen: file modes whatever the umask, format, refusals; CURVE client options --------------
expect_status 0 "keygen" -- sh -c 'umask 077 && exec "$0" keygen "$1"' "$ENRICH" "$T/k1"
[ "$(stat -c %a "$T/k1.key")" = 600 ] && pass || fail "keygen: k1.key mode $(stat -c %a "$T/k1.key"), want 600"
[ "$(stat -c %a "$T/k1.pub")" = 644 ] && pass || fail "keygen: k1.pub mode $(stat -c %a "$T/k1.pub"), want 644 (umask 077)"
Z85='[][0-9A-Za-z.:+=^!/*?&<>(){}@%$#-]{40}'
grep -Eq "^public-key = \"$Z85\"\$" "$T/k1.pub" && pass || fail "keygen: k1.pub format"
grep -Eq "^secret-key = \"$Z85\"\$" "$T/k1.key" && pass || fail "keygen: k1.key has no secret-key line"
! grep -q '^secret-key' "$T/k1.pub" && pass || fail "keygen: the .pub holds the secret"
[ "$(grep '^public-key' "$T/k1.key")" = "$(grep '^public-key' "$T/k1.pub")" ] && pass || fail "keygen: .key and .pub public keys differ"
grep -q "^public-key = " "$T/out" && pass || fail "keygen prints no public key"
old_pub=$(cat "$T/k1.pub")
expect_status 1 "keygen over existing files" -- "$ENRICH" keygen "$T/k1"
grep -q "exists (use --force" "$T/err" && pass || fail "keygen over existing: $(cat "$T/err")"
[ "$(cat "$T/k1.pub")" = "$old_pub" ] && pass || fail "keygen without --force changed k1.pub"
expect_status 0 "keygen --force" -- "$ENRICH" keygen --force "$T/k1"
[ "$(cat "$T/k1.pub")" != "$old_pub" ] && pass || fail "keygen --force kept the old key"
[ "$(stat -c %a "$T/k1.key")" = 600 ] && pass || fail "keygen --force: k1.key mode"
[ -z "$(ls "$T" | grep tmp)" ] && pass || fail "keygen left temporary files: $(ls "$T")"
expect_status 2 "keygen without NAME" -- "$ENRICH" keygen
expect_status 2 "keygen with two names" -- "$ENRICH" keygen "$T/a" "$T/b"
expect_status 1 "keygen into a missing directory" -- "$ENRICH" keygen "$T/no/such/dir/k"
expect_status 0 "keygen --help" -- "$ENRICH" keygen --help
grep -q "NAME.key" "$T/out" && pass || fail "keygen --help"
expect_status 0 "--help lists keygen" -- "$ENRICH" --help
grep -q "keygen" "$T/out" && pass || fail "--help does not list keygen"
expect_status 2 "push --server-key without --key" -- "$ENRICH" push --server-key "$T/k1.pub" tcp://127.0.0.1:9 "$T/fr.txt"
grep -q "go together" "$T/err" && pass || fail "push half CURVE: $(head -1 "$T/err")"
expect_status 2 "tail --key without --server-key" -- "$ENRICH" tail --key "$T/k1.key" tcp://127.0.0.1:9
chmod 644 "$T/k1.key"
expect_status 1 "push with a 0644 client key" -- "$ENRICH" push --server-key "$T/k1.pub" --key "$T/k1.key" tcp://127.0.0.1:9 "$T/fr.txt"
grep -q "has mode 0644" "$T/err" && pass || fail "push 0644 key: $(cat "$T/err")"
chmod 600 "$T/k1.key"
expect_status 1 "tail with a broken server key" -- "$ENRICH" tail --server-key "$T/fr.txt" --key "$T/k1.key" tcp://127.0.0.1:9
grep -q "fr.txt:1:" "$T/err" && pass || fail "tail broken server key: $(cat "$T/err")"

# ---- push and tail against a pyzmq peer ---------------------------------------------------------
if ! "$PY" -c 'import zmq' 2>/dev/null; then
    echo "SKIP: pyzmq absent: push/tail checks not run"
else
    # push: two files, one frame each, byte for byte; --count prints 2.
    if "$PY" - "$ENRICH" "$T/fr.txt" "$T/en.json" <<'EOF'; then pass; else fail "push delivers files as frames"; fi
import subprocess, sys, zmq
enrich, f1, f2 = sys.argv[1:]
ctx = zmq.Context()
pull = ctx.socket(zmq.PULL)
port = pull.bind_to_random_port("tcp://127.0.0.1")
p = subprocess.run([enrich, "push", "--count", "tcp://127.0.0.1:%d" % port, f1, f2],
                   capture_output=True, timeout=20)
assert p.returncode == 0, p
assert p.stdout.strip() == b"2", p.stdout
pull.RCVTIMEO = 5000
got = [pull.recv(), pull.recv()]
assert got == [open(f1, "rb").read(), open(f2, "rb").read()]
EOF
    # push from stdin: one frame per non-blank line, sent before the peer exists.
    if "$PY" - "$ENRICH" <<'EOF'; then pass; else fail "push stdin lines, peer late"; fi
import socket, subprocess, sys, time, zmq
enrich = sys.argv[1]
s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close()
p = subprocess.Popen([enrich, "push", "--count", "tcp://127.0.0.1:%d" % port],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
p.stdin.write(b'{"text": "Premier article."}\n\n{"text": "Second article."}\n')
p.stdin.close()
time.sleep(0.3)                      # the pusher waits for a peer: bind late on purpose
ctx = zmq.Context()
pull = ctx.socket(zmq.PULL)
pull.bind("tcp://127.0.0.1:%d" % port)
pull.RCVTIMEO = 5000
got = [pull.recv(), pull.recv()]
assert p.wait(timeout=20) == 0
assert p.stdout.read().strip() == b"2"
assert got == [b'{"text": "Premier article."}', b'{"text": "Second article."}'], got
EOF
    # push with no peer at all gives up after --timeout with status 1.
    expect_status 1 "push with no peer times out" -- "$ENRICH" push --timeout 300 tcp://127.0.0.1:9 "$T/fr.txt"

    # tail: prefix filter, one JSON line per record, --count.
    if "$PY" - "$ENRICH" <<'EOF'; then pass; else fail "tail prints filtered records"; fi
import json, subprocess, sys, time, zmq
enrich = sys.argv[1]
ctx = zmq.Context()
pub = ctx.socket(zmq.PUB)
port = pub.bind_to_random_port("tcp://127.0.0.1")
p = subprocess.Popen([enrich, "tail", "--count", "3", "--timeout", "10000",
                      "tcp://127.0.0.1:%d" % port, "article."], stdout=subprocess.PIPE)
seq = 0
deadline = time.time() + 15
while p.poll() is None and time.time() < deadline:
    seq += 1
    pub.send_multipart([b"error", json.dumps({"schema": "enrichd.error/1", "seq": seq}).encode()])
    seq += 1
    pub.send_multipart([b"article.fr", json.dumps({"schema": "enrichd.article/1", "seq": seq,
                                                   "text": "Un été à Montréal"}).encode()])
    time.sleep(0.02)
assert p.wait(timeout=5) == 0, p.returncode
lines = p.stdout.read().decode().splitlines()
assert len(lines) == 3, lines
recs = [json.loads(l) for l in lines]
assert all(r["schema"] == "enrichd.article/1" for r in recs), recs
assert recs[0]["text"] == "Un été à Montréal"
EOF
    # tail: nothing arrives → status 3.
    expect_status 3 "tail --timeout" -- "$ENRICH" tail --timeout 300 tcp://127.0.0.1:9
    # tail: SIGINT exits cleanly with 0.
    "$ENRICH" tail tcp://127.0.0.1:9 >/dev/null 2>&1 &
    tpid=$!
    sleep 0.3
    kill -INT "$tpid"
    wait "$tpid"
    st=$?
    [ "$st" -eq 0 ] && pass || fail "tail after SIGINT: exit status $st, want 0"
fi

echo "cli.sh: $CHECKS checks passed, $FAILS failed"
[ "$FAILS" -eq 0 ]
