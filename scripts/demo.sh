#!/usr/bin/env bash
# The main job on the built-in sandbox cloud: a GPU machine up, listed, reached over SSH,
# stopped, started and terminated. Needs root (the sandbox makes network namespaces).
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d /tmp/gpunb-demo.XXXXXX)
SANDBOX_PID=""
cleanup() {
  [ -n "$SANDBOX_PID" ] && kill -TERM "$SANDBOX_PID" 2>/dev/null && wait "$SANDBOX_PID" 2>/dev/null
  rm -rf "$WORK"
}
trap cleanup EXIT

step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }

/usr/bin/python3 "$ROOT/sandbox/sandboxd.py" --state-dir "$WORK/sandbox" >"$WORK/ready" 2>"$WORK/sandbox.log" &
SANDBOX_PID=$!
for _ in $(seq 100); do grep -qs '^READY ' "$WORK/ready" && break; sleep 0.1; done
endpoint=$(sed -n 's/^READY //p' "$WORK/ready")
[ -n "$endpoint" ] || { echo "the sandbox cloud did not start; see $WORK/sandbox.log" >&2; exit 1; }

# The sandbox's default test credentials (not secrets), and a private HOME for this demo.
export AWS_ACCESS_KEY_ID=AKIDSANDBOX00000000
export AWS_SECRET_ACCESS_KEY=sandbox/SecretAccessKey/0000000000000000
export AWS_ENDPOINT_URL_EC2=$endpoint AWS_REGION=us-east-1
export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config XDG_STATE_HOME=$WORK/home/.local/state
export GPUNB_SSH_CIDR=$(curl -sf "$endpoint/_sandbox/info" | jq -r .caller_cidr)
export PATH=$ROOT/build:$PATH
echo "sandbox cloud at $endpoint; SSH allowed from $GPUNB_SSH_CIDR"

mkdir -p "$WORK/notebooks" && cd "$WORK/notebooks"
cat >hello.ipynb <<'NB'
{"cells": [{"cell_type": "code", "execution_count": null, "id": "c1", "metadata": {}, "outputs": [],
  "source": "import platform; print('hello from', platform.node())"}],
 "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
NB
step gpunb up demo --type g5.xlarge --detach --no-browser | tee "$WORK/up.out"
url=$(sed -n 's/^Jupyter: //p' "$WORK/up.out")
echo "Jupyter answers through the tunnel: $(curl -sf -H "Authorization: token ${url##*token=}" "${url%%\?*}api/contents" | jq -r '[.content[].name] | join(", ")')"
step gpunb ls
ip=$(gpunb ls --json | jq -r '.[0].public_ip')
curl -sf "$endpoint/_sandbox/instances" | jq -r --arg ip "$ip" '.[0] | "\($ip) \(.host_public_keys.ed25519)"' >"$WORK/known_hosts"
step ssh -i "$XDG_CONFIG_HOME/gpunb/keys/id_ed25519" -o StrictHostKeyChecking=yes \
  -o UserKnownHostsFile="$WORK/known_hosts" "ubuntu@$ip" 'echo "hello from $(hostname): $(tmux -V), jupyter $(jupyter --version | grep -m1 server)"'
echo "print(1 + 1)" >"$(curl -sf "$endpoint/_sandbox/instances" | jq -r ".[0].home_dir")/work/demo/made_remotely.py"
step gpunb stop demo
step ls "$WORK/notebooks"
step gpunb start demo
step gpunb down demo --yes
step gpunb ls --all
echo
echo "demo done: the sandbox cloud is cleaned up on exit"
