#!/usr/bin/env bash
# The ssh provider on a plain test host (no cloud at all): a first contact that fails closed (the
# user's known_hosts, --host-key, OpenSSH's question on a terminal), notebook, pinned host key, a
# changed key refused, forget-host, ssh/ssh-config, and stop/down that never touch the box.
source "$(dirname "$0")/lib.sh"
export HOME="$WORK/home" XDG_CONFIG_HOME="$WORK/home/.config" XDG_STATE_HOME="$WORK/home/.local/state"
unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN AWS_PROFILE AWS_REGION AWS_DEFAULT_REGION
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_EC2
SANDBOX_SECRET_ACCESS_KEY="no-cloud-in-this-suite"
enter_workspace
mkdir -p "$XDG_CONFIG_HOME/gpunb/keys" && chmod 700 "$XDG_CONFIG_HOME/gpunb/keys"
ssh-keygen -q -t ed25519 -N '' -C test -f "$XDG_CONFIG_HOME/gpunb/keys/id_ed25519"

/usr/bin/python3 "$ROOT/sandbox/testhost.py" up --state-dir "$WORK/host" \
  --authorized-key "$XDG_CONFIG_HOME/gpunb/keys/id_ed25519.pub" >"$WORK/host.out" 2>"$WORK/host.log" &
SANDBOX_PID=$!  # lib.sh's cleanup ends it by PID
wait_until 20 grep -qs address "$WORK/host.out"
ADDR=$(jq -r .address "$WORK/host.out")
host_ctl() { /usr/bin/python3 "$ROOT/sandbox/testhost.py" ctl --state-dir "$WORK/host" "$@" >/dev/null; }

host_info() { /usr/bin/python3 "$ROOT/sandbox/testhost.py" ctl --state-dir "$WORK/host" status; }
ssh_box() {  # OpenSSH with the host's real key, not gpunb's files
  host_info | jq -r .known_hosts_line >"$WORK/host_known_hosts"
  ssh -i "$XDG_CONFIG_HOME/gpunb/keys/id_ed25519" -o StrictHostKeyChecking=yes -o UserKnownHostsFile="$WORK/host_known_hosts" \
    -o LogLevel=ERROR -o BatchMode=yes "ubuntu@$ADDR" "$@"
}
host_fingerprint() { host_info | jq -r .host_key | ssh-keygen -lf - | awk '{print $2}'; }

# First contact off a terminal, with nothing that vouches for the key: refused, nothing sent.
expect 7 up box --host "ubuntu@$ADDR" --detach --no-browser
has_text() { grep -qF -- "$1" "$2" || fail "expected '$1' in $2: $(head -c 600 "$2")"; }  # a fingerprint holds + and /
has_text "host key $(host_fingerprint) of $ADDR is not verified: it is not in your ~/.ssh/known_hosts" "$WORK/err"
assert_grep '--host-key' "$WORK/err"
assert_grep '--trust-first-use' "$WORK/err"
[ ! -s "$XDG_CONFIG_HOME/gpunb/known_hosts" ] || fail "a key nothing vouches for was pinned"
assert_eq "$(ssh_box 'ls -A ~/.gpunb ~/work 2>/dev/null | wc -l')" 0 "files gpunb left on the box"
pass "an unverified key is refused off a terminal (exit 7) with its fingerprint and the way out; nothing sent"

