# Common helper for end-to-end suites: sourced by every tests/e2e/test_*.sh.
# Each suite runs the built gpunb against its own sandbox cloud in its own temp folder,
# kept on failure. Nothing here contacts anything but loopback and the sandbox's namespaces.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
GPUNB_BIN=${GPUNB_BIN:-$ROOT/build/gpunb}
SUITE=$(basename "$0" .sh)
WORK=$(mktemp -d "/tmp/gpunb-e2e-$SUITE.XXXXXX")
KEEP=0
SANDBOX_PID=""
CHECKS=0

on_err() {
  echo "FAIL: $SUITE: line $1: $2" >&2
  [ -f "$WORK/err" ] && sed 's/^/  stderr: /' "$WORK/err" >&2
  KEEP=1
}

# Background tunnels this suite's gpunb left running (recorded by PID in its state folder).
stop_detached_tunnels() {
  local record pid
  for record in "$WORK"/home/.local/state/gpunb/tunnels/*.json; do
    [ -e "$record" ] || continue
    pid=$(jq -r .pid "$record" 2>/dev/null || true)
    if [ -n "$pid" ] && grep -qs gpunb "/proc/$pid/cmdline"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
}

cleanup() {
  stop_detached_tunnels
  if [ -n "$SANDBOX_PID" ] && kill -0 "$SANDBOX_PID" 2>/dev/null; then
    kill -TERM "$SANDBOX_PID" 2>/dev/null || true
    wait "$SANDBOX_PID" 2>/dev/null || true
  fi
  if [ "$KEEP" = 1 ]; then
    echo "kept $WORK for inspection" >&2
  else
    rm -rf "$WORK"
  fi
}
trap 'on_err $LINENO "$BASH_COMMAND"' ERR
trap cleanup EXIT

fail() { echo "FAIL: $SUITE: $*" >&2; KEEP=1; exit 1; }
pass() { CHECKS=$((CHECKS + 1)); echo "  ok: $*"; }

# Starts a sandbox cloud with fresh random credentials (never printed) and points gpunb at it.
start_sandbox() {
  export SANDBOX_ACCESS_KEY_ID="AKIDE2E$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F)"
  export SANDBOX_SECRET_ACCESS_KEY="$(od -An -N20 -tx1 /dev/urandom | tr -d ' \n')"
  /usr/bin/python3 "$ROOT/sandbox/sandboxd.py" --state-dir "$WORK/sandbox" "$@" \
    >"$WORK/sandbox.out" 2>"$WORK/sandbox.log" &
  SANDBOX_PID=$!
  wait_until 20 grep -qs '^READY ' "$WORK/sandbox.out"
  SANDBOX_URL=$(sed -n 's/^READY //p' "$WORK/sandbox.out")
  export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_STATE_HOME="$WORK/home/.local/state"
  mkdir -p "$HOME"
  export AWS_ACCESS_KEY_ID="$SANDBOX_ACCESS_KEY_ID" AWS_SECRET_ACCESS_KEY="$SANDBOX_SECRET_ACCESS_KEY"
  unset AWS_SESSION_TOKEN AWS_PROFILE AWS_DEFAULT_REGION AWS_ENDPOINT_URL AWS_CONFIG_FILE AWS_SHARED_CREDENTIALS_FILE
  export AWS_ENDPOINT_URL_EC2="$SANDBOX_URL" AWS_REGION=us-east-1
  export GPUNB_SSH_CIDR=$(sbx info | jq -r .caller_cidr)
  # the EC2 endpoint as machines reach it: where their presigned URLs (autodown) point
  export GPUNB_MACHINE_EC2_ENDPOINT=$(sbx info | jq -r .instance_endpoint)
  enter_workspace
}

# gpunb mirrors the current folder by default: each suite works in a folder of its own.
enter_workspace() {
  WS="$WORK/workspace"
  mkdir -p "$WS"
  cd "$WS"
}

# wait_until SECONDS CMD...: polls CMD until it succeeds; fails the suite at the deadline.
wait_until() {
  local deadline=$((SECONDS + $1)); shift
  until "$@"; do
    [ $SECONDS -lt $deadline ] || fail "timed out waiting for: $*"
    sleep 0.1
  done
}

# run_gpunb ARGS...: runs gpunb, output in $WORK/out and $WORK/err, exit code in $RC.
run_gpunb() {
  set +e
  "$GPUNB_BIN" "$@" >"$WORK/out" 2>"$WORK/err" </dev/null
  RC=$?
  set -e
  { echo "\$ gpunb $*"; cat "$WORK/out" "$WORK/err"; } >>"$WORK/transcript.log"
}

# expect RC ARGS...: runs gpunb and checks its exit code.
expect() {
  local want=$1; shift
  run_gpunb "$@"
  [ "$RC" = "$want" ] || fail "gpunb $* exited $RC, expected $want; stderr: $(cat "$WORK/err")"
}

assert_grep() { grep -qE -- "$1" "$2" || fail "expected /$1/ in $2: $(head -c 600 "$2")"; }
assert_eq() { [ "$1" = "$2" ] || fail "$3: got '$1', expected '$2'"; }

# The sandbox's control API.
sbx() { curl -sf "$SANDBOX_URL/_sandbox/$1"; }
sbx_fault() { curl -sf -X POST -H 'Content-Type: application/json' -d "$1" "$SANDBOX_URL/_sandbox/faults" >/dev/null; }
sbx_clear() { curl -sf -X DELETE "$SANDBOX_URL/_sandbox/$1" >/dev/null; }

# Instances tagged gpunb:name=NAME that are not terminated.
live_instances() {
  sbx instances | jq -r --arg n "$1" \
    '[.[] | select(.tags["gpunb:name"] == $n and .state != "terminated" and .state != "shutting-down")] | length'
}
instance_field() { sbx instances | jq -r --arg id "$1" --arg f "$2" '.[] | select(.id == $id) | .[$f]'; }

# Calls of one API action recorded by the sandbox.
calls_of() { sbx calls | jq -r --arg a "$1" '[.[] | select(.action == $a)] | length'; }

aws_sbx() { /usr/bin/aws --endpoint-url "$SANDBOX_URL" --region "${AWS_REGION}" --output json "$@"; }

machine_json() { "$GPUNB_BIN" ls --json </dev/null | jq -c --arg n "$1" '.[] | select(.name == $n)'; }

# ssh to a machine with the generated key and the sandbox's real host key, strict checking on.
ssh_machine() {
  local ip=$1 id=$2; shift 2
  sbx instances | jq -r --arg id "$id" --arg ip "$ip" '.[] | select(.id == $id) | "\($ip) \(.host_public_keys.ed25519)"' \
    >"$WORK/known_hosts"
  ssh -i "$XDG_CONFIG_HOME/gpunb/keys/id_ed25519" -o StrictHostKeyChecking=yes \
    -o UserKnownHostsFile="$WORK/known_hosts" -o BatchMode=yes -o ConnectTimeout=10 "ubuntu@$ip" "$@"
}

# No secret of this run may appear in anything gpunb printed.
assert_no_secrets() {
  if grep -qF -- "$SANDBOX_SECRET_ACCESS_KEY" "$WORK/transcript.log"; then
    fail "the AWS secret key appeared in gpunb's output"
  fi
  pass "no secret in gpunb's output"
}

finish() {
  assert_no_secrets
  echo "$SUITE: $CHECKS checks passed"
}
