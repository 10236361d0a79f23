"""test_signals — the daemon's process contract: signals, --check-config, --version, --help.

1. SIGTERM under load: with a subscriber connected first and high HWMs, a few thousand articles
   are pushed and SIGTERM is sent while records stream out; the daemon must exit 0 within the
   drain timeout and every article pushed must come out (drain loses nothing it received).
2. SIGHUP with a broken config file: the daemon logs why, keeps the old config and keeps
   serving (the next article comes out).
3. SIGHUP with a changed log level: at "warn" no more info lines appear; back at "debug" they
   do again.
4. --check-config on good and bad files (exit 0 + "ok" / exit 1 + file:line), --version, --help.
5. sd_notify, as the unit's Type=notify and WatchdogSec rely on it: READY=1, WATCHDOG=1 pings,
   STOPPING=1.
Touches: its own daemons and temp dirs (tests/e2e/enrichd_e2e.py).
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import enrichd_e2e as e2e  # noqa: E402

# Articles in the first try, doubled while the daemon drains them all before SIGTERM can be
# sent; starting small keeps a slow (sanitized) daemon's drain well inside DRAIN_MS.
N_LOAD = 2000
N_LOAD_MAX = 64000
DRAIN_MS = 30000


def load_frames(n):
    """n envelope frames (bytes, built before pushing so that pushing outruns the daemon) from
    the fixtures, French and English, each with a distinct id. Returns (ids, frames)."""
    raw, envelopes = e2e.load_fixtures()
    texts = [(e2e.fixture_lang(name), text) for name, text in raw]
    texts += [(e2e.fixture_lang(name), env["text"]) for name, env in envelopes]
    ids, frames = [], []
    for i in range(n):
        lang, text = texts[i % len(texts)]
        rid = "load-%05d" % i
        ids.append(rid)
        frames.append(json.dumps({"id": rid, "lang": lang, "text": text},
                                 ensure_ascii=False).encode("utf-8"))
    return ids, frames


def push_all(d, frames):
    """Pushes every frame from a context of its own and waits until ZeroMQ has written them
    all to the daemon's connection (context termination with a bounded linger)."""
    ctx = e2e.zmq.Context()
    try:
        s = ctx.socket(e2e.zmq.PUSH)
        s.setsockopt(e2e.zmq.SNDHWM, 0)
        s.setsockopt(e2e.zmq.SNDTIMEO, int(30000 * e2e.SLOW))
        s.setsockopt(e2e.zmq.LINGER, int(30000 * e2e.SLOW))
        s.connect(d.feed)
        for frame in frames:
            s.send(frame)
        s.close()
    finally:
        ctx.term()


