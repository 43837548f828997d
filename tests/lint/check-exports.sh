#!/usr/bin/env bash
# Every plugin exports exactly one symbol, rc_plugin_<name>_describe (STYLE.md 2.5).
set -euo pipefail
fail=0
for so in "$@"; do
  name=$(basename "$so" .so)
  want="rc_plugin_${name//-/_}_describe"
  got=$(nm -D --defined-only "$so" | awk '{print $3}' | sort | tr '\n' ' ')
  if [ "$got" != "$want " ]; then
    echo "not ok: $so exports: $got(expected only $want)"
    fail=1
  else
    echo "ok: $so"
  fi
done
exit $fail
