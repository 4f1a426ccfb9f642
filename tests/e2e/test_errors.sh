#!/usr/bin/env bash
# Bad input: a clear one-line error, a distinct exit code, and nothing left behind.
source "$(dirname "$0")/lib.sh"
start_sandbox

nothing_left() {
  assert_eq "$(sbx instances | jq length)" 0 "instances after $1"
  assert_eq "$(aws_sbx ec2 describe-security-groups | jq '[.SecurityGroups[] | select(.GroupName != "default")] | length')" 0 "security groups after $1"
  assert_eq "$(aws_sbx ec2 describe-key-pairs | jq '.KeyPairs | length')" 0 "key pairs after $1"
  if [ -f "$XDG_STATE_HOME/gpunb/ledger.db" ]; then
    assert_eq "$(sqlite3 "$XDG_STATE_HOME/gpunb/ledger.db" 'select count(*) from machines')" 0 "ledger rows after $1"
  fi
}
one_line_error() { assert_eq "$(wc -l <"$WORK/err")" 1 "lines of stderr"; assert_grep '^gpunb: error: ' "$WORK/err"; }

good_secret=$AWS_SECRET_ACCESS_KEY
AWS_SECRET_ACCESS_KEY="wrong$good_secret" expect 3 up bad --no-connect
one_line_error
assert_grep 'credentials' "$WORK/err"
grep -qF "$good_secret" "$WORK/err" && fail "the secret appeared in the error"
nothing_left "bad credentials"
pass "bad credentials: exit 3, clear error, nothing made"

(unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY; expect 3 up bad --no-connect; assert_grep 'no AWS credentials' "$WORK/err")
pass "no credentials at all: exit 3 with what to set"

expect 3 --region xx-fake-1 up bad --no-connect
one_line_error
assert_grep "unknown region 'xx-fake-1'" "$WORK/err"
expect 2 --region not_a_region up bad --no-connect
assert_grep "region" "$WORK/err"
nothing_left "unknown region"
pass "unknown region: exit 3 (cloud says so) or 2 (not a region name)"

expect 5 up bad --no-connect --type g9.gigantic
one_line_error
assert_grep "unknown instance type.*g9.gigantic" "$WORK/err"
nothing_left "unknown type"
pass "unknown type: exit 5"

expect 7 up bad --no-connect --type t3.medium
one_line_error
assert_grep "'t3.medium' has no GPU.*--allow-cpu" "$WORK/err"
nothing_left "non-GPU type"
pass "non-GPU type refused: exit 7 with the way out"

expect 2 up bad --no-connect --ssh-cidr 10.0.0.300/8
assert_grep "invalid SSH CIDR" "$WORK/err"
expect 2 up 'bad name!' --no-connect
assert_grep "invalid machine name" "$WORK/err"
expect 2 up
nothing_left "bad arguments"
pass "bad arguments: exit 2"

key="$XDG_CONFIG_HOME/gpunb/keys/id_ed25519"
[ -f "$key" ] || fail "the key should exist after the first up"
chmod 644 "$key"
expect 7 up bad --no-connect
one_line_error
assert_grep "readable by other users.*chmod 600" "$WORK/err"
nothing_left "world-readable key"
chmod 600 "$key"
pass "a private key readable by others is refused: exit 7"

mkdir -p "$XDG_CONFIG_HOME/gpunb"
printf 'disk = "lots"\n' >"$XDG_CONFIG_HOME/gpunb/config.toml"
expect 2 up bad --no-connect
assert_grep 'config.toml:1:.*disk' "$WORK/err"
rm "$XDG_CONFIG_HOME/gpunb/config.toml"
nothing_left "bad config"
pass "a bad config file: exit 2 naming file, line and key"

(cd "$HOME" && expect 2 up bad --no-connect && assert_grep "refusing to mirror .*--workspace" "$WORK/err")
nothing_left "a home folder as workspace"
pass "up refuses to mirror a whole home folder"

expect 0 up cpu --no-connect --type t3.medium --allow-cpu
expect 0 down cpu --yes
pass "--allow-cpu launches a CPU type"

finish