def sigterm_once(n):
    """One daemon, n articles, SIGTERM while records stream. Returns False when every record
    was out before SIGTERM could be sent (the caller retries with more), True when checked."""
    ids, frames = load_frames(n)
    ids = set(ids)
    with e2e.Daemon(instance="e2e-sigterm", workers=1,
                    drain_timeout_ms=int(DRAIN_MS * e2e.SLOW)) as d:
        push = d.push()
        sub, _ = d.sub(push)
        push_all(d, frames)
        time.sleep(0.05)  # let the daemon's I/O thread read what the kernel holds
        seen = set()
        while True:
            item = e2e.recv_record(sub, 0)
            if item is None:
                break
            seen.add(item[1].get("id"))
        in_flight = len(ids - seen)
        if in_flight == 0:
            e2e.log("all %d articles were out before SIGTERM; retrying with more" % n)
            return False
        t0 = time.monotonic()
        d.signal(signal.SIGTERM)
        e2e.log("SIGTERM with %d of %d articles still to come out" % (in_flight, n))

        # Keep reading while the daemon drains, noting when it exits; stop once it has exited
        # and the output has been quiet for a while (or the time is up).
        limit = DRAIN_MS / 1000.0 * e2e.SLOW
        errors = []
        exited_at = None
        quiet_since = time.monotonic()
        while True:
            item = e2e.recv_record(sub, 0.1)
            now = time.monotonic()
            if exited_at is None and d.proc.poll() is not None:
                exited_at = now
            if item is not None:
                topic, rec = item
                if topic == "error":
                    errors.append(rec.get("error"))
                seen.add(rec.get("id"))
                quiet_since = now
                continue
            if exited_at is not None and now - quiet_since > 1.0 * e2e.SLOW:
                break
            if now - t0 > limit + 10:
                break
        status = d.wait_exit(0.1)
        e2e.check(status is not None, "enrichd still running %.1f s after SIGTERM (drain "
                  "timeout %d ms)" % (time.monotonic() - t0, DRAIN_MS))
        elapsed = exited_at - t0
        e2e.check(status == 0, "enrichd exit status %s after SIGTERM (want 0); log:\n%s"
                  % (status, d.log_tail()))
        e2e.check(elapsed <= limit + 2, "exit took %.1f s, longer than the drain timeout"
                  % elapsed)
        e2e.check(not errors, "error records during the load: %s" % errors[:3])
        missing = ids - seen
        e2e.check(not missing, "%d of %d pushed articles never came out, e.g. %s"
                  % (len(missing), n, sorted(missing)[:5]))
        e2e.log("ok: exit 0 within %.2f s, all %d articles came out" % (elapsed, n))
        return True


