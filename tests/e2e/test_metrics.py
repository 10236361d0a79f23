"""test_metrics — the daemon's HTTP endpoint: /metrics and /healthz.

1. The daemon starts with metrics on port 0; the port comes from the "listening" log line
   (socket "metrics", endpoint "http://127.0.0.1:PORT").
2. /healthz answers 200 "ok".
3. N good articles and one bad input per receiver-side error code are pushed; once every
   record is out, a scrape (Content-Type text/plain; version=0.0.4, every line in the text
   format's grammar) says: received_total = everything pushed (probes included),
   errors_total{code} = what was sent for each code and 0 for the others (every code listed),
   published_total{topic} agrees with the records seen, every stage has a histogram whose
   count is the number of articles, with cumulative buckets ending at +Inf = _count, the
   whole-extraction histogram likewise, and the queue gauges are back to 0.
4. SIGHUP: enrichd_resources_reloads_total becomes 1 and enrichd_resources_info carries the
   generation the "reloaded" log line names.
5. Unknown paths are 404; POST/PUT/DELETE on /metrics or /healthz are 405 with "Allow";
   HEAD /healthz is 200.
6. A slowloris client (a request whose headers never end) does not block scrapes, and the
   server closes it after metrics.idle_timeout_s.
7. SIGTERM with a backlog: from the "draining" log line on, /healthz never says 200 again: it
   says 503 "draining" while the pipeline drains, and the port is closed once the daemon has
   stopped (the chosen semantics, docs/operations.md). The daemon exits 0.
Touches: its own daemons and temp dirs (tests/e2e/enrichd_e2e.py), loopback HTTP.
"""

import json
import os
import re
import signal
import socket
import sys
import time
import urllib.error
import urllib.request

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import enrichd_e2e as e2e  # noqa: E402

N_GOOD = 24
MAX_BYTES = 8192
IDLE_TIMEOUT_S = 1
CODES = ["invalid_utf8", "invalid_json", "missing_text", "empty", "too_large", "bad_frames",
         "internal"]

SAMPLE_RE = re.compile(
    r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})?'
    r' (-?[0-9.eE+-]+|\+Inf|-Inf|NaN)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


# ---- HTTP ---------------------------------------------------------------------------------

def http(url, method="GET", timeout=10.0):
    """Returns (status, headers, body str). 4xx/5xx are answers, not exceptions."""
    req = urllib.request.Request(url, method=method, data=b"x" if method in ("POST", "PUT")
                                 else None)
    try:
        with urllib.request.urlopen(req, timeout=timeout * e2e.SLOW) as r:
            return r.status, r.headers, r.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8")


def parse_exposition(text):
    """Checks the text format line by line; returns {(name, frozenset(labels)): value} and
    {family: type}."""
    samples, types = {}, {}
    e2e.check(text.endswith("\n"), "the exposition does not end with a newline")
    for line in text.split("\n")[:-1]:
        if line.startswith("# HELP "):
            e2e.check(len(line.split(" ", 3)) == 4, "HELP line without text: %r" % line)
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            e2e.check(kind in ("counter", "gauge", "histogram"), "odd TYPE: %r" % line)
            e2e.check(name not in types, "family %s declared twice" % name)
            types[name] = kind
            continue
        m = SAMPLE_RE.match(line)
        e2e.check(m is not None, "not a sample line: %r" % line)
        name, labels_s, value = m.group(1), m.group(2) or "", m.group(3)
        family = re.sub(r"_(bucket|sum|count)$", "", name)
        e2e.check(name in types or (family in types and types[family] == "histogram"),
                  "sample %s has no TYPE line before it" % name)
        labels = frozenset(LABEL_RE.findall(labels_s))
        key = (name, labels)
        e2e.check(key not in samples, "series written twice: %r" % line)
        samples[key] = float(value)
    return samples, types


def scrape(d):
    status, headers, body = http(d.metrics + "/metrics")
    e2e.check(status == 200, "/metrics answered %d" % status)
    ctype = headers.get("Content-Type", "")
    e2e.check(ctype.startswith("text/plain; version=0.0.4"), "Content-Type %r" % ctype)
    return parse_exposition(body)


