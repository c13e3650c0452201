#!/usr/bin/env python3
"""The README's curl examples, as pasted, against the demo.

Usage: readme.py NPO-BUDGETD. Prints TAP, one test per command.

Starts the built daemon as `make run` does (demo data, a fresh ./npo.db in a
temporary directory, which also holds build/npo-budgetd for the examples that
call it), makes a write token, sets TOKEN and API as the README says, and runs
every command of the ```sh blocks between "Using it with curl" and "Docker"
with bash, in order, in one shell session. A command passes when it exits 0
and every HTTP answer it got is 2xx or 3xx, or exactly the status its comment
names ("# 412: …", "# 304"), with the exit code a comment names ("# exit
28"), and its output holds what a comment shows after
an arrow ("# → \"expected_return_cents\": 9552100"). Every process started
here is stopped by its PID.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
README = os.path.join(os.path.dirname(os.path.dirname(HERE)), "README.md")

# curl as the README calls it, also noting each answer's status in $STATUSES
SHIM = r'''
curl() {
	local out rc
	out=$(command curl -sS -w '\n@@%{http_code}' "$@")
	rc=$?
	printf '%s\n' "${out%@@*}"
	echo "${out##*@@}" >> "$STATUSES"
	return $rc
}
'''


def blocks(text):
    """The sh blocks of the part about using the API."""
    start = text.index("## Using it with curl")
    end = text.index("## Docker")
    return re.findall(r"```sh\n(.*?)```", text[start:end], re.S)


def commands(block):
    """The block's commands: a line and what continues it (a trailing
    backslash, an open quote or a trailing pipe)."""
    out, cur = [], ""
    for line in block.splitlines():
        if not cur and (not line.strip() or line.lstrip().startswith("#")):
            continue
        cur += line + "\n"
        code = re.sub(r"'[^']*'|\"[^\"]*\"", "", cur)
        open_quote = code.count("'") % 2 or code.count('"') % 2
        if line.rstrip().endswith(("\\", "|")) or open_quote:
            continue
        out.append(cur)
        cur = ""
    return out


def expected(cmd):
    m = re.search(r"#\s*(\d{3})\b", cmd.splitlines()[-1])
    return m.group(1) if m else None


def exit_code(cmd):
    """The exit code the command's comment expects ("# exit 28: …"), or
    0."""
    m = re.search(r"#.*\bexit (\d+)", cmd.splitlines()[-1])
    return int(m.group(1)) if m else 0


def shows(cmd):
    """What the command's last comment says its output holds: the text
    after "→", or None."""
    m = re.search(r"#[^#]*→\s*(.+?)\s*$", cmd.splitlines()[-1])
    return m.group(1) if m else None


def main():
    daemon = os.path.abspath(sys.argv[1])
    work = tempfile.mkdtemp(prefix="npo-readme-")
    os.makedirs(os.path.join(work, "build"))
    os.symlink(daemon, os.path.join(work, "build", "npo-budgetd"))
    # token add refuses a database that does not exist yet
    subprocess.run([daemon, "migrate", "--db", "npo.db"], cwd=work,
                   check=True, capture_output=True)
    token = subprocess.run([daemon, "token", "add", "readme", "--role",
                            "write", "--db", "npo.db"], cwd=work, check=True,
                           capture_output=True, text=True).stdout.strip()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(os.path.join(work, "daemon.log"), "w")
    proc = subprocess.Popen([daemon, "serve", "--db", "npo.db", "--listen",
                             "127.0.0.1:%d" % port, "--demo"], cwd=work,
                            stdout=log, stderr=log)
    n = failed = 0
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        text = open(README, encoding="utf-8").read()
        cmds = []
        for b in blocks(text):
            if "TOKEN=npo_" in b:  # the placeholders the test sets itself
                continue
            cmds += commands(b)
        env = dict(os.environ, TOKEN=token,
                   API="http://127.0.0.1:%d/api/v1" % port,
                   STATUSES=os.path.join(work, "statuses"))
        shell = subprocess.Popen(["bash"], cwd=work, env=env, text=True,
                                 stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT)
        shell.stdin.write(SHIM)
        for i, cmd in enumerate(cmds):
            # each command, then a marker line: its exit code and statuses
            shell.stdin.write(': > "$STATUSES"\n%s\nrc=$?\n'
                              'echo "@@END %d $rc $(tr "\\n" " " < '
                              '"$STATUSES")"\n' % (cmd, i))
        shell.stdin.close()
        output = shell.stdout.read()
        shell.wait()
        print("1..%d" % len(cmds))
        out_before = output.split("\n")
        seen, lines = {}, []
        for line in out_before:
            m = re.match(r"^@@END (\d+) (\d+) ?(.*)$", line)
            if m:
                seen[int(m.group(1))] = (int(m.group(2)), m.group(3).split(),
                                         lines)
                lines = []
            else:
                lines.append(line)
        for i, cmd in enumerate(cmds):
            n += 1
            first = " ".join(cmd.split())[:72]
            rc, statuses, out = seen.get(i, (None, [], []))
            want = expected(cmd)
            bad = [c for c in statuses
                   if c != want and not re.match(r"^[23]\d\d$", c)]
            holds = shows(cmd)
            ok = rc == exit_code(cmd) and not bad and \
                (bool(statuses) or "curl" not in cmd) and \
                (want is None or want in statuses) and \
                (holds is None or holds in "\n".join(out))
            print(("ok" if ok else "not ok") + " %d - %s (exit %s, HTTP %s%s)"
                  % (n, first, rc, ",".join(statuses) or "none",
                     ", wanted " + want if want else "") +
                  (", showing " + holds if holds else ""))
            if not ok:
                failed += 1
                for line in [l for l in out if l.strip()][-5:]:
                    print("# " + line)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    print("# %d commands, %d failed" % (n, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
