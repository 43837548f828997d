#!/usr/bin/env python3
"""compat suite: the PyPI receptorctl 1.6.9 against our daemon, and ctl/receptorctl
against it on the same commands (control.md 5, 5.10).  Prints TAP.

Usage: test-compat.py <ctl/receptorctl> [<PyPI receptorctl>]
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
DEADLINE = 30.0 * float(os.environ.get("RC_TEST_SLOWDOWN", "1"))

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
    except (subprocess.SubprocessError, OSError) as e:
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
    # timings and times differ between two runs; the version warning depends on
    # the client's own version (1.6.9 vs ours)
    text = text.replace(VERSION_WARNING, "")
    text = re.sub(r"\d+(\.\d+)?(µs|ms|ns|s)\b", "<dur>", text)
    text = re.sub(r'"Time": "[^"]*"', '"Time": "<time>"', text)
    text = re.sub(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "<seen>", text)
    text = re.sub(r"^receptorctl  .*$", "receptorctl  <v>", text, flags=re.M)
    return text


def run(argv, stdin=None):
    p = subprocess.run(argv, capture_output=True, timeout=DEADLINE, input=stdin)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def main():
    if len(sys.argv) > 1:
        os.environ["RC_RECEPTORCTL_C"] = sys.argv[1]
    if len(sys.argv) > 2 and sys.argv[2]:
        os.environ["RC_PY_RECEPTORCTL"] = sys.argv[2]
    py = find_python_client()
    if py is None or not os.path.exists(py):
        print("1..0 # SKIP PyPI receptorctl 1.6.9 not available (no network for pip?)")
        return 0
    c = os.environ["RC_RECEPTORCTL_C"]
    daemon = os.environ["RC_RECEPTOR"]
    tmp = tempfile.mkdtemp(prefix="compat-")
    sock = os.path.join(tmp, "node1.sock")
    port = free_port()
    cfg = os.path.join(tmp, "node1.yml")
    with open(cfg, "w") as f:
        f.write("- node:\n    id: node1\n- local-only\n"
                "- control-service:\n    filename: %s\n"
                "- control-service:\n    service: ctl2\n    tcplisten: 127.0.0.1:%d\n"
                % (sock, port))
    log = open(os.path.join(tmp, "node1.log"), "w")
    proc = subprocess.Popen([daemon, "-c", cfg], stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + DEADLINE
        ready = threading.Event()
        while not os.path.exists(sock) and time.monotonic() < deadline:
            ready.wait(0.02)  # deadline-bounded poll for the daemon's socket file
        cases = [
            [],
            ["--help"],
            ["status"],
            ["--socket", sock, "status"],
            ["--socket", sock, "status", "--json"],
            ["--socket", "unix://" + sock, "status"],
            ["--socket", "tcp://127.0.0.1:%d" % port, "status", "--json"],
            ["--socket", sock, "ping", "node1", "--count", "2", "--delay", "0"],
            ["--socket", sock, "ping", "nowhere", "--count", "1"],
            ["--socket", sock, "traceroute", "node1"],
            ["--socket", sock, "traceroute", "nowhere"],
            ["--socket", sock, "reload"],
            ["--socket", sock, "version"],
            ["--socket", sock, "bogus"],
            ["--socket", sock],
            ["--socket", sock, "work"],
            ["--socket", sock, "work", "bogus"],
            ["--socket", sock, "work", "cancel"],
            ["--socket", sock, "work", "release"],
            ["--socket", sock, "ping"],
            ["--socket", sock, "ping", "a", "b"],
            ["--socket", sock, "ping", "a", "--count", "x"],
            ["--socket", sock, "ping", "a", "--delay", "x"],
            ["--socket", sock, "status", "--json=1"],
            ["--socket", sock, "status", "extra"],
            ["--socket", sock, "status", "--bogus"],
            ["--bogus"],
            ["--insecureskipverify", "foo", "status"],
            ["--socket", sock, "--insecureskipverify"],
            ["--socket", "/nonexistent.sock", "status"],
            ["--socket", "tcp://localhost", "status"],
            ["--socket", "unix:", "status"],
            ["--socket", "tcp://127.0.0.1:1", "status"],
            ["--config", "/x", "--rootcas", "y", "--socket", sock, "status"],
            ["--config", "/x", "--socket", sock, "status"],
            ["--socket", sock, "work", "submit"],
            ["--socket", sock, "work", "submit", "foo"],
            ["--socket", sock, "work", "submit", "foo", "-n", "-l", "x"],
            ["--socket", sock, "work", "list", "--unit-id", "x"],
            ["status", "--help"],
        ]
        for sub in ["status", "ping", "reload", "traceroute", "connect", "version", "work"]:
            cases.append(["--socket", sock, sub, "--help"])
        for sub in ["submit", "list", "results", "cancel", "release"]:
            cases.append(["--socket", sock, "work", sub, "--help"])
        for args in cases:
            prc, pout, perr = run([py] + args)
            crc, cout, cerr = run([c] + args)
            same = (prc == crc and normalise(pout) == normalise(cout)
                    and normalise(perr) == normalise(cerr))
            diag = ""
            if not same:
                diag = "python: rc=%d out=%r err=%r\nC: rc=%d out=%r err=%r" % (
                    prc, pout, perr, crc, cout, cerr)
            tap(same, "receptorctl " + " ".join(args).replace(tmp, "<tmp>"), diag)

        # the Python library as AWX uses it (control.md 5.10)
        pyexe = os.path.join(os.path.dirname(py), "python")
        script = r'''
import json, sys
from receptorctl.socket_interface import ReceptorControl
rc = ReceptorControl(sys.argv[1])
st = rc.simple_command("status")
assert set(st) == {"Advertisements", "Connections", "KnownConnectionCosts", "NodeID",
                   "RoutingTable", "SystemCPUCount", "SystemMemoryMiB", "Version"}, st
assert st["NodeID"] == "node1"
assert rc.simple_command("ping localhost")["Success"] is True
try:
    rc.simple_command("doesnotexist")
    raise SystemExit("no error")
except RuntimeError as e:
    assert str(e) == "Unknown command", str(e)
rc.close()
rc = ReceptorControl("tcp://127.0.0.1:" + sys.argv[2])
assert rc.simple_command('{"command":"status","requested_fields":["NodeID"]}') == {"NodeID": "node1"}
rc.connect_to_service("node1", "control", "")
rc.handshake()
assert rc._remote_node == "node1"
assert rc.simple_command("status")["NodeID"] == "node1"
rc.close()
print("ok")
'''
        if os.path.exists(pyexe):
            p = subprocess.run([pyexe, "-c", script, sock, str(port)], capture_output=True,
                               text=True, timeout=DEADLINE)
            tap(p.returncode == 0 and p.stdout.strip() == "ok",
                "ReceptorControl API: status, ping, errors, tcp, connect to the mesh service",
                p.stdout + p.stderr)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        # A sanitizer build reports leaks and errors at exit: the daemon must
        # shut down cleanly after every session above.
        with open(os.path.join(tmp, "node1.log"), errors="replace") as f:
            text = f.read()
        bad = [m for m in ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:")
               if m in text]
        tap(proc.returncode == 0 and not bad, "daemon exits 0 on SIGTERM, no sanitizer report",
            "exit %s; %s" % (proc.returncode, text[-4000:] if bad else ""))
        if all(ok for ok, _, _ in results):
            shutil.rmtree(tmp, ignore_errors=True)
    print("1..%d" % len(results))
    for i, (ok, name, diag) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, name))
        for line in diag.splitlines():
            print("# " + line)
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
