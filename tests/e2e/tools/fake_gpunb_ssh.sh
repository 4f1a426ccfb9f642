#!/usr/bin/env bash
# A stand-in for `gpunb` with the ssh provider, made of OpenSSH, to exercise the gpunb halves of
# bench/tunnel_*.sh and bench/connect_vs_manual.sh before gpunb implements them:
#   GPUNB_BIN=tests/e2e/tools/fake_gpunb_ssh.sh bench/tunnel_latency.sh
# Implements only `up NAME --host USER@ADDR[:PORT] --no-browser` (foreground until SIGINT/SIGTERM:
# Jupyter in tmux on the host, token on ssh's stdin, `ssh -N -L`, prints the `Jupyter: URL` line),
# `up --help` and `disconnect NAME` (no-op). Key: $XDG_CONFIG_HOME/gpunb/keys/id_ed25519; host keys
# trusted on first use in $XDG_STATE_HOME/fake-gpunb/known_hosts. Numbers it gives are OpenSSH's.
set -euo pipefail
case "${1:-}" in
  disconnect) exit 0 ;;
  up) shift ;;
  *) echo "fake gpunb: only up/disconnect" >&2; exit 2 ;;
esac
if [ "${1:-}" = --help ]; then echo "Usage: gpunb up NAME --host USER@ADDRESS[:PORT] --no-browser"; exit 0; fi
name=$1; shift
host=""
while [ $# -gt 0 ]; do
  case "$1" in --host) host=$2; shift 2 ;; --no-browser) shift ;; *) echo "fake gpunb: unknown $1" >&2; exit 2 ;; esac
done
[ -n "$host" ] || { echo "fake gpunb: --host needed" >&2; exit 2; }
port=22; target=${host%%:*}; [ "$target" != "$host" ] && port=${host##*:}
state=$XDG_STATE_HOME/fake-gpunb; mkdir -p "$state"
opts=(-F /dev/null -i "$XDG_CONFIG_HOME/gpunb/keys/id_ed25519" -o IdentitiesOnly=yes -p "$port"
  -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile="$state/known_hosts" -o BatchMode=yes -o LogLevel=ERROR)
token=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
rport=8899
printf '%s\n' "$token" | ssh "${opts[@]}" "$target" "umask 077; cat > ~/.fake-token; tmux new-session -d -s gpunb-$name \
'export JUPYTER_TOKEN=\$(cat ~/.fake-token); rm -f ~/.fake-token; exec jupyter server --no-browser --ip=127.0.0.1 --port=$rport >~/fake-gpunb-jupyter.log 2>&1'"
lport=$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ssh "${opts[@]}" -N -o ExitOnForwardFailure=yes -L "127.0.0.1:$lport:127.0.0.1:$rport" "$target" </dev/null &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; exit 130' INT TERM
for _ in $(seq 200); do
  if curl -sf -o /dev/null -H @- "http://127.0.0.1:$lport/api/status" <<<"Authorization: token $token"; then break; fi
  sleep 0.05
done
echo "Jupyter: http://127.0.0.1:$lport/?token=$token"
wait $pid
