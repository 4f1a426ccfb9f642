#!/usr/bin/env bash
# `up` killed with SIGINT or SIGKILL in the middle of a launch, then re-run: exactly one instance.
source "$(dirname "$0")/lib.sh"
start_sandbox

ledger_state() {
  sqlite3 "$XDG_STATE_HOME/gpunb/ledger.db" "select state from machines where name = '$1'" 2>/dev/null || true
}

is_launching() { [ "$(ledger_state "$1")" = launching ]; }
faults_taken() { [ "$(sbx faults | jq length)" = 0 ]; }
live_count_is() { [ "$(live_instances "$1")" = "$2" ]; }

# Holds RunInstances for a while (the instance is made after the delay), starts `up` in the
# background, waits until the launch is under way, then sends the signal.
interrupted_up() {
  local name=$1 signal=$2
  sbx_clear calls
  sbx_fault '{"action": "RunInstances", "delay_s": 2, "count": 1}'
  "$GPUNB_BIN" up "$name" --no-connect >"$WORK/bg.out" 2>"$WORK/bg.err" </dev/null &
  local pid=$!
  wait_until 20 is_launching "$name"
  wait_until 20 faults_taken  # the delayed call has reached the cloud
  kill "-$signal" "$pid"
  set +e; wait "$pid"; BG_RC=$?; set -e
  cat "$WORK/bg.out" "$WORK/bg.err" >>"$WORK/transcript.log"
}

interrupted_up int1 INT
[ "$BG_RC" = 130 ] || [ "$BG_RC" = 0 ] || fail "up after SIGINT exited $BG_RC"
expect 0 up int1 --no-connect
assert_eq "$(live_instances int1)" 1 "instances after SIGINT and re-run"
assert_eq "$(machine_json int1 | jq -r .state)" running "state after re-run"
pass "SIGINT mid-launch, then up again: exactly one instance (first run exited $BG_RC)"

interrupted_up kill1 KILL
assert_eq "$BG_RC" 137 "exit status after SIGKILL"
assert_eq "$(ledger_state kill1)" launching "ledger state after SIGKILL"
wait_until 20 live_count_is kill1 1  # the cloud finished the launch anyway
expect 0 up kill1 --no-connect
assert_eq "$(live_instances kill1)" 1 "instances after SIGKILL and re-run"
assert_eq "$(machine_json kill1 | jq -r .state)" running "state after re-run"
pass "SIGKILL mid-launch, then up again: the instance is found by its tags, not launched twice"

interrupted_up kill2 KILL
wait_until 20 live_count_is kill2 1
expect 0 ls --json
jq -e '.[] | select(.name == "kill2") | .id | startswith("i-")' "$WORK/out" >/dev/null || fail "ls did not adopt kill2"
assert_eq "$(live_instances kill2)" 1 "instances seen by ls"
pass "ls alone adopts an interrupted launch into the ledger"

for name in int1 kill1 kill2; do expect 0 down "$name" --yes; done
assert_eq "$(sbx instances | jq '[.[] | select(.state != "terminated")] | length')" 0 "instances left"
finish
