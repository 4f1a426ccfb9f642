#!/usr/bin/env bash
# Autostop (issue 6, parts 1-2) on sandbox machines with short windows: the machine's own watcher
# stops an idle machine with the laptop disconnected, and keeps a busy one (a running cell, GPU
# load, a transfer) alive; an idle open tunnel does not count; `autostop off` and a reboot are
# honoured (--autodown and --max-hours: test_autodown.sh); a spot notice makes the
# agent checkpoint the open notebooks; a foreground tunnel counts down the last 5 minutes.
# Independent cases run side by side on their own machines.
source "$(dirname "$0")/lib.sh"
start_sandbox --delay-scale 0.2
BG_PIDS=()  # this suite's own background processes, ended by PID
trap 'for p in "${BG_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; cleanup' EXIT
BRIDGE_IP=$(sbx info | jq -r .caller_cidr | cut -d/ -f1)
mkdir -p "$WORK/srv"
export GPUNB_AUTOSTOP_WINDOW=5s GPUNB_AUTOSTOP_INTERVAL=1s
AUTOSTOP=20
echo '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}' >"$WS/nb.ipynb"
echo "data" >"$WS/data.txt"

id_of() { machine_json "$1" | jq -r .id; }
ip_of() { machine_json "$1" | jq -r .public_ip; }
state_of() { instance_field "$1" state; }
sysdir() { echo "$WORK/sandbox/instances/$1/sys"; }
agent_log() { cat "$(instance_field "$1" home_dir)/.gpunb/agent.log" 2>/dev/null || true; }
is_state() { [ "$(state_of "$1")" = "$2" ]; }
gone_or() { local s; s=$(state_of "$1"); [ "$s" = "$2" ] || [ "$s" = "${3:-$2}" ]; }
since() { echo $(( SECONDS - $1 )); }
past() { [ $((SECONDS - $1)) -ge "$2" ]; }  # past T0 SECONDS: evaluated anew at each poll
# Seconds from the watcher's "idle since T" to its "stopping now" line, by agent.log's clock.
idle_to_stop() {
  local line at idle
  line=$(agent_log "$1" | grep -E 'watch: idle since .*: (stopping|terminating) now' | tail -1)
  at=${line%% *}
  idle=$(sed -E 's/.*idle since ([^ ]+) .*/\1/' <<<"$line")
  echo $(( $(date -d "$at" +%s) - $(date -d "$idle" +%s) )) "$(date -d "$idle" +%s)"
}
# check_stop_time ID [NOT_BEFORE]: the watcher stopped it within autostop + one sampling interval
# (1 s, plus 1 s for the log's whole seconds) of going idle, not before; idle from NOT_BEFORE on.
check_stop_time() {
  local since_epoch
  read -r idle_s since_epoch <<<"$(idle_to_stop "$1")"
  [ "$idle_s" -ge "$AUTOSTOP" ] && [ "$idle_s" -le $((AUTOSTOP + 1 + 1)) ] \
    || fail "$1: the watcher stopped it after ${idle_s}s idle (autostop ${AUTOSTOP}s, sampling 1s)"
  [ "$since_epoch" -ge "${2:-0}" ] || fail "$1: idle since $since_epoch, before ${2:-0}"
}

# up NAME ARGS...: a machine with its tunnel in the background; records its id and start time.
declare -A ID T0
up_machine() {
  local name=$1; shift
  expect 0 up "$name" --detach --no-browser "$@"
  ID[$name]=$(id_of "$name")
  T0[$name]=$SECONDS
}

up_machine tun --autostop ${AUTOSTOP}s
up_machine idle --autostop ${AUTOSTOP}s
expect 0 disconnect idle
# The cell's machine gets its short autostop once the cell runs: how long a kernel takes to
# start on a loaded host is not what this checks (the default 10 min window covers that).
up_machine cell
URL_CELL=$(sed -n 's/^Jupyter: //p' "$WORK/out")
JUPYTER_URL="$URL_CELL" /usr/bin/python3 "$ROOT/tests/e2e/tools/kernel.py" --timeout 300 \
  --code $'import time\nfor _ in range(180):\n    time.sleep(1)' >"$WORK/cell.json" 2>&1 &
