#!/usr/bin/env python3
"""bench-work.py: work units through a real receptor (work.md, control.md 3.6).

1. 1 GiB payload through a `cat` unit (submit streamed, results streamed to
   nowhere) vs `cat file > /dev/null` (baseline), with the daemon's RSS sampled
   while streaming (must stay flat: nothing is held in memory).
2. 1000 concurrent units (`sleep`) vs one unit (baseline): submit time, time
   until all succeeded, daemon RSS.
"""
import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class Sampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stop = pid, 0, False

    def run(self):
        while not self.stop:
            self.peak = max(self.peak, rss_kib(self.pid))
            time.sleep(0.05)


def connect(sock):
    s = socket.socket(socket.AF_UNIX)
    s.connect(sock)
    f = s.makefile("rb")
    f.readline()
    return s, f


def command(sock, line):
    s, f = connect(sock)
    s.sendall(line.encode() + b"\n")
    reply = f.readline()
    s.close()
    return json.loads(reply)


def submit(sock, worktype, payload_path=None, params=None):
    s, f = connect(sock)
    req = {"command": "work", "subcommand": "submit", "node": "localhost", "worktype": worktype}
    if params:
        req["params"] = params
    s.sendall(json.dumps(req).encode() + b"\n")
    created = f.readline().decode()
    unit = created.split("with ID ")[1].split(".")[0]
    if payload_path:
        with open(payload_path, "rb") as p:
            s.sendfile(p)
    s.shutdown(socket.SHUT_WR)
    reply = f.readline()
    s.close()
    assert b"Job Started" in reply, reply
    return unit


def results_to_null(sock, unit):
    s, f = connect(sock)
    s.sendall(f"work results {unit} 0\n".encode())
    f.readline()
    s.shutdown(socket.SHUT_WR)
    total = 0
    while True:
        b = f.read1(1 << 20)
        if not b:
            break
        total += len(b)
    s.close()
    return total


def wait_all(sock, units, state=2, timeout=600):
    deadline = time.monotonic() + timeout
    pending = set(units)
    listing = {}
    while pending and time.monotonic() < deadline:
        listing = command(sock, "work list")
        pending = {u for u in pending if listing.get(u, {}).get("State") not in (2, 3)}
        if pending:
            time.sleep(0.1)
    assert not pending, f"{len(pending)} units not done"
    failed = {u: listing[u]["Detail"] for u in units if listing[u].get("State") != state}
    assert not failed, f"{len(failed)} units failed: {list(failed.values())[:3]}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--receptor", required=True)
    ap.add_argument("--plugins", required=True)
    ap.add_argument("--size-mib", type=int, default=1024)
    ap.add_argument("--units", type=int, default=1000)
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="bench-work-")
    sock = os.path.join(tmp, "ctl.sock")
    conf = os.path.join(tmp, "n.yml")
    with open(conf, "w") as f:
        f.write(f"""---
- node:
    id: bench
    datadir: {tmp}/data
- local-only:
- control-service:
    service: control
    filename: {sock}
- work-command:
    worktype: cat
    command: cat
- work-command:
    worktype: sleep
    command: sleep
    params: "2"
""")
    env = dict(os.environ, RECEPTOR_PLUGIN_DIR=a.plugins)
    log = open(os.path.join(tmp, "log"), "w")
    d = subprocess.Popen([a.receptor, "-c", conf], env=env, stdout=log, stderr=log)
    try:
        for _ in range(200):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        idle = rss_kib(d.pid)

        big = os.path.join(tmp, "big")
        chunk = os.urandom(1 << 20)
        with open(big, "wb") as f:
            for _ in range(a.size_mib):
                f.write(chunk)
        t0 = time.monotonic()
        subprocess.run(f"cat {big} > /dev/null", shell=True, check=True)
        base = time.monotonic() - t0

        sampler = Sampler(d.pid)
        sampler.start()
        t0 = time.monotonic()
        unit = submit(sock, "cat", big)
        t_submit = time.monotonic() - t0
        wait_all(sock, [unit])
        t_run = time.monotonic() - t0
        n = results_to_null(sock, unit)
        total = time.monotonic() - t0
        sampler.stop = True
        sampler.join()
        assert n == a.size_mib << 20, n
        print(f"cat {a.size_mib} MiB > /dev/null:     {base:.2f} s (baseline)")
        print(f"submit (payload into stdin):  {t_submit:.2f} s")
        print(f"... + unit finished:          {t_run:.2f} s")
        print(f"... + results streamed:       {total:.2f} s  ({a.size_mib / total:.0f} MiB/s)")
        print(f"ratio unit / baseline:        {total / base:.1f}")
        print(f"daemon RSS idle {idle} KiB, peak while streaming {sampler.peak} KiB "
              f"(ratio {sampler.peak / idle:.2f})")
        command(sock, f"work release {unit}")
        os.unlink(big)

        t0 = time.monotonic()
        one = submit(sock, "sleep")
        wait_all(sock, [one])
        t_one = time.monotonic() - t0
        t0 = time.monotonic()
        units = [submit(sock, "sleep") for _ in range(a.units)]
        t_sub = time.monotonic() - t0
        rss_busy = rss_kib(d.pid)
        wait_all(sock, units)
        t_all = time.monotonic() - t0
        print(f"1 sleep-2 unit:               {t_one:.2f} s (baseline)")
        print(f"{a.units} concurrent units: submitted in {t_sub:.2f} s "
              f"({a.units / t_sub:.0f}/s), all Succeeded after {t_all:.2f} s "
              f"(ratio {t_all / t_one:.2f})")
        print(f"daemon RSS with {a.units} units: {rss_busy} KiB "
              f"({(rss_busy - idle) / a.units:.1f} KiB per unit)")
    finally:
        d.terminate()
        d.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
