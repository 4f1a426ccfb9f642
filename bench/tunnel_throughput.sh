#!/usr/bin/env bash
# 1 GiB through gpunb's tunnel against OpenSSH's `ssh -N -L` (default ciphers, and aes128-gcm), on the
# same plain test host (sandbox/testhost.py) and the same server: gpunb's tunnel reaches Jupyter's
# port on the host, so both tunnels fetch GET /gpunb-bench/blob from that one Jupyter process
# (bench/gpunb_bench_ext.py, 1 GiB of zeros written from memory). Runs alternate; medians of RUNS.
# Goal: gpunb / ssh (default) >= 0.9.
# If gpunb's half cannot run (not built, no ssh provider yet, failure), the OpenSSH half still runs
# on a Jupyter started by hand, the reason is printed, and the script exits 3.
source "$(dirname "$0")/lib_hosts.sh"
RUNS=${RUNS:-3}
BYTES=${BYTES:-1073741824}

bench_jupyter_setup

# ceiling: the same server with no tunnel, from inside the host's namespace
wait_direct() {
  local i
  for i in $(seq 100); do
    ip netns exec "$HOST_NS" curl -sf -o /dev/null "http://127.0.0.1:$RPORT/gpunb-bench/ping" && return 0
    sleep 0.1
  done
  die "Jupyter on the host's port $RPORT does not answer (see $HOST_HOME/jupyter.log)"
}
wait_direct

# fetch PORT: one transfer, prints MB/s (10^6 bytes/s); dies if short
fetch() {
  local r
  r=$(curl -s -o /dev/null -w '%{http_code} %{size_download} %{speed_download}' \
    "http://127.0.0.1:$1/gpunb-bench/blob?bytes=$BYTES")
  set -- $r
  [ "$1" = 200 ] && [ "$2" = "$BYTES" ] || die "transfer got HTTP $1, $2 bytes of $BYTES"
  awk -v s="$3" 'BEGIN { printf "%.1f", s / 1e6 }'
}

direct=$(ip netns exec "$HOST_NS" curl -s -o /dev/null -w '%{speed_download}' \
  "http://127.0.0.1:$RPORT/gpunb-bench/blob?bytes=$BYTES" | awk '{ printf "%.1f", $1 / 1e6 }')

P_DEF=$(free_port); ssh_tunnel "$P_DEF" "$RPORT"
P_AES=$(free_port); ssh_tunnel "$P_AES" "$RPORT" -c aes128-gcm@openssh.com
for run in $(seq "$RUNS"); do
  fetch "$P_DEF" >>"$WORK/ssh.mbs"; echo >>"$WORK/ssh.mbs"
  fetch "$P_AES" >>"$WORK/aes.mbs"; echo >>"$WORK/aes.mbs"
  if [ -z "$GPUNB_FAILED" ]; then fetch "$GPUNB_PORT" >>"$WORK/gpunb.mbs"; echo >>"$WORK/gpunb.mbs"; fi
  log "run $run: ssh $(tail -1 "$WORK/ssh.mbs") MB/s, ssh aes128-gcm $(tail -1 "$WORK/aes.mbs") MB/s$([ -z "$GPUNB_FAILED" ] && echo ", gpunb $(tail -1 "$WORK/gpunb.mbs") MB/s")"
done
ssh_med=$(median <"$WORK/ssh.mbs")
aes_med=$(median <"$WORK/aes.mbs")
cipher=$(ssh -G -F /dev/null x 2>/dev/null | awk '/^ciphers / { split($2, c, ","); print c[1] }')

echo "machine: $(machine_line)"
echo "1 GiB from a plain test host over its veth, the same Jupyter process serving, median of $RUNS"
echo "server ceiling (inside the host):   ${direct} MB/s"
echo "ssh -N -L (default: $cipher):  ${ssh_med} MB/s"
echo "ssh -N -L -c aes128-gcm@openssh.com: ${aes_med} MB/s"
if [ -n "$GPUNB_FAILED" ]; then
  report_gpunb_failure
  exit 3
fi
ours=$(median <"$WORK/gpunb.mbs")
echo "gpunb tunnel:                       ${ours} MB/s"
echo "ratio gpunb/ssh(default): $(ratio "$ours" "$ssh_med") (goal >= 0.9)"
echo "ratio gpunb/ssh(aes128-gcm): $(ratio "$ours" "$aes_med")"