CELL_PID=$!
BG_PIDS+=("$CELL_PID")
cell_seen() { agent_log "${ID[cell]}" | grep -q 'busy (kernel executing'; }
cell_gone() { ! kill -0 "$CELL_PID" 2>/dev/null; }
# A kernel's first start on a loaded 2-core host has taken over 90 s in CI; the client's own
# timeout (300 s) bounds the wait, and a client that gave up says why instead of a bare timeout.
wait_until 280 eval 'cell_seen || cell_gone'
cell_seen || fail "the cell never ran in the kernel: $(tr -d '\n' <"$WORK/cell.json" | sed 's/token=[^&" ]*/token=***/g' | cut -c1-300)"
expect 0 autostop cell ${AUTOSTOP}s
T0[cell]=$SECONDS
up_machine gpu --autostop ${AUTOSTOP}s --type g5.xlarge
echo 80 >"$(sysdir "${ID[gpu]}")/gpu/util"
expect 0 disconnect gpu
up_machine xfer --autostop ${AUTOSTOP}s
expect 0 disconnect xfer
# A detached fetch (gpunb-agent fetch-run) of a file served slowly from this side of the bridge
# (not over the machine's loopback, so only the transfer itself can count as busy): ~45 s.
head -c 4500000 /dev/urandom >"$WORK/srv/slow.bin"
/usr/bin/python3 "$ROOT/tests/tools/http_origin.py" --dir "$WORK/srv" --bind "$BRIDGE_IP" --port 0 \
  --rate 100KB >"$WORK/origin.out" 2>"$WORK/origin.err" &
ORIGIN_PID=$!
BG_PIDS+=("$ORIGIN_PID")
wait_until 30 grep -qs '^READY ' "$WORK/origin.out"
ORIGIN_URL="http://$BRIDGE_IP:$(sed -n 's/^READY //p' "$WORK/origin.out")"
expect 0 fetch xfer "$ORIGIN_URL/slow.bin" --to slow --connections 1 --detach
up_machine off --autostop ${AUTOSTOP}s
expect 0 autostop off off
assert_grep 'autostop off' "$WORK/out"
expect 0 disconnect off
pass "6 machines up with autostop ${AUTOSTOP}s (window 5 s, sampling 1 s)"

# The ledger records each machine's setting as an "autostop" event (minutes, rounded up; 0 = off).
autostop_event() {
  sqlite3 "$XDG_STATE_HOME/gpunb/ledger.db" \
    "SELECT detail FROM events WHERE machine = '$1' AND kind = 'autostop' ORDER BY id DESC LIMIT 1"
}
assert_eq "$(autostop_event idle)" 1 "idle's autostop event"
assert_eq "$(autostop_event off)" 0 "off's autostop event after \`autostop off\`"
pass "the ledger records the autostop setting (up: 1 min, autostop off: 0)"

# The idle machine, laptop disconnected since `up`: stopped within autostop + one interval.
wait_until 60 gone_or "${ID[idle]}" stopping stopped
check_stop_time "${ID[idle]}"
pass "idle machine (laptop disconnected) stopped ${idle_s}s after going idle"
wait_until 20 is_state "${ID[idle]}" stopped
home=$(instance_field "${ID[idle]}" home_dir)
[ -f "$home/work/idle/nb.ipynb" ] || fail "the stopped machine's home lost the workspace"
assert_grep 'watch: idle since .*: stopping now' <(agent_log "${ID[idle]}")
assert_grep 'sudo -n shutdown -h now accepted' <(agent_log "${ID[idle]}")
pass "sandbox shows it stopped, home intact; agent.log says why and when"

wait_until 30 gone_or "${ID[tun]}" stopping stopped
check_stop_time "${ID[tun]}"
[ -e "$XDG_STATE_HOME/gpunb/tunnels/tun.json" ] || fail "the tunnel record of tun is gone"
pass "an idle open tunnel did not keep its machine alive ($(since "${T0[tun]}")s)"

# Past the window, the busy ones still run.
# This point can come late on a slow host; once the cell has ended, its stop is checked at the end.
wait_until 60 past "${T0[cell]}" $((AUTOSTOP + 8))
if kill -0 "$CELL_PID" 2>/dev/null; then
  is_state "${ID[cell]}" running \
    || fail "the machine running a cell was stopped: $(agent_log "${ID[cell]}" | tail -5)"
fi
pass "a cell running a 3-minute loop kept its machine alive past the ${AUTOSTOP}s window"
wait_until 60 past "${T0[gpu]}" $((AUTOSTOP + 8))
is_state "${ID[gpu]}" running || fail "the machine with GPU load was stopped"
assert_grep 'busy \(gpu 80%\)' <(agent_log "${ID[gpu]}")
pass "GPU utilization 80% (no kernel) kept its machine alive"
# `autostop NAME` asks the watcher and keeps its report: `ls` then says busy, not the setting.
expect 0 autostop gpu
expect 0 ls --json
assert_eq "$(jq -r '.[] | select(.name == "gpu") | .watch.busy' "$WORK/out")" true "gpu busy in ls"
jq -e '.[] | select(.name == "gpu") | .watch.reasons | index("gpu 80%")' "$WORK/out" >/dev/null \
  || fail "ls does not say why gpu is busy: $(cat "$WORK/out")"
