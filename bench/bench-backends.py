#!/usr/bin/env python3
"""bench-backends: one-hop figures of the udp and ws backends against tcp (the
baseline), measured in the same run with real `receptor` daemons on 127.0.0.1; when
GO_RECEPTOR names a Go Receptor binary, the same for Go nodes in the same run.

For each backend, node `a` listens and node `b` dials it; then:
  1. datagram round trip: median control `ping a` from b;
  2. datagram throughput (no QUIC): --datagrams UDP datagrams of --dgram-size bytes into
     b's `udp-server`, one mesh datagram each over the link to a's `udp-client`, which sends
     them to a local UDP sink; at most --window datagrams in flight (sent, not yet at the
     sink), a window stalled for 50 ms is written off; MiB/s delivered and the share lost;
  3. stream throughput: --megabytes MiB pushed through a mesh stream over the one link
     (b: tcp-server -> a: tcp-client -> a local sink), MiB/s: bytes received by the sink
     / (first byte sent .. last byte received); QUIC is included, equally for every backend.
Prints each figure, its ratio to tcp of the same implementation and the ratio C / Go.

Usage: bench/bench-backends.py [--receptor build/core/receptor] [--build build]
       [--megabytes 64] [--pings 200] [--datagrams 20000] [--dgram-size 8192] [--window 8]
       [--backends tcp,udp,ws] [--keep]
       GO_RECEPTOR=/path/to/go/receptor bench/bench-backends.py ...   # adds Go's figures
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
        argv = [run.receptor, "--config" if run.go else "-c", cfg]
        self.proc = subprocess.Popen(argv, stdout=self.log,
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
            self.proc.wait()
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


class DgramSink(threading.Thread):
    """Counts the datagrams the `udp-client` of node a forwards to it."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        # losses should be the daemons', not this Python reader's (capped by rmem_max)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.cond = threading.Condition()
        self.count = 0
        self.bytes = 0
        self.last = None

    def run(self):
        while True:
            data = self.sock.recv(1 << 16)
            with self.cond:
                self.count += 1
                self.bytes += len(data)
                self.last = time.monotonic()
                self.cond.notify()

    def wait_count(self, want, timeout):
        """True when at least `want` datagrams arrived before `timeout` seconds."""
        with self.cond:
            return self.cond.wait_for(lambda: self.count >= want, timeout)