def test_sigterm_under_load():
    e2e.log("--- SIGTERM under load")
    n = N_LOAD
    while not sigterm_once(n):
        n *= 2
        e2e.check(n <= N_LOAD_MAX, "the daemon drained %d articles before SIGTERM could be "
                  "sent: cannot test a drain under load" % (n // 2))


def wait_quiet(d, seconds=0.5):
    """Waits until the daemon has logged nothing for `seconds`; returns the line count."""
    n = d.line_count()
    while True:
        time.sleep(seconds * e2e.SLOW)
        m = d.line_count()
        if m == n:
            return m
        n = m


def roundtrip_one(d, push, sub, rid):
    e2e.send_envelope(push, {"id": rid, "lang": "en",
                             "text": "The harbour master said on Friday that the ferry would "
                                     "resume its winter timetable next week."})
    got = e2e.recv_until(sub, lambda t, r: r.get("id") == rid, 10 * e2e.SLOW)
    e2e.check(got[-1][0] == "article.en", "article %s came out on %s" % (rid, got[-1][0]))


def test_sighup():
    e2e.log("--- SIGHUP: broken config, then log level")
    with e2e.Daemon(instance="e2e-sighup", workers=1, level="info") as d:
        push = d.push()
        sub, _ = d.sub(push)
        good_text = open(d.config_path, encoding="utf-8").read()

        # A broken file: the reload is refused with a reason, the daemon keeps serving.
        mark = wait_quiet(d)
        d.write_config_text(good_text + "workers = ;\n")
        d.signal(signal.SIGHUP)
        why = d.wait_log(lambda r: r.get("level") in ("warn", "error"), 10 * e2e.SLOW,
                         start=mark, what="a warn/error line about the broken config")
        msg = " ".join(str(v) for k, v in why.items() if k != "_line")
        e2e.check("enrichd.conf" in msg and re.search(r"enrichd\.conf:\d+", msg),
                  "the reload failure does not name file:line: %s" % msg)
        e2e.check(d.alive(), "enrichd exited after SIGHUP with a broken config")
        roundtrip_one(d, push, sub, "after-broken-hup")
        e2e.log("ok: broken config refused (%s), still serving" % why.get("msg"))

        # A bad value (parses, but invalid) is refused the same way.
        mark = wait_quiet(d)
        d.write_config_text(good_text.replace("workers = 1;", "workers = -3;"))
        d.signal(signal.SIGHUP)
        d.wait_log(lambda r: r.get("level") in ("warn", "error"), 10 * e2e.SLOW, start=mark,
                   what="a warn/error line about workers = -3")
        roundtrip_one(d, push, sub, "after-bad-value-hup")

        # Level warn: after the reload no info lines, even for a reload that succeeds.
        d.write_config(instance="e2e-sighup", workers=1, level="warn")
        d.signal(signal.SIGHUP)
        mark = wait_quiet(d, 1.0)
        d.signal(signal.SIGHUP)  # a second reload with the same file: logs at info at most
        roundtrip_one(d, push, sub, "at-warn")
        d.write_config_text(good_text + "workers = ;\n")
        d.signal(signal.SIGHUP)
        d.wait_log(lambda r: r.get("level") in ("warn", "error"), 10 * e2e.SLOW, start=mark,
                   what="a warn/error line at level warn")
        quiet = wait_quiet(d)
        with d.cond:
            chatty = [r for r in d.records if r["_line"] >= mark and r.get("level") in
                      ("info", "debug")]
        e2e.check(not chatty, "info/debug lines logged at level warn: %s"
                  % [r.get("msg") for r in chatty[:5]])
        e2e.check(d.alive(), "enrichd exited")

        # Level debug: lines below warn appear again (the reload itself is logged).
        d.write_config(instance="e2e-sighup", workers=1, level="debug")
        d.signal(signal.SIGHUP)
        d.wait_log(lambda r: r.get("level") in ("info", "debug"), 10 * e2e.SLOW, start=quiet,
                   what="an info/debug line after switching to level debug")
        roundtrip_one(d, push, sub, "at-debug")
        e2e.log("ok: log level applied live")

        d.signal(signal.SIGTERM)
        status = d.wait_exit(30 * e2e.SLOW)
        e2e.check(status == 0, "enrichd exit status %s after SIGTERM (want 0)" % status)


def test_sd_notify():
    """Type=notify: READY=1 once the sockets are bound, WATCHDOG=1 pings at least every half
    WATCHDOG_USEC, STOPPING=1 on SIGTERM. A unix datagram socket plays systemd's part."""
    e2e.log("--- sd_notify (Type=notify, WatchdogSec)")
    import socket
    import tempfile

    tmp = tempfile.mkdtemp(prefix="enrichd-e2e-notify-")
    path = os.path.join(tmp, "notify.sock")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.bind(path)
        sock.settimeout(0.2)
        msgs = []

        def read_for(seconds):
            end = time.monotonic() + seconds
            while time.monotonic() < end:
                try:
                    msgs.append(sock.recv(4096).decode("utf-8", "replace"))
                except socket.timeout:
                    pass

        watchdog_s = 1.0
        with e2e.Daemon(instance="e2e-notify", workers=1,
                        env={"NOTIFY_SOCKET": path,
                             "WATCHDOG_USEC": str(int(watchdog_s * 1e6))}) as d:
            read_for(0.2)
            e2e.check(any("READY=1" in m for m in msgs),
                      "no READY=1 on NOTIFY_SOCKET after the ready line: %s" % msgs)
            msgs.clear()
            read_for(3 * watchdog_s)
            pings = sum(m.count("WATCHDOG=1") for m in msgs)
            e2e.check(pings >= 3, "%d WATCHDOG=1 pings in %.0f s with WATCHDOG_USEC=%d s (want "
                      ">= 3, one per half interval)" % (pings, 3 * watchdog_s, watchdog_s))
            d.signal(signal.SIGTERM)
            status = d.wait_exit(30 * e2e.SLOW)
            read_for(0.3)
            e2e.check(status == 0, "exit status %s after SIGTERM" % status)
            e2e.check(any("STOPPING=1" in m for m in msgs), "no STOPPING=1 on SIGTERM: %s"
                      % msgs[-3:])
        e2e.log("ok: READY=1, %d watchdog pings in %.0f s, STOPPING=1" % (pings, 3 * watchdog_s))
    finally:
        sock.close()
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)


def run_cli(args, timeout=30):
    p = subprocess.run([e2e.enrichd_path()] + args, stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=timeout * e2e.SLOW)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def test_command_line():
    e2e.log("--- --check-config, --version, --help")
    import tempfile

    tmp = tempfile.mkdtemp(prefix="enrichd-e2e-cli-")
    try:
        os.mkdir(os.path.join(tmp, "state"))
        good = os.path.join(tmp, "good.conf")
        with open(good, "w", encoding="utf-8") as f:
            f.write(e2e.make_config(tmp))
        rc, out, err = run_cli(["--check-config", "-c", good])
        e2e.check(rc == 0, "--check-config on a good file: exit %d (%s %s)" % (rc, out, err))
        e2e.check(out.strip() == "ok", "--check-config on a good file printed %r, want 'ok'"
                  % out)

        # The installed default must check too (data_dir and state_dir as installed may be
        # absent here, so only its syntax and values are at stake: point them at our dirs).
        shipped = os.path.join(e2e.SRC, "etc", "enrichd.conf")
        if os.path.exists(shipped):
            text = open(shipped, encoding="utf-8").read()
            text = re.sub(r'(?m)^\s*(data_dir|state_dir)\s*=.*$', "", text)
            text += "data_dir = %s;\nstate_dir = \"\";\n" % e2e.conf_string(e2e.DATA)
            path = os.path.join(tmp, "shipped.conf")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            rc, out, err = run_cli(["--check-config", "-c", path])
            e2e.check(rc == 0 and out.strip() == "ok",
                      "etc/enrichd.conf does not check: exit %d %s %s" % (rc, out, err))

        bad_cases = [
            ("syntax.conf", e2e.make_config(tmp) + "workers = ;\n", True),
            ("unknown-key.conf", e2e.make_config(tmp) + "wokers = 2;\n", True),
            ("negative.conf", e2e.make_config(tmp, workers=-1), True),
            ("level.conf", e2e.make_config(tmp, level="loud"), True),
            ("type.conf", e2e.make_config(tmp).replace("workers = 2;", 'workers = "two";'), True),
        ]
        for name, text, want_line in bad_cases:
            path = os.path.join(tmp, name)
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            rc, out, err = run_cli(["--check-config", "-c", path])
            both = out + err
            e2e.check(rc == 1, "--check-config on %s: exit %d (want 1): %s" % (name, rc, both))
            e2e.check(re.search(re.escape(name) + r":\d+", both) if want_line else name in both,
                      "--check-config on %s does not say file:line: %r" % (name, both))
        rc, out, err = run_cli(["--check-config", "-c", os.path.join(tmp, "absent.conf")])
        e2e.check(rc == 1 and "absent.conf" in out + err,
                  "--check-config on a missing file: exit %d %r" % (rc, out + err))
        e2e.log("ok: --check-config")
    finally:
        import shutil

        shutil.rmtree(tmp, ignore_errors=True)

    with open(os.path.join(e2e.SRC, "CMakeLists.txt"), encoding="utf-8") as f:
        version = re.search(r"project\(enrichd VERSION ([0-9.]+)", f.read()).group(1)
    rc, out, err = run_cli(["--version"])
    e2e.check(rc == 0 and version in out, "--version: exit %d, %r (want %s on stdout)"
              % (rc, out + err, version))
    rc, out, err = run_cli(["--help"])
    e2e.check(rc == 0 and "--check-config" in out and "-c" in out,
              "--help: exit %d, %r (want usage on stdout)" % (rc, out + err))
    rc, out, err = run_cli(["--no-such-option"])
    e2e.check(rc != 0, "an unknown option exits 0")
    e2e.log("ok: --version, --help, unknown option")


def main():
    e2e.require_binary()
    test_command_line()
    test_sd_notify()
    test_sighup()
    test_sigterm_under_load()


if __name__ == "__main__":
    e2e.run(main)
