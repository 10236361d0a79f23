"""test_curve — CURVE on the daemon's endpoints (issue 5, security), with the real daemon.

Keys are made with `enrich keygen` in a temp dir; this test reads their Z85 text from the files
itself (pyzmq is an independent client). The daemon runs with security on and only alice.pub in
its allow-list:
1. alice (allowed) pushes with a CURVE PUSH and subscribes with a CURVE SUB: her records come out;
   `enrich tail` and `enrich push` with --server-key/--key work too.
2. mallory (unknown key) cannot push: the daemon logs and counts the denial, nothing of hers is
   received; eve (unknown key) cannot subscribe: the denial is logged, she gets nothing;
   `enrich push`/`enrich tail` with trudy's unknown key fail (status 1 / 3).
3. a plain client (no CURVE) can neither push nor subscribe.
4. SIGHUP after adding mallory.pub reloads the allow-list: mallory now gets through.
5. At the end the daemon's own counters agree: received == what allowed clients sent;
   auth_denied counts the denials.
6. The daemon refuses to start (status 1, message naming the file and its mode) when the secret
   key file is mode 0644, and when the allow-list directory holds no *.pub file;
   --check-config says the same.
Touches: its own daemons, temp dirs and loopback ports (tests/e2e/enrichd_e2e.py).
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import enrichd_e2e as e2e  # noqa: E402
import zmq  # noqa: E402

ENRICH = os.path.join(e2e.BIN, "enrich")
TEXT = ("Le conseil régional a voté jeudi une aide de 12 millions d'euros pour le port de "
        "Sète, a annoncé sa présidente. Les travaux commenceront en mars.")


def keygen(tmp, name):
    base = os.path.join(tmp, name)
    p = subprocess.run([ENRICH, "keygen", base], capture_output=True, timeout=30)
    e2e.check(p.returncode == 0, "enrich keygen %s: status %d, %s" % (name, p.returncode, p.stderr))
    return base


def read_z85(path, name):
    """The Z85 text (bytes) of `name = "..."` in a key file."""
    with open(path, encoding="ascii") as f:
        for line in f:
            line = line.strip()
            if line.startswith(name):
                value = line.split("=", 1)[1].strip()
                e2e.check(value.startswith('"') and value.endswith('"'), "bad line %r" % line)
                return value[1:-1].encode("ascii")
    raise e2e.TestFailure("%s has no %s" % (path, name))


def curve_socket(ctx, kind, server_base, client_base):
    s = ctx.socket(kind)
    s.setsockopt(zmq.LINGER, 0)
    s.curve_serverkey = read_z85(server_base + ".pub", "public-key")
    s.curve_publickey = read_z85(client_base + ".key", "public-key")
    s.curve_secretkey = read_z85(client_base + ".key", "secret-key")
    return s


class Sent:
    """Counts what allowed clients sent, to compare with the daemon's `received`."""

    def __init__(self):
        self.n = 0
        self.probe = 0


def send(sock, sent, env):
    e2e.send_envelope(sock, env)
    sent.n += 1


def make_live(pusher, sub, sent, what):
    """Pushes probes through pusher until one reaches sub (the subscription is live)."""
    deadline = time.monotonic() + 20 * e2e.SLOW
    while time.monotonic() < deadline:
        sent.probe += 1
        pid = "probe-%d" % sent.probe
        send(pusher, sent, {"id": pid, "text": "Probe %d. " % sent.probe + TEXT})
        if e2e.recv_until(sub, lambda t, r: r.get("id") == pid, 0.5 * e2e.SLOW, fail=False):
            return
    raise e2e.TestFailure("no probe reached %s within 20 s" % what)


def denial_for(d, key_z85, what):
    return d.wait_log(lambda r: r.get("msg") == "connection denied"
                      and r.get("client_key") == key_z85.decode(), 20 * e2e.SLOW,
                      what="the denial of %s" % what)


