#!/usr/bin/env python3
"""compat suite, remote work: the PyPI receptorctl 1.6.9 drives remote units on our
daemons (remote-work.md): submit --node [--follow] [--ttl] [--signwork], results,
cancel, release; ctl/receptorctl must print the same.  Prints TAP.

Usage: test-compat-remote.py <ctl/receptorctl> [<PyPI receptorctl>]
Without the second argument a venv is made under RC_BUILD_ROOT with
tests/compat/setup-venv.sh (needs network once).  RC_RECEPTOR names the daemon.
"""
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SLOW = float(os.environ.get("RC_TEST_SLOWDOWN", "1"))
DEADLINE = 60.0 * SLOW
results = []


def tap(ok, name, diag=""):
    results.append((ok, name, diag))


def find_python_client():
    path = os.environ.get("RC_PY_RECEPTORCTL", "")
    if path:
        return path
    venv = os.path.join(os.environ.get("RC_BUILD_ROOT", tempfile.gettempdir()),
                        "receptorctl-venv")
    try:
        out = subprocess.run([os.path.join(HERE, "setup-venv.sh"), venv], check=True,
                             capture_output=True, text=True, timeout=600)
    except (subprocess.SubprocessError, OSError):
        return None
    return out.stdout.strip().splitlines()[-1]


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


VERSION_WARNING = "Warning: receptorctl and receptor are different versions, they may not be compatible\n"


def normalise(text):
    text = text.replace(VERSION_WARNING, "")
    return re.sub(r"\b[0-9A-Za-z]{8}\b", "<id>", text)


def run(argv, stdin=None):
    p = subprocess.run(argv, capture_output=True, timeout=DEADLINE, input=stdin)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def command(sock, line):
    c = socket.socket(socket.AF_UNIX)
    c.settimeout(DEADLINE)
    c.connect(sock)
    f = c.makefile("rw")
    f.readline()
    f.write(line + "\n")
    f.flush()
    r = f.readline()
    c.close()
    return r


def wait(fn):
    deadline = time.monotonic() + DEADLINE
    ev = threading.Event()
    while time.monotonic() < deadline:
        if fn():
            return True
        ev.wait(0.05)  # deadline-bounded poll of a daemon's state
    return False


def make_keys(tmp):
    priv = os.path.join(tmp, "sign.key")
    pub = os.path.join(tmp, "sign.pub")
    subprocess.run(["openssl", "genrsa", "-out", priv, "2048"], check=True, capture_output=True)
    subprocess.run(["openssl", "rsa", "-in", priv, "-pubout", "-out", pub], check=True,
                   capture_output=True)
    return priv, pub


def unit_id(out):
    m = re.search(r"Unit ID: ([0-9A-Za-z]+)", out)
    return m.group(1) if m else None


def state(sock, uid):
    try:
        return json.loads(command(sock, "work status " + uid))
    except ValueError:
        return None


