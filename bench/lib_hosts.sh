# Shared by the tunnel benchmarks (bench/tunnel_*.sh, bench/connect_vs_manual.sh): a plain test host
# from sandbox/testhost.py (network namespace + real sshd, no cloud), gpunb's key and config in a
# temp HOME, OpenSSH tunnels and Jupyter on the host, gpunb's `up --host` (the ssh provider).
# Only loopback and the test host's namespace are contacted. Secrets (Jupyter tokens) never go on a
# command line: they travel by stdin, environment or a 0600 file.
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
PY=/usr/bin/python3
HOSTBENCH=$ROOT/bench/hostbench.py
BG_PIDS=()          # our background processes (ssh tunnels, gpunb), ended by PID at exit
TESTHOST_PID=""
GPUNB_UP_PID=""
GPUNB_NAMES=()
GPUNB_FAILED=""     # why gpunb's half could not run, if it could not

hosts_cleanup() {
  local rc=$?
  set +e
  for name in "${GPUNB_NAMES[@]}"; do timeout 10 "$GPUNB_BIN" disconnect "$name" >/dev/null 2>&1 </dev/null; done
  stop_gpunb_up
  for ((i = ${#BG_PIDS[@]} - 1; i >= 0; i--)); do stop_pid "${BG_PIDS[i]}"; done
  stop_testhost
  # exit 3 = only gpunb's half failed (the reason was printed; BENCH_KEEP=1 keeps its logs)
  if [ "${BENCH_KEEP:-0}" = 1 ] || { [ $rc != 0 ] && [ $rc != 3 ]; }; then
    echo "kept $WORK" >&2
  else
    bench_cleanup
  fi
}
trap hosts_cleanup EXIT

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "bench: FAIL: $*" >&2; exit 1; }

stop_pid() {
  local pid=$1 i
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

free_port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() {  # wait_port PORT SECONDS
  local deadline=$((SECONDS + $2))
  until port_open "$1"; do [ $SECONDS -lt $deadline ] || return 1; sleep 0.05; done
}
new_token() { od -An -N24 -tx1 /dev/urandom | tr -d ' \n'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0 || a == "" || b == "") print "n/a"; else printf "%.3f", a / b }'; }

# gpunb's home: HOME, XDG dirs and its ed25519 key, made here (gpunb would make it on first use).
setup_gpunb_home() {
  export HOME=$WORK/home XDG_CONFIG_HOME=$WORK/home/.config XDG_STATE_HOME=$WORK/home/.local/state
  export XDG_CACHE_HOME=$WORK/home/.cache XDG_RUNTIME_DIR=$WORK/home/run
  mkdir -p "$HOME" "$XDG_STATE_HOME" "$XDG_CACHE_HOME"
  mkdir -p -m 700 "$XDG_CONFIG_HOME" "$XDG_CONFIG_HOME/gpunb" "$XDG_CONFIG_HOME/gpunb/keys" "$XDG_RUNTIME_DIR"
  KEY=$XDG_CONFIG_HOME/gpunb/keys/id_ed25519
  [ -f "$KEY" ] || ssh-keygen -q -t ed25519 -N '' -C gpunb-bench -f "$KEY"
}

# start_testhost: a fresh test host authorizing $KEY. Sets HOST_* and SSH_OPTS; TESTHOST_READY_NS is
# when it printed its line (sshd accepting).
start_testhost() {
  local n=$((${TESTHOST_SEQ:-0} + 1))
  TESTHOST_SEQ=$n
  HOST_STATE=$WORK/testhost-$n
  mkdir -p "$HOST_STATE"
  $PY "$ROOT/sandbox/testhost.py" up --state-dir "$HOST_STATE/state" --authorized-key "$KEY.pub" \
    >"$HOST_STATE/out" 2>"$HOST_STATE/err" &
  TESTHOST_PID=$!
  local deadline=$((SECONDS + 30))
  until [ -s "$HOST_STATE/out" ]; do
    kill -0 "$TESTHOST_PID" 2>/dev/null || die "testhost.py exited: $(tail -3 "$HOST_STATE/err")"
    [ $SECONDS -lt $deadline ] || die "testhost.py did not come up"
    sleep 0.02
  done
  TESTHOST_READY_NS=$(now_ns)
  HOST_ADDR=$(jq -r .address "$HOST_STATE/out")
  HOST_USER=$(jq -r .user "$HOST_STATE/out")
  HOST_NS=$(jq -r .netns "$HOST_STATE/out")
  HOST_HOME=$(jq -r .home "$HOST_STATE/out")
  HOST_CTL=(ctl --state-dir "$HOST_STATE/state")
  jq -r .known_hosts_line "$HOST_STATE/out" >"$HOST_STATE/known_hosts"
  # The user has reached this host before: its key is in their known_hosts, for ssh and for gpunb
  # (which fails closed on a key nothing vouches for).
  mkdir -p -m 700 "$HOME/.ssh" && cp "$HOST_STATE/known_hosts" "$HOME/.ssh/known_hosts"
  SSH_OPTS=(-F /dev/null -i "$KEY" -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes
    -o UserKnownHostsFile="$HOST_STATE/known_hosts" -o BatchMode=yes -o ConnectTimeout=10
    -o ControlMaster=no -o ControlPath=none -o LogLevel=ERROR)
}

stop_testhost() {
  [ -n "$TESTHOST_PID" ] || return 0
  kill -TERM "$TESTHOST_PID" 2>/dev/null || true
  wait "$TESTHOST_PID" 2>/dev/null || true
  TESTHOST_PID=""
}

host_ctl() { $PY "$ROOT/sandbox/testhost.py" "${HOST_CTL[@]}" "$@" >/dev/null; }
ssh_host() { ssh "${SSH_OPTS[@]}" "$HOST_USER@$HOST_ADDR" "$@"; }

# The benchmark endpoints (bench/gpunb_bench_ext.py) in every Jupyter the host's user starts.
install_bench_ext() {
  local d=$HOST_HOME/.jupyter owner
  owner=$(stat -c %u:%g "$HOST_HOME")
  mkdir -p "$d"
  cp "$ROOT/bench/gpunb_bench_ext.py" "$d/"
  local pre='import os, sys
sys.path.insert(0, os.path.join(os.path.expanduser("~"), ".jupyter"))'
  printf '%s\nc.ServerApp.jpserver_extensions.update({"gpunb_bench_ext": True})\n' "$pre" >"$d/jupyter_server_config.py"
  printf '%s\nc.NotebookApp.nbserver_extensions.update({"gpunb_bench_ext": True})\n' "$pre" >"$d/jupyter_notebook_config.py"
  chown -R "$owner" "$d"
}

# start_manual_jupyter PORT: Jupyter by hand, as a user would: `jupyter notebook` in tmux (the job this replaces, and what gpunb starts where there is no JupyterLab) on the host,
# the token sent on ssh's stdin (then only in Jupyter's environment). Sets MANUAL_TOKEN.
start_manual_jupyter() {
  local port=$1
  MANUAL_TOKEN=$(new_token)
  printf '%s\n' "$MANUAL_TOKEN" | ssh_host "umask 077; cat > ~/.bench-token; tmux new-session -d -s jupyter \
'export JUPYTER_TOKEN=\$(cat ~/.bench-token); rm -f ~/.bench-token; exec jupyter notebook --no-browser --ip=127.0.0.1 --port=$port >~/jupyter.log 2>&1'"
}

# ssh_tunnel LOCAL_PORT REMOTE_PORT [ssh options...]: `ssh -N -L` in the background. Sets SSH_TUNNEL_PID.
ssh_tunnel() {
  local lport=$1 rport=$2; shift 2
  ssh "${SSH_OPTS[@]}" "$@" -N -o ExitOnForwardFailure=yes -L "127.0.0.1:$lport:127.0.0.1:$rport" \
    "$HOST_USER@$HOST_ADDR" </dev/null 2>>"$WORK/ssh-tunnel.err" &
  SSH_TUNNEL_PID=$!
  BG_PIDS+=("$SSH_TUNNEL_PID")
  wait_port "$lport" 20 || die "ssh -L on port $lport did not come up: $(tail -2 "$WORK/ssh-tunnel.err")"
}

# gpunb_supported: sets GPUNB_FAILED when this gpunb cannot run the ssh provider at all.
gpunb_supported() {
  if [ ! -x "$GPUNB_BIN" ]; then
    GPUNB_FAILED="no gpunb binary at $GPUNB_BIN (build it first)"
  elif ! "$GPUNB_BIN" up --help 2>/dev/null </dev/null | grep -q -- '--host'; then
    GPUNB_FAILED="this gpunb has no \`up --host\` (the ssh provider is not implemented yet)"
  fi
  [ -z "$GPUNB_FAILED" ]
}

# gpunb_up NAME: `gpunb up NAME --host USER@ADDR --no-browser` in the background until it prints
# `Jupyter: http://127.0.0.1:PORT/?token=TOKEN` and that URL answers. Sets GPUNB_URL, GPUNB_PORT.
# On failure returns 1 with the reason in GPUNB_FAILED (the token redacted).
gpunb_up() {
  local name=$1 out=$WORK/gpunb-up-$1.out err=$WORK/gpunb-up-$1.err
  gpunb_supported || return 1
  GPUNB_NAMES+=("$name")
  # A notebook folder of its own (up mirrors it first): one small notebook, as a user would have.
  local ws=$WORK/workspace-$name
  mkdir -p "$ws" && printf '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n' >"$ws/analysis.ipynb"
  "$GPUNB_BIN" up "$name" --host "$HOST_USER@$HOST_ADDR" --workspace "$ws" --no-browser >"$out" 2>"$err" </dev/null &
  GPUNB_UP_PID=$!
  local deadline=$((SECONDS + ${GPUNB_WAIT_S:-120})) line=""
  while :; do
    line=$(grep -m1 -oE 'Jupyter: http://127\.0\.0\.1:[0-9]+/\?token=[^[:space:]]+' "$out" || true)
    [ -n "$line" ] && break
    if ! kill -0 "$GPUNB_UP_PID" 2>/dev/null; then
      wait "$GPUNB_UP_PID" 2>/dev/null && rc=0 || rc=$?
      GPUNB_FAILED="gpunb up exited $rc before printing its Jupyter line: $(tail -3 "$err" | sed -E 's/token=[^[:space:]&]+/token=<redacted>/g' | tr '\n' ' ')"
      GPUNB_UP_PID=""
      return 1
    fi
    if [ $SECONDS -ge $deadline ]; then
      GPUNB_FAILED="gpunb up printed no Jupyter line within ${GPUNB_WAIT_S:-120} s"
      return 1
    fi
    sleep 0.02
  done
  GPUNB_URL=${line#Jupyter: }
  GPUNB_PORT=$(sed -E 's|^http://127\.0\.0\.1:([0-9]+)/.*|\1|' <<<"$GPUNB_URL")
  if ! BENCH_URL=$GPUNB_URL $PY "$HOSTBENCH" wait --path api/status --timeout 60 >/dev/null; then
    GPUNB_FAILED="gpunb's URL (port $GPUNB_PORT) did not answer /api/status"
    return 1
  fi
}

stop_gpunb_up() {
  [ -n "$GPUNB_UP_PID" ] || return 0
  kill -INT "$GPUNB_UP_PID" 2>/dev/null || true
  local i
  for i in $(seq 100); do kill -0 "$GPUNB_UP_PID" 2>/dev/null || break; sleep 0.1; done
  stop_pid "$GPUNB_UP_PID"
  GPUNB_UP_PID=""
}

# report_gpunb: the line every script prints about gpunb's half; exit code 3 when it failed.
report_gpunb_failure() {
  echo "gpunb: FAILED, no gpunb numbers: $GPUNB_FAILED"
}

# A test host with the bench extension and the Jupyter both tunnels reach: gpunb's when gpunb
# works, else one started by hand. Sets RPORT (the host's Jupyter port).
bench_jupyter_setup() {
  setup_gpunb_home
  start_testhost
  install_bench_ext
  log "test host $HOST_USER@$HOST_ADDR (netns $HOST_NS)"
  if gpunb_up bench; then
    RPORT=$(BENCH_URL="http://127.0.0.1:$GPUNB_PORT/" $PY -c '
import json, os, urllib.request
print(json.load(urllib.request.urlopen(os.environ["BENCH_URL"] + "gpunb-bench/info", timeout=10))["port"])' \
      || true)
    [ -n "$RPORT" ] || die "gpunb's Jupyter does not serve /gpunb-bench/info: did it read ~/.jupyter/jupyter_server_config.py?"
    log "gpunb up: local port $GPUNB_PORT -> host port $RPORT"
  else
    log "gpunb: $GPUNB_FAILED"
    RPORT=8888
    start_manual_jupyter "$RPORT"
  fi
}
