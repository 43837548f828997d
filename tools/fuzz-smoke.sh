#!/usr/bin/env bash
# Build the fuzz targets against libFuzzer (clang) and run each for a short while.
# Longer runs: see tests/fuzz/README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-15}
# -fsanitize=fuzzer-no-link on every file (core and plugin libraries too), or
# libFuzzer sees only the coverage of the fuzz-<parser>.c file itself.
[ -d build-fuzz ] || CC=clang meson setup build-fuzz -Dfuzzing=true -Db_lundef=false \
  -Db_sanitize=address,undefined -Dwerror=true >/dev/null
meson configure build-fuzz -Dc_args=-fsanitize=fuzzer-no-link >/dev/null
meson compile -C build-fuzz >/dev/null
# UB is a finding too (clang's UBSan recovers and goes on by default).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
passed=0
failed=0
for f in build-fuzz/tests/fuzz/fuzz-*; do
  [ -f "$f" ] && [ -x "$f" ] || continue
  name=$(basename "$f"); parser=${name#fuzz-}
  corpus=$(mktemp -d)
  cp -r tests/fuzz/corpus/"$parser"/. "$corpus"/ 2>/dev/null || true
  if "$f" -max_total_time="$seconds" -rss_limit_mb=2048 "$corpus" >"$corpus.log" 2>&1; then
    passed=$((passed+1)); echo "fuzz $parser: ok"
  else
    failed=$((failed+1)); echo "fuzz $parser: FAILED"; tail -40 "$corpus.log"
  fi
  rm -rf "$corpus" "$corpus.log"
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
