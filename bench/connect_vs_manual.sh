#!/usr/bin/env bash
# Time from "sshd accepting" to "Jupyter's URL answering" on a fresh plain test host
# (sandbox/testhost.py; Debian's jupyter, run as the host's user `ubuntu`):
#   gpunb:  `gpunb up NAME --host ubuntu@ADDR --no-browser` (deploys its agent, starts Jupyter,
#           opens its tunnel), until the printed URL answers GET /api/status (200, with the token);
#   manual: the minimal script a careful user would write (manual_connect below): one ssh that
#           starts `jupyter notebook` in tmux with a fresh token sent on ssh's stdin, then `ssh -N -L`,
#           then polling the URL the same way.
# Each run uses a new test host and a new gpunb home (so nothing is reused); runs alternate.
# Goal: gpunb / manual <= 1.2 (medians of RUNS).
# If gpunb's half cannot run, the manual half still runs, the reason is printed, exit status 3.
source "$(dirname "$0")/lib_hosts.sh"
RUNS=${RUNS:-3}
REMOTE_PORT=8888

elapsed_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }

# The baseline, by hand: start Jupyter in tmux (token on stdin), forward a port, poll.
manual_connect() {
  local lport
  start_manual_jupyter "$REMOTE_PORT"
  lport=$(free_port)
  ssh_tunnel "$lport" "$REMOTE_PORT"
  BENCH_URL="http://127.0.0.1:$lport/?token=$MANUAL_TOKEN" $PY "$HOSTBENCH" wait --path api/status --timeout 60 >/dev/null
}

fresh_home() {  # a new gpunb home per run: no pinned host key, agent or state carried over
  WORK_RUN=$WORK/run-$1
  export HOME=$WORK_RUN/home
  unset XDG_CONFIG_HOME
  setup_gpunb_home
}

for run in $(seq "$RUNS"); do
  fresh_home "m$run"
  start_testhost
  t0=$TESTHOST_READY_NS
  manual_connect || die "the manual baseline failed (see $HOST_HOME/jupyter.log)"
  t1=$(now_ns)
  elapsed_s "$t0" "$t1" >>"$WORK/manual.s"; echo >>"$WORK/manual.s"
  stop_pid "$SSH_TUNNEL_PID"
  stop_testhost
  msg="run $run: manual $(tail -1 "$WORK/manual.s") s"

  if [ -z "$GPUNB_FAILED" ]; then
    fresh_home "g$run"
    start_testhost
    t0=$TESTHOST_READY_NS
    if gpunb_up "bench$run"; then
      t1=$(now_ns)
      elapsed_s "$t0" "$t1" >>"$WORK/gpunb.s"; echo >>"$WORK/gpunb.s"
      msg="$msg, gpunb $(tail -1 "$WORK/gpunb.s") s"
    fi
    stop_gpunb_up
    stop_testhost
  fi
  log "$msg"
done
manual=$(median <"$WORK/manual.s")

echo "machine: $(machine_line)"
echo "fresh test host each run: sshd accepting -> Jupyter URL answering /api/status (median of $RUNS)"
echo "manual (ssh + tmux jupyter notebook, ssh -N -L, poll): ${manual} s"
if [ -n "$GPUNB_FAILED" ]; then
  report_gpunb_failure
  exit 3
fi
ours=$(median <"$WORK/gpunb.s")
echo "gpunb up --host --no-browser:                        ${ours} s"
echo "ratio gpunb/manual: $(ratio "$ours" "$manual") (goal <= 1.2)"
