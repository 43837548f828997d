#!/usr/bin/env bash
# A live mesh on loopback doing real work: three nodes in a line (a - b - c)
# over TCP, each with a control socket; shows routes, pings c from a, runs a
# unit of work on c submitted from a, then stops everything cleanly.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
[ -d build ] || meson setup build >/dev/null
meson compile -C build >/dev/null

export RECEPTOR_PLUGIN_DIR
RECEPTOR_PLUGIN_DIR=$(find "$PWD/build/plugins" -mindepth 1 -maxdepth 1 -type d | paste -sd:)
R=$PWD/build/core/receptor
CTL=$PWD/build/ctl/receptorctl
dir=$(mktemp -d /tmp/receptor-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$dir"
}
trap cleanup EXIT

port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pa=$(port); pb=$(port)
have_work=0
[ -e build/plugins/work-command/work-command.plugin ] && have_work=1

node() { # name listen-port peer-port
  local name=$1 lp=$2 pp=$3
  {
    echo "- node: {id: $name, datadir: $dir/data}"
    echo "- log-level: info"
    echo "- control-service: {service: control, filename: $dir/$name.sock}"
    [ -n "$lp" ] && echo "- tcp-listener: {bindaddr: 127.0.0.1, port: $lp}"
    [ -n "$pp" ] && echo "- tcp-peer: {address: \"127.0.0.1:$pp\"}"
    if [ "$have_work" = 1 ]; then
      echo "- work-command: {worktype: wc, command: wc, params: \"-c\"}"
      echo "- work-command: {worktype: sha, command: sha256sum}"
    fi
  } >"$dir/$name.yml"
  "$R" -c "$dir/$name.yml" >"$dir/$name.log" 2>&1 &
  pids+=($!)
}
node a "$pa" ""
node b "$pb" "$pa"
node c "" "$pb"

echo "== waiting for every node to learn every route"
for i in $(seq 1 100); do
  if "$CTL" --socket "$dir/a.sock" status --json 2>/dev/null | python3 -c '
import json,sys
try: s=json.load(sys.stdin)
except ValueError: sys.exit(1); rt=s.get("RoutingTable") or {}
sys.exit(0 if "c" in rt else 1)' 2>/dev/null; then break; fi
  sleep 0.2
done
"$CTL" --socket "$dir/a.sock" status
echo "== ping c from a (two hops)"
"$CTL" --socket "$dir/a.sock" ping c --count 3
echo "== traceroute a -> c"
"$CTL" --socket "$dir/a.sock" traceroute c
if [ "$have_work" = 1 ]; then
  echo "== work: sha256 of 10 MB of data, submitted on a, run on c"
  head -c 10000000 /dev/urandom >"$dir/payload"
  echo "expected: $(sha256sum <"$dir/payload" | cut -d' ' -f1)"
  "$CTL" --socket "$dir/a.sock" work submit sha --node c --payload "$dir/payload" --follow --rm
fi
echo "== done; stopping the mesh"
