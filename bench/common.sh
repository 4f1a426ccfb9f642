# Shared by bench/*.sh: a sandbox cloud in a temp folder, gpunb pointed at it, timing helpers.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
GPUNB_BIN=${GPUNB_BIN:-$ROOT/build/gpunb}
WORK=$(mktemp -d /tmp/gpunb-bench.XXXXXX)
SANDBOX_PID=""
bench_cleanup() {
  if [ -n "$SANDBOX_PID" ]; then kill -TERM "$SANDBOX_PID" 2>/dev/null || true; wait "$SANDBOX_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap bench_cleanup EXIT

start_sandbox() {
  export SANDBOX_ACCESS_KEY_ID=AKIDBENCH0000000000
  export SANDBOX_SECRET_ACCESS_KEY="$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
  /usr/bin/python3 "$ROOT/sandbox/sandboxd.py" --state-dir "$WORK/sandbox" >"$WORK/ready" 2>"$WORK/sandbox.log" &
  SANDBOX_PID=$!
  for _ in $(seq 200); do grep -qs '^READY ' "$WORK/ready" && break; sleep 0.1; done
  SANDBOX_URL=$(sed -n 's/^READY //p' "$WORK/ready")
  export AWS_ACCESS_KEY_ID=$SANDBOX_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY=$SANDBOX_SECRET_ACCESS_KEY
  export AWS_ENDPOINT_URL_EC2=$SANDBOX_URL AWS_REGION=us-east-1
  export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config XDG_STATE_HOME=$WORK/home/.local/state
  mkdir -p "$HOME"
  export GPUNB_SSH_CIDR=$(curl -sf "$SANDBOX_URL/_sandbox/info" | jq -r .caller_cidr)
}

now_ns() { date +%s%N; }

# time_ms CMD...: wall time of one run in milliseconds (3 decimals)
time_ms() {
  local start end
  start=$(now_ns); "$@" >/dev/null 2>&1; end=$(now_ns)
  awk -v d=$((end - start)) 'BEGIN { printf "%.3f", d / 1e6 }'
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

machine_line() { echo "$(date -u +%Y-%m-%d), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(. /etc/os-release; echo "$PRETTY_NAME")"; }
