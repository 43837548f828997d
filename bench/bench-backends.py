#!/usr/bin/env python3
"""bench-backends: one-hop figures of the udp and ws backends against tcp (the
baseline), measured in the same run with real `receptor` daemons on 127.0.0.1.

For each backend, node `a` listens and node `b` dials it; then:
  1. datagram round trip: median control `ping a` from b;
  2. throughput: bytes pushed through a mesh stream over the one link
     (b: tcp-server -> a: tcp-client -> a local sink), MB/s.
Prints each figure and its ratio to tcp.

Usage: bench/bench-backends.py [--receptor build/core/receptor] [--build build]
       [--megabytes 64] [--pings 200]
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Node:
    def __init__(self, run, name, items):
        self.name = name
        self.sock = os.path.join(run.dir, name + ".sock")
        lines = ["---", "- node:", "    id: " + name, "- log-level: error",
                 "- control-service:", '    service: ""', "    filename: " + self.sock] + items
        cfg = os.path.join(run.dir, name + ".yml")
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(run.dir, name + ".log"), "w")
        self.proc = subprocess.Popen([run.receptor, "-c", cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=run.env)

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

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


class Sink(threading.Thread):
    def __init__(self):
        super().__init__(daemon=True)
        self.srv = socket.socket()
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(4)
        self.port = self.srv.getsockname()[1]
        self.received = 0
        self.first = None
        self.last = None

    def run(self):
        while True:
            c, _ = self.srv.accept()
            while True:
                data = c.recv(1 << 16)
                if not data:
                    break
                now = time.time()
                if self.first is None:
                    self.first = now
                self.received += len(data)
                self.last = now
            c.close()


def links(backend, a_port):
    if backend == "tcp":
        return (["- tcp-listener:", "    port: %d" % a_port, "    bindaddr: 127.0.0.1"],
                ["- tcp-peer:", "    address: 127.0.0.1:%d" % a_port])
    if backend == "udp":
        return (["- udp-listener:", "    port: %d" % a_port, "    bindaddr: 127.0.0.1"],
                ["- udp-peer:", "    address: 127.0.0.1:%d" % a_port])
    return (["- ws-listener:", "    port: %d" % a_port, "    bindaddr: 127.0.0.1"],
            ["- ws-peer:", "    address: ws://127.0.0.1:%d/" % a_port])


def measure(run, backend, megabytes, pings):
    a_port = free_port(socket.SOCK_DGRAM if backend == "udp" else socket.SOCK_STREAM)
    sink = Sink()
    sink.start()
    proxy_port = free_port()
    la, lb = links(backend, a_port)
    a = Node(run, backend + "-a", la + ["- tcp-client:", "    service: bench",
                                        "    address: 127.0.0.1:%d" % sink.port])
    b = Node(run, backend + "-b", lb + ["- tcp-server:", "    port: %d" % proxy_port,
                                        "    bindaddr: 127.0.0.1", "    remotenode: " + a.name,
                                        "    remoteservice: bench"])
    try:
        deadline = time.time() + 60
        while True:
            r = b.command("ping " + a.name)
            if r.get("Success"):
                break
            if time.time() > deadline:
                raise RuntimeError("%s: no route: %s" % (backend, r))
            time.sleep(0.2)
        rtts = []
        for _ in range(pings):
            r = b.command("ping " + a.name)
            if r.get("Success"):
                # control.md: Time is a Go time.Duration (integer nanoseconds)
                rtts.append(r["Time"] / 1e3 if isinstance(r["Time"], (int, float))
                            else parse_duration_us(r["Time"]))
        # throughput: push `megabytes` through tcp-server -> mesh stream -> tcp-client
        chunk = b"x" * (1 << 16)
        total = megabytes << 20
        c = socket.create_connection(("127.0.0.1", proxy_port), timeout=60)
        start = time.time()
        sent = 0
        while sent < total:
            c.sendall(chunk)
            sent += len(chunk)
        c.shutdown(socket.SHUT_WR)
        deadline = time.time() + 120
        while sink.received < total and time.time() < deadline:
            time.sleep(0.01)
        end = sink.last or time.time()
        c.close()
        mbps = sink.received / (1 << 20) / max(end - start, 1e-9)
        return statistics.median(rtts) if rtts else float("nan"), mbps, sink.received
    finally:
        a.stop()
        b.stop()


def parse_duration_us(text):
    # Go duration text such as "123.456µs", "1.2ms", "1.5s"
    for unit, mult in (("µs", 1), ("us", 1), ("ms", 1e3), ("ns", 1e-3), ("s", 1e6)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * mult
    return float("nan")


class Run:
    def __init__(self, args):
        self.dir = tempfile.mkdtemp(prefix="bench-backends-")
        self.receptor = os.path.abspath(args.receptor)
        plugins = [os.path.join(args.build, "plugins", p)
                   for p in ("backend-tcp", "backend-udp", "backend-ws", "service-proxy")]
        self.env = dict(os.environ, RECEPTOR_PLUGIN_DIR=":".join(plugins))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--receptor", default="build/core/receptor")
    ap.add_argument("--build", default="build")
    ap.add_argument("--megabytes", type=int, default=64)
    ap.add_argument("--pings", type=int, default=200)
    ap.add_argument("--keep", action="store_true", help="keep the logs")
    args = ap.parse_args()
    run = Run(args)
    try:
        results = {}
        for backend in ("tcp", "udp", "ws"):
            try:
                results[backend] = measure(run, backend, args.megabytes, args.pings)
            except (OSError, RuntimeError) as e:
                print("%-3s one hop: failed: %s (logs in %s)" % (backend, e, run.dir))
                args.keep = True
        if "tcp" not in results:
            return 1
        base_rtt, base_mbps, _ = results["tcp"]
        for backend in results:
            rtt, mbps, got = results[backend]
            print("%-3s one hop: ping median %7.1f us (ratio %.2f), stream %7.1f MB/s "
                  "(ratio %.2f)%s" % (backend, rtt, rtt / base_rtt, mbps, mbps / base_mbps,
                                      "" if got >= args.megabytes << 20 else
                                      "  [incomplete: %d bytes]" % got))
    finally:
        if not args.keep:
            shutil.rmtree(run.dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
