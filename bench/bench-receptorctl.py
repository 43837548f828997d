#!/usr/bin/env python3
"""bench-receptorctl.py: start-up and per-command cost of ctl/receptorctl (C) vs
the PyPI receptorctl 1.6.9 (baseline), both against one local daemon.

    bench/bench-receptorctl.py --receptor build/core/receptor \
        --ctl build/ctl/receptorctl --python-ctl build/receptorctl-venv/bin/receptorctl [--runs 30]

Prints the median wall time of `receptorctl --help` (no connection) and of
`receptorctl --socket S status` (connect, version query, status) for each client,
and the ratio Python / C.
"""
import argparse
import os
import shutil
import statistics
import subprocess
import tempfile
import threading
import time


def median_time(argv, runs):
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--receptor", required=True)
    ap.add_argument("--ctl", required=True)
    ap.add_argument("--python-ctl", required=True)
    ap.add_argument("--runs", type=int, default=30)
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="bench-ctl-")
    sock = os.path.join(tmp, "n.sock")
    cfg = os.path.join(tmp, "n.yml")
    with open(cfg, "w") as f:
        f.write("- node:\n    id: bench\n- local-only\n- control-service:\n    filename: %s\n" % sock)
    proc = subprocess.Popen([a.receptor, "-c", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        ready = threading.Event()
        deadline = time.monotonic() + 10
        while not os.path.exists(sock) and time.monotonic() < deadline:
            ready.wait(0.01)
        for label, args in (("--help", ["--help"]), ("status", ["--socket", sock, "status"])):
            py = median_time([a.python_ctl] + args, a.runs)
            c = median_time([a.ctl] + args, a.runs)
            print("receptorctl %-7s python (baseline) %7.1f ms   C %6.1f ms   ratio %.1fx"
                  % (label, py * 1000, c * 1000, py / c))
    finally:
        proc.terminate()
        proc.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