expect 0 ls
grep -qE '^gpu .* busy$' "$WORK/out" || fail "ls's AUTOSTOP column does not say busy: $(cat "$WORK/out")"
pass "ls shows the machine busy (gpu 80%), as its watcher said"
echo 0 >"$(sysdir "${ID[gpu]}")/gpu/util"  # the GPU goes idle: its stop is checked below
T_GPU=$(( $(date +%s) - 1 ))
wait_until 60 past "${T0[xfer]}" $((AUTOSTOP + 8))
is_state "${ID[xfer]}" running || fail "the machine with a running transfer was stopped"
assert_grep 'busy \(transfer running\)' <(agent_log "${ID[xfer]}")
ls "$(instance_field "${ID[xfer]}" home_dir)/.gpunb/transfers" | grep -q '^fetch-' \
  || fail "no fetch transfer mark while the fetch runs"
pass "a running fetch (gpunb-agent fetch-run) kept its machine alive"
wait_until 60 past "${T0[off]}" $((AUTOSTOP + 8))
is_state "${ID[off]}" running || fail "autostop off was not honoured"
pass "autostop off honoured"

# off -> 20s again, then a reboot: the watcher comes back by itself (crontab @reboot).
expect 0 autostop off ${AUTOSTOP}s --json
assert_eq "$(jq -r .armed "$WORK/out")" crontab "boot arming"
curl -sf -X POST "$SANDBOX_URL/_sandbox/instances/${ID[off]}/reboot" >/dev/null
T_REBOOT=$SECONDS
wait_until 60 gone_or "${ID[off]}" stopping stopped
assert_grep 'boot: ubuntu: .*gpunb-agent.* watch' "$(sysdir "${ID[off]}")/boot.log"
pass "after a reboot the watcher was re-armed at boot and stopped the machine ($(since "$T_REBOOT")s)"

wait_until 60 gone_or "${ID[gpu]}" stopping stopped
check_stop_time "${ID[gpu]}" "$T_GPU"
pass "once the GPU went idle its machine stopped (${idle_s}s later)"
wait_until 60 gone_or "${ID[xfer]}" stopping stopped
cmp "$WORK/srv/slow.bin" "$(instance_field "${ID[xfer]}" home_dir)/work/xfer/slow/slow.bin" \
  || fail "the fetch did not finish before its machine stopped"
pass "the fetch ended; then its machine stopped ($(since "${T0[xfer]}")s)"

# Spot: a notice from the (fake) instance metadata service makes the agent checkpoint notebooks.
IMDS_PORT=18123
GPUNB_IMDS_ENDPOINT=http://127.0.0.1:$IMDS_PORT up_machine sp --spot  # no --autostop: 60 min
URL_SP=$(sed -n 's/^Jupyter: //p' "$WORK/out")
assert_eq "$(autostop_event sp)" 60 "the default autostop recorded for sp"
expect 0 autostop sp --json
assert_eq "$(jq -r .settings.autostop_s "$WORK/out")" 3600 "the default autostop on the machine"
assert_eq "$(jq -r .running "$WORK/out")" true "the watcher runs on sp"
pass "up without --autostop arms the watcher with the default 60 minutes"
ns=$(instance_field "${ID[sp]}" netns)
ip netns exec "$ns" /usr/bin/python3 "$ROOT/tests/e2e/tools/imds.py" $IMDS_PORT "$WORK/notice.json" \
  >"$WORK/imds.out" 2>"$WORK/imds.log" &
