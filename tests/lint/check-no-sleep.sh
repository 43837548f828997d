#!/usr/bin/env bash
# Tests wait on conditions with deadlines, never fixed sleeps (STYLE.md 5).
set -euo pipefail
cd "$1"
if grep -rnE '\b(g_usleep|usleep|nanosleep)\s*\(|\bsleep\s*\(|time\.sleep\(' \
     --include='*.c' --include='*.py' tests/unit tests/integration tests/compat 2>/dev/null; then
  echo "not ok: fixed sleeps in tests (use rc_test_wait_until)"
  exit 1
fi
echo "ok: no fixed sleeps in tests"