def value(samples, name, **labels):
    return samples.get((name, frozenset(labels.items())))


def series(samples, name):
    """[(labels dict, value)] of every sample called name."""
    return [(dict(k[1]), v) for k, v in samples.items() if k[0] == name]


# ---- inputs -------------------------------------------------------------------------------

def good_frames(n):
    raw, envelopes = e2e.load_fixtures()
    texts = [t for _, t in raw] + [env["text"] for _, env in envelopes]
    return {"good-%03d" % i: json.dumps({"id": "good-%03d" % i, "text": texts[i % len(texts)]},
                                        ensure_ascii=False).encode("utf-8")
            for i in range(n)}


def bad_inputs():
    """[(frames, code)]: one or two per receiver-side error code ("internal" never)."""
    return [
        (["Le maire s'est exprimé.".encode("latin-1")], "invalid_utf8"),
        ([b'{"id": "cut", "text": "Le maire'], "invalid_json"),
        ([b'{"id": 3, "text": "x"}'], "invalid_json"),
        ([b'{"id": "nt", "title": "Sans texte"}'], "missing_text"),
        ([b'{"id": "blank", "text": "   \\n  "}'], "empty"),
        ([("Une phrase assez longue pour remplir le cadre. " * 400).encode()], "too_large"),
        ([b"first frame", b"second frame"], "bad_frames"),
    ]


# ---- the checks ---------------------------------------------------------------------------

def check_counts(d):
    push = d.push()
    sub, _ = d.sub(push)
    good = good_frames(N_GOOD)
    bad = bad_inputs()
    for frame in good.values():
        push.send(frame)
    for frames, _ in bad:
        push.send_multipart(frames)
    want = len(good) + len(bad)
    got = []
    while len(got) < want:
        item = e2e.recv_record(sub, 20 * e2e.SLOW)
        e2e.check(item is not None, "only %d of %d records came out" % (len(got), want))
        topic, rec = item
        if str(rec.get("id", "")).startswith("probe-"):
            continue
        got.append((topic, rec))
    seen_good = {rec["id"] for topic, rec in got if topic.startswith("article.")}
    e2e.check(seen_good == set(good), "articles out: %d of %d" % (len(seen_good), len(good)))

    probes = d.probe_count
    received = len(good) + len(bad) + probes
    # the publisher counts a record just after sending it: wait for the last count to land
    deadline = time.monotonic() + 10 * e2e.SLOW
    while True:
        samples, types = scrape(d)
        published = sum(v for _, v in series(samples, "enrichd_published_total"))
        if value(samples, "enrichd_received_total") == received and published == received:
            break
        e2e.check(time.monotonic() < deadline,
                  "counts never settled: received_total %s (want %d), published %s"
                  % (value(samples, "enrichd_received_total"), received, published))
        time.sleep(0.05)

    for code in CODES:
        want_n = sum(1 for _, c in bad if c == code)
        got_n = value(samples, "enrichd_errors_total", code=code)
        e2e.check(got_n == want_n, "errors_total{code=%s} = %s, want %d" % (code, got_n, want_n))
    e2e.check(value(samples, "enrichd_published_total", topic="error") == len(bad),
              "published_total{topic=error} = %s" % value(samples, "enrichd_published_total",
                                                            topic="error"))
    articles = sum(v for lab, v in series(samples, "enrichd_published_total")
                   if lab["topic"].startswith("article."))
    e2e.check(articles == len(good) + probes, "article records %s, want %d"
              % (articles, len(good) + probes))
    for topic in {t for t, _ in got}:
        e2e.check(value(samples, "enrichd_published_total", topic=topic) is not None,
                  "no published_total for topic %s" % topic)

    # histograms: one per stage, each with one observation per article
    e2e.check(types.get("enrichd_stage_seconds") == "histogram", "no stage histogram family")
    stages = sorted({lab["stage"] for lab, _ in series(samples, "enrichd_stage_seconds_count")})
    e2e.check(len(stages) >= 8, "stage histograms: %s" % stages)
    for stage in stages:
        check_histogram(samples, "enrichd_stage_seconds", articles, stage=stage)
    check_histogram(samples, "enrichd_extract_seconds", articles)

    for lab, v in series(samples, "enrichd_worker_queue_jobs"):
        e2e.check(v == 0, "worker %s queue %s after everything came out" % (lab, v))
    e2e.check(len(series(samples, "enrichd_worker_queue_jobs")) == 2, "one queue per worker")
    e2e.check(value(samples, "enrichd_publisher_queue_records") == 0, "publisher queue not 0")
    e2e.check(value(samples, "enrichd_workers") == 2, "workers gauge")
    e2e.check(value(samples, "enrichd_healthy") == 1, "healthy gauge")
    e2e.check(value(samples, "enrichd_resources_reloads_total") == 0, "reloads before SIGHUP")
    e2e.check(value(samples, "enrichd_uptime_seconds") > 0, "uptime")
    e2e.check(len(series(samples, "enrichd_build_info")) == 1, "build_info")
    e2e.log("counts: received %d (%d probes), %d articles, %d error records; %d stage "
            "histograms" % (received, probes, articles, len(bad), len(stages)))
    push.close()
    sub.close()