def main():
    if len(sys.argv) > 1:
        os.environ["RC_RECEPTORCTL_C"] = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2]:
        os.environ["RC_PY_RECEPTORCTL"] = sys.argv[2]
    py = find_python_client()
    if py is None or not os.path.exists(py):
        print("1..0 # SKIP PyPI receptorctl 1.6.9 not available (no network for pip?)")
        return 0
    if shutil.which("openssl") is None:
        print("1..0 # SKIP openssl not found (needed for the signing keys)")
        return 0
    c = os.environ["RC_RECEPTORCTL_C"]
    daemon = os.environ["RC_RECEPTOR"]
    tmp = tempfile.mkdtemp(prefix="compat-remote-")
    priv, pub = make_keys(tmp)
    port = free_port()
    sock_a = os.path.join(tmp, "a.sock")
    sock_d = os.path.join(tmp, "d.sock")
    cfgs = {
        "ca": "- node:\n    id: ca\n    datadir: %s/ca\n"
              "- tcp-listener:\n    port: %d\n    bindaddr: 127.0.0.1\n"
              "- control-service:\n    filename: %s\n"
              "- work-signing:\n    privatekey: %s\n    tokenexpiration: 10m\n"
              % (tmp, port, sock_a, priv),
        "cd": "- node:\n    id: cd\n    datadir: %s/cd\n"
              "- tcp-peer:\n    address: 127.0.0.1:%d\n"
              "- control-service:\n    filename: %s\n"
              "- work-verification:\n    publickey: %s\n"
              "- work-command:\n    worktype: cat\n    command: cat\n"
              "- work-command:\n    worktype: secure\n    command: cat\n    verifysignature: true\n"
              "- work-command:\n    worktype: sleep\n    command: sleep\n    params: '1000'\n"
              % (tmp, port, sock_d, pub),
    }
    procs = []
    logs = []
    try:
        for name, text in cfgs.items():
            cfg = os.path.join(tmp, name + ".yml")
            with open(cfg, "w") as f:
                f.write(text)
            log = open(os.path.join(tmp, name + ".log"), "w")
            logs.append(log)
            procs.append(subprocess.Popen([daemon, "-c", cfg], stdout=log,
                                          stderr=subprocess.STDOUT))
        routed = wait(lambda: os.path.exists(sock_a) and '"cd"' in command(sock_a, "status"))
        tap(routed, "mesh ca-cd converged")

        # the same command lines through both clients
        same_cases = [
            ["work", "submit", "--node", "cd", "cat", "--payload-literal", "hello", "-f"],
            ["work", "submit", "--node", "cd", "secure", "--signwork", "--payload-literal",
             "signed", "--follow"],
            ["work", "submit", "--node", "cd", "cat", "--no-payload"],
            ["work", "submit", "--node", "nowhere", "cat", "--no-payload", "--ttl", "1h"],
            ["work", "submit", "--node", "cd", "cat", "--no-payload", "--ttl", "1d"],
            ["work", "submit", "--node", "cd", "nope", "--no-payload"],
        ]
        for args in same_cases:
            prc, pout, perr = run([py, "--socket", sock_a] + args)
            crc, cout, cerr = run([c, "--socket", sock_a] + args)
            same = (prc == crc and normalise(pout) == normalise(cout)
                    and normalise(perr) == normalise(cerr))
            tap(same, "receptorctl " + " ".join(args),
                "python: rc=%d out=%r err=%r\nC: rc=%d out=%r err=%r"
                % (prc, pout, perr, crc, cout, cerr))
            if args[-1] == "-f":
                tap(prc == 0 and pout.rstrip("\n").endswith("hello"),
                    "python --follow prints the remote output", pout)

        # results, cancel, release of remote units through the Python client
        rc, out, err = run([py, "--socket", sock_a, "work", "submit", "--node", "cd", "cat",
                            "--payload-literal", "abc"])
        uid = unit_id(out)
        tap(rc == 0 and uid is not None, "python submit --node prints the local unit ID", out + err)
        if uid:
            wait(lambda: (state(sock_a, uid) or {}).get("State") == 2)
            rc, out, err = run([py, "--socket", sock_a, "work", "results", uid])
            tap(rc == 0 and out.rstrip("\n") == "abc", "python work results of a remote unit",
                repr(out) + err)
        rc, out, err = run([py, "--socket", sock_a, "work", "submit", "--node", "cd", "sleep",
                            "--no-payload"])
        uid = unit_id(out)
        if uid:
            wait(lambda: (state(sock_a, uid) or {}).get("State") == 1)
            rid = (state(sock_a, uid) or {}).get("ExtraData", {}).get("RemoteUnitID", "")
            rc, out, err = run([py, "--socket", sock_a, "work", "cancel", uid])
            tap(rc == 0 and out == "Cancelled:\n(%s, cancelled)\n" % uid,
                "python work cancel of a remote unit", repr(out) + err)
            ok = wait(lambda: (state(sock_d, rid) or {}).get("State") == 4)
            tap(ok, "cancel reached the executor")
            rc, out, err = run([py, "--socket", sock_a, "work", "release", uid])
            tap(rc == 0 and out == "Released:\n(%s, released)\n" % uid,
                "python work release of a remote unit", repr(out) + err)
            ok = wait(lambda: command(sock_d, "work status " + rid).startswith("ERROR"))
            tap(ok, "release reached the executor")
        else:
            tap(False, "python submit of a sleep unit", out + err)
    finally:
        for p in procs:
            p.terminate()
            try:
                p.wait(timeout=DEADLINE)
            except subprocess.TimeoutExpired:
                p.kill()
        for log in logs:
            log.close()
        if all(ok for ok, _, _ in results):
            shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % len(results))
    for i, (ok, name, diag) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        if not ok:
            for line in diag.splitlines():
                print("# " + line)
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
