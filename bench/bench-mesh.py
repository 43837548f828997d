#!/usr/bin/env python3
"""bench-mesh: Netceptor figures with real `receptor` daemons on 127.0.0.1.

  1. datagram round trip (control `ping`): 3 hops vs direct (the baseline);
  2. convergence time of a 100-node tree vs a 10-node tree (the baseline);
  3. idle RSS per node: one link vs no link (the baseline), and averaged over 100 nodes.

Usage: bench/bench-mesh.py [--receptor build/core/receptor] [--plugins build/plugins/backend-tcp]
       [--nodes 100] [--pings 300]
"""
import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Node:
    def __init__(self, mesh, name, listen, peers):
        self.name = name
        self.sock = os.path.join(mesh.dir, name + ".sock")
        self.port = free_port() if listen else None
        lines = ["---", "- node:", "    id: " + name, "- log-level: error",
                 "- control-service:", '    service: ""', "    filename: " + self.sock]
        if listen:
            lines += ["- tcp-listener:", "    port: %d" % self.port, "    bindaddr: 127.0.0.1"]
        for p in peers:
            lines += ["- tcp-peer:", "    address: 127.0.0.1:%d" % p.port]
        if not listen and not peers:
            lines += ["- local-only:"]
        cfg = os.path.join(mesh.dir, name + ".yml")
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(mesh.dir, name + ".log"), "w")
        self.proc = subprocess.Popen([mesh.receptor, "-c", cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=mesh.env)
        self.conn = None

    def command(self, line):
        if self.conn is None:
            deadline = time.time() + 20
            while True:
                try:
                    c = socket.socket(socket.AF_UNIX)
                    c.connect(self.sock)
                    break
                except OSError:
                    if time.time() > deadline:
                        raise
                    time.sleep(0.02)
            self.conn = c.makefile("rw")
            self.conn.readline()  # greeting
        self.conn.write(line + "\n")
        self.conn.flush()
        return json.loads(self.conn.readline())

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Mesh:
    def __init__(self, args):
        self.dir = tempfile.mkdtemp(prefix="bench-mesh-")
        self.receptor = args.receptor
        self.env = dict(os.environ, RECEPTOR_PLUGIN_DIR=args.plugins)
        self.nodes = []

    def add(self, name, listen=True, peers=()):
        n = Node(self, name, listen, list(peers))
        self.nodes.append(n)
        return n

    def close(self):
        for n in self.nodes:
            n.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_routes(node, count, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        st = node.command("status")
        if len(st.get("RoutingTable", {})) >= count:
            return True
        time.sleep(0.01)
    return False


def bench_ping(args):
    m = Mesh(args)
    try:
        n1 = m.add("p1")
        n2 = m.add("p2", peers=[n1])
        n3 = m.add("p3", peers=[n2])
        n4 = m.add("p4", listen=False, peers=[n3])
        assert wait_routes(n1, 3), "line did not converge"
        res = {}
        for target in ("p2", "p4"):
            times = []
            for _ in range(args.pings):
                r = n1.command("ping " + target)
                assert r.get("Success"), r
                times.append(r["Time"] / 1000.0)
            res[target] = statistics.median(times)
        print("ping direct (p1->p2):   median %.1f us over %d pings" % (res["p2"], args.pings))
        print("ping 3 hops (p1->p4):   median %.1f us over %d pings" % (res["p4"], args.pings))
        print("ratio 3-hop / direct:   %.2f" % (res["p4"] / res["p2"]))
    finally:
        m.close()


def converge(args, count):
    m = Mesh(args)
    try:
        t0 = time.time()
        nodes = [m.add("c000")]
        for i in range(1, count):
            parent = nodes[(i - 1) // 2]
            nodes.append(m.add("c%03d" % i, listen=(2 * i + 1 < count), peers=[parent]))
        # the root and the last leaf (deepest) must know every other node
        ok = wait_routes(nodes[0], count - 1) and wait_routes(nodes[-1], count - 1)
        elapsed = time.time() - t0
        rss = [n.rss_kib() for n in nodes]
        return ok, elapsed, statistics.mean(rss)
    finally:
        m.close()


def bench_converge(args):
    ok_small, small, _ = converge(args, 10)
    ok_big, big, rss_avg = converge(args, args.nodes)
    print("convergence 10-node tree:   %.2f s%s" % (small, "" if ok_small else " (FAILED)"))
    print("convergence %d-node tree:  %.2f s%s" % (args.nodes, big, "" if ok_big else " (FAILED)"))
    print("ratio %d / 10:             %.2f" % (args.nodes, big / small))
    return rss_avg


def bench_rss(args, rss_avg_big):
    m = Mesh(args)
    try:
        alone = m.add("r0", listen=False)
        a = m.add("r1")
        b = m.add("r2", listen=False, peers=[a])
        assert wait_routes(a, 1)
        alone.command("status")
        time.sleep(1.0)  # let start-up allocations settle
        base = alone.rss_kib()
        linked = b.rss_kib()
        print("idle RSS, no link:         %d KiB (baseline)" % base)
        print("idle RSS, one TCP link:    %d KiB (ratio %.2f)" % (linked, linked / base))
        print("idle RSS, avg of %d-node tree: %d KiB (ratio %.2f)" %
              (args.nodes, rss_avg_big, rss_avg_big / base))
    finally:
        m.close()


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(os.path.dirname(here), "build")
    p = argparse.ArgumentParser()
    p.add_argument("--receptor", default=os.environ.get("RC_RECEPTOR",
                                                        os.path.join(build, "core/receptor")))
    p.add_argument("--plugins", default=os.environ.get(
        "RECEPTOR_PLUGIN_DIR", os.path.join(build, "plugins/backend-tcp")))
    p.add_argument("--nodes", type=int, default=100)
    p.add_argument("--pings", type=int, default=300)
    args = p.parse_args()
    bench_ping(args)
    rss_big = bench_converge(args)
    bench_rss(args, rss_big)
    return 0


if __name__ == "__main__":
    sys.exit(main())
