#!/usr/bin/env bash
# Recovery of gpunb's tunnel after a network outage: the test host's link (sandbox/testhost.py,
# `ctl link down/up`) is cut for OUTAGE_S seconds, then restored; measured: time from the restore
# until Jupyter's URL answers again through the tunnel. A client keeps trying all along, as a
# browser tab does: a new GET /api/status every 100 ms, each allowed to wait 30 s
# (bench/hostbench.py recovery). Median of RUNS cuts. Goal: gpunb <= 3 s.
# For reference, the same measurement through a plain `ssh -N -L` (no keepalives, as shipped), whose
# TCP connection survives a short cut; once it dies, nothing reconnects it, and autossh, the usual
# remedy, polls every 600 s by default (AUTOSSH_POLL).
# If gpunb's half cannot run, the OpenSSH half still runs, the reason is printed, exit status 3.
source "$(dirname "$0")/lib_hosts.sh"
RUNS=${RUNS:-3}
OUTAGE_S=${OUTAGE_S:-10}

setup_gpunb_home
start_testhost
log "test host $HOST_USER@$HOST_ADDR (netns $HOST_NS)"

# cut_and_measure URL_VAR_VALUE: one outage; prints the seconds until the URL answered again
cut_and_measure() {
  local url=$1 up_file=$WORK/up.$RANDOM out
  BENCH_URL=$url $PY "$HOSTBENCH" wait --path api/status --timeout 30 >/dev/null || die "the URL does not answer before the cut"
  BENCH_URL=$url $PY "$HOSTBENCH" recovery --path api/status --up-file "$up_file" --timeout $((OUTAGE_S + 90)) \
    >"$WORK/recovery.out" &
  local probe=$!
  host_ctl link down
  sleep "$OUTAGE_S"
  host_ctl link up
  date +%s.%N >"$up_file"
  wait "$probe" || true
  out=$(jq -r '.seconds // empty' "$WORK/recovery.out")
  echo "${out:-timeout}"
}

MANUAL_PORT=8888
start_manual_jupyter "$MANUAL_PORT"
P_SSH=$(free_port); ssh_tunnel "$P_SSH" "$MANUAL_PORT"
SSH_URL="http://127.0.0.1:$P_SSH/?token=$MANUAL_TOKEN"
BENCH_URL=$SSH_URL $PY "$HOSTBENCH" wait --path api/status --timeout 60 >/dev/null || die "Jupyter by hand does not answer"

gpunb_up bench || log "gpunb: $GPUNB_FAILED"
for run in $(seq "$RUNS"); do
  s=$(cut_and_measure "$SSH_URL")
  echo "$s" >>"$WORK/ssh.s"
  kill -0 "$SSH_TUNNEL_PID" 2>/dev/null || log "note: ssh -N -L died in the outage"
  if [ -z "$GPUNB_FAILED" ]; then
    g=$(cut_and_measure "$GPUNB_URL"); echo "$g" >>"$WORK/gpunb.s"
  fi
  log "run $run: ssh -N -L ${s} s$([ -z "$GPUNB_FAILED" ] && echo ", gpunb ${g} s")"
done
med() { grep -v timeout "$1" | median; }
ssh_med=$(med "$WORK/ssh.s")

echo "machine: $(machine_line)"
echo "link cut for ${OUTAGE_S} s, then restored; time until the URL answers again (median of $RUNS)"
echo "ssh -N -L (its TCP connection survives):  ${ssh_med:-timeout} s ($(grep -c timeout "$WORK/ssh.s" || true) of $RUNS timed out)"
echo "note: a dead ssh -N -L stays dead; autossh's default poll (AUTOSSH_POLL) is 600 s"
if [ -n "$GPUNB_FAILED" ]; then
  report_gpunb_failure
  exit 3
fi
ours=$(med "$WORK/gpunb.s")
echo "gpunb tunnel:                             ${ours:-timeout} s ($(grep -c timeout "$WORK/gpunb.s" || true) of $RUNS timed out)"
echo "goal: gpunb <= 3 s: $(awk -v a="${ours:-999}" 'BEGIN { print (a <= 3) ? "met" : "NOT met" }')"
