#!/usr/bin/env bash
# GPU check for the idle watcher (issue 6): on a machine with an NVIDIA GPU, the agent's sampler
# (`gpunb-agent watch --sample`, the code the watcher runs every interval) reads the real
# nvidia-smi while idle and while a PyTorch matmul loop runs; it must read idle (utilization at or
# below the busy threshold, 10% by default) and busy (above it, reason "gpu N%").
#
#   bash bench/gpu_check.sh [AGENT]      # AGENT: default build/gpunb-agent
#
# Needs nvidia-smi and python3 with torch (CUDA). Prints each sample and PASS/FAIL; exit 0 on PASS.
set -euo pipefail
AGENT=${1:-${GPUNB_AGENT:-build/gpunb-agent}}
PY=${PYTHON:-python3}
WORK=$(mktemp -d /tmp/gpunb-gpu-check.XXXXXX)
LOOP_PID=""
cleanup() {
  if [ -n "$LOOP_PID" ]; then kill "$LOOP_PID" 2>/dev/null || true; wait "$LOOP_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
export HOME="$WORK"  # the agent's ~/.gpunb goes to the temp folder: no watch.json, default threshold

command -v nvidia-smi >/dev/null || { echo "no nvidia-smi on PATH"; exit 2; }
nvidia-smi --query-gpu=name,utilization.gpu --format=csv,noheader
sample() { "$AGENT" watch --sample; }
gpu_of() { jq -r '.gpu_percent // "none"' <<<"$1"; }

# samples COUNT LABEL: prints COUNT samples, one per second; the highest reading in $HIGHEST.
samples() {
  HIGHEST=-1
  for _ in $(seq "$1"); do
    local s; s=$(sample)
    echo "$2: $(jq -c '{gpu_percent, busy, reasons}' <<<"$s")"
    local g; g=$(gpu_of "$s")
    [ "$g" = none ] || HIGHEST=$(( ${g%.*} > HIGHEST ? ${g%.*} : HIGHEST ))
    sleep 1  # the watcher's own pace: one sample per interval
  done
}

# Idle first: wait (at most 60 s) for leftovers of other jobs to go quiet.
deadline=$((SECONDS + 60))
until [ "$(gpu_of "$(sample)" | cut -d. -f1)" -le 10 ] 2>/dev/null; do
  [ $SECONDS -lt $deadline ] || { echo "FAIL: the GPU never went idle"; exit 1; }
  sleep 1
done
samples 5 idle
IDLE_MAX=$HIGHEST

"$PY" - >"$WORK/loop.out" 2>&1 <<'PYEOF' &
import time, torch
a = torch.randn(8192, 8192, device="cuda")
b = torch.randn(8192, 8192, device="cuda")
print("matmul loop started", flush=True)
end = time.time() + 45
while time.time() < end:
    c = a @ b
    torch.cuda.synchronize()
PYEOF
LOOP_PID=$!
deadline=$((SECONDS + 60))
until grep -q started "$WORK/loop.out"; do
  [ $SECONDS -lt $deadline ] && kill -0 "$LOOP_PID" || { echo "FAIL: no matmul loop: $(cat "$WORK/loop.out")"; exit 1; }
  sleep 0.5
done
sleep 3  # let the loop reach full load
samples 5 busy
BUSY_MAX=$HIGHEST

echo "idle: highest ${IDLE_MAX}%, busy: highest ${BUSY_MAX}% (threshold 10%)"
if [ "$IDLE_MAX" -ge 0 ] && [ "$IDLE_MAX" -le 10 ] && [ "$BUSY_MAX" -gt 10 ]; then
  echo PASS
else
  echo FAIL
  exit 1
fi
