#!/usr/bin/env python3
"""A real Prometheus scrapes the daemon's /metrics.

Usage: prometheus.py NPO-BUDGETD. Prints TAP.

Starts the built daemon with demo data in a temporary directory, with
--metrics-listen on another loopback port, and Debian's prometheus (package
prometheus, tools/install-deps.sh test) on 127.0.0.1 with a generated
configuration that scrapes that listener every second and keeps its storage
in the temporary directory. Then asks through Prometheus' HTTP API that `up`
is 1 and that npo_http_requests_total rose by exactly the requests this test
made, labelled by the route table's path, and has `promtool check metrics`
check the daemon's output. Every process started here is stopped by its PID.
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

ROUTE = "/api/v1/budgets/{id}/status"
REQUESTS = 5

procs = []  # (name, Popen) of what this test started
n = failed = 0


def ok(good, title, why=()):
    global n, failed
    n += 1
    print("%s %d - %s" % ("ok" if good else "not ok", n, title))
    if not good:
        failed += 1
        for line in why:
            for part in str(line).splitlines():
                print("# " + part)
    sys.stdout.flush()


def stop_all():
    for name, p in reversed(procs):
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    procs.clear()


def on_signal(signum, frame):
    raise SystemExit(1)  # so that finally stops what was started


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, token=None, timeout=5):
    """(status, content type, body) of a GET; status 0 when it failed."""
    req = urllib.request.Request(url)
    if token:
        req.add_header("Authorization", "Bearer " + token)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read()
    except (urllib.error.URLError, OSError):
        return 0, "", b""


def query(prom, expr):
    """The result vector of an instant query, or None when it failed."""
    status, _, body = get("%s/api/v1/query?query=%s" % (
        prom, urllib.parse.quote(expr)))
    if status != 200:
        return None
    answer = json.loads(body)
    return answer["data"]["result"] if answer.get("status") == "success" \
        else None


def value(prom, expr):
    """The one value of expr (a float), 0 when it has none yet."""
    result = query(prom, expr) or []
    return float(result[0]["value"][1]) if result else 0.0


def wait_until(what, timeout):
    """Calls what until it returns something true; that, or None."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        got = what()
        if got:
            return got
        time.sleep(0.2)
    return None


def promtool(work, text):
    path = os.path.join(work, "scrape.txt")
    with open(path, "wb") as f:
        f.write(text)
    with open(path, "rb") as f:
        r = subprocess.run(["promtool", "check", "metrics"], stdin=f,
                           capture_output=True, text=True)
    return r.returncode, (r.stdout + r.stderr).strip()


def main():
    daemon = os.path.abspath(sys.argv[1])
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for tool in ("prometheus", "promtool"):
        if not shutil.which(tool):
            print("Bail out! %s is missing: run sh tools/install-deps.sh "
                  "test" % tool)
            return 1
    work = tempfile.mkdtemp(prefix="npo-prometheus-")
    try:
        return tour(daemon, work)
    finally:
        stop_all()
        shutil.rmtree(work, ignore_errors=True)


