#!/usr/bin/env python3
"""Conformance of npo-budgetd to its API description, checked by an outside tool.

Usage: conformance.py NPO-BUDGETD

Starts the daemon (fresh database in a temporary directory, a token of each
role, 127.0.0.1 and an ephemeral port, --demo) and Stoplight Prism
(tests/openapi/node_modules, see package.json) as a validating proxy in front
of it, then replays a scripted tour with curl that hits every endpoint of
the route table (npo-budgetd routes) with representative successful requests and errors.

    prism proxy --errors docs/openapi.yaml http://127.0.0.1:DAEMONPORT

With --errors, Prism answers with an error of its own (a problem whose type is
https://stoplight.io/prism/errors#..., or an sl-violations header) whenever a
request or an answer does not match docs/openapi.yaml. Each request of the tour
is one TAP test: "ok" when the daemon's answer has the expected status and
Prism found no violation; otherwise "not ok" with the request and what Prism
said.

Some errors can only be provoked with a request that the description itself
calls invalid (a body that is not JSON, a field the resource does not have) or
with a method a path does not have. Prism refuses those before they reach the
daemon, so they go through a second Prism that does not validate requests
(--validate-request=false) and still validates every answer, on a copy of
docs/openapi.yaml that adds, for the methods asked, operations whose only
answer is components/responses/MethodNotAllowed. The TAP line of such a request
says "[answer only]". Malformed JSON goes there too, with the Content-Type
"application/json<TAB>;charset=utf-8", which the daemon takes for JSON and
Prism does not: Prism re-serialises every JSON body it forwards, so it would
never pass malformed JSON on. A request without any token is answered by Prism
itself (its security check), so the 401s asked are an unknown token and a
write token given as access_token.

Last, one TAP test checks that the tour asked every route of the table.

Only the Python standard library and curl are used. Every process started here
is stopped by its PID at the end.
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DOC = os.path.join(ROOT, "docs", "openapi.yaml")
PRISM = os.path.join(HERE, "node_modules", ".bin", "prism")
PRISM_ERRORS = "https://stoplight.io/prism/errors"

# Methods a path does not have, asked in the tour: (path in the document, method).
UNDESCRIBED = [
    ("/api/v1/budgets/{id}", "put"),
    ("/api/v1/reallocations/{id}", "patch"),
    ("/api/v1/reallocations/{id}", "delete"),
]

procs = []  # (name, Popen) of what this script started
tmpdir = None


def diag(text):
    for line in str(text).splitlines() or [""]:
        print("# " + line)
    sys.stdout.flush()


def bail(text):
    first, _, rest = text.partition("\n")
    print("Bail out! " + first)
    if rest:
        diag(rest)
    sys.stdout.flush()
    raise SystemExit(1)


def stop_all():
    for name, p in reversed(procs):
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGTERM)
                p.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(p.pid, signal.SIGKILL)
                p.wait()
            except ProcessLookupError:
                pass
    procs.clear()


def on_signal(signum, frame):
    raise SystemExit(128 + signum)


def wait_for(started, pattern, timeout):
    """Waits until the log of a process start() started matches pattern;
    returns the number of its first group (the port it listens on)."""
    what, proc, path = started
    deadline = time.time() + timeout
    while time.time() < deadline:
        with open(path, errors="replace") as f:
            m = re.search(pattern, f.read())
        if m:
            return int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.1)
    with open(path, errors="replace") as f:
        tail = f.read()[-3000:]
    bail("%s did not start (%s)\n%s" % (what, "exited" if proc.poll()
                                        is not None else "timeout", tail))


def start(name, argv, logname):
    log = os.path.join(tmpdir, logname)
    with open(log, "wb") as out:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                             stderr=subprocess.STDOUT, cwd=tmpdir)
    procs.append((name, p))
    return name, p, log


def described_405_copy():
    """docs/openapi.yaml plus operations for the UNDESCRIBED methods, each
    answering only the document's own MethodNotAllowed response."""
    with open(DOC, encoding="utf-8") as f:
        text = f.read()
    for path, method in UNDESCRIBED:
        key = "\n  %s:\n" % path
        if key not in text:
            bail("no path %s in docs/openapi.yaml" % path)
        op = ("    %s:\n"
              "      operationId: undescribed_%s_%d\n"
              "      responses:\n"
              "        '405':\n"
              "          $ref: '#/components/responses/MethodNotAllowed'\n"
              % (method, method, len(text)))
        text = text.replace(key, key + op, 1)
    out = os.path.join(tmpdir, "openapi-with-405.yaml")
    with open(out, "w", encoding="utf-8") as f:
        f.write(text)
    return out


class Answer:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # lower-case name -> value (last one wins)
        self.body = body
        self.json = None
        ctype = headers.get("content-type", "")
        if "json" in ctype and body:
            try:
                self.json = json.loads(body.decode("utf-8"))
            except ValueError:
                pass

    def get(self, key, default=None):
        return self.json.get(key, default) if isinstance(self.json,
                                                         dict) else default


