#!/usr/bin/env bash
# A first SSH contact fails closed: the host key must be the one cloud-init printed on the
# instance's console (waited for, as EC2 posts it late), or one the user passed or accepted.
# A wrong key or none by the deadline is refused with nothing pinned and nothing sent to the host.
source "$(dirname "$0")/lib.sh"
start_sandbox

console_mode() { curl -sf -X POST -H 'Content-Type: application/json' -d "{\"mode\":\"$1\"}" "$SANDBOX_URL/_sandbox/console" >/dev/null; }
instance_console() { curl -sf -X POST -H 'Content-Type: application/json' -d "{\"mode\":\"$2\"}" "$SANDBOX_URL/_sandbox/instances/$1/console" >/dev/null; }
known_hosts() { cat "$XDG_CONFIG_HOME/gpunb/known_hosts" 2>/dev/null || true; }
pinned_for() { known_hosts | awk -v a="gpunb-$1" '$1 == a {print $2 " " $3}'; }
fingerprint_of() { echo "$1" | ssh-keygen -lf - | awk '{print $2}'; }
field() { machine_json "$1" | jq -r ".$2"; }
# Nothing of gpunb's reached the instance: no agent, no workspace, no Jupyter token.
assert_untouched() {
  local out
  out=$(ssh_machine "$(field "$1" public_ip)" "$(field "$1" id)" 'ls -A ~/.gpunb ~/work 2>/dev/null | wc -l')
  assert_eq "$out" 0 "files gpunb left on $1"
}
echo '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}' >nb.ipynb

# 1. The fingerprints come late: gpunb polls the console until they are there, then pins the key.
console_mode none
"$GPUNB_BIN" up late --detach --no-browser >"$WORK/late.out" 2>"$WORK/late.err" </dev/null &
up_pid=$!
console_reads_at_least() { [ "$(calls_of GetConsoleOutput)" -ge "$1" ]; }
wait_until 60 console_reads_at_least 2
kill -0 "$up_pid" || fail "up did not wait for the fingerprints: $(cat "$WORK/late.err")"
[ -z "$(pinned_for "$(field late id)")" ] || fail "a key was pinned before the console vouched for it"
console_mode real
instance_console "$(field late id)" real
up_rc=0
wait "$up_pid" || up_rc=$?
cat "$WORK/late.out" "$WORK/late.err" >>"$WORK/transcript.log"
assert_eq "$up_rc" 0 "up once the fingerprints appeared (stderr: $(cat "$WORK/late.err"))"
late_id=$(field late id)
want=$(sbx instances | jq -r --arg id "$late_id" '.[] | select(.id == $id) | .host_public_keys.ed25519' | awk '{print $1 " " $2}')
assert_eq "$(pinned_for "$late_id")" "$want" "the key pinned for late"
pass "the console's fingerprints are waited for (Latest=true) and only the key they name is pinned"

# 2. Fingerprints of another key (a man in the middle, or a wrong console): refused, even with
#    --trust-first-use; nothing pinned, nothing uploaded.
console_mode other
expect 7 up spoofed --detach --no-browser
assert_grep 'is not the one the cloud reported' "$WORK/err"
assert_grep 'intercepting' "$WORK/err"
spoofed_id=$(field spoofed id)
[ -z "$(pinned_for "$spoofed_id")" ] || fail "a key that does not match the console was pinned"
expect 7 connect spoofed --trust-first-use --detach --no-browser
[ -z "$(pinned_for "$spoofed_id")" ] || fail "--trust-first-use pinned a key the console contradicts"
assert_untouched spoofed
pass "a key the console contradicts is refused (exit 7), even with --trust-first-use; nothing pinned or sent"

# 3. No fingerprints by the deadline: refused with the way out; --trust-first-use says it trusted.
console_mode none
expect 7 up silent --detach --no-browser --host-key-wait 3s
assert_grep 'no host key fingerprints appeared in silent.s console output within 3s' "$WORK/err"
assert_grep '--trust-first-use' "$WORK/err"
silent_id=$(field silent id)
[ -z "$(pinned_for "$silent_id")" ] || fail "a key was pinned without fingerprints"
assert_untouched silent
mkdir -p "$XDG_CONFIG_HOME/gpunb" && echo 'host_key_wait = "2s"' >"$XDG_CONFIG_HOME/gpunb/config.toml"
expect 7 connect silent --detach --no-browser
assert_grep 'within 2s' "$WORK/err"
rm "$XDG_CONFIG_HOME/gpunb/config.toml"
pass "no fingerprints within --host-key-wait (or config's host_key_wait) is refused (exit 7); nothing pinned or sent"

silent_key=$(sbx instances | jq -r --arg id "$silent_id" '.[] | select(.id == $id) | .host_public_keys.ed25519')
expect 7 connect silent --host-key "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" --detach --no-browser
assert_grep 'is not the one --host-key reported' "$WORK/err"
[ -z "$(pinned_for "$silent_id")" ] || fail "a key other than --host-key was pinned"
expect 0 connect silent --host-key "$(fingerprint_of "$silent_key")" --detach --no-browser
assert_eq "$(pinned_for "$silent_id")" "$(echo "$silent_key" | awk '{print $1 " " $2}')" "the key pinned with --host-key"
pass "--host-key pins only the key it names"

console_mode none
expect 0 up tofu --detach --no-browser --trust-first-use
assert_grep "trusted tofu's host key SHA256:[A-Za-z0-9+/]+ without verifying it \(--trust-first-use\)" "$WORK/err"
[ -n "$(pinned_for "$(field tofu id)")" ] || fail "--trust-first-use pinned nothing"
expect 0 ssh tofu -- true
pass "--trust-first-use accepts an unverified key, says so, and pins it"

# 4. A type without a live serial console (Xen): Latest is refused, the buffered copy is read.
console_mode real
expect 0 up xen --type p3.2xlarge --detach --no-browser
unsupported=$(sbx calls | jq '[.[] | select(.action == "GetConsoleOutput" and .error_code == "UnsupportedOperation")] | length')
[ "$unsupported" -ge 1 ] || fail "Latest=true was never refused for p3.2xlarge"
[ -n "$(pinned_for "$(field xen id)")" ] || fail "no key pinned for xen"
pass "a type without the live console falls back to the buffered console output"

finish
