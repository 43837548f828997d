#!/usr/bin/env bash
# Install what is missing, build, and run every test: the normal build, the
# ASan+UBSan build, and a short libFuzzer smoke run of every fuzz target.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh

jobs=$(nproc)
[ -d build ] || meson setup build
meson compile -C build
meson test -C build --print-errorlogs --num-processes "$jobs"

[ -d build-san ] || meson setup build-san -Db_sanitize=address,undefined -Db_lundef=false
meson compile -C build-san
meson test -C build-san --setup sanitize --print-errorlogs --num-processes "$jobs"

tools/fuzz-smoke.sh