class Tour:
    def __init__(self, base, base_unchecked, tokens, upstream=None):
        self.base = base
        self.base_unchecked = base_unchecked
        self.upstream = upstream  # the daemon itself, for endless answers
        self.tokens = tokens
        self.n = 0
        self.failed = 0
        self.times = []
        self.asked = []  # (method, path) of every request

    def ok(self, good, title, why=()):
        """A TAP line of a check that is not a request."""
        self.n += 1
        print("%s %d - %s" % ("ok" if good else "not ok", self.n, title))
        if not good:
            self.failed += 1
            for w in why:
                diag(w)
        sys.stdout.flush()

    def __call__(self, what, method, path, expect, role=None, body=None,
                 headers=None, raw=None, ctype="application/json",
                 unchecked=False, check=None, endless=False, direct=False):
        """One request of the tour: one TAP line. Returns the Answer (or an
        empty one when curl failed). An endless answer (an event stream)
        goes to the daemon itself, as Prism would wait for its end: what
        came in two seconds is the answer. So does a redirect (direct),
        which Prism would follow."""
        self.n += 1
        self.asked.append((method, path.split("?")[0]))
        base = self.base_unchecked if unchecked else self.base
        if endless or direct:
            base = self.upstream
        hfile = os.path.join(tmpdir, "h")
        bfile = os.path.join(tmpdir, "b")
        argv = ["curl", "-sS", "-X", method, "-D", hfile, "-o", bfile,
                "-w", "%{http_code}", "--max-time", "2" if endless else "60",
                "-H", "Expect:", base + path]
        if role:
            argv += ["-H", "Authorization: Bearer " + self.tokens[role]]
        for k, v in (headers or {}).items():
            argv += ["-H", "%s: %s" % (k, v)]
        data = None
        if body is not None or raw is not None:
            data = raw if raw is not None else json.dumps(body).encode()
            argv += ["-H", "Content-Type: " + ctype, "--data-binary", "@-"]
        t0 = time.time()
        r = subprocess.run(argv, input=data or b"", capture_output=True)
        self.times.append(time.time() - t0)
        shown = path
        for role_name, token in self.tokens.items():
            shown = shown.replace(token, "<%s token>" % role_name)
        title = "%s %s -> %d: %s%s" % (method, shown, expect, what,
                                       " [answer only]" if unchecked else "")
        problems = []
        if endless and r.returncode == 28 and r.stdout:
            r.returncode = 0  # the stream was still open, as it should
        if r.returncode != 0:
            problems.append("curl failed: " +
                            r.stderr.decode(errors="replace").strip())
            ans = Answer(0, {}, b"")
        else:
            ans = self.read_answer(hfile, bfile, int(r.stdout or b"0"))
            viol = ans.headers.get("sl-violations")
            t = ans.get("type")
            if viol and not (isinstance(t, str) and
                             t.startswith(PRISM_ERRORS)):
                problems.append("Prism found violations (sl-violations): "
                                + viol)
            if isinstance(t, str) and t.startswith(PRISM_ERRORS):
                problems.append("Prism refused it (%s): %s" % (
                    t[len(PRISM_ERRORS):],
                    json.dumps({k: ans.json[k] for k in ans.json
                                if k in ("title", "detail", "validation")},
                               ensure_ascii=False)))
            elif ans.status != expect:
                problems.append("expected status %d, got %d" %
                                (expect, ans.status))
            if not problems:
                problems += design_rules(ans, path)
            if not problems and check:
                msg = check(ans)
                if msg:
                    problems.append(msg)
        if problems:
            self.failed += 1
            print("not ok %d - %s" % (self.n, title))
            diag("request: %s %s%s%s" % (
                method, shown, " (role %s)" % role if role else "",
                "" if data is None else "\nbody: " +
                data.decode("utf-8", "replace")[:500]))
            for p in problems:
                diag(p)
            if ans.status and not any(p.startswith("Prism refused")
                                      for p in problems):
                diag("answer: %d %s" % (ans.status, ans.body[:600].decode(
                    "utf-8", "replace")))
        else:
            print("ok %d - %s" % (self.n, title))
        sys.stdout.flush()
        return ans

    @staticmethod
    def read_answer(hfile, bfile, status):
        headers = {}
        with open(hfile, "rb") as f:
            blocks = f.read().decode("latin-1").split("\r\n\r\n")
        blocks = [b for b in blocks if b.strip()]
        for line in (blocks[-1].split("\r\n")[1:] if blocks else []):
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        body = b""
        if os.path.exists(bfile):
            with open(bfile, "rb") as f:
                body = f.read()
            os.unlink(bfile)
        return Answer(status, headers, body)


def design_rules(ans, path):
    """What the README (The API) promises of every answer beyond what the
    description can make Prism check: the headers of 201, 401 and 405, and
    RFC 9457 problems whose status is the answer's."""
    h, bad = ans.headers, []
    # an import creates many rows, not one: it answers their counts
    if ans.status == 201 and "/imports/" not in path and \
            not (h.get("location") and h.get("etag")):
        bad.append("a 201 answer without Location or ETag")
    if ans.status == 401 and not h.get("www-authenticate",
                                       "").startswith("Bearer"):
        bad.append("a 401 answer without WWW-Authenticate: Bearer")
    if ans.status == 405 and not h.get("allow"):
        bad.append("a 405 answer without Allow")
    if ans.status >= 400:
        if not h.get("content-type", "").startswith(
                "application/problem+json"):
            bad.append("an error that is not application/problem+json")
        elif not isinstance(ans.json, dict) or any(
                k not in ans.json
                for k in ("type", "title", "status", "detail", "code")):
            bad.append("a problem without type, title, status, detail "
                       "and code")
        elif ans.json["status"] != ans.status:
            bad.append("a problem whose status %r is not the answer's %d"
                       % (ans.json["status"], ans.status))
    return bad


def etag(ans, default='"1"'):
    return ans.headers.get("etag", default)


def has_next(ans):
    if not ans.get("next"):
        return "expected a next page (next is null)"
    if "rel=\"next\"" not in ans.headers.get("link", ""):
        return "expected a Link header with rel=\"next\""
    return None


def csv_answer(sep=",", bom=False):
    def check(ans):
        if not ans.headers.get("content-type", "").startswith("text/csv"):
            return "expected text/csv, got " + ans.headers.get(
                "content-type", "no Content-Type")
        if bom != ans.body.startswith(b"\xef\xbb\xbf"):
            return "expected %sa UTF-8 BOM" % ("" if bom else "no ")
        head = ans.body.split(b"\r\n", 1)[0]
        if sep.encode() not in head:
            return "expected %r between the columns: %r" % (sep, head[:120])
        return None
    return check


