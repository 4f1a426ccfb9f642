#!/usr/bin/env bash
# Latency of small HTTP requests through gpunb's tunnel against OpenSSH's `ssh -N -L`, on the same
# plain test host (sandbox/testhost.py) and the same server: both tunnels reach the one Jupyter
# process on the host, whose GET /gpunb-bench/ping answers "ok" (bench/gpunb_bench_ext.py). Each
# measurement: N sequential requests over one keep-alive connection (bench/hostbench.py latency),
# median per request; RUNS alternating measurements, median of their medians.
# Goal: gpunb / ssh <= 1.1.
# If gpunb's half cannot run, the OpenSSH half still runs on a Jupyter started by hand, the reason
# is printed, and the script exits 3.
source "$(dirname "$0")/lib_hosts.sh"
RUNS=${RUNS:-3}
N=${N:-1000}

bench_jupyter_setup
for _ in $(seq 100); do
  ip netns exec "$HOST_NS" curl -sf -o /dev/null "http://127.0.0.1:$RPORT/gpunb-bench/ping" && break
  sleep 0.1
done

# lat URL: median ms per request over N requests on one connection
lat() { BENCH_URL=$1 $PY "$HOSTBENCH" latency --path gpunb-bench/ping --n "$N" | jq -r .median_ms; }

direct=$(BENCH_URL="http://127.0.0.1:$RPORT/" ip netns exec "$HOST_NS" $PY "$HOSTBENCH" latency \
  --path gpunb-bench/ping --n "$N" | jq -r .median_ms)
P_SSH=$(free_port); ssh_tunnel "$P_SSH" "$RPORT"
for run in $(seq "$RUNS"); do
  lat "http://127.0.0.1:$P_SSH/" >>"$WORK/ssh.ms"
  if [ -z "$GPUNB_FAILED" ]; then lat "http://127.0.0.1:$GPUNB_PORT/" >>"$WORK/gpunb.ms"; fi
  log "run $run: ssh $(tail -1 "$WORK/ssh.ms") ms$([ -z "$GPUNB_FAILED" ] && echo ", gpunb $(tail -1 "$WORK/gpunb.ms") ms")"
done
ssh_med=$(median <"$WORK/ssh.ms")

echo "machine: $(machine_line)"
echo "$N sequential GETs on one keep-alive connection, the same Jupyter handler, median per request (median of $RUNS)"
echo "direct, inside the host (no tunnel): ${direct} ms"
echo "ssh -N -L:                           ${ssh_med} ms"
if [ -n "$GPUNB_FAILED" ]; then
  report_gpunb_failure
  exit 3
fi
ours=$(median <"$WORK/gpunb.ms")
echo "gpunb tunnel:                        ${ours} ms"
echo "ratio gpunb/ssh: $(ratio "$ours" "$ssh_med") (goal <= 1.1)"
