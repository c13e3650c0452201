#!/usr/bin/env python3
"""A spreadsheet against the real daemon: LibreOffice Calc, headless, with
Dutch settings, opens what a Dutch municipality's spreadsheet pulls.

    python3 tests/clients/spreadsheet.py build/npo-budgetd

Starts the daemon on 127.0.0.1 (ephemeral port, fresh database, demo data,
a read and a write token), adds a budget whose name is a formula, downloads
the excel-nl CSV of the status of budget 1 and of the budget list with the
read token in the URL (as a spreadsheet's "link to external data" does),
lets LibreOffice import each CSV (';', UTF-8, language nl-NL 1043, formulas
evaluated) and save it as .xlsx, and reads the cells from the XML inside:
money must arrive as numbers, the injected =HYPERLINK as text. Then the
bestedingsoverzicht (overview.xlsx) must open in LibreOffice with the grant
as a number, and print as a person files it: LibreOffice turns Huizen's
overview of 2024 and its accountability workbook into PDF, and pdftotext
(poppler-utils) reads the pages: a page per sheet, the first one holding the
title, the grant and the totals with each label beside its value. Python
standard library only; prints TAP; stops what it started.
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
import traceback
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
import zipfile

SOFFICE = os.environ.get("NPO_SOFFICE", "soffice")
# LibreOffice's CSV import options (the "Text - txt - csv (StarCalc)" filter):
# separator ';' (59), text delimiter '"' (34), UTF-8 (76), from line 1,
# standard column types, language nl-NL (1043: decimal comma), quoted fields
# not forced to text, no special number detection, (export-only tokens),
# no space trimming, sheet -1, and token 13: evaluate formulas, the strictest
# setting, under which a cell that still is a formula would run.
CSV_IMPORT = ("Text - txt - csv (StarCalc):"
              "59,34,76,1,,1043,false,false,false,false,false,-1,true")
HYPERLINK = '=HYPERLINK("http://example.invalid","klik")'
NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}
ODS = {
    "table": "urn:oasis:names:tc:opendocument:xmlns:table:1.0",
    "office": "urn:oasis:names:tc:opendocument:xmlns:office:1.0",
    "text": "urn:oasis:names:tc:opendocument:xmlns:text:1.0",
}

count = 0
failed = 0


def diag(text):
    for line in str(text).splitlines():
        print(f"# {line}", flush=True)


def ok(cond, name, detail=None):
    global count, failed
    count += 1
    if cond:
        print(f"ok {count} - {name}", flush=True)
        return True
    failed += 1
    print(f"not ok {count} - {name}", flush=True)
    if detail is not None:
        for line in str(detail).splitlines():
            print(f"#   {line}", flush=True)
    return False


class Daemon:
    """npo-budgetd serve on 127.0.0.1:0 with a fresh database."""

    def __init__(self, binary, tmp):
        self.binary = binary
        self.db = os.path.join(tmp, "npo.db")
        self.log_path = os.path.join(tmp, "daemon.log")
        self.proc = None
        self.base = None

    def token(self, name, role):
        # token add refuses a database that does not exist yet
        subprocess.run([self.binary, "migrate", "--db", self.db],
                       check=True, capture_output=True)
        out = subprocess.run(
            [self.binary, "token", "add", name, "--role", role,
             "--db", self.db], check=True, capture_output=True, text=True)
        return out.stdout.strip()

    def start(self):
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [self.binary, "serve", "--db", self.db,
             "--listen", "127.0.0.1:0", "--demo"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=self.log)
        end = time.monotonic() + 20
        while self.base is None:
            m = re.search(r"\(port (\d+)\)", self.log_text())
            if m:
                self.base = f"http://127.0.0.1:{m.group(1)}"
            elif self.proc.poll() is not None:
                raise RuntimeError(f"the daemon exited ({self.proc.returncode})"
                                   f" before serving:\n{self.log_text()}")
            elif time.monotonic() > end:
                raise RuntimeError("the daemon did not say its port in 20 s")
            else:
                time.sleep(0.05)
        while True:
            try:
                with urllib.request.urlopen(f"{self.base}/readyz",
                                            timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            if time.monotonic() > end:
                raise RuntimeError("/readyz did not answer 200 in 20 s")
            time.sleep(0.1)

    def log_text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def request(url, method="GET", token=None, body=None, out=None):
    """Returns (status, headers, body bytes); writes the body to out too."""
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if body is not None:
        headers["Content-Type"] = "application/json"
        body = body.encode()
    req = urllib.request.Request(url, data=body, method=method,
                                 headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            status, hdrs, data = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, data = e.code, e.headers, e.read()
    if out:
        with open(out, "wb") as f:
            f.write(data)
    return status, hdrs, data


class Office:
    """soffice --headless with its own HOME and profile in tmp."""

    def __init__(self, tmp):
        self.home = os.path.join(tmp, "home")
        self.profile = os.path.join(tmp, "lo-profile")
        os.makedirs(self.home)
        self.env = dict(os.environ, HOME=self.home, SAL_USE_VCLPLUGIN="svp")
        self.proc = None

    def convert(self, to, outdir, files, infilter=None):
        """Returns (exit code or None on timeout, output)."""
        cmd = [SOFFICE, f"-env:UserInstallation=file://{self.profile}",
               "--headless", "--invisible", "--norestore", "--nologo",
               "--nodefault", "--nolockcheck"]
        if infilter:
            cmd.append(f"--infilter={infilter}")
        cmd += ["--convert-to", to, "--outdir", outdir] + files
        # Its own process group: oosplash starts soffice.bin, and a hung
        # conversion is ended with both.
        self.proc = subprocess.Popen(cmd, env=self.env,
                                     stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True,
                                     start_new_session=True)
        try:
            out, _ = self.proc.communicate(timeout=100)
            return self.proc.returncode, out
        except subprocess.TimeoutExpired:
            self.kill()
            out, _ = self.proc.communicate()
            return None, out
        finally:
            self.proc = None

    def kill(self):
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def xlsx_cells(path):
    """The first sheet of an .xlsx as {row: {column letters: cell}}, each
    cell {"t": type attribute, "v": value text, "f": formula or None,
    "text": the shown string for string cells}."""
    with zipfile.ZipFile(path) as z:
        strings = []
        if "xl/sharedStrings.xml" in z.namelist():
            for si in ET.fromstring(z.read("xl/sharedStrings.xml")).findall(
                    "m:si", NS):
                strings.append("".join(t.text or "" for t in
                                       si.iter(f"{{{NS['m']}}}t")))
        sheet = ET.fromstring(z.read("xl/worksheets/sheet1.xml"))
    rows = {}
    for c in sheet.iter(f"{{{NS['m']}}}c"):
        col, row = re.fullmatch(r"([A-Z]+)(\d+)", c.get("r")).groups()
        v = c.find("m:v", NS)
        f = c.find("m:f", NS)
        isv = c.find("m:is", NS)
        cell = {"t": c.get("t", "n"), "v": None if v is None else v.text,
                "f": None if f is None else (f.text or ""), "text": None}
        if cell["t"] == "s" and cell["v"] is not None:
            cell["text"] = strings[int(cell["v"])]
        elif cell["t"] == "inlineStr" and isv is not None:
            cell["text"] = "".join(t.text or "" for t in
                                   isv.iter(f"{{{NS['m']}}}t"))
        elif cell["t"] == "str":
            cell["text"] = cell["v"]
        rows.setdefault(int(row), {})[col] = cell
    return rows


def table(rows):
    """Header row 1 as names: [{name: cell}] for rows 2.., in order."""
    header = {col: c["text"] for col, c in rows.get(1, {}).items()}
    return [{header.get(col, col): c for col, c in cells.items()}
            for r, cells in sorted(rows.items()) if r > 1]


def is_number(cell, value=None):
    """A numeric cell (t="n" or no t), no formula, with this value."""
    if cell is None or cell["t"] != "n" or cell["f"] is not None:
        return False
    try:
        v = float(cell["v"])
    except (TypeError, ValueError):
        return False
    return value is None or abs(v - value) < 1e-9


def is_text(cell):
    """A string cell that is no formula."""
    return (cell is not None and cell["f"] is None and
            cell["t"] in ("s", "inlineStr"))


def money_not_numbers(rows):
    """Every non-empty *_eur cell that did not arrive as a number."""
    bad = []
    for i, row in enumerate(rows, start=2):
        for name, cell in row.items():
            if str(name).endswith("_eur") and cell["v"] is not None \
                    and not is_number(cell):
                bad.append(f"row {i} {name}: {cell}")
    return bad


def check_csv(daemon, office, tmp, read, write):
    base = daemon.base
    q = urllib.parse.urlencode({"format": "csv", "dialect": "excel-nl",
                                "access_token": read})
    # The formula a municipality employee might paste into a name.
    status, _, data = request(
        f"{base}/api/v1/budgets", "POST", write, body=json.dumps({
            "municipality_code": "GM0402", "municipality_name": "Hilversum",
            "name": HYPERLINK, "grant_cents": 100,
            "spend_from": "2021-07-01", "spend_until": "2025-07-31"}))
    ok(status == 201, "a budget named =HYPERLINK(…) is created (201)",
       f"{status} {data[:400]!r}")

    csv_dir = os.path.join(tmp, "csv")
    os.makedirs(csv_dir)
    files = {"status": os.path.join(csv_dir, "status.csv"),
             "budgets": os.path.join(csv_dir, "budgets.csv")}
    got = {}
    for key, url in (("status", f"{base}/api/v1/budgets/1/status?{q}"),
                     ("budgets", f"{base}/api/v1/budgets?{q}")):
        status, hdrs, data = request(url, out=files[key])
        got[key] = data
        ok(status == 200 and hdrs.get("Content-Type", "").startswith(
            "text/csv") and data.startswith(b"\xef\xbb\xbf"),
           f"GET {url.split('?')[0][len(base):]}?format=csv&dialect=excel-nl"
           "&access_token=… answers 200 text/csv with a UTF-8 BOM",
           f"{status} {hdrs.get('Content-Type')} {data[:200]!r}")

    # The control: an unprotected formula in a CSV, imported the same way,
    # must become a formula, or the check of the daemon's CSV proves nothing.
    control = os.path.join(csv_dir, "control.csv")
    with open(control, "wb") as f:
        f.write(b'\xef\xbb\xbfname;amount\r\n"' +
                HYPERLINK.replace('"', '""').encode() + b'";2,50\r\n')

    xlsx_dir = os.path.join(tmp, "from-csv")
    os.makedirs(xlsx_dir)
    t0 = time.monotonic()
    rc, out = office.convert("xlsx:Calc MS Excel 2007 XML", xlsx_dir,
                             [files["status"], files["budgets"], control],
                             infilter=CSV_IMPORT)
    diag(f"LibreOffice imported the CSVs in {time.monotonic() - t0:.1f} s")
    made = {k: os.path.join(xlsx_dir, k + ".xlsx")
            for k in ("status", "budgets", "control")}
    ok(rc == 0 and all(os.path.exists(p) for p in made.values()),
       "LibreOffice (nl-NL, ';', UTF-8) imports both CSVs and saves .xlsx",
       f"exit {rc}\n{out}")
    if not all(os.path.exists(p) for p in made.values()):
        return

    ctl = table(xlsx_cells(made["control"]))
    ok(len(ctl) == 1 and ctl[0].get("name", {}).get("f") is not None
       and is_number(ctl[0].get("amount"), 2.5),
       "control: the same import makes an unprotected =HYPERLINK a formula "
       "and 2,50 the number 2.5", repr(ctl))

    rows = table(xlsx_cells(made["status"]))
    budget = next((r for r in rows if r.get("level", {}).get("text")
                   == "budget"), {})
    ok(is_number(budget.get("grant_eur"), 2138509.64),
       "status CSV: grant_eur 2138509,64 arrives as the number 2138509.64",
       repr(budget.get("grant_eur")))
    ok(is_number(budget.get("unallocated_eur"), -11490.36),
       "status CSV: unallocated_eur -11490,36 arrives as the number "
       "-11490.36", repr(budget.get("unallocated_eur")))
    bad = money_not_numbers(rows)
    ok(rows and not bad, "status CSV: every *_eur cell is a number",
       "\n".join(bad) or "no rows")

    rows = table(xlsx_cells(made["budgets"]))
    injected = next((r for r in rows if is_number(r.get("id"), 3)), {})
    cell = injected.get("name")
    ok(is_text(cell) and "HYPERLINK" in (cell["text"] or ""),
       "budget list CSV: the name =HYPERLINK(…) arrives as text, "
       "not as a formula", repr(cell))
    first = next((r for r in rows if is_number(r.get("id"), 1)), {})
    ok(is_number(first.get("grant_eur"), 2138509.64),
       "budget list CSV: grant_eur of budget 1 is the number 2138509.64",
       repr(first.get("grant_eur")))
    bad = money_not_numbers(rows)
    ok(rows and not bad, "budget list CSV: every *_eur cell is a number",
       "\n".join(bad) or "no rows")


def ods_first_table(path):
    """(number of sheets, [[(value-type, value, shown text)]] of sheet 1)."""
    with zipfile.ZipFile(path) as z:
        root = ET.fromstring(z.read("content.xml"))
    t, o, x = (f"{{{ODS[k]}}}" for k in ("table", "office", "text"))
    tables = list(root.iter(t + "table"))
    rows = []
    for row in tables[0].iter(t + "table-row") if tables else []:
        cells = []
        for c in row.iter(t + "table-cell"):
            shown = "\n".join("".join(p.itertext())
                              for p in c.findall(x + "p"))
            cells.append((c.get(o + "value-type"), c.get(o + "value"), shown))
        rows.append(cells)
    return len(tables), rows


def check_overview(daemon, office, tmp, read):
    path = os.path.join(tmp, "overview.xlsx")
    url = f"{daemon.base}/api/v1/budgets/1/overview.xlsx"
    status, hdrs, data = request(url, token=read, out=path)
    if status == 404:
        ok(False, "GET /api/v1/budgets/1/overview.xlsx: the workbook is "
           "there", "the endpoint answers 404: the bestedingsoverzicht "
           "(overview.xlsx) is not served yet, so LibreOffice cannot be "
           f"checked with it\n{data[:300]!r}")
        return
    ok(status == 200 and data.startswith(b"PK"),
       "GET /api/v1/budgets/1/overview.xlsx answers 200 with a workbook",
       f"{status} {hdrs.get('Content-Type')} {data[:200]!r}")
    if status != 200:
        return
    outdir = os.path.join(tmp, "from-xlsx")
    os.makedirs(outdir)
    t0 = time.monotonic()
    rc, out = office.convert("ods", outdir, [path])
    diag(f"LibreOffice converted overview.xlsx in "
         f"{time.monotonic() - t0:.1f} s")
    ods = os.path.join(outdir, "overview.ods")
    ok(rc == 0 and os.path.exists(ods),
       "LibreOffice opens overview.xlsx and saves it as .ods",
       f"exit {rc}\n{out}")
    if not os.path.exists(ods):
        return
    sheets, rows = ods_first_table(ods)
    ok(sheets >= 4, "overview: the workbook has the sheets for the "
       "overview, programmes, plans and expenditures",
       f"{sheets} sheets")
    grant = [c for r in rows for c in r
             if c[1] is not None and abs(float(c[1]) - 2138509.64) < 1e-9]
    as_text = [c for r in rows for c in r if c[0] == "string" and
               re.sub(r"[^0-9]", "", c[2]) == "213850964"]
    ok(grant and all(c[0] in ("float", "currency") for c in grant)
       and not as_text,
       "overview: the grant cell is the number 2138509.64",
       f"numeric: {grant}, as text: {as_text}")
    ok(grant and all("€" in c[2] for c in grant),
       "overview: the grant cell has a euro number format",
       f"shown as: {[c[2] for c in grant]}")


def pdf_pages(path):
    """The text of each page of a PDF, laid out as printed."""
    info = subprocess.run(["pdfinfo", path], capture_output=True, text=True)
    m = re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)
    pages = []
    for i in range(1, int(m.group(1)) + 1 if m else 1):
        pages.append(subprocess.run(
            ["pdftotext", "-layout", "-f", str(i), "-l", str(i), path, "-"],
            capture_output=True, text=True).stdout)
    return pages


def euros(text):
    """A regular expression for an amount as LibreOffice prints it in any
    locale: "€ 183,380.00" or "€ 183.380,00"."""
    whole, cents = text.split(",")
    return r"€\s*" + r"[.,]".join(whole.split(".")) + r"[.,]" + cents


def to_pdf(daemon, office, tmp, read, path, name):
    """Downloads path as name.xlsx and prints it to name.pdf; the pages."""
    xlsx = os.path.join(tmp, name + ".xlsx")
    status, hdrs, data = request(f"{daemon.base}{path}", token=read, out=xlsx)
    ok(status == 200 and data.startswith(b"PK"),
       f"GET {path} answers 200 with a workbook", f"{status} {data[:200]!r}")
    if status != 200:
        return []
    outdir = os.path.join(tmp, "pdf")
    os.makedirs(outdir, exist_ok=True)
    rc, out = office.convert("pdf", outdir, [xlsx])
    pdf = os.path.join(outdir, name + ".pdf")
    ok(rc == 0 and os.path.exists(pdf),
       f"LibreOffice prints {name}.xlsx to PDF", f"exit {rc}\n{out}")
    return pdf_pages(pdf) if os.path.exists(pdf) else []


def check_print(daemon, office, tmp, read):
    pages = to_pdf(daemon, office, tmp, read,
                   "/api/v1/budgets/2/overview.xlsx?year=2024",
                   "overzicht-2024")
    if not pages:
        return
    # five sheets, each one page wide, and with the demo's rows one tall
    ok(len(pages) == 5, "overview: prints on five pages, one per sheet",
       f"{len(pages)} pages")
    first = pages[0]
    for want in ("Bestedingsoverzicht Nationaal Programma Onderwijs",
                 "Huizen (GM0406)", "Z.197762", "Totalen",
                 "Per bestedingsdoel", "Signaleringen"):
        ok(want in first, f"overview: the first page holds {want!r}",
           first[:2000])
    # each label beside its value, on one printed line
    for label, amount in (("Budget", "683.901,00"),
                          ("Gerealiseerd", "183.380,00"),
                          ("Resterend", "95.521,00"),
                          ("Totaal", "683.901,00")):
        ok(re.search(rf"^\s*{label}\s+{euros(amount)}", first, re.M),
           f"overview: the first page prints {label} beside € {amount}",
           first[:3000])
    ok(re.search(r"Bestedingen – Huizen \(GM0406\) – 2024", pages[3])
       and re.search(r"^Totaal\s+" + euros("183.380,00"), pages[3], re.M),
       "overview: the costs of 2024 print on their page, with their total",
       pages[3][:3000] if len(pages) > 3 else "")
    pages = to_pdf(daemon, office, tmp, read,
                   "/api/v1/budgets/2/accountability.xlsx?year=2025",
                   "verantwoording-2025")
    if not pages:
        return
    ok(pages and re.search(r"Z\.197762 – 1243357\s+" + euros("0,00") +
                           r"\s+" + euros("588.380,00") + r"\s+Ja\s+" +
                           euros("95.521,00"), pages[0]),
       "accountability: the SiSa row of 2025 prints its figures on one line",
       pages[0][:3000] if pages else "")


def main():
    binary = os.path.abspath(sys.argv[1] if len(sys.argv) > 1
                             else "build/npo-budgetd")
    tmp = tempfile.mkdtemp(prefix="npo-spreadsheet-")
    daemon = Daemon(binary, tmp)
    office = Office(tmp)
    started = time.monotonic()

    def on_signal(signum, frame):
        office.kill()
        daemon.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        sys.exit(1)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    try:
        read = daemon.token("spreadsheet", "read")
        write = daemon.token("beheer", "write")
        daemon.start()
        diag(f"daemon {daemon.base}")
        check_csv(daemon, office, tmp, read, write)
        check_overview(daemon, office, tmp, read)
        check_print(daemon, office, tmp, read)
    except Exception as e:  # report, then clean up
        ok(False, f"the test ran to its end: {e}", traceback.format_exc())
    finally:
        office.kill()
        daemon.stop()
        if failed and os.path.exists(daemon.log_path):
            diag("daemon log:\n" + daemon.log_text())
        shutil.rmtree(tmp, ignore_errors=True)
    diag(f"took {time.monotonic() - started:.1f} s")
    print(f"1..{count}", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
