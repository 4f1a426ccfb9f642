#!/usr/bin/env bash
# Autodown and the hard cap (issue 10, point 8) on sandbox machines with short windows:
# --autodown with unpulled changes stops the machine (disk kept) instead of leaving it running,
# `ls` says why, and the next pull starts it, pulls and terminates it; with everything pulled
# the machine terminates itself through its presigned URL (the sandbox checks those as strictly
# as EC2); --max-hours stops a busy machine at the cap, and `ls` shows the cap and the time
# left; an SSH box refuses --max-hours.
source "$(dirname "$0")/lib.sh"
start_sandbox --delay-scale 0.2
export GPUNB_AUTOSTOP_WINDOW=5s GPUNB_AUTOSTOP_INTERVAL=1s
AUTOSTOP=15
echo '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}' >"$WS/nb.ipynb"

id_of() { machine_json "$1" | jq -r .id; }
ip_of() { machine_json "$1" | jq -r .public_ip; }
state_of() { instance_field "$1" state; }
home_of() { instance_field "$1" home_dir; }
agent_log() { cat "$(home_of "$1")/.gpunb/agent.log" 2>/dev/null || true; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
gone_or() { local s; s=$(state_of "$1"); [ "$s" = "$2" ] || [ "$s" = "${3:-$2}" ]; }
declare -A ID
up_machine() {
  local name=$1; shift
  expect 0 up "$name" --detach --no-browser "$@"
  ID[$name]=$(id_of "$name")
}

# Each machine's case starts at once: a 15 s autostop leaves no time to dawdle.
up_machine cap --autostop off --max-hours 0.03 --type g5.xlarge
echo 80 >"$WORK/sandbox/instances/${ID[cap]}/sys/gpu/util"  # busy: only the cap can stop it
up_machine done --autostop ${AUTOSTOP}s --autodown
sleep 2  # the pull must list a whole second after up's push wrote (the watcher compares whole seconds)
expect 0 pull done  # everything on done is home
up_machine ad --autostop ${AUTOSTOP}s --autodown
ssh_machine "$(ip_of ad)" "${ID[ad]}" 'echo fresh >~/work/ad/result.txt'

# The shutdown behaviour stays stop; the terminate URL lives in a 0600 file, never in replies.
for name in ad cap; do
  assert_eq "$(aws_sbx ec2 describe-instance-attribute --instance-id "${ID[$name]}" \
    --attribute instanceInitiatedShutdownBehavior | jq -r .InstanceInitiatedShutdownBehavior.Value)" \
    stop "shutdown behaviour of $name"
done
self="$(home_of "${ID[cap]}")/.gpunb/self.json"
assert_eq "$(stat -c %a "$self")" 600 "mode of self.json"
jq -e '.terminate | test("Action=TerminateInstances.*X-Amz-Signature=")' "$self" >/dev/null \
  || fail "no presigned TerminateInstances URL in self.json"
expect 0 autostop cap --json
assert_eq "$(jq -r .settings.max_running_s "$WORK/out")" 108 "cap's max_running_s"
if grep -q 'X-Amz-Signature' "$WORK/out" "$(home_of "${ID[cap]}")/.gpunb/watch.json"; then
  fail "a presigned URL leaked into the watch settings or a reply"
fi
pass "--autodown keeps InstanceInitiatedShutdownBehavior=stop; its terminate URL is in a 0600 file only"

# ls shows the cap and the time left.
expect 0 ls --json
assert_eq "$(jq -r '.[] | select(.name == "cap") | .max_hours' "$WORK/out")" 0.03 "cap's max_hours"
left=$(jq -r '.[] | select(.name == "cap") | .max_hours_left_seconds' "$WORK/out")
[ "$left" -ge 0 ] && [ "$left" -le 108 ] || fail "cap's time left: $left"
assert_eq "$(jq -r '.[] | select(.name == "ad") | .max_hours' "$WORK/out")" null "ad has no cap"
expect 0 ls
grep -qE '^cap .*cap 1m \([0-9]+[sm] left\)' "$WORK/out" || fail "ls does not show the cap: $(cat "$WORK/out")"
pass "ls shows the cap (max-hours 0.03 = 108 s) and the time left ($left s)"
for name in ad done cap; do expect 0 disconnect $name; done

# Unpulled work: the machine is stopped, disk kept, not left running (nor terminated).
wait_until 90 is_state "${ID[ad]}" stopped
[ -f "$(home_of "${ID[ad]}")/work/ad/result.txt" ] || fail "the stopped machine lost the unpulled file"
assert_grep 'autodown: (result.txt changed after the last pull|~/work/ad was never pulled whole); stopping' \
  <(agent_log "${ID[ad]}")
assert_grep 'stopping now \(autodown: kept for the next pull\)' <(agent_log "${ID[ad]}")
pass "--autodown with unpulled changes stopped the machine (disk kept) instead of leaving it running"
expect 0 ls
grep -qE '^ad +stopped \(autodown\)' "$WORK/out" || fail "ls does not say why ad stopped: $(cat "$WORK/out")"
expect 0 ls --json
assert_eq "$(jq -r '.[] | select(.name == "ad") | .stopped_by' "$WORK/out")" autodown "ad's stopped_by"
pass "ls says 'stopped (autodown)'"

# Everything pulled: the machine terminates itself through its presigned URL.
wait_until 90 gone_or "${ID[done]}" shutting-down terminated
# gpunb itself has terminated nothing yet: the one TerminateInstances call is the machine's own,
# signed by its presigned URL (and checked by the sandbox as EC2 would).
assert_eq "$(calls_of TerminateInstances)" 1 "TerminateInstances calls"
sbx calls | jq -e '[.[] | select(.action == "TerminateInstances" and .status == 200)] | length == 1' \
  >/dev/null || fail "the machine's TerminateInstances call was refused"
pass "--autodown with the work pulled terminated the machine by its presigned URL"

# The next pull starts the stopped machine, pulls, then terminates it (no terminal: no question).
expect 0 pull ad
[ -f "$WS/result.txt" ] || fail "the pull did not bring result.txt"
assert_grep 'stopped by autodown with work not pulled yet' "$WORK/err"
assert_grep 'ad terminated \(autodown: its work is pulled\)' "$WORK/err"
wait_until 30 is_state "${ID[ad]}" terminated
[ ! -d "$WORK/sandbox/instances/${ID[ad]}/home" ] || fail "the terminated machine kept its home"
pass "the next pull started it, brought result.txt home, then terminated it"

# The cap stops the busy machine, and ls says why.
wait_until 150 is_state "${ID[cap]}" stopped
assert_grep 'running since .* \(max-hours 108 s\): stopping now' <(agent_log "${ID[cap]}")
assert_grep 'busy \(gpu 80%\)' <(agent_log "${ID[cap]}")
expect 0 ls
grep -qE '^cap +stopped \(max-hours\)' "$WORK/out" || fail "ls does not say why cap stopped: $(cat "$WORK/out")"
pass "--max-hours stopped a busy machine (gpu 80%) at the cap; ls says 'stopped (max-hours)'"
expect 0 start cap --no-connect
expect 0 ls --json
assert_eq "$(jq -r '.[] | select(.name == "cap") | .stopped_by' "$WORK/out")" null "cap's stopped_by after a start"
pass "a start forgets why the watcher stopped it"

# An SSH box cannot be stopped by gpunb: --max-hours is refused before anything happens.
expect 2 up box --host ubuntu@192.0.2.10 --max-hours 2 --no-connect
assert_grep 'max-hours needs a machine gpunb can stop' "$WORK/err"
[ "$(wc -l <"$WORK/err")" -le 1 ] || fail "more than one line of error: $(cat "$WORK/err")"
expect 0 ls --json
assert_eq "$(jq -r '[.[] | select(.name == "box")] | length' "$WORK/out")" 0 "box in the ledger"
expect 2 up cap2 --max-hours 721 --no-connect
expect 2 up cap2 --max-hours 0.001 --no-connect
pass "--max-hours refused on an SSH box (exit 2, one line, nothing recorded) and outside 0.01-720"
finish