def code_is(code, **members):
    def check(ans):
        if ans.get("code") != code:
            return "expected problem code %s, got %s" % (code,
                                                         ans.get("code"))
        for k, v in members.items():
            if ans.get(k) != v:
                return "expected %s %r, got %r" % (k, v, ans.get(k))
        return None
    return check


def routes(daemon):
    """(method, path) of every route of the daemon (npo-budgetd routes)."""
    out = subprocess.run([daemon, "routes"], check=True, capture_output=True,
                         text=True).stdout
    return [tuple(line.split()[:2]) for line in out.splitlines() if line]


def every_route(t, daemon):
    table = routes(daemon)
    missed = []
    for method, path in table:
        rx = re.compile("^" + re.sub(r"\\{[a-z_]+\\}", "[^/]+",
                                     re.escape(path)) + "$")
        if not any(m == method and rx.match(p) for m, p in t.asked):
            missed.append("not asked: %s %s" % (method, path))
    t.ok(len(table) > 40 and not missed,
         "the tour asks every route of npo-budgetd routes (%d)"
         % len(table), missed or ["only %d routes found" % len(table)])


def tour(t):
    # --- service ---------------------------------------------------------
    t("alive", "GET", "/healthz", 200)
    t("ready", "GET", "/readyz", 200)
    t("version and links", "GET", "/api/v1", 200)

    def same_doc(ans):
        with open(DOC, "rb") as f:
            if ans.body != f.read():
                return "the served description is not docs/openapi.yaml"
        return None
    t("the description, as docs/openapi.yaml", "GET", "/api/v1/openapi.yaml",
      200, check=same_doc)

    # --- the dashboard and the events --------------------------------------
    def located(where):
        def check(ans):
            if ans.headers.get("location") != where:
                return "Location is %r, not %r" % (
                    ans.headers.get("location"), where)
            return None
        return check

    def page(ans):
        h = ans.headers
        csp = h.get("content-security-policy", "")
        if "default-src 'self'" not in csp or "unsafe-inline" in csp:
            return "Content-Security-Policy %r" % csp
        if h.get("referrer-policy") != "no-referrer" or not h.get("etag"):
            return "no Referrer-Policy no-referrer or no ETag"
        if h.get("x-content-type-options") != "nosniff":
            return "no X-Content-Type-Options: nosniff"
        return None
    t("the home page sends on to the dashboard", "GET", "/", 302,
      direct=True, check=located("/dashboard/"))
    t("so does /dashboard", "GET", "/dashboard", 302, direct=True,
      check=located("/dashboard/"))
    a = t("the dashboard", "GET", "/dashboard/", 200, check=page)
    t("unchanged", "GET", "/dashboard/", 304,
      headers={"If-None-Match": a.headers.get("etag", '"x"')})
    t("a file of it", "GET", "/dashboard/index.html", 200, check=page)
    t("no such file", "GET", "/dashboard/nope.js", 404,
      check=code_is("not_found"))

    def events(ans):
        body = ans.body.decode("utf-8", "replace")
        if not ans.headers.get("content-type", "").startswith(
                "text/event-stream") or "event: revision" not in body:
            return "no revision event in %r" % body[:200]
        return None
    t("events: the revision", "GET", "/api/v1/events", 200, role="read",
      endless=True, check=events)
    t("events need a known token", "GET", "/api/v1/events", 401,
      role="bogus", check=code_is("bad_token"))

    # --- metrics -----------------------------------------------------------
    def prometheus_text(ans):
        if ans.headers.get("content-type") != \
                "text/plain; version=0.0.4; charset=utf-8" or \
                b"# TYPE npo_http_requests_total counter\n" not in ans.body:
            return "not the Prometheus text format: %r" % ans.body[:200]
        return None
    t("metrics, for an admin", "GET", "/metrics", 200, role="admin",
      check=prometheus_text)
    t("metrics need an admin", "GET", "/metrics", 403, role="read",
      check=code_is("forbidden"))
    t("metrics need a known token", "GET", "/metrics", 401, role="bogus",
      check=code_is("bad_token"))

    # --- budgets ---------------------------------------------------------
    a = t("first page of one", "GET", "/api/v1/budgets?limit=1", 200,
          role="read", check=has_next)
    nxt = a.get("next") or "/api/v1/budgets?limit=1&after=1"
    t("the next page", "GET", nxt, 200, role="read")
    t("filters, count and fields", "GET",
      "/api/v1/budgets?municipality_code=GM0406&overrun_policy=warn"
      "&count=true&fields=id,name,grant_cents", 200, role="read")
    t("read token as access_token", "GET",
      "/api/v1/budgets?access_token=" + t.tokens["read"], 200)
    a = t("all", "GET", "/api/v1/budgets", 200, role="read")
    t("unchanged list", "GET", "/api/v1/budgets", 304, role="read",
      headers={"If-None-Match": etag(a, '"x"')})
    t("CSV by Accept", "GET", "/api/v1/budgets", 200, role="read",
      headers={"Accept": "text/csv"}, check=csv_answer())
    a = t("create, overrun_policy stop", "POST", "/api/v1/budgets", 201,
          role="write", body={
              "municipality_code": "GM0355", "municipality_name": "Zeist",
              "name": "Nationaal Programma Onderwijs",
              "grant_cents": 1000000, "spend_from": "2021-07-01",
              "spend_until": "2025-07-31", "decision_ref": "B&W 2021-12-21",
              "overrun_policy": "stop"})
    bid = a.get("id", 3)
    t("get", "GET", "/api/v1/budgets/%d" % bid, 200, role="read")
    t("unchanged", "GET", "/api/v1/budgets/%d" % bid, 304, role="read",
      headers={"If-None-Match": '"1"'})
    t("change with If-Match", "PATCH", "/api/v1/budgets/%d" % bid, 200,
      role="write", headers={"If-Match": '"1"'},
      body={"decision_ref": "Raadsinformatiebrief december 2021"})
    t("stale If-Match", "PATCH", "/api/v1/budgets/%d" % bid, 412,
      role="write", headers={"If-Match": '"1"'}, body={"grant_cents": 1},
      check=code_is("version_mismatch", current_version=2))
    t("a field that does not exist", "POST", "/api/v1/budgets", 422,
      role="write", unchecked=True, body={
          "municipality_code": "GM0355", "municipality_name": "Zeist",
          "name": "NPO", "granted_cents": 1, "spend_from": "2021-07-01",
          "spend_until": "2025-07-31"}, check=code_is("validation_failed"))
    t("spend_until before spend_from", "POST", "/api/v1/budgets", 422,
      role="write", body={
          "municipality_code": "GM0355", "municipality_name": "Zeist",
          "name": "NPO", "grant_cents": 1, "spend_from": "2025-07-31",
          "spend_until": "2021-07-01"}, check=code_is("validation_failed"))
    t("not JSON", "POST", "/api/v1/budgets", 415, role="write",
      unchecked=True, raw=b"grant_cents=1", ctype="text/plain",
      check=code_is("not_json"))
    # Prism parses a JSON body and forwards it re-serialised, so malformed
    # JSON reaches the daemon only with a Content-Type that Prism does not
    # take for JSON and the daemon does (whitespace before the ";", which
    # RFC 9110 allows).
    t("malformed JSON", "PATCH", "/api/v1/budgets/%d" % bid, 400,
      role="write", unchecked=True, raw=b'{"name": "a",\n "grant_cents": }',
      ctype="application/json\t;charset=utf-8",
      check=code_is("malformed_json", line=2, column=17))
    t("read token cannot change", "POST", "/api/v1/budgets", 403,
      role="read", body={
          "municipality_code": "GM0355", "municipality_name": "Zeist",
          "name": "NPO", "grant_cents": 1, "spend_from": "2021-07-01",
          "spend_until": "2025-07-31"}, check=code_is("forbidden"))
    t("unknown token", "GET", "/api/v1/budgets", 401, role="bogus",
      check=code_is("bad_token"))
    t("write token as access_token", "GET",
      "/api/v1/budgets?access_token=" + t.tokens["write"], 401,
      check=code_is("token_in_query"))
    t("unknown query parameter", "GET", "/api/v1/budgets?foo=1", 400,
      role="read", check=code_is("bad_query"))
    t("a field that does not exist in fields", "GET",
      "/api/v1/budgets?fields=id,nosuch", 400, role="read",
      check=code_is("bad_query"))
    t("no such budget", "GET", "/api/v1/budgets/999999", 404, role="read",
      check=code_is("not_found"))
    t("a method the path does not have", "PUT", "/api/v1/budgets/1", 405,
      role="write", unchecked=True, check=code_is("method_not_allowed"))

    # --- status ----------------------------------------------------------
    t("figures and warnings", "GET", "/api/v1/budgets/1/status", 200,
      role="read")
    t("calendar year", "GET", "/api/v1/budgets/2/status?year=2024", 200,
      role="read")
    t("school year and as_of", "GET",
      "/api/v1/budgets/2/status?school_year=2024-2025&as_of=2025-06-01",
      200, role="read")
    t("CSV", "GET", "/api/v1/budgets/2/status?format=csv", 200, role="read",
      check=csv_answer())
    t("excel-nl CSV", "GET", "/api/v1/budgets/2/status?dialect=excel-nl",
      200, role="read", check=csv_answer(";", True))
    t("year and school_year together", "GET",
      "/api/v1/budgets/2/status?year=2024&school_year=2024-2025", 400,
      role="read", check=code_is("bad_query"))
    t("no such budget", "GET", "/api/v1/budgets/999999/status", 404,
      role="read", check=code_is("not_found"))
    a = t("one row per budget", "GET", "/api/v1/status", 200, role="read")
    t("unchanged", "GET", "/api/v1/status", 304, role="read",
      headers={"If-None-Match": etag(a, '"x"')})
    t("one row per budget, a year", "GET", "/api/v1/status?year=2023", 200,
      role="read")
    t("one row per budget, school year, CSV", "GET",
      "/api/v1/status?school_year=2024-2025&as_of=2025-06-01&format=csv",
      200, role="read", check=csv_answer())
    t("list parameters are not for status", "GET", "/api/v1/status?limit=5",
      400, role="read", check=code_is("bad_query"))

    def xlsx(ans):
        if not ans.body.startswith(b"PK"):
            return "the workbook is not a zip file"
        return None
    t("the bestedingsoverzicht workbook", "GET",
      "/api/v1/budgets/2/overview.xlsx", 200, role="read", check=xlsx)
    t("the bestedingsoverzicht of a year, as of a day", "GET",
      "/api/v1/budgets/2/overview.xlsx?year=2024&as_of=2025-06-30", 200,
      role="read", check=xlsx)
    t("the accountability report as a workbook", "GET",
      "/api/v1/budgets/2/accountability.xlsx?year=2025", 200, role="read",
      check=xlsx)
    t("no workbook of a budget that does not exist", "GET",
      "/api/v1/budgets/999999/overview.xlsx", 404, role="read",
      check=code_is("not_found"))
    t("the accountability report of a year", "GET",
      "/api/v1/budgets/2/accountability?year=2024", 200, role="read")
    t("the eindverantwoording", "GET",
      "/api/v1/budgets/2/accountability?year=2025", 200, role="read")
    t("the accountability report as CSV", "GET",
      "/api/v1/budgets/2/accountability?year=2024&format=csv", 200,
      role="read")
    t("a year outside the budget's years", "GET",
      "/api/v1/budgets/2/accountability?year=2030", 422, role="read",
      check=code_is("validation_failed"))
    t("closing a year", "POST", "/api/v1/budgets/2/closings", 201,
      role="admin", body={"year": 2024, "note": "jaarrekening 2024"})
    t("closing it again", "POST", "/api/v1/budgets/2/closings", 409,
      role="admin", body={"year": 2024}, check=code_is("duplicate"))
    t("closing out of order", "POST", "/api/v1/budgets/1/closings", 409,
      role="admin", body={"year": 2022}, check=code_is("previous_year_open"))
    t("the closed years", "GET", "/api/v1/budgets/2/closings", 200,
      role="read")

    # --- imports ---------------------------------------------------------
    costs = ("programme_id;amount_eur;spent_on;description;reference\r\n"
             "5;1.234,56;14-03-2025;Leesboeken;F-TOUR-1\r\n").encode()
    t("a dry run of an import", "POST",
      "/api/v1/imports/expenditures?dry_run=true", 200, role="write",
      raw=costs, ctype="text/csv")
    t("import costs", "POST", "/api/v1/imports/expenditures", 201,
      role="write", raw=costs, ctype="text/csv")
    t("a bad row", "POST", "/api/v1/imports/expenditures", 422, role="write",
      raw=b"programme_id,amount_eur,spent_on,description\n5,1.234,x,y\n",
      ctype="text/csv", check=code_is("validation_failed"))
    t("schools from DUO's register", "POST",
      "/api/v1/imports/schools?sector=po&municipality_code=GM0406", 201,
      role="write", ctype="text/csv",
      raw=("INSTELLINGSCODE;VESTIGINGSCODE;VESTIGINGSNAAM;GEMEENTENUMMER\n"
           "15HZ;00;OBS Tour;0406\n").encode())

    # --- tokens and scopes ---------------------------------------------
    t("make a school's token", "POST", "/api/v1/tokens", 201, role="admin",
      body={"name": "regenboog", "role": "write", "school_code": "10HZ00",
            "expires_at": "2999-07-31"})
    t("a token name in use", "POST", "/api/v1/tokens", 409, role="admin",
      body={"name": "regenboog", "role": "read"},
      check=code_is("name_taken"))
    t("a scoped admin", "POST", "/api/v1/tokens", 422, role="admin",
      body={"name": "beheer2", "role": "admin",
            "municipality_code": "GM0406"},
      check=code_is("validation_failed"))
    t("the tokens", "GET", "/api/v1/tokens", 200, role="admin")
    t("revoke it", "DELETE", "/api/v1/tokens/regenboog", 204, role="admin")
    t("revoke it again", "DELETE", "/api/v1/tokens/regenboog", 404,
      role="admin", check=code_is("not_found"))
    t("the tokens need an admin", "GET", "/api/v1/tokens", 403,
      role="write", check=code_is("forbidden"))

    # --- goals -----------------------------------------------------------
    a = t("a budget's goals, two a page", "GET",
          "/api/v1/goals?budget_id=2&limit=2&count=true", 200, role="read",
          check=has_next)
    t("the next page", "GET", a.get("next") or
      "/api/v1/goals?budget_id=2&limit=2&count=true&after=7", 200,
      role="read")
    t("CSV", "GET", "/api/v1/goals?budget_id=1&format=csv", 200,
      role="read", check=csv_answer())
    a = t("create", "POST", "/api/v1/goals", 201, role="write",
          body={"budget_id": bid, "code": "1",
                "name": "Bovenschoolse maatregelen",
                "allocated_cents": 600000})
    g1 = a.get("id", 11)
    a = t("create a second", "POST", "/api/v1/goals", 201, role="write",
          body={"budget_id": bid, "code": "3", "name": "Zorg en welzijn",
                "allocated_cents": 300000})
    g2 = a.get("id", 12)
    t("the same code again", "POST", "/api/v1/goals", 409, role="write",
      body={"budget_id": bid, "code": "1", "name": "Nog eens",
            "allocated_cents": 0}, check=code_is("duplicate"))
    t("beyond the grant under stop", "POST", "/api/v1/goals", 409,
      role="write", body={"budget_id": bid, "code": "4",
                          "name": "Samenwerking in de gemeente",
                          "allocated_cents": 200000},
      check=code_is("overrun", rule="over_allocated"))
    t("a budget that does not exist", "POST", "/api/v1/goals", 422,
      role="write", body={"budget_id": 999999, "code": "1", "name": "x",
                          "allocated_cents": 1},
      check=code_is("validation_failed"))
    t("get", "GET", "/api/v1/goals/%d" % g1, 200, role="read")
    t("change with If-Match", "PATCH", "/api/v1/goals/%d" % g2, 200,
      role="write", headers={"If-Match": '"1"'},
      body={"name": "Zorg en welzijn (jeugd)"})
    t("budget_id cannot change", "PATCH", "/api/v1/goals/%d" % g2, 422,
      role="write", unchecked=True, body={"budget_id": 1},
      check=code_is("validation_failed"))
    a = t("create one to delete", "POST", "/api/v1/goals", 201,
          role="write", body={"budget_id": bid, "code": "5",
                              "name": "Voorkomen van thuiszitters",
                              "allocated_cents": 0})
    t("delete", "DELETE", "/api/v1/goals/%d" % a.get("id", 13), 204,
      role="write", headers={"If-Match": '"1"'})
    t("no such goal", "DELETE", "/api/v1/goals/999999", 404, role="write",
      check=code_is("not_found"))

    # --- programmes ------------------------------------------------------
    t("filters", "GET",
      "/api/v1/programmes?budget_id=2&goal_id=8&status=active", 200,
      role="read")
    t("CSV, excel-nl", "GET", "/api/v1/programmes?format=csv&dialect=excel-nl",
      200, role="read", check=csv_answer(";", True))
    a = t("create", "POST", "/api/v1/programmes", 201, role="write",
          body={"goal_id": g1, "name": "Zomerschool",
                "partner": "schoolbesturen PO", "budget_cents": 500000,
                "starts_on": "2024-08-01", "ends_on": "2025-07-31"})
    p1 = a.get("id", 12)
    t("get", "GET", "/api/v1/programmes/%d" % p1, 200, role="read")
    t("change with If-Match", "PATCH", "/api/v1/programmes/%d" % p1, 200,
      role="write", headers={"If-Match": '"1"'},
      body={"owner": "beleidsadviseur onderwijs"})
    t("status is not a field of PATCH", "PATCH",
      "/api/v1/programmes/%d" % p1, 422, role="write", unchecked=True,
      body={"status": "active"}, check=code_is("validation_failed"))
    t("ends before it starts", "PATCH", "/api/v1/programmes/%d" % p1, 422,
      role="write", body={"ends_on": "2020-01-01"},
      check=code_is("validation_failed"))
    t("move to active", "POST", "/api/v1/programmes/%d/status" % p1, 200,
      role="write", headers={"If-Match": '"2"'}, body={"status": "active"})
    t("move back to planned", "POST", "/api/v1/programmes/%d/status" % p1,
      409, role="write", body={"status": "planned"},
      check=code_is("transition_not_allowed"))
    t("a move with a stale If-Match", "POST",
      "/api/v1/programmes/%d/status" % p1, 412, role="write",
      headers={"If-Match": '"1"'}, body={"status": "completed"},
      check=code_is("version_mismatch"))
    t("an active programme cannot be deleted", "DELETE",
      "/api/v1/programmes/%d" % p1, 409, role="write",
      check=code_is("not_deletable"))
    t("beyond its goal under stop", "POST", "/api/v1/programmes", 409,
      role="write", body={"goal_id": g1, "name": "Huiswerkbegeleiding",
                          "budget_cents": 200000},
      check=code_is("overrun", rule="goal_over_programmed"))
    a = t("create one to delete", "POST", "/api/v1/programmes", 201,
          role="write", body={"goal_id": g2, "name": "Begeleidingsteam",
                              "budget_cents": 100000})
    p2 = a.get("id", 13)
    t("delete a planned programme", "DELETE", "/api/v1/programmes/%d" % p2,
      204, role="write", headers={"If-Match": '"1"'})
    a = t("create one under the second goal", "POST", "/api/v1/programmes",
          201, role="write", body={"goal_id": g2, "name": "Welbevinden",
                                   "budget_cents": 100000})
    p3 = a.get("id", 14)
    t("no such programme", "POST", "/api/v1/programmes/999999/status", 404,
      role="write", body={"status": "active"}, check=code_is("not_found"))
    t("a goal with programmes cannot be deleted", "DELETE",
      "/api/v1/goals/%d" % g1, 409, role="write",
      check=code_is("referenced"))
    t("a budget with goals cannot be deleted", "DELETE",
      "/api/v1/budgets/%d" % bid, 409, role="write",
      check=code_is("referenced"))

    # --- reallocations ---------------------------------------------------
    t("a budget's reallocations", "GET",
      "/api/v1/reallocations?budget_id=2&count=true", 200, role="read")
    t("CSV", "GET", "/api/v1/reallocations?format=csv", 200, role="read",
      check=csv_answer())
    t("get", "GET", "/api/v1/reallocations/1", 200, role="read")
    a = t("between two goals", "POST", "/api/v1/reallocations", 201,
          role="write", body={"budget_id": bid, "from": {"goal_id": g2},
                              "to": {"goal_id": g1}, "amount_cents": 50000,
                              "reason": "onderuitputting zorg en welzijn",
                              "decided_on": "2024-10-01"})
    t("get the new one", "GET", "/api/v1/reallocations/%d" % a.get("id", 3),
      200, role="read")
    t("between two programmes", "POST", "/api/v1/reallocations", 201,
      role="write", body={"budget_id": bid, "from": {"programme_id": p3},
                          "to": {"programme_id": p1}, "amount_cents": 1000,
                          "reason": "herschikking",
                          "decision_ref": "Z.1",
                          "decided_on": "2024-11-01"})
    t("below what is committed", "POST", "/api/v1/reallocations", 409,
      role="write", body={"budget_id": 2, "from": {"programme_id": 5},
                          "to": {"programme_id": 6},
                          "amount_cents": 4000000, "reason": "te veel",
                          "decided_on": "2024-10-01"},
      check=code_is("below_committed"))
    t("from a goal to a programme", "POST", "/api/v1/reallocations", 422,
      role="write", body={"budget_id": bid, "from": {"goal_id": g1},
                          "to": {"programme_id": p1}, "amount_cents": 1,
                          "reason": "x", "decided_on": "2024-10-01"},
      check=code_is("validation_failed"))
    t("never changed", "PATCH", "/api/v1/reallocations/1", 405,
      role="write", unchecked=True, body={"reason": "x"},
      check=code_is("method_not_allowed"))
    t("never deleted", "DELETE", "/api/v1/reallocations/1", 405,
      role="write", unchecked=True, check=code_is("method_not_allowed"))

    # --- schools ---------------------------------------------------------
    t("filters", "GET", "/api/v1/schools?sector=po&municipality_code=GM0406",
      200, role="read")
    t("by code, count", "GET", "/api/v1/schools?code=10HZ00&count=true",
      200, role="read")
    t("CSV", "GET", "/api/v1/schools?format=csv", 200, role="read",
      check=csv_answer())
    a = t("create", "POST", "/api/v1/schools", 201, role="write",
          body={"code": "14ZE00", "name": "OBS De Vlindertuin",
                "sector": "po", "municipality_code": "GM0355"})
    s1 = a.get("id", 5)
    t("the same code again", "POST", "/api/v1/schools", 409, role="write",
      body={"code": "14ZE00", "name": "Nog eens", "sector": "po",
            "municipality_code": "GM0355"}, check=code_is("duplicate"))
    t("get", "GET", "/api/v1/schools/%d" % s1, 200, role="read")
    t("change with If-Match", "PATCH", "/api/v1/schools/%d" % s1, 200,
      role="write", headers={"If-Match": '"1"'},
      body={"name": "OBS De Vlindertuin (hoofdlocatie)"})
    a = t("create one to delete", "POST", "/api/v1/schools", 201,
          role="write", body={"code": "15ZE00", "name": "CBS Het Kompas",
                              "sector": "vo", "municipality_code": "GM0355"})
    t("delete", "DELETE", "/api/v1/schools/%d" % a.get("id", 6), 204,
      role="write")
    t("a school with plans cannot be deleted", "DELETE", "/api/v1/schools/1",
      409, role="write", check=code_is("referenced"))
    t("no such school", "GET", "/api/v1/schools/999999", 404, role="read",
      check=code_is("not_found"))

    # --- plans -----------------------------------------------------------
    t("filters", "GET", "/api/v1/plans?programme_id=5&school_id=1"
      "&school_year=2024-2025&status=approved", 200, role="read")
    t("CSV", "GET", "/api/v1/plans?format=csv", 200, role="read",
      check=csv_answer())
    a = t("create", "POST", "/api/v1/plans", 201, role="write",
          body={"programme_id": p1, "school_id": s1,
                "school_year": "2024-2025", "title": "Zomerschool 2025",
                "requested_cents": 300000})
    pl1 = a.get("id", 5)
    t("one plan per programme, school and school year", "POST",
      "/api/v1/plans", 409, role="write",
      body={"programme_id": p1, "school_id": s1, "school_year": "2024-2025",
            "title": "Nog eens", "requested_cents": 1},
      check=code_is("duplicate"))
    t("get", "GET", "/api/v1/plans/%d" % pl1, 200, role="read")
    t("change with If-Match", "PATCH", "/api/v1/plans/%d" % pl1, 200,
      role="write", headers={"If-Match": '"1"'},
      body={"title": "Zomerschool 2025, groep 7-8"})
    t("submit", "POST", "/api/v1/plans/%d/status" % pl1, 200, role="write",
      body={"status": "submitted"})
    t("approve more than requested", "POST", "/api/v1/plans/%d/status" % pl1,
      422, role="write", body={"status": "approved",
                               "approved_cents": 300001},
      check=code_is("validation_failed"))
    t("approve", "POST", "/api/v1/plans/%d/status" % pl1, 200, role="write",
      headers={"If-Match": '"3"'},
      body={"status": "approved", "approved_cents": 300000,
            "note": "besluit wethouder 15 oktober 2024"})
    t("submit again", "POST", "/api/v1/plans/%d/status" % pl1, 409,
      role="write", body={"status": "submitted"},
      check=code_is("transition_not_allowed"))
    t("decided: the amount is locked", "PATCH", "/api/v1/plans/%d" % pl1,
      409, role="write", body={"requested_cents": 1},
      check=code_is("locked"))
    t("an approved plan cannot be deleted", "DELETE",
      "/api/v1/plans/%d" % pl1, 409, role="write",
      check=code_is("not_deletable"))
    a = t("create a second", "POST", "/api/v1/plans", 201, role="write",
          body={"programme_id": p1, "school_id": s1,
                "school_year": "2023-2024", "title": "Zomerschool 2024",
                "requested_cents": 300000, "note": "tweede aanvraag"})
    pl2 = a.get("id", 6)
    t("submit the second", "POST", "/api/v1/plans/%d/status" % pl2, 200,
      role="write", body={"status": "submitted"})
    t("approve beyond the programme under stop", "POST",
      "/api/v1/plans/%d/status" % pl2, 409, role="write",
      body={"status": "approved", "approved_cents": 300000},
      check=code_is("overrun", rule="programme_over_committed"))
    a = t("create one to delete", "POST", "/api/v1/plans", 201,
          role="write", body={"programme_id": p3, "school_id": s1,
                              "school_year": "2024-2025", "title": "x",
                              "requested_cents": 1})
    t("delete a draft", "DELETE", "/api/v1/plans/%d" % a.get("id", 7), 204,
      role="write", headers={"If-Match": '"1"'})

    # --- expenditures ----------------------------------------------------
    t("filters", "GET",
      "/api/v1/expenditures?programme_id=5&plan_id=1&status=paid", 200,
      role="read")
    t("paging with after and limit", "GET",
      "/api/v1/expenditures?after=10&limit=5", 200, role="read",
      check=has_next)
    t("CSV, excel-nl", "GET", "/api/v1/expenditures?dialect=excel-nl", 200,
      role="read", check=csv_answer(";", True))
    a = t("create, against an approved plan", "POST", "/api/v1/expenditures",
          201, role="write",
          body={"programme_id": p1, "plan_id": pl1, "amount_cents": 100000,
                "spent_on": "2025-03-14", "description": "Zomerschool week 1",
                "reference": "F2025-0001"})
    e1 = a.get("id", 21)
    t("against a plan that is not approved", "POST", "/api/v1/expenditures",
      409, role="write",
      body={"programme_id": p1, "plan_id": pl2, "amount_cents": 1,
            "spent_on": "2025-03-14", "description": "x"},
      check=code_is("plan_not_approved"))
    t("get", "GET", "/api/v1/expenditures/%d" % e1, 200, role="read")
    t("change with If-Match", "PATCH", "/api/v1/expenditures/%d" % e1, 200,
      role="write", headers={"If-Match": '"1"'},
      body={"amount_cents": 90000})
    t("approve", "POST", "/api/v1/expenditures/%d/status" % e1, 200,
      role="write", headers={"If-Match": '"2"'}, body={"status": "approved"})
    t("pay", "POST", "/api/v1/expenditures/%d/status" % e1, 200,
      role="write", body={"status": "paid", "note": "betaald 2025-04-01"})
    t("approve again", "POST", "/api/v1/expenditures/%d/status" % e1, 409,
      role="write", body={"status": "approved"},
      check=code_is("transition_not_allowed"))
    t("paid: the amount is locked", "PATCH", "/api/v1/expenditures/%d" % e1,
      409, role="write", body={"amount_cents": 1}, check=code_is("locked"))
    t("a paid expenditure cannot be deleted", "DELETE",
      "/api/v1/expenditures/%d" % e1, 409, role="write",
      check=code_is("not_deletable"))
    a = t("create one without a plan", "POST", "/api/v1/expenditures", 201,
          role="write", body={"programme_id": p3, "amount_cents": 5000,
                              "spent_on": "2025-01-10",
                              "description": "Materiaal"})
    t("delete a submitted one", "DELETE",
      "/api/v1/expenditures/%d" % a.get("id", 22), 204, role="write",
      headers={"If-Match": '"1"'})
    t("no such expenditure", "PATCH", "/api/v1/expenditures/999999", 404,
      role="write", body={"reference": "x"}, check=code_is("not_found"))

    # --- audit -----------------------------------------------------------
    t("an item's changes", "GET",
      "/api/v1/audit?entity=budget&entity_id=%d" % bid, 200, role="admin")
    a = t("by actor and action, two a page", "GET",
          "/api/v1/audit?actor=w&action=update&limit=2&count=true", 200,
          role="admin", check=has_next)
    t("the next page", "GET", a.get("next") or
      "/api/v1/audit?actor=w&action=update&limit=2&count=true&after=1",
      200, role="admin")
    t("CSV", "GET", "/api/v1/audit?entity=plan&format=csv", 200,
      role="admin", check=csv_answer())
    t("a write token may not read it", "GET", "/api/v1/audit", 403,
      role="write", check=code_is("forbidden"))

    # --- the budget made above, emptied and deleted -----------------------
    a = t("create an empty budget", "POST", "/api/v1/budgets", 201,
          role="write", body={"municipality_code": "GM0355",
                              "municipality_name": "Zeist", "name": "Leeg",
                              "grant_cents": 0, "spend_from": "2021-07-01",
                              "spend_until": "2021-07-01"})
    t("delete it", "DELETE", "/api/v1/budgets/%d" % a.get("id", 4), 204,
      role="write", headers={"If-Match": '"1"'})
    t("deleted", "GET", "/api/v1/budgets/%d" % a.get("id", 4), 404,
      role="read", check=code_is("not_found"))


