#!/usr/bin/env python3
"""bench-streams: mesh stream throughput with real `receptor` daemons on 127.0.0.1.

Line of 4 nodes (3 hops): s1 runs `tcp-server` -> s2 -> s3 -> s4 runs `tcp-client`,
which connects to a sink in this process.  Measured in the same run:
  1. direct loopback TCP to the sink (the baseline) and the same bytes through the mesh,
     MB/s and the ratio;
  2. with GO_RECEPTOR=<path of a Go receptor binary>: the same line of Go nodes, and the
     ratio C / Go;
  3. 100 concurrent streams (each --concurrent-mib MiB), all byte counts and CRCs checked;
  4. RSS of every node sampled while one stream carries --rss-mib MiB (default 1 GiB):
     first sample after 64 MiB vs the largest one.

The sink records when it sees EOF, so the figure is bytes / (first byte sent .. last byte
received); no reply travels back (a Go tcp-client closes the TCP side fully at EOF).

Usage: bench/bench-streams.py [--receptor build/core/receptor] [--build build]
       [--megabytes 100] [--concurrent 100] [--concurrent-mib 1] [--rss-mib 1024]
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
import zlib

CHUNK = 1 << 20


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def payload_block():
    # deterministic, incompressible-looking data
    out = bytearray()
    x = 2463534242
    while len(out) < CHUNK:
        x ^= (x << 13) & 0xFFFFFFFF
        x ^= x >> 17
        x ^= (x << 5) & 0xFFFFFFFF
        out += x.to_bytes(4, "little")
    return bytes(out[:CHUNK])


BLOCK = payload_block()


class Sink(threading.Thread):
    """Accepts connections; per connection counts bytes (and CRC32 when asked) until EOF."""

    def __init__(self, crc=False):
        super().__init__(daemon=True)
        self.crc = crc
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(256)
        self.port = self.srv.getsockname()[1]
        self.lock = threading.Lock()
        self.done = []  # (count, crc, end time)
        self.progress = 0
        self.cond = threading.Condition(self.lock)

    def run(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        n = 0
        crc = 0
        buf = bytearray(1 << 18)
        view = memoryview(buf)
        while True:
            try:
                k = c.recv_into(buf)
            except OSError:
                k = 0
            if k <= 0:
                break
            n += k
            if self.crc:
                crc = zlib.crc32(view[:k], crc)
            with self.lock:
                self.progress += k
        end = time.monotonic()
        c.close()
        with self.cond:
            self.done.append((n, crc, end))
            self.cond.notify_all()

    def reset(self):
        with self.lock:
            self.done = []
            self.progress = 0

    def wait(self, count, timeout):
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.done) < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.cond.wait(left)
        return True


def send(port, nbytes, timeout=600):
    c = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    left = nbytes
    while left > 0:
        k = min(left, CHUNK)
        c.sendall(BLOCK[:k])
        left -= k
    c.shutdown(socket.SHUT_WR)
    return c


def expected_crc(nbytes):
    crc = 0
    left = nbytes
    while left > 0:
        k = min(left, CHUNK)
        crc = zlib.crc32(BLOCK[:k], crc)
        left -= k
    return crc


def transfer(sink, port, nbytes, timeout=600):
    """Bytes through `port` to the sink; returns (MB/s, count received)."""
    sink.reset()
    t0 = time.monotonic()
    c = send(port, nbytes, timeout)
    ok = sink.wait(1, timeout)
    c.close()
    if not ok:
        return 0.0, sink.progress
    count, _, end = sink.done[0]
    return nbytes / (end - t0) / 1e6, count


class Node:
    def __init__(self, run, name, items):
        self.name = name
        self.sock = os.path.join(run.dir, name + ".sock")
        lines = ["---", "- node:", "    id: " + name, "- log-level: " + run.log_level,
                 "- control-service:", '    service: ""', "    filename: " + self.sock] + items
        cfg = os.path.join(run.dir, name + ".yml")
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(run.dir, name + ".log"), "w")
        argv = [run.receptor, "--config" if run.go else "-c", cfg]
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=run.env)

    def command(self, line, timeout=20):
        deadline = time.time() + timeout
        while True:
            try:
                c = socket.socket(socket.AF_UNIX)
                c.settimeout(timeout)
                c.connect(self.sock)
                break
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.05)
        f = c.makefile("rwb")
        f.readline()  # greeting
        f.write((line + "\n").encode())
        f.flush()
        reply = f.readline()
        c.close()
        return json.loads(reply)

    def rss_kib(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Line:
    """s1 (tcp-server) - s2 - s3 - s4 (tcp-client -> sink)."""

    def __init__(self, receptor, go, env, sink_port):
        self.dir = tempfile.mkdtemp(prefix="bench-streams-")
        self.receptor = receptor
        self.go = go
        self.env = env
        self.log_level = os.environ.get("BENCH_LOG_LEVEL", "error")
        self.keep = os.environ.get("BENCH_KEEP")
        self.entry = free_port()
        ports = [free_port() for _ in range(3)]
        self.nodes = []
        for i in range(4):
            items = []
            if i < 3:
                items += ["- tcp-listener:", "    port: %d" % ports[i],
                          "    bindaddr: 127.0.0.1"]
            if i > 0:
                items += ["- tcp-peer:", "    address: 127.0.0.1:%d" % ports[i - 1]]
            if i == 0:
                items += ["- tcp-server:", "    port: %d" % self.entry,
                          "    bindaddr: 127.0.0.1", "    remotenode: s4",
                          "    remoteservice: sink"]
            if i == 3:
                items += ["- tcp-client:", "    service: sink",
                          "    address: 127.0.0.1:%d" % sink_port]
            self.nodes.append(Node(self, "s%d" % (i + 1), items))

    def wait_ready(self, sink, timeout=60):
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                st = self.nodes[0].command("status")
                if "s4" in (st.get("RoutingTable") or {}):
                    _, n = transfer(sink, self.entry, 4096, timeout=10)
                    if n == 4096:
                        return True
            except (OSError, ValueError):
                pass
            time.sleep(0.2)
        return False

    def close(self):
        for n in self.nodes:
            n.stop()
        if self.keep:
            print("logs kept in", self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def concurrent(sink, port, count, nbytes):
    sink.reset()
    t0 = time.monotonic()
    conns = []
    errors = []

    def one():
        try:
            conns.append(send(port, nbytes))
        except OSError as e:
            errors.append(e)

    threads = [threading.Thread(target=one) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    ok = sink.wait(count, 120 if not errors else 30)
    for c in conns:
        c.close()
    if errors:
        print("  first connect error: %r" % (errors[0],))
    want = expected_crc(nbytes)
    good = sum(1 for (n, crc, _) in sink.done if n == nbytes and crc == want)
    end = max((e for (_, _, e) in sink.done), default=time.monotonic())
    return ok, good, len(errors), count * nbytes / (end - t0) / 1e6


def rss_run(line, sink, nbytes):
    samples = {n.name: [] for n in line.nodes}
    sink.reset()
    result = {}

    def sender():
        c = send(line.entry, nbytes)
        sink.wait(1, 1800)
        c.close()
        result["done"] = True

    t = threading.Thread(target=sender, daemon=True)
    t.start()
    while t.is_alive():
        if sink.progress >= 64 << 20:
            for n in line.nodes:
                samples[n.name].append(n.rss_kib())
        time.sleep(0.25)
    count = sink.done[0][0] if sink.done else sink.progress
    return samples, count


def measure_line(label, receptor, go, env, args, sink, direct):
    line = Line(receptor, go, env, sink.port)
    try:
        if not line.wait_ready(sink):
            print("%s: the line did not become ready (logs in %s)" % (label, line.dir))
            return None
        nbytes = args.megabytes << 20
        rate, count = transfer(sink, line.entry, nbytes)
        status = "byte count ok" if count == nbytes else "INCOMPLETE: %d of %d bytes" % (
            count, nbytes)
        print("%-26s %8.1f MB/s  ratio to direct %.2f  (%s)" %
              (label + " 3 hops:", rate, rate / direct, status))
        return rate
    finally:
        line.close()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(os.path.dirname(here), "build")
    p = argparse.ArgumentParser()
    p.add_argument("--build", default=build)
    p.add_argument("--receptor", default=None)
    p.add_argument("--megabytes", type=int, default=100)
    p.add_argument("--concurrent", type=int, default=100)
    p.add_argument("--concurrent-mib", type=int, default=1)
    p.add_argument("--rss-mib", type=int, default=1024)
    p.add_argument("--skip-rss", action="store_true")
    args = p.parse_args()
    receptor = args.receptor or os.path.join(args.build, "core/receptor")
    plugins = ":".join(os.path.join(args.build, "plugins", d)
                       for d in ("backend-tcp", "service-proxy"))
    env = dict(os.environ, RECEPTOR_PLUGIN_DIR=plugins)

    sink = Sink()
    sink.start()
    nbytes = args.megabytes << 20
    direct, count = transfer(sink, sink.port, nbytes)
    assert count == nbytes
    print("%-26s %8.1f MB/s  (baseline, %d MiB)" % ("direct loopback TCP:", direct,
                                                    args.megabytes))
    ours = measure_line("receptor-c", receptor, False, env, args, sink, direct)

    go = os.environ.get("GO_RECEPTOR")
    if go:
        theirs = measure_line("Go receptor", go, True, dict(os.environ), args, sink, direct)
        if ours and theirs:
            print("%-26s %8.2f" % ("ratio receptor-c / Go:", ours / theirs))

    csink = Sink(crc=True)
    csink.start()
    line = Line(receptor, False, env, csink.port)
    try:
        if not line.wait_ready(csink):
            print("concurrency: the line did not become ready")
            return 1
        ok, good, errs, rate = concurrent(csink, line.entry, args.concurrent,
                                          args.concurrent_mib << 20)
        print("%d concurrent streams x %d MiB: %d byte-exact, %d connect errors, %s, "
              "aggregate %.1f MB/s" % (args.concurrent, args.concurrent_mib, good, errs,
                                       "all ended" if ok else "TIMEOUT", rate))
        if not args.skip_rss:
            samples, count = rss_run(line, csink, args.rss_mib << 20)
            print("RSS while streaming %d MiB (%s):" %
                  (args.rss_mib, "complete" if count == args.rss_mib << 20 else
                   "INCOMPLETE %d bytes" % count))
            for name, s in samples.items():
                if s:
                    print("  %s: first %d KiB, max %d KiB, last %d KiB (%d samples)" %
                          (name, s[0], max(s), s[-1], len(s)))
    finally:
        line.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
