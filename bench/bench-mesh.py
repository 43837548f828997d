#!/usr/bin/env python3
"""bench-mesh: Netceptor figures with real `receptor` daemons on 127.0.0.1.

For receptor-c, and in the same run for Go Receptor when GO_RECEPTOR names its binary:
  1. datagram round trip (control `ping`): 3 hops vs direct (the baseline);
  2. a mesh of --nodes daemons (binary tree plus a chain, so it survives the loss of any one
     node) vs a 10-node mesh of the same shape (the baseline), started one after the other,
     each once the previous one answers on its control socket:
       - convergence: from the start of the last daemon until every node's RoutingTable holds
         every other node;
       - loss: after SIGKILL of node m001 (interior, on many shortest paths), until no
         RoutingTable holds it any more (and every node still routes to all the others);
       - idle RSS averaged over the mesh;
  3. idle RSS of a node with one TCP link vs a node with no link (the baseline).
Each figure is printed with its ratio to the baseline and, with Go, the ratio receptor-c / Go.
Last, the round trip of a 64-byte UDP datagram to an echo thread in this script (raw loopback,
measured from Python, so it includes the interpreter) against the direct `ping`.

Status is polled through each node's control socket: by default with the control protocol
spoken directly on one persistent connection per node (what receptorctl sends, at a fraction
of its start-up cost); with --poll ctl through `receptorctl --socket S status --json` (the C
receptorctl for C nodes, --python-ctl for Go nodes).  Everything listens on 127.0.0.1 only,
every wait has a deadline.

Usage: bench/bench-mesh.py [--receptor build/core/receptor] [--plugins build/plugins/backend-tcp]
       [--nodes 100] [--pings 300] [--poll socket|ctl] [--ctl build/ctl/receptorctl]
       [--python-ctl /path/to/receptorctl]
       GO_RECEPTOR=/path/to/go/receptor bench/bench-mesh.py ...   # adds Go's figures
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
import threading
import time

STEP_TIMEOUT = 180.0  # seconds for any convergence or loss wait


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Impl:
    """One implementation under test: its binary, environment and control client."""

    def __init__(self, label, receptor, go, env, ctl):
        self.label = label
        self.receptor = receptor
        self.go = go
        self.env = env
        self.ctl = ctl


class Node:
    def __init__(self, mesh, name, port, peers):
        self.mesh = mesh
        self.name = name
        self.sock = os.path.join(mesh.dir, name + ".sock")
        self.port = port
        lines = ["---", "- node:", "    id: " + name, "- log-level: error",
                 "- control-service:", '    service: ""', "    filename: " + self.sock]
        if port:
            lines += ["- tcp-listener:", "    port: %d" % port, "    bindaddr: 127.0.0.1"]
        for p in peers:
            lines += ["- tcp-peer:", "    address: 127.0.0.1:%d" % p.port]
        if not port and not peers:
            lines += ["- local-only:"]
        cfg = os.path.join(mesh.dir, name + ".yml")
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(mesh.dir, name + ".log"), "w")
        impl = mesh.impl
        argv = [impl.receptor, "--config" if impl.go else "-c", cfg]
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT,
                                     env=impl.env)
        self.conn = None

    def connect(self, timeout=30.0):
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError("%s exited with %d" % (self.name, self.proc.returncode))
            try:
                c = socket.socket(socket.AF_UNIX)
                c.settimeout(30)
                c.connect(self.sock)
                break
            except OSError:
                c.close()
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)
        self.conn = c.makefile("rw")
        self.conn.readline()  # greeting

    def command(self, line):
        if self.conn is None:
            self.connect()
        self.conn.write(line + "\n")
        self.conn.flush()
        return json.loads(self.conn.readline())

    def status(self):
        if self.mesh.poll == "ctl" and self.mesh.impl.ctl:
            out = subprocess.run([self.mesh.impl.ctl, "--socket", self.sock, "status", "--json"],
                                 capture_output=True, timeout=30, check=True).stdout
            return json.loads(out)
        return self.command("status")

    def routes(self):
        return self.status().get("RoutingTable") or {}

    def rss_kib(self):
        try:
            with open("/proc/%d/status" % self.proc.pid) as f:
                for line in f:
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            pass
        return 0

    def kill(self):
        self.proc.kill()
        self.proc.wait()

    def stop(self):
        if self.conn is not None:
            try:
                self.conn.close()
            except OSError:
                pass
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Mesh:
    def __init__(self, impl, poll, keep):
        self.dir = tempfile.mkdtemp(prefix="bench-mesh-")
        self.impl = impl
        self.poll = poll
        self.keep = keep
        self.nodes = []

    def add(self, name, listen=True, peers=()):
        n = Node(self, name, free_port() if listen else None, list(peers))
        self.nodes.append(n)
        return n

    def close(self):
        for n in self.nodes:
            n.stop()
        if self.keep:
            print("  (logs kept in %s)" % self.dir)
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


def wait_all(nodes, done, what, timeout=STEP_TIMEOUT):
    """Polls every node until done(node, routes) holds for all of them in one full pass.
    Returns the monotonic time at which the last node was first seen done, or None."""
    deadline = time.monotonic() + timeout
    pending = list(nodes)
    last = None
    while time.monotonic() < deadline:
        still = []
        for n in pending:
            if done(n, n.routes()):
                last = time.monotonic()
            else:
                still.append(n)
        pending = still
        if not pending:
            # confirm in one full pass that nothing went back (a stale route flood)
            pending = [n for n in nodes if not done(n, n.routes())]
            if not pending:
                return last
        else:
            time.sleep(0.005)
    print("  %s: %d node(s) not done after %.0f s, e.g. %s" %
          (what, len(pending), timeout, pending[0].name))
    return None


def bench_ping(impl, args):
    m = Mesh(impl, args.poll, args.keep)
    try:
        n1 = m.add("p1")
        n2 = m.add("p2", peers=[n1])
        n3 = m.add("p3", peers=[n2])
        n4 = m.add("p4", listen=False, peers=[n3])
        names = {"p1", "p2", "p3", "p4"}
        if wait_all(m.nodes, lambda n, r: names - {n.name} <= set(r), "line") is None:
            raise RuntimeError("the 4-node line did not converge")
        res = {}
        for target in ("p2", "p4"):
            times = []
            for _ in range(args.pings):
                r = n1.command("ping " + target)
                if not r.get("Success"):
                    raise RuntimeError("ping %s: %s" % (target, r))
                times.append(r["Time"] / 1000.0)  # control.md: Time in nanoseconds
            res[target] = statistics.median(times)
        return res["p2"], res["p4"]
    finally:
        m.close()


def build_mesh(m, count):
    """c000 is the root; node i dials its tree parent (i-1)//2 and, for i >= 2, node i-1, so
    removing any single node leaves the others connected."""
    nodes = []
    for i in range(count):
        peers = []
        if i > 0:
            peers.append(nodes[(i - 1) // 2])
        if i >= 2:  # node i-1 is never the tree parent here
            peers.append(nodes[i - 1])
        nodes.append(m.add("m%03d" % i, peers=peers))
        if i < count - 1:
            # up (answers on its control socket) before the next one dials it, so no dialer
            # waits for a redial back-off
            nodes[-1].connect()
    return nodes


def mesh_run(impl, args, count):
    """Returns (convergence s, loss s, mean idle RSS KiB); None for a figure that failed."""
    m = Mesh(impl, args.poll, args.keep)
    try:
        t_first = time.monotonic()
        nodes = build_mesh(m, count)
        t0 = time.monotonic()  # the last daemon was just started
        names = {n.name for n in nodes}
        full = lambda n, r: len(names - set(r) - {n.name}) == 0
        t_conv = wait_all(nodes, full, "convergence")
        if t_conv is None:
            return None, None, None
        conv = t_conv - t0
        if args.verbose:
            print("  %s %d nodes: %.2f s from first spawn" % (impl.label, count, t_conv - t_first))
        time.sleep(1.0)  # idle: let start-up allocations and route floods settle
        rss = statistics.mean(n.rss_kib() for n in nodes)
        victim = nodes[1]
        rest = [n for n in nodes if n is not victim]
        t1 = time.monotonic()
        victim.kill()
        t_drop = wait_all(rest, lambda n, r: victim.name not in r, "loss")
        loss = None if t_drop is None else t_drop - t1
        others = names - {victim.name}
        if wait_all(rest, lambda n, r: len(others - set(r) - {n.name}) == 0,
                    "re-route") is None:
            print("  %s %d nodes: the mesh did not re-route around %s" %
                  (impl.label, count, victim.name))
        return conv, loss, rss
    finally:
        m.close()


def bench_rss(impl, args):
    m = Mesh(impl, args.poll, args.keep)
    try:
        alone = m.add("r0", listen=False)
        a = m.add("r1")
        b = m.add("r2", listen=False, peers=[a])
        if wait_all([a, b], lambda n, r: len(r) == 1, "link") is None:
            raise RuntimeError("r1-r2 did not connect")
        alone.command("status")
        time.sleep(1.0)  # idle: let start-up allocations settle
        return alone.rss_kib(), b.rss_kib()
    finally:
        m.close()


def raw_echo_rtt(pings):
    """Median round trip (us) of a 64-byte UDP datagram to an echo thread on 127.0.0.1."""
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
    for _ in range(pings):
        t = time.perf_counter()
        c.send(b"p" * 64)
        c.recv(1 << 16)
        rtts.append((time.perf_counter() - t) * 1e6)
    c.close()
    return statistics.median(rtts)


def measure(impl, args):
    print("== %s: %s" % (impl.label, impl.receptor), flush=True)
    r = {}
    r["ping1"], r["ping3"] = bench_ping(impl, args)
    r["conv10"], r["loss10"], _ = mesh_run(impl, args, 10)
    r["convN"], r["lossN"], r["rssN"] = mesh_run(impl, args, args.nodes)
    r["rss0"], r["rss1"] = bench_rss(impl, args)
    return r


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "   -"
    return "%6.2f" % (a / b)


def fmt(v, unit):
    if v is None:
        return "%10s" % "FAILED"
    if unit == "KiB":
        return "%7d KiB" % v
    if unit == "us":
        return "%7.1f us" % v
    return "%8.2f s" % v


def report(results, args):
    """One line per figure: value (ratio to its baseline) for each implementation, then C/Go."""
    n = args.nodes
    rows = [
        # key, label, unit, baseline key
        ("ping1", "ping direct p1->p2 (median)", "us", None),
        ("ping3", "ping 3 hops p1->p4 (median)", "us", "ping1"),
        ("conv10", "convergence, 10-node mesh", "s", None),
        ("convN", "convergence, %d-node mesh" % n, "s", "conv10"),
        ("loss10", "loss of m001, 10-node mesh", "s", None),
        ("lossN", "loss of m001, %d-node mesh" % n, "s", "loss10"),
        ("rss0", "idle RSS, no link", "KiB", None),
        ("rss1", "idle RSS, one TCP link", "KiB", "rss0"),
        ("rssN", "idle RSS, avg of %d-node mesh" % n, "KiB", "rss0"),
    ]
    labels = list(results)
    head = "%-32s" % "figure"
    for l in labels:
        head += " %12s %8s" % (l, "/base")
    if len(labels) == 2:
        head += " %8s" % "C/Go"
    print(head)
    for key, label, unit, base in rows:
        line = "%-32s" % label
        for l in labels:
            v = results[l].get(key)
            line += " %12s %8s" % (fmt(v, unit),
                                   ratio(v, results[l].get(base)) if base else "(base)")
        if len(labels) == 2:
            line += " %8s" % ratio(results[labels[0]].get(key), results[labels[1]].get(key))
        print(line)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(os.path.dirname(here), "build")
    p = argparse.ArgumentParser()
    p.add_argument("--receptor", default=os.environ.get("RC_RECEPTOR",
                                                        os.path.join(build, "core/receptor")))
    p.add_argument("--plugins", default=os.environ.get(
        "RECEPTOR_PLUGIN_DIR", os.path.join(build, "plugins/backend-tcp")))
    p.add_argument("--ctl", default=os.path.join(build, "ctl/receptorctl"),
                   help="C receptorctl (--poll ctl, C nodes)")
    p.add_argument("--python-ctl", default="receptorctl",
                   help="Python receptorctl (--poll ctl, Go nodes)")
    p.add_argument("--poll", choices=("socket", "ctl"), default="socket")
    p.add_argument("--nodes", type=int, default=100)
    p.add_argument("--pings", type=int, default=300)
    p.add_argument("--only-go", action="store_true", help="skip receptor-c")
    p.add_argument("--keep", action="store_true", help="keep configs and logs")
    p.add_argument("-v", "--verbose", action="store_true")
    args = p.parse_args()
    impls = []
    if not args.only_go:
        impls.append(Impl("receptor-c", os.path.abspath(args.receptor), False,
                          dict(os.environ, RECEPTOR_PLUGIN_DIR=os.path.abspath(args.plugins)),
                          os.path.abspath(args.ctl)))
    go = os.environ.get("GO_RECEPTOR")
    if go:
        impls.append(Impl("Go", os.path.abspath(go), True, dict(os.environ),
                          shutil.which(args.python_ctl) or args.python_ctl))
    results = {}
    for impl in impls:
        try:
            results[impl.label] = measure(impl, args)
        except (OSError, RuntimeError, ValueError, subprocess.SubprocessError) as e:
            print("%s: failed: %s" % (impl.label, e))
    if not results:
        return 1
    report(results, args)
    raw = raw_echo_rtt(args.pings)
    print("%-32s %9.1f us; ping direct / raw: %s" %
          ("raw loopback UDP echo (Python)", raw,
           ", ".join("%s %.2f" % (l, r["ping1"] / raw) for l, r in results.items()
                     if r.get("ping1"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