def tour(daemon, work):
    db = os.path.join(work, "npo.db")
    subprocess.run([daemon, "migrate", "--db", db], check=True,
                   capture_output=True)
    tokens = {}
    for role in ("read", "admin"):
        tokens[role] = subprocess.run(
            [daemon, "token", "add", role, "--role", role, "--db", db],
            check=True, capture_output=True, text=True).stdout.strip()
    log = open(os.path.join(work, "daemon.log"), "w")
    procs.append(("npo-budgetd", subprocess.Popen(
        [daemon, "serve", "--db", db, "--listen", "127.0.0.1:0",
         "--metrics-listen", "127.0.0.1:0", "--demo"],
        stdout=log, stderr=log)))

    def ports():
        with open(os.path.join(work, "daemon.log")) as f:
            text = f.read()
        api = re.search(r"\(port (\d+)\)", text)
        scrape = re.search(r"\(metrics port (\d+)\)", text)
        return api and scrape and (int(api.group(1)), int(scrape.group(1)))
    got = wait_until(ports, 30)
    if not got:
        print("Bail out! the daemon did not start")
        with open(os.path.join(work, "daemon.log")) as f:
            for line in f.read().splitlines()[-10:]:
                print("# " + line)
        return 1
    api = "http://127.0.0.1:%d" % got[0]
    scrape = "http://127.0.0.1:%d" % got[1]
    print("1..7")

    status, ctype, text = get(scrape + "/metrics")
    ok(status == 200 and
       ctype == "text/plain; version=0.0.4; charset=utf-8" and
       b"# TYPE npo_http_requests_total counter" in text,
       "the metrics listener answers without a token",
       ["%d %s" % (status, ctype), text[:300].decode("utf-8", "replace")])
    rc, out = promtool(work, text)
    ok(rc == 0, "promtool check metrics passes on its output", [out])

    prom_port = free_port()
    prom = "http://127.0.0.1:%d" % prom_port
    config = os.path.join(work, "prometheus.yml")
    with open(config, "w") as f:
        f.write("global:\n"
                "  scrape_interval: 1s\n"
                "  scrape_timeout: 1s\n"
                "  evaluation_interval: 1s\n"
                "scrape_configs:\n"
                "  - job_name: npo-budgetd\n"
                "    static_configs:\n"
                "      - targets: ['127.0.0.1:%d']\n" % got[1])
    plog = open(os.path.join(work, "prometheus.log"), "w")
    procs.append(("prometheus", subprocess.Popen(
        ["prometheus", "--config.file=" + config,
         "--storage.tsdb.path=" + os.path.join(work, "data"),
         "--web.listen-address=127.0.0.1:%d" % prom_port,
         "--log.level=warn"], stdout=plog, stderr=plog)))
    ready = wait_until(lambda: get(prom + "/-/ready")[0] == 200, 60)
    ok(bool(ready), "Prometheus is ready on 127.0.0.1:%d" % prom_port,
       open(os.path.join(work, "prometheus.log")).read().splitlines()[-10:])
    if not ready:
        return 1

    up = wait_until(lambda: value(prom, 'up{job="npo-budgetd"}') == 1, 30)
    ok(bool(up), "up is 1: Prometheus scrapes and parses the daemon",
       [json.dumps(query(prom, "up"))])

    # what Prometheus has of the route now (nothing yet: 0), the requests,
    # then wait for a scrape that has them all
    expr = 'sum(npo_http_requests_total{job="npo-budgetd",route="%s"})' % (
        ROUTE)
    before = value(prom, expr)
    for _ in range(REQUESTS):
        status = get(api + "/api/v1/budgets/1/status", tokens["read"])[0]
        if status != 200:
            break
    after = wait_until(lambda: value(prom, expr) >= before + REQUESTS and
                       value(prom, expr), 30) or value(prom, expr)
    series = query(prom, 'npo_http_requests_total{route="%s"}' % ROUTE) or []
    labels = series[0]["metric"] if series else {}
    ok(status == 200 and after == before + REQUESTS and
       labels.get("method") == "GET" and labels.get("status") == "200",
       "npo_http_requests_total rose by the %d requests, under route=\"%s\""
       % (REQUESTS, ROUTE),
       ["last status %d; before %g, after %g" % (status, before, after),
        json.dumps(series)])
    count = value(prom, 'npo_http_request_duration_seconds_count'
                  '{route="%s"}' % ROUTE)
    ok(count == after, "its histogram counts as many (%g)" % count)

    status, _, text = get(api + "/metrics", tokens["admin"])
    rc, out = promtool(work, text)
    ok(status == 200 and rc == 0,
       "promtool passes on /metrics of the API with an admin token, after "
       "requests", ["status %d" % status, out])
    quit = [(name, p.returncode) for name, p in procs
            if p.poll() is not None]
    for name, rc in quit:
        print("# %s exited early with %s" % (name, rc))
    return 1 if failed or quit else 0


if __name__ == "__main__":
    sys.exit(main())