def check_histogram(samples, name, count, **labels):
    buckets = []
    for lab, v in series(samples, name + "_bucket"):
        le = lab.pop("le")
        if lab == labels:
            buckets.append((float("inf") if le == "+Inf" else float(le), v))
    buckets.sort()
    e2e.check(len(buckets) >= 2 and buckets[-1][0] == float("inf"),
              "%s%s has no +Inf bucket" % (name, labels))
    e2e.check(buckets[0][0] <= 1e-6 and 0.1 <= buckets[-2][0], "%s%s bounds %s..%s"
              % (name, labels, buckets[0][0], buckets[-2][0]))
    e2e.check(all(a[1] <= b[1] for a, b in zip(buckets, buckets[1:])),
              "%s%s buckets are not cumulative: %s" % (name, labels, buckets))
    n = value(samples, name + "_count", **labels)
    e2e.check(n == count, "%s_count%s = %s, want %d" % (name, labels, n, count))
    e2e.check(buckets[-1][1] == n, "%s%s +Inf bucket %s != count %s"
              % (name, labels, buckets[-1][1], n))
    s = value(samples, name + "_sum", **labels)
    e2e.check(s is not None and s >= 0, "%s_sum%s = %s" % (name, labels, s))


def check_reload(d):
    start = d.line_count()
    d.signal(signal.SIGHUP)
    rec = d.wait_log(lambda r: r.get("msg") == "reloaded", 20 * e2e.SLOW, start=start,
                     what="the reloaded line")
    samples, _ = scrape(d)
    e2e.check(value(samples, "enrichd_resources_reloads_total") == 1, "reloads_total after HUP")
    gens = [lab["generation"] for lab, _ in series(samples, "enrichd_resources_info")]
    e2e.check(gens == [rec["resources"]], "resources_info %s, log says %s"
              % (gens, rec["resources"]))


def check_http_errors(d):
    for path in ("/", "/metric", "/metrics/", "/healthz/x", "/../etc/passwd"):
        status, _, _ = http(d.metrics + path)
        e2e.check(status == 404, "GET %s answered %d, want 404" % (path, status))
    for path in ("/metrics", "/healthz"):
        for method in ("POST", "PUT", "DELETE"):
            status, headers, _ = http(d.metrics + path, method=method)
            e2e.check(status == 405, "%s %s answered %d, want 405" % (method, path, status))
            e2e.check("GET" in headers.get("Allow", ""), "405 without Allow: GET")
    status, _, body = http(d.metrics + "/healthz", method="HEAD")
    e2e.check(status == 200 and body == "", "HEAD /healthz: %d %r" % (status, body))


