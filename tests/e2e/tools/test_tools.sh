#!/usr/bin/env bash
# Self-test of the e2e tools against local Jupyter servers on 127.0.0.1 (no gpunb, no sandbox):
#   kernel.py  against `jupyter server`   (x = 41 + 1, then x -> 42 on the same kernel)
#   browser.mjs against `jupyter notebook` (new notebook; then the saved one via NOTEBOOK)
# Needs Debian's jupyter-server, jupyter-notebook, python3-ipykernel, chromium, and `npm install`.
# Usage: tests/e2e/tools/test_tools.sh        (about 20 s)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/gpunb-tools-test.XXXXXX)
PIDS=()
KEEP=0
cleanup() {
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; wait "$p" 2>/dev/null || true; done
  if [ "$KEEP" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; KEEP=1; exit 1; }
ok() { echo "  ok: $*"; }

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_jupyter KIND DIR: a Jupyter (`server` or `notebook`) on 127.0.0.1 with a random token (env only)
start_jupyter() {
  local kind=$1 dir=$2 port
  port=$(free_port)
  mkdir -p "$dir/root"
  (cd "$dir/root" && HOME=$dir JUPYTER_RUNTIME_DIR=$dir/rt JUPYTER_CONFIG_DIR=$dir/cfg JUPYTER_DATA_DIR=$dir/data \
    exec /usr/bin/jupyter "$kind" --no-browser --ip=127.0.0.1 --port="$port" --allow-root >"$dir/log" 2>&1) &
  PIDS+=($!)
  for _ in $(seq 150); do
    curl -sf -o /dev/null -H "Authorization: token $JUPYTER_TOKEN" "http://127.0.0.1:$port/api/status" && break
    sleep 0.1
  done
  curl -sf -o /dev/null -H "Authorization: token $JUPYTER_TOKEN" "http://127.0.0.1:$port/api/status" \
    || fail "jupyter $kind did not start (see $dir/log)"
  JPORT=$port
}

JUPYTER_TOKEN=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export JUPYTER_TOKEN

echo "kernel.py against jupyter server"
start_jupyter server "$WORK/server"
export JUPYTER_URL="http://127.0.0.1:$JPORT/?token=$JUPYTER_TOKEN"
/usr/bin/python3 "$HERE/kernel.py" --code 'x = 41 + 1' >"$WORK/k1.json" || fail "kernel.py: $(cat "$WORK/k1.json")"
kid=$(jq -r .kernel_id "$WORK/k1.json")
[ "$(jq -r .status "$WORK/k1.json")" = ok ] || fail "first run: $(cat "$WORK/k1.json")"
ok "started kernel, ran x = 41 + 1"
/usr/bin/python3 "$HERE/kernel.py" --kernel "$kid" --code 'x' >"$WORK/k2.json" || fail "kernel.py: $(cat "$WORK/k2.json")"
[ "$(jq -r .text "$WORK/k2.json")" = 42 ] || fail "x on the same kernel: $(cat "$WORK/k2.json")"
[ "$(jq -r .kernel_id "$WORK/k2.json")" = "$kid" ] || fail "kernel id changed"
ok "same kernel keeps state: x -> 42"
echo "$JUPYTER_URL" | env -u JUPYTER_URL /usr/bin/python3 "$HERE/kernel.py" --url-stdin --kernel "$kid" \
  --code 'print(x + 1)' >"$WORK/k3.json" || fail "kernel.py --url-stdin: $(cat "$WORK/k3.json")"
[ "$(jq -r .text "$WORK/k3.json")" = 43 ] || fail "stdout: $(cat "$WORK/k3.json")"
ok "URL from stdin, stdout captured"
set +e
/usr/bin/python3 "$HERE/kernel.py" --kernel "$kid" --code '1/0' >"$WORK/k4.json"; rc=$?
JUPYTER_URL="http://127.0.0.1:$JPORT/?token=wrong" JUPYTER_TOKEN= /usr/bin/python3 "$HERE/kernel.py" --code 1 >"$WORK/k5.json"; rc5=$?
set -e
[ $rc = 1 ] && [ "$(jq -r .error.ename "$WORK/k4.json")" = ZeroDivisionError ] || fail "error case: $(cat "$WORK/k4.json")"
[ $rc5 = 2 ] && grep -q 'HTTP 403' "$WORK/k5.json" || fail "wrong token: $(cat "$WORK/k5.json")"
! grep -qF "$JUPYTER_TOKEN" "$WORK"/k*.json || fail "the token appeared in kernel.py's output"
ok "errors: exit 1 on an exception, 2 on a wrong token; no token in the output"

echo "browser.mjs against jupyter notebook"
start_jupyter notebook "$WORK/notebook"
export JUPYTER_URL="http://127.0.0.1:$JPORT/?token=$JUPYTER_TOKEN"
SCREENSHOT="$WORK/new.png" node "$HERE/browser.mjs" >"$WORK/b1.json" 2>"$WORK/b1.err" || fail "browser.mjs: $(cat "$WORK/b1.err")"
[ "$(jq -r .ok "$WORK/b1.json")" = true ] && [ -s "$WORK/new.png" ] || fail "browser.mjs: $(cat "$WORK/b1.json")"
ok "new notebook ($(jq -r .ui "$WORK/b1.json") UI), print(6 * 7) -> 42, screenshot $(stat -c %s "$WORK/new.png") bytes in $(jq -r .seconds "$WORK/b1.json") s"
# an existing notebook whose saved output is already 42: the tool must wait for a fresh one
cat >"$WORK/notebook/root/old.ipynb" <<'EOF'
{"cells": [{"cell_type": "code", "execution_count": 1, "metadata": {}, "source": ["print(6 * 7)"],
  "outputs": [{"name": "stdout", "output_type": "stream", "text": ["42\n"]}]}],
 "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
 "nbformat": 4, "nbformat_minor": 5}
EOF
NOTEBOOK=old.ipynb SCREENSHOT="$WORK/old.png" node "$HERE/browser.mjs" >"$WORK/b2.json" 2>"$WORK/b2.err" || fail "browser.mjs NOTEBOOK: $(cat "$WORK/b2.err")"
[ "$(jq -r .notebook "$WORK/b2.json")" = old.ipynb ] || fail "NOTEBOOK: $(cat "$WORK/b2.json")"
ok "NOTEBOOK=old.ipynb opened and run"
set +e
JUPYTER_URL="http://127.0.0.1:$JPORT/?token=wrong" JUPYTER_TOKEN= node "$HERE/browser.mjs" >/dev/null 2>"$WORK/b3.err"; rc=$?
set -e
[ $rc != 0 ] && grep -q 'FAIL: Jupyter asks for a password or token' "$WORK/b3.err" || fail "wrong token: rc $rc, $(cat "$WORK/b3.err")"
ok "a wrong token fails clearly"
echo "tools: all checks passed"