BG_PIDS+=($!)
wait_until 10 grep -q READY "$WORK/imds.out"
base=${URL_SP%%/\?*}; token=${URL_SP##*token=}
curl -sf -X POST -H "Authorization: token $token" -d '{"path": "nb.ipynb", "type": "notebook", "kernel": {"name": "python3"}}' \
  "$base/api/sessions" >/dev/null
echo '{"action": "terminate", "time": "2030-01-01T00:02:00Z"}' >"$WORK/notice.json"
spot_json="$(instance_field "${ID[sp]}" home_dir)/.gpunb/spot.json"
wait_until 30 test -s "$spot_json"
assert_eq "$(jq -r '.saved | join(",")' "$spot_json")" nb.ipynb "notebooks saved on the notice"
assert_eq "$(jq -r .notice.action "$spot_json")" terminate "the notice recorded"
[ -f "$(instance_field "${ID[sp]}" home_dir)/work/sp/.ipynb_checkpoints/nb-checkpoint.ipynb" ] \
  || fail "no checkpoint of nb.ipynb"
pass "a spot interruption notice made the agent checkpoint the open notebook (recorded in spot.json)"

# The background tunnel asks the watcher every 30 s; `ls` shows the time left from its report.
expect 0 autostop sp 4m
# idle by a sample taken under the new setting
sp_idle() { "$GPUNB_BIN" autostop sp --json 2>/dev/null \
  | jq -e '.state.busy == false and .state.now > .settings.configured_at' >/dev/null; }
wait_until 20 sp_idle  # past the 5 s activity window: idle, with 4 minutes to go
rm -f "$XDG_STATE_HOME/gpunb/watch/sp.json"  # kept by `autostop`: now only the tunnel can bring it back
sp_left() { "$GPUNB_BIN" ls --json 2>/dev/null | jq -r '.[] | select(.name == "sp") | .autostop_left_seconds'; }
sp_counting() { local left; left=$(sp_left); [ "$left" != null ] && [ "$left" -gt 0 ] && [ "$left" -le 240 ]; }
wait_until 40 sp_counting
expect 0 ls
grep -qE '^sp .* in [0-9]+m$' "$WORK/out" || fail "ls's AUTOSTOP column has no time left: $(cat "$WORK/out")"
pass "ls shows the time left until autostop ($(sp_left)s), from the background tunnel's report"

# A foreground tunnel (on a pty) counts down the last 5 minutes on its status line.
expect 0 disconnect sp
exec 7< <(sleep 120)  # script's stdin, open while the tunnel runs
BG_PIDS+=($!)
script -qfec "exec $GPUNB_BIN connect sp --no-browser" "$WORK/tty.txt" >/dev/null 2>&1 <&7 &
SCRIPT_PID=$!
BG_PIDS+=("$SCRIPT_PID")
countdown_shown() { grep -qsaE 'idle: autostop in [34]m [0-9]+s - Ctrl-C closes' "$WORK/tty.txt"; }
wait_until 30 countdown_shown
exited() { [ ! -e "/proc/$1" ] || grep -qs '^State:[[:space:]]*Z' "/proc/$1/status"; }
# SIGTERM (a background job ignores SIGINT): the tunnel, and its countdown, end at once.
for p in $(pgrep -P "$SCRIPT_PID"); do kill -TERM "$p" 2>/dev/null || true; done
wait_until 15 exited "$SCRIPT_PID"
wait "$SCRIPT_PID" || true
exec 7<&-
assert_grep 'Tunnel closed' "$WORK/tty.txt"
pass "the foreground tunnel's status line counts down: $(tr '\r' '\n' <"$WORK/tty.txt" | grep -ao 'autostop in [^-]*' | tail -1)"

# The 3-minute cell: its machine ran all along and stopped only once the loop had ended.
wait_until 240 gone_or "${ID[cell]}" stopping stopped
wait "$CELL_PID" || fail "the 3-minute cell did not finish: $(cat "$WORK/cell.json")"
# kernel.py writes its result line when the cell ends: idleness may not start before that.
check_stop_time "${ID[cell]}" $(( $(stat -c %Y "$WORK/cell.json") - 1 ))
pass "the cell finished; then its machine stopped (${idle_s}s after it went idle)"

# The idle machine stopped while gpunb was not looking: the ledger dates the stop from EC2's
# StateTransitionReason, not from when `ls` first saw it.
stop_line=$(agent_log "${ID[idle]}" | grep -E 'watch: idle since .*: stopping now' | tail -1)
stop_epoch=$(date -d "${stop_line%% *}" +%s)
stopped_at=$(sqlite3 "$XDG_STATE_HOME/gpunb/ledger.db" "SELECT time FROM events WHERE machine = 'idle' \
  AND kind = 'state' AND detail IN ('stopping', 'stopped') ORDER BY id LIMIT 1")
[ -n "$stopped_at" ] && [ $((stopped_at - stop_epoch)) -ge -1 ] && [ $((stopped_at - stop_epoch)) -le 3 ] \
  || fail "the ledger dates idle's stop at ${stopped_at:-nothing}, the watcher stopped it at $stop_epoch"
pass "the ledger dates the stop from EC2 ($((stopped_at - stop_epoch))s off the watcher's log), not from when gpunb next looked"

finish