def check_slowloris(d):
    host, port = d.metrics[len("http://"):].rsplit(":", 1)
    slow = socket.create_connection((host, int(port)), timeout=5)
    slow.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")  # headers never end
    t0 = time.monotonic()
    for _ in range(3):
        status, _, body = http(d.metrics + "/healthz", timeout=5)
        e2e.check(status == 200 and body == "ok\n", "healthz beside a slowloris: %d" % status)
        samples, _ = scrape(d)
        e2e.check(value(samples, "enrichd_healthy") == 1, "scrape beside a slowloris")
    # the server drops it after idle_timeout_s (bounded wait: liveness, not speed)
    slow.settimeout(30 * e2e.SLOW)
    try:
        data = slow.recv(4096)
        closed = data == b"" or data.startswith(b"HTTP/1.1 4")
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        closed = False
    slow.close()
    e2e.check(closed, "the slowloris connection was never closed")
    e2e.log("slowloris: scrapes answered beside it; closed by the server after %.1f s"
            % (time.monotonic() - t0))


def check_sigterm():
    with e2e.Daemon(instance="e2e-metrics-stop", workers=1,
                    drain_timeout_ms=int(60000 * e2e.SLOW)) as d:
        status, _, body = http(d.metrics + "/healthz")
        e2e.check(status == 200 and body == "ok\n", "healthz before SIGTERM: %d %r"
                  % (status, body))
        frames = list(good_frames(200).values())
        ctx = e2e.zmq.Context()
        try:
            s = ctx.socket(e2e.zmq.PUSH)
            s.setsockopt(e2e.zmq.SNDHWM, 0)
            s.setsockopt(e2e.zmq.LINGER, int(30000 * e2e.SLOW))
            s.connect(d.feed)
            for _ in range(20):  # a backlog of 4000 articles for one worker
                for f in frames:
                    s.send(f)
            s.close()
        finally:
            ctx.term()
        start = d.line_count()
        d.signal(signal.SIGTERM)
        d.wait_log(lambda r: r.get("msg") == "draining", 20 * e2e.SLOW, start=start,
                   what="the draining line")
        seen = []
        while d.alive():
            try:
                status, _, body = http(d.metrics + "/healthz", timeout=5)
                seen.append((status, body.strip()))
                e2e.check(status != 200 or len(seen) <= 1,
                          "healthz said 200 during the drain: %s" % seen[-5:])
            except (urllib.error.URLError, ConnectionError, OSError):
                seen.append(("closed", ""))
            time.sleep(0.02)
        rc = d.wait_exit(30 * e2e.SLOW)
        e2e.check(rc == 0, "exit status %s after SIGTERM" % rc)
        # the first poll may race the stop flag by microseconds; after it nothing says 200
        after = seen[1:] if seen and seen[0][0] == 200 else seen
        e2e.check(all(s in ((503, "draining"), ("closed", "")) for s in after),
                  "during the drain: %s" % sorted(set(after), key=str))
        try:
            http(d.metrics + "/healthz", timeout=2)
            e2e.check(False, "the metrics port still answers after exit")
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        drained = sum(1 for s in seen if s == (503, "draining"))
        e2e.log("SIGTERM: %d polls during the drain, %d said 503 draining, then closed"
                % (len(seen), drained))


def main():
    e2e.require_binary()
    with e2e.Daemon(instance="e2e-metrics", workers=2, max_bytes=MAX_BYTES,
                    metrics='bind = "127.0.0.1:0"; max_connections = 8; idle_timeout_s = %d;'
                    % IDLE_TIMEOUT_S) as d:
        e2e.check(d.metrics is not None and re.match(r"^http://127\.0\.0\.1:\d+$", d.metrics),
                  "no metrics listening line: %r" % d.metrics)
        status, headers, body = http(d.metrics + "/healthz")
        e2e.check(status == 200 and body == "ok\n", "healthz: %d %r" % (status, body))
        check_counts(d)
        check_reload(d)
        check_http_errors(d)
        check_slowloris(d)
    check_sigterm()
    return 0


if __name__ == "__main__":
    e2e.run(main)