def main():
    global tmpdir
    if len(sys.argv) != 2:
        sys.exit("usage: conformance.py NPO-BUDGETD")
    daemon = os.path.abspath(sys.argv[1])
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if not os.access(PRISM, os.X_OK):
        bail("%s is missing: run sh tools/install-deps.sh" % PRISM)
    if not shutil.which("curl"):
        bail("curl is missing: run sh tools/install-deps.sh")
    tmpdir = tempfile.mkdtemp(prefix="npo-openapi-")
    started = time.time()
    try:
        db = os.path.join(tmpdir, "npo.db")
        tokens = {"bogus": "npo_" + "0" * 64}
        # token add refuses a database that does not exist yet
        subprocess.run([daemon, "migrate", "--db", db], check=True,
                       capture_output=True)
        for role in ("read", "write", "admin"):
            r = subprocess.run([daemon, "token", "add", role[0], "--role",
                                role, "--db", db], capture_output=True)
            if r.returncode != 0:
                bail("token add failed: " + r.stderr.decode(errors="replace"))
            tokens[role] = r.stdout.decode().strip()
        port = wait_for(start("npo-budgetd",
                              [daemon, "serve", "--db", db, "--listen",
                               "127.0.0.1:0", "--demo"], "daemon.log"),
                        r"\(port (\d+)\)", 30)
        upstream = "http://127.0.0.1:%d" % port
        prism = [PRISM, "proxy", "--errors", "--cors=false",
                 "--host", "127.0.0.1", "--port", "0"]
        listening = r"Prism is listening on http://127\.0\.0\.1:(\d+)"
        checked = start("prism", prism + [DOC, upstream], "prism.log")
        unchecked = start("prism --validate-request=false",
                          prism + ["--validate-request=false",
                                   described_405_copy(), upstream],
                          "prism-answers.log")
        checked = wait_for(checked, listening, 180)
        unchecked = wait_for(unchecked, listening, 180)
        diag("npo-budgetd on %s, prism on %d (and %d for answers only), "
             "ready in %.1f s" % (upstream, checked, unchecked,
                                  time.time() - started))
        t = Tour("http://127.0.0.1:%d" % checked,
                 "http://127.0.0.1:%d" % unchecked, tokens, upstream)
        tour(t)
        every_route(t, daemon)
        print("1..%d" % t.n)
        diag("%d requests in %.1f s (slowest %.2f s), %d failed" % (
            t.n, sum(t.times), max(t.times), t.failed))
        for name, p in procs:
            if p.poll() is not None:
                diag("%s exited early with %s" % (name, p.returncode))
                t.failed += 1
        return 1 if t.failed else 0
    finally:
        stop_all()
        shutil.rmtree(tmpdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