def dgram_throughput(port, sink, count, size, window):
    """Datagrams of `size` bytes into the udp-server at `port`, at most `window` in flight (not
    yet seen by the sink); a window that makes no progress for 50 ms is written off as lost.
    Returns (MiB/s delivered, fraction lost)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.connect(("127.0.0.1", port))
    payload = b"d" * size
    # warm-up: the first datagram opens the udp-server session (an ephemeral mesh service)
    for _ in range(100):
        base = sink.count
        s.send(payload)
        if sink.wait_count(base + 1, 0.2):
            break
    else:
        raise RuntimeError("no datagram crossed the mesh")
    base_count, base_bytes = sink.count, sink.bytes
    sent = 0
    written_off = 0
    t0 = time.monotonic()
    while sent < count:
        with sink.cond:
            inflight = sent - (sink.count - base_count) - written_off
            if inflight >= window and not sink.cond.wait_for(
                    lambda: sent - (sink.count - base_count) - written_off < window, 0.05):
                written_off += sent - (sink.count - base_count) - written_off
        s.send(payload)
        sent += 1
    sink.wait_count(base_count + sent - written_off, 1.0)
    with sink.cond:
        got = sink.count - base_count
        nbytes = sink.bytes - base_bytes
        end = sink.last
    s.close()
    if os.environ.get("BENCH_DEBUG"):
        print("  datagrams sent %d, received %d, written off %d" % (sent, got, written_off))
    return nbytes / (1 << 20) / max(end - t0, 1e-9), 1.0 - got / sent


def links(backend, a_port):
    if backend == "tcp":
        return (["- tcp-listener:", "    port: %d" % a_port, "    bindaddr: 127.0.0.1"],
                ["- tcp-peer:", "    address: 127.0.0.1:%d" % a_port])
    if backend == "udp":
        return (["- udp-listener:", "    port: %d" % a_port, "    bindaddr: 127.0.0.1"],
                ["- udp-peer:", "    address: 127.0.0.1:%d" % a_port])
    return (["- ws-listener:", "    port: %d" % a_port, "    bindaddr: 127.0.0.1"],
            ["- ws-peer:", "    address: ws://127.0.0.1:%d/" % a_port])


def measure(run, backend, args):
    megabytes, pings = args.megabytes, args.pings
    a_port = free_port(socket.SOCK_DGRAM if backend == "udp" else socket.SOCK_STREAM)
    sink = Sink()
    sink.start()
    dsink = DgramSink()
    dsink.start()
    proxy_port = free_port()
    dgram_port = free_port(socket.SOCK_DGRAM)
    la, lb = links(backend, a_port)
    a = Node(run, backend + "-a", la + ["- tcp-client:", "    service: bench",
                                        "    address: 127.0.0.1:%d" % sink.port,
                                        "- udp-client:", "    service: dgram",
                                        "    address: 127.0.0.1:%d" % dsink.port])
    b = Node(run, backend + "-b", lb + ["- tcp-server:", "    port: %d" % proxy_port,
                                        "    bindaddr: 127.0.0.1", "    remotenode: " + a.name,
                                        "    remoteservice: bench",
                                        "- udp-server:", "    port: %d" % dgram_port,
                                        "    bindaddr: 127.0.0.1", "    remotenode: " + a.name,
                                        "    remoteservice: dgram"])
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
        # datagrams: udp-server -> mesh datagrams (no QUIC) -> udp-client
        dmbps, dloss = dgram_throughput(dgram_port, dsink, args.datagrams, args.dgram_size,
                                        args.window)
        # throughput: push `megabytes` through tcp-server -> mesh stream -> tcp-client
        mbps = stream_throughput(proxy_port, sink, megabytes)
        return {"rtt": statistics.median(rtts) if rtts else float("nan"), "stream": mbps,
                "got": sink.received, "dgram": dmbps, "loss": dloss}
    finally:
        a.stop()
        b.stop()


def stream_throughput(port, sink, megabytes):
    """`megabytes` MiB into the TCP `port`; MiB/s until the sink saw the last byte."""
    chunk = b"x" * (1 << 16)
    total = megabytes << 20
    c = socket.create_connection(("127.0.0.1", port), timeout=60)
    start = time.time()
    sent = 0
    while sent < total:
        c.sendall(chunk)
        sent += len(chunk)
    c.shutdown(socket.SHUT_WR)
    deadline = time.time() + args_timeout(megabytes)
    while sink.received < total and time.time() < deadline:
        time.sleep(0.01)
    end = sink.last or time.time()
    c.close()
    return sink.received / (1 << 20) / max(end - start, 1e-9)


def measure_raw(args):
    """The same three figures straight over loopback, no daemon: a UDP echo for the round
    trip, datagrams straight into the sink, the stream straight into the TCP sink."""
    echo = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    echo.bind(("127.0.0.1", 0))

    def serve():
        while True:
            data, addr = echo.recvfrom(1 << 16)
            echo.sendto(data, addr)
    threading.Thread(target=serve, daemon=True).start()
    c = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    c.settimeout(5)
    c.connect(echo.getsockname())
    rtts = []
    for _ in range(args.pings):
        t = time.perf_counter()
        c.send(b"p" * 64)
        c.recv(1 << 16)
        rtts.append((time.perf_counter() - t) * 1e6)
    c.close()
    dsink = DgramSink()
    dsink.start()
    dmbps, dloss = dgram_throughput(dsink.port, dsink, args.datagrams, args.dgram_size,
                                    args.window)
    sink = Sink()
    sink.start()
    mbps = stream_throughput(sink.port, sink, args.megabytes)
    return {"rtt": statistics.median(rtts), "stream": mbps, "got": sink.received,
            "dgram": dmbps, "loss": dloss}


def args_timeout(megabytes):
    # bounded: at least 120 s, or 1 MB/s
    return max(120.0, float(megabytes))


def parse_duration_us(text):
    # Go duration text such as "123.456µs", "1.2ms", "1.5s"
    for unit, mult in (("µs", 1), ("us", 1), ("ms", 1e3), ("ns", 1e-3), ("s", 1e6)):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * mult
    return float("nan")


class Run:
    def __init__(self, label, receptor, go, env):
        self.label = label
        self.dir = tempfile.mkdtemp(prefix="bench-backends-")
        self.receptor = os.path.abspath(receptor)
        self.go = go
        self.env = env


def fmt_ratio(a, b):
    if a is None or b is None or b == 0 or a != a or b != b:
        return "   -"
    return "%5.2f" % (a / b)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--receptor", default="build/core/receptor")
    ap.add_argument("--build", default="build")
    ap.add_argument("--megabytes", type=int, default=64, help="stream payload, MiB")
    ap.add_argument("--pings", type=int, default=200)
    ap.add_argument("--datagrams", type=int, default=20000)
    ap.add_argument("--dgram-size", type=int, default=8192)
    # 8 x 8 KiB: a burst of 16 overflows the udp-server's default 208 KiB socket buffer (a
    # loopback datagram of 8 KiB is charged about 16 KiB), in Go and in C alike
    ap.add_argument("--window", type=int, default=8, help="datagrams in flight")
    ap.add_argument("--backends", default="tcp,udp,ws")
    ap.add_argument("--only-go", action="store_true", help="skip receptor-c")
    ap.add_argument("--keep", action="store_true", help="keep the logs")
    args = ap.parse_args()
    backends = args.backends.split(",")
    runs = []
    if not args.only_go:
        plugins = [os.path.abspath(os.path.join(args.build, "plugins", p))
                   for p in ("backend-tcp", "backend-udp", "backend-ws", "service-proxy")]
        runs.append(Run("receptor-c", args.receptor, False,
                        dict(os.environ, RECEPTOR_PLUGIN_DIR=":".join(plugins))))
    go = os.environ.get("GO_RECEPTOR")
    if go:
        runs.append(Run("Go", go, True, dict(os.environ)))
    results = {}  # (label, backend) -> dict of figures
    raw = measure_raw(args)
    try:
        for run in runs:
            for backend in backends:
                print("measuring %s %s ..." % (run.label, backend), flush=True)
                try:
                    results[(run.label, backend)] = measure(run, backend, args)
                except (OSError, RuntimeError, ValueError) as e:
                    print("%s %-3s one hop: failed: %s (logs in %s)" %
                          (run.label, backend, e, run.dir))
                    args.keep = True
        want = args.megabytes << 20
        print("%-10s %-4s %10s %6s %13s %6s %6s %13s %6s" %
              ("", "link", "ping us", "/tcp", "dgram MiB/s", "/tcp", "loss", "stream MiB/s",
               "/tcp"))
        for run in runs:
            base = results.get((run.label, "tcp"), {})
            for backend in backends:
                r = results.get((run.label, backend))
                if r is None:
                    continue
                print("%-10s %-4s %10.1f %6s %13.1f %6s %5.1f%% %13.1f %6s%s" %
                      (run.label, backend, r["rtt"], fmt_ratio(r["rtt"], base.get("rtt")),
                       r["dgram"], fmt_ratio(r["dgram"], base.get("dgram")), 100 * r["loss"],
                       r["stream"], fmt_ratio(r["stream"], base.get("stream")),
                       "" if r["got"] >= want else "  [incomplete: %d bytes]" % r["got"]))
        print("%-10s %-4s %10.1f %6s %13.1f %6s %5.1f%% %13.1f" %
              ("loopback", "raw", raw["rtt"], "", raw["dgram"], "", 100 * raw["loss"],
               raw["stream"]))
        for run in runs:
            for backend in backends:
                r = results.get((run.label, backend))
                if r is not None:
                    print("%-10s %-4s %10s %6s %13s %6s %6s %13s" %
                          (("C" if run.label == "receptor-c" else run.label) + "/raw", backend, fmt_ratio(r["rtt"], raw["rtt"]),
                           "", fmt_ratio(r["dgram"], raw["dgram"]), "", "",
                           fmt_ratio(r["stream"], raw["stream"])))
        if len(runs) == 2:
            for backend in backends:
                c = results.get((runs[0].label, backend))
                g = results.get((runs[1].label, backend))
                if c and g:
                    print("%-10s %-4s %10s %6s %13s %6s %6s %13s" %
                          ("C/Go", backend, fmt_ratio(c["rtt"], g["rtt"]), "",
                           fmt_ratio(c["dgram"], g["dgram"]), "", "",
                           fmt_ratio(c["stream"], g["stream"])))
    finally:
        for run in runs:
            if args.keep:
                print("logs of %s in %s" % (run.label, run.dir))
            else:
                shutil.rmtree(run.dir, ignore_errors=True)
    return 0 if results else 1


if __name__ == "__main__":
    sys.exit(main())