def check_secured_daemon(tmp, keys, allowed_dir):
    server, alice, mallory, eve, trudy = keys
    extra = ('security = { curve_secret_key_file = "%s"; curve_allowed_keys_dir = "%s"; };\n'
             % (server + ".key", allowed_dir))
    sent = Sent()
    with e2e.Daemon(extra=extra) as d:
        on = d.wait_log(lambda r: r.get("msg") == "CURVE on", 5, what="the CURVE on line")
        e2e.check(on.get("server_key") == read_z85(server + ".pub", "public-key").decode(),
                  "CURVE on line has the wrong server key: %r" % on)
        e2e.check(on.get("allowed_keys") == 1, "allowed_keys: %r" % on)
        e2e.check(not any("without CURVE" in r.get("msg", "") for r in d.records),
                  "exposure warning on a CURVE daemon")

        # 1. alice: push + subscribe
        push = curve_socket(d.ctx, zmq.PUSH, server, alice)
        push.setsockopt(zmq.SNDTIMEO, int(20000 * e2e.SLOW))
        push.connect(d.feed)
        sub = curve_socket(d.ctx, zmq.SUB, server, alice)
        sub.setsockopt(zmq.SUBSCRIBE, b"")
        sub.connect(d.output)
        make_live(push, sub, sent, "alice's SUB")
        send(push, sent, {"id": "alice-1", "text": TEXT})
        got = e2e.recv_until(sub, lambda t, r: r.get("id") == "alice-1", 20 * e2e.SLOW)
        e2e.check(got[-1][0] == "article.fr", "alice-1 topic %r" % got[-1][0])
        e2e.log("ok: alice (allowed key) pushes and subscribes")

        # the CLI with alice's keys: tail until one record, push one file
        tail = subprocess.Popen([ENRICH, "tail", "--server-key", server + ".pub", "--key",
                                 alice + ".key", "--count", "1", "--timeout",
                                 str(int(30000 * e2e.SLOW)), d.output],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 20 * e2e.SLOW
        while tail.poll() is None and time.monotonic() < deadline:
            sent.probe += 1
            send(push, sent, {"id": "cli-probe-%d" % sent.probe, "text": TEXT})
            time.sleep(0.2)
        out, err = tail.communicate(timeout=10)
        e2e.check(tail.returncode == 0, "enrich tail with alice's key: status %s, %s"
                  % (tail.returncode, err))
        rec = json.loads(out.decode().splitlines()[0])
        e2e.check(str(rec.get("id", "")).startswith("cli-probe-"), "enrich tail got %r" % rec)
        article = os.path.join(tmp, "cli-article.json")
        with open(article, "w", encoding="utf-8") as f:
            json.dump({"id": "alice-cli", "text": TEXT}, f)
        p = subprocess.run([ENRICH, "push", "--server-key", server + ".pub", "--key",
                            alice + ".key", d.feed, article], capture_output=True, timeout=60)
        e2e.check(p.returncode == 0, "enrich push with alice's key: %s" % p.stderr)
        sent.n += 1
        e2e.recv_until(sub, lambda t, r: r.get("id") == "alice-cli", 20 * e2e.SLOW)
        e2e.log("ok: enrich tail / enrich push with --server-key --key")

        # 2. mallory cannot push, eve cannot subscribe; 3. nor can plain clients
        mal = curve_socket(d.ctx, zmq.PUSH, server, mallory)
        mal.connect(d.feed)
        mal.send(json.dumps({"id": "mallory-1", "text": TEXT}).encode(), zmq.NOBLOCK)
        denial_for(d, read_z85(mallory + ".pub", "public-key"), "mallory's PUSH")
        eve_sub = curve_socket(d.ctx, zmq.SUB, server, eve)
        eve_sub.setsockopt(zmq.SUBSCRIBE, b"")
        eve_sub.connect(d.output)
        denial_for(d, read_z85(eve + ".pub", "public-key"), "eve's SUB")
        plain_push = d.ctx.socket(zmq.PUSH)
        plain_push.setsockopt(zmq.LINGER, 0)
        plain_push.connect(d.feed)
        plain_push.send(json.dumps({"id": "plain-1", "text": TEXT}).encode(), zmq.NOBLOCK)
        plain_sub = d.ctx.socket(zmq.SUB)
        plain_sub.setsockopt(zmq.LINGER, 0)
        plain_sub.setsockopt(zmq.SUBSCRIBE, b"")
        plain_sub.connect(d.output)
        p = subprocess.run([ENRICH, "push", "--timeout", "1500", "--server-key", server + ".pub",
                            "--key", trudy + ".key", d.feed, article],
                           capture_output=True, timeout=60)
        e2e.check(p.returncode == 1, "enrich push with trudy's key: status %d (want 1)"
                  % p.returncode)
        denial_for(d, read_z85(trudy + ".pub", "public-key"), "trudy's enrich push")
        p = subprocess.run([ENRICH, "tail", "--timeout", "1500", "--server-key", server + ".pub",
                            "--key", trudy + ".key", d.output], capture_output=True, timeout=60)
        e2e.check(p.returncode == 3 and not p.stdout,
                  "enrich tail with trudy's key: status %d (want 3), %r" % (p.returncode, p.stdout))
        # what alice sends now reaches alice, and only alice
        for i in range(3):
            send(push, sent, {"id": "alice-after-%d" % i, "text": TEXT})
        got = e2e.recv_until(sub, lambda t, r: r.get("id") == "alice-after-2", 20 * e2e.SLOW)
        ids = [r.get("id") for _, r in got]
        e2e.check(not any(i in ("mallory-1", "plain-1") for i in ids),
                  "a denied client's article came out: %s" % ids)
        e2e.check(not eve_sub.poll(1000), "eve (unknown key) received a record")
        e2e.check(not plain_sub.poll(1000), "a plain SUB received a record")
        e2e.log("ok: unknown keys and plain clients can neither push nor subscribe")

        # 4. SIGHUP reloads the allow-list: mallory is let in
        mal.close(linger=0)
        shutil.copy(mallory + ".pub", os.path.join(allowed_dir, "mallory.pub"))
        start = d.line_count()
        d.signal(signal.SIGHUP)
        r = d.wait_log(lambda r: r.get("msg") == "CURVE allow-list reloaded", 20 * e2e.SLOW,
                       start=start, what="the allow-list reload")
        e2e.check(r.get("allowed_keys") == 2, "reloaded allowed_keys: %r" % r)
        mal2 = curve_socket(d.ctx, zmq.PUSH, server, mallory)
        mal2.setsockopt(zmq.SNDTIMEO, int(20000 * e2e.SLOW))
        mal2.connect(d.feed)
        send(mal2, sent, {"id": "mallory-after-reload", "text": TEXT})
        e2e.recv_until(sub, lambda t, r: r.get("id") == "mallory-after-reload", 20 * e2e.SLOW)
        e2e.log("ok: SIGHUP reloads the allow-list")
    # 5. the daemon's exit and counters (a sanitizer report would make the status non-zero)
    e2e.check(d.proc.returncode == 0, "enrichd exit status %s; log:\n%s"
              % (d.proc.returncode, "\n".join(d.lines[-20:])))
    stopped = [r for r in d.records if r.get("msg") == "stopped"]
    e2e.check(stopped, "no stopped line")
    st = stopped[-1]
    e2e.check(st.get("received") == sent.n, "daemon received %s messages, allowed clients sent %d"
              % (st.get("received"), sent.n))
    # each of these denials was seen in the log: mallory's PUSH, eve's SUB, trudy's push
    e2e.check(st.get("auth_denied", 0) >= 3, "auth_denied = %s, want >= 3"
              % st.get("auth_denied"))
    e2e.check(st.get("auth_allowed", 0) >= 5, "auth_allowed = %s" % st.get("auth_allowed"))
    e2e.log("ok: received %d == sent by allowed clients; auth_denied %d"
            % (sent.n, st["auth_denied"]))


def check_refusals(tmp, server, alice_pub):
    conf = os.path.join(tmp, "refuse.conf")
    allowed = os.path.join(tmp, "allowed-refuse")
    os.mkdir(allowed)
    shutil.copy(alice_pub, allowed)
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    cases = [
        (0o644, allowed, ["has mode 0644", server + ".key"]),
        (0o640, allowed, ["has mode 0640"]),
        (0o600, empty, ["holds no *.pub file", empty]),
    ]
    for mode, adir, wants in cases:
        os.chmod(server + ".key", mode)
        extra = ('security = { curve_secret_key_file = "%s"; curve_allowed_keys_dir = "%s"; };\n'
                 % (server + ".key", adir))
        with open(conf, "w", encoding="utf-8") as f:
            f.write(e2e.make_config(tmp, extra=extra, state_dir=tmp))
        p = subprocess.run([e2e.require_binary(), "-c", conf], capture_output=True,
                           timeout=60 * e2e.SLOW)
        err = p.stderr.decode("utf-8", "replace")
        e2e.check(p.returncode != 0, "enrichd started with mode %o / %s" % (mode, adir))
        e2e.check("ready" not in err and "listening" not in err, "it listened: %s" % err)
        for want in wants:
            e2e.check(want in err, "start refusal lacks %r: %s" % (want, err))
        p = subprocess.run([e2e.require_binary(), "--check-config", "-c", conf],
                           capture_output=True, timeout=60)
        err = p.stderr.decode("utf-8", "replace")
        e2e.check(p.returncode == 1 and wants[0] in err, "--check-config: %d %s"
                  % (p.returncode, err))
    os.chmod(server + ".key", 0o600)
    e2e.log("ok: refuses to start with a 0644/0640 secret key file or an empty allow-list")


def main():
    if not zmq.has("curve"):
        print("SKIP: this pyzmq/libzmq has no CURVE")
        return e2e.SKIP
    e2e.check(os.access(ENRICH, os.X_OK), "%s not built" % ENRICH)
    tmp = tempfile.mkdtemp(prefix="enrichd-curve-")
    try:
        keys = [keygen(tmp, n) for n in ("server", "alice", "mallory", "eve", "trudy")]
        for base in keys:
            e2e.check(os.stat(base + ".key").st_mode & 0o777 == 0o600, "%s.key mode" % base)
            e2e.check(os.stat(base + ".pub").st_mode & 0o777 == 0o644, "%s.pub mode" % base)
        allowed = os.path.join(tmp, "allowed")
        os.mkdir(allowed)
        shutil.copy(keys[1] + ".pub", allowed)
        check_secured_daemon(tmp, keys, allowed)
        check_refusals(tmp, keys[0], keys[1] + ".pub")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    e2e.run(main)
