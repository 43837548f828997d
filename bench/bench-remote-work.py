#!/usr/bin/env python3
"""bench-remote-work: results throughput of a remote unit vs local results.

A 4-node line A-B-C-D of real `receptor` daemons on 127.0.0.1; D runs `cat`.
  baseline: `work results` of a completed local unit on D, read over D's Unix socket;
  remote:   a unit submitted on A for D: time from A's "Job Started" until `work results`
            on A has delivered every byte (status polling, the results fetch over 3 hops
            and A's local stream), plus the store-and-forward submit time.

Usage: bench/bench-remote-work.py [--receptor build/core/receptor]
       [--plugins build/plugins/backend-tcp:build/plugins/work-command] [--mib 64]
"""
import argparse
import hashlib
import json
import os
import shutil
import signal
import socket
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
    def __init__(self, d, env, receptor, name, listen_port, peer_port, extra):
        self.name = name
        self.sock = os.path.join(d, name + ".sock")
        lines = ["---", "- node:", "    id: " + name, "    datadir: " + os.path.join(d, name),
                 "- log-level: error",
                 "- control-service:", "    service: control", "    filename: " + self.sock]
        if listen_port:
            lines += ["- tcp-listener:", "    port: %d" % listen_port, "    bindaddr: 127.0.0.1"]
        if peer_port:
            lines += ["- tcp-peer:", "    address: 127.0.0.1:%d" % peer_port]
        lines += extra
        cfg = os.path.join(d, name + ".yml")
        with open(cfg, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.log = open(os.path.join(d, name + ".log"), "w")
        self.proc = subprocess.Popen([receptor, "-c", cfg], stdout=self.log,
                                     stderr=subprocess.STDOUT, env=env)

    def connect(self):
        deadline = time.time() + 20
        while True:
            try:
                c = socket.socket(socket.AF_UNIX)
                c.connect(self.sock)
                f = c.makefile("rwb")
                f.readline()
                return c, f
            except OSError:
                if time.time() > deadline:
                    raise
                time.sleep(0.02)

    def command(self, line):
        c, f = self.connect()
        f.write(line.encode() + b"\n")
        f.flush()
        r = f.readline()
        c.close()
        return json.loads(r)

    def submit(self, node, payload):
        c, f = self.connect()
        f.write(json.dumps({"command": "work", "subcommand": "submit", "node": node,
                            "worktype": "cat"}).encode() + b"\n")
        f.flush()
        created = f.readline()
        assert created.startswith(b"Work unit created"), created
        c.sendall(payload)
        c.shutdown(socket.SHUT_WR)
        reply = json.loads(f.readline())
        c.close()
        assert reply["result"] == "Job Started", reply
        return reply["unitid"]

    def results(self, unit):
        c, f = self.connect()
        f.write(b"work results " + unit.encode() + b"\n")
        f.flush()
        f.readline()
        h = hashlib.sha256()
        n = 0
        while True:
            b = f.read1(1 << 16)
            if not b:
                break
            h.update(b)
            n += len(b)
        c.close()
        return n, h.hexdigest()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def wait_for(fn, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if fn():
            return True
        time.sleep(0.02)
    return False


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    build = os.path.join(os.path.dirname(here), "build")
    p = argparse.ArgumentParser()
    p.add_argument("--receptor", default=os.environ.get("RC_RECEPTOR",
                                                        os.path.join(build, "core/receptor")))
    p.add_argument("--plugins", default=os.environ.get(
        "RECEPTOR_PLUGIN_DIR", os.path.join(build, "plugins/backend-tcp") + ":" +
        os.path.join(build, "plugins/work-command")))
    p.add_argument("--mib", type=int, default=64)
    args = p.parse_args()
    d = tempfile.mkdtemp(prefix="bench-remote-")
    env = dict(os.environ, RECEPTOR_PLUGIN_DIR=args.plugins)
    ports = [free_port() for _ in range(3)]
    names = ["A", "B", "C", "D"]
    nodes = []
    try:
        for i, name in enumerate(names):
            extra = ["- work-command:", "    worktype: cat", "    command: cat"] if name == "D" else []
            nodes.append(Node(d, env, args.receptor, name, ports[i] if i < 3 else None,
                              ports[i - 1] if i > 0 else None, extra))
        a, dn = nodes[0], nodes[3]
        assert wait_for(lambda: "D" in a.command("status").get("RoutingTable", {}), 60)
        payload = os.urandom(args.mib << 20)
        want = hashlib.sha256(payload).hexdigest()
        size = len(payload)

        local = dn.submit("localhost", payload)
        assert wait_for(lambda: dn.command("work status " + local)["State"] == 2)
        t0 = time.time()
        n, h = dn.results(local)
        t_local = time.time() - t0
        assert n == size and h == want

        t0 = time.time()
        remote = a.submit("D", payload)
        t_submit = time.time() - t0
        t0 = time.time()
        assert wait_for(lambda: a.command("work status " + remote)["State"] == 2)
        n, h = a.results(remote)
        t_remote = time.time() - t0
        assert n == size and h == want, (n, size)

        mib = size / (1 << 20)
        print("payload:                         %d MiB" % args.mib)
        print("local results on D (baseline):   %.2f s, %.1f MiB/s" % (t_local, mib / t_local))
        print("remote results A<-D (3 hops):    %.2f s, %.1f MiB/s" % (t_remote, mib / t_remote))
        print("ratio remote / local time:       %.1f" % (t_remote / t_local))
        print("remote submit incl. forward A->D: %.2f s, %.1f MiB/s" % (t_submit, mib / t_submit))
    finally:
        for n in nodes:
            n.stop()
        shutil.rmtree(d, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
