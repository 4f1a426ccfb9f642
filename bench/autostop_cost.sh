#!/usr/bin/env bash
# Builds bench/autostop_cost.cpp against the agent's idle decision (src/agent/watch/idle_policy.cpp) and
# runs the week-long simulation: dollars and mid-work stops per idle rule. No cloud, no sandbox.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
OUT=$(mktemp -d /tmp/gpunb-autostop.XXXXXX)
trap 'rm -rf "$OUT"' EXIT
g++ -std=c++20 -O2 -Wall -Wextra -Werror -I"$ROOT/src" \
  "$ROOT/bench/autostop_cost.cpp" "$ROOT/src/agent/watch/idle_policy.cpp" -o "$OUT/autostop_cost"
"$OUT/autostop_cost"