# The user's own known_hosts (hashed, as OpenSSH writes it) vouches for the key; gpunb never writes it.
mkdir -p "$HOME/.ssh"
jq -r .known_hosts_line "$WORK/host.out" >"$HOME/.ssh/known_hosts"
ssh-keygen -q -H -f "$HOME/.ssh/known_hosts" 2>/dev/null && rm -f "$HOME/.ssh/known_hosts.old"
cp "$HOME/.ssh/known_hosts" "$WORK/user_known_hosts"
expect 0 up box --host "ubuntu@$ADDR" --detach --no-browser
cmp -s "$HOME/.ssh/known_hosts" "$WORK/user_known_hosts" || fail "gpunb wrote ~/.ssh/known_hosts"
has_text "$(jq -r .host_key "$WORK/host.out" | cut -d' ' -f2)" "$XDG_CONFIG_HOME/gpunb/known_hosts"
pass "a key listed in the user's (hashed) ~/.ssh/known_hosts is accepted and pinned"
URL=$(sed -n 's/^Jupyter: //p' "$WORK/out")
TOKEN=${URL##*token=}
PORT=$(echo "$URL" | sed 's|http://127.0.0.1:\([0-9]*\)/.*|\1|')
api_status() { curl -sf -m 3 -H "Authorization: token $TOKEN" "http://127.0.0.1:$PORT/api/status"; }
api_status >/dev/null || fail "the URL does not answer"
assert_eq "$(JUPYTER_URL="$URL" /usr/bin/python3 "$ROOT/tests/e2e/tools/kernel.py" --code 'print(41 + 1)' | jq -r .stdout | tr -d '\n')" 42 "kernel output"
pass "up --host: Jupyter and the tunnel on a box with no cloud"

expect 0 ls --json
assert_eq "$(jq -c '.[0] | {name, provider, state, public_ip, user}' "$WORK/out")" \
  "{\"name\":\"box\",\"provider\":\"ssh\",\"state\":\"running\",\"public_ip\":\"$ADDR\",\"user\":\"ubuntu\"}" "ls of the box"
AWS_REGION=eu-west-1 "$GPUNB_BIN" ls --json >"$WORK/ls-region.json" 2>"$WORK/ls-region.err" \
  || fail "ls with a region but no credentials failed: $(cat "$WORK/ls-region.err")"
assert_eq "$(jq -r '.[0].name' "$WORK/ls-region.json")" box "ls with a region but no credentials"
pass "ls lists the box without any AWS settings, or with a region and no credentials"

expect 0 ssh box -- 'echo via-$(id -un)'
assert_eq "$(cat "$WORK/out")" via-ubuntu "gpunb ssh output"
expect 0 ssh-config
conf=$(sed -n 's/^Wrote //p' "$WORK/out")
out=$(ssh -F "$conf" -o BatchMode=yes gpunb-box 'echo via-config')
assert_eq "$out" via-config "ssh with the written config"
pass "gpunb ssh and the Include-able ssh config reach the box with the pinned key"

expect 0 disconnect box
# In the foreground the tunnel lives until Ctrl-C, which reminds that the machine keeps running.
"$GPUNB_BIN" connect box --no-browser >"$WORK/fg.out" 2>"$WORK/fg.err" </dev/null &
fg_pid=$!
wait_until 20 grep -qs '^Jupyter: ' "$WORK/fg.out"
api_status >/dev/null || fail "the foreground tunnel does not answer"
kill -INT "$fg_pid"
fg_rc=0
wait "$fg_pid" || fg_rc=$?
cat "$WORK/fg.out" "$WORK/fg.err" >>"$WORK/transcript.log"
assert_eq "$fg_rc" 0 "exit status after Ctrl-C"
assert_grep 'box keeps running' "$WORK/fg.err"
if api_status >/dev/null; then fail "the tunnel still answers after Ctrl-C"; fi
pass "a foreground tunnel closes on Ctrl-C and says the machine keeps running"

host_ctl rotate-host-key
expect 7 connect box --detach --no-browser
assert_grep 'host key .*changed' "$WORK/err"
assert_grep 'gpunb forget-host box' "$WORK/err"
expect 255 ssh box -- true  # OpenSSH itself refuses: the alias is pinned in gpunb's known_hosts
assert_grep "Host key verification failed" "$WORK/err"
pass "a changed host key is refused, with forget-host as the way out"

expect 0 forget-host box
expect 7 connect box --detach --no-browser
assert_grep "differs from the one in your known_hosts" "$WORK/err"
pass "after forget-host, a key that differs from the user's known_hosts is still refused"

# The user removed the old entry: on a terminal gpunb asks as OpenSSH does (no, then yes).
ssh-keygen -q -R "$ADDR" -f "$HOME/.ssh/known_hosts" >/dev/null && rm -f "$HOME/.ssh/known_hosts.old"
cp "$HOME/.ssh/known_hosts" "$WORK/user_known_hosts"
on_tty() {  # on_tty ANSWER ARGS...: gpunb on a pseudo-terminal, ANSWER typed at its question
  local answer=$1; shift
  set +e
  printf '%s\n' "$answer" | script -qec "$GPUNB_BIN $*" "$WORK/typescript" >"$WORK/out" 2>"$WORK/err"
  RC=$?
  set -e
  cat "$WORK/out" >>"$WORK/transcript.log"
}
on_tty no ssh box -- true
assert_eq "$RC" 7 "exit status after answering no"
assert_grep "The authenticity of host '$ADDR' can't be established" "$WORK/out"
has_text "ED25519 key fingerprint is $(host_fingerprint)." "$WORK/out"
[ -z "$(grep -s gpunb-ssh "$XDG_CONFIG_HOME/gpunb/known_hosts")" ] || fail "a key was pinned after no"
on_tty yes ssh box -- echo via-tty
assert_eq "$RC" 0 "exit status after answering yes ($(tail -c 300 "$WORK/out"))"
assert_grep via-tty "$WORK/out"
cmp -s "$HOME/.ssh/known_hosts" "$WORK/user_known_hosts" || fail "gpunb wrote ~/.ssh/known_hosts"
pass "on a terminal the new key is shown and asked about; no refuses, yes pins it"

expect 0 connect box --detach --no-browser
assert_eq "$(sed -n 's/^Jupyter: //p' "$WORK/out" | sed 's/.*token=//')" "$TOKEN" "token after re-pinning"
pass "forget-host, then the new key is pinned; ~/.ssh/known_hosts never written"

expect 0 stop box
assert_grep 'Jupyter stopped; the machine itself is left as it is' "$WORK/out"
wait_until 5 sh -c "! curl -s -m 1 -o /dev/null http://127.0.0.1:$PORT/"
ssh -i "$XDG_CONFIG_HOME/gpunb/keys/id_ed25519" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
  -o BatchMode=yes "ubuntu@$ADDR" 'test -d ~/work/box' || fail "the box's work folder is gone"
expect 0 down box --yes
expect 0 ls --json
assert_eq "$(jq length "$WORK/out")" 0 "machines after down"
ssh -i "$XDG_CONFIG_HOME/gpunb/keys/id_ed25519" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
  -o BatchMode=yes "ubuntu@$ADDR" 'test -d ~/work/box' || fail "down touched the box"
pass "stop/down end Jupyter and the tunnel but leave the box and its files alone"

mkdir -p "$XDG_CONFIG_HOME/gpunb"
printf '[machines.cfgbox]\nhost = "ubuntu@%s:22"\n' "$ADDR" >"$XDG_CONFIG_HOME/gpunb/config.toml"
expect 0 up cfgbox --no-connect
assert_eq "$(machine_json cfgbox | jq -r .provider)" ssh "provider of a [machines] entry"
pass "[machines.NAME] in config.toml names a box"
finish
