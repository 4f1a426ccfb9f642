#!/usr/bin/env bash
# Orphans and --all-regions, spot, and AWS settings from profiles instead of the environment.
source "$(dirname "$0")/lib.sh"
start_sandbox
our_state=$XDG_STATE_HOME

# A team mate's laptop (its own ledger) launches a spot machine in another region.
XDG_STATE_HOME="$WORK/other-laptop" expect 0 --region eu-west-1 up other --no-connect --spot
assert_eq "$(sbx instances | jq -r '.[] | select(.tags["gpunb:name"] == "other") | .region + " " + .lifecycle')" \
  "eu-west-1 spot" "region and lifecycle of the spot machine"
pass "--spot launches a spot instance in the region asked for"

expect 0 ls --json
assert_eq "$(jq length "$WORK/out")" 0 "machines listed in the default region only"
expect 0 ls --all-regions --json
assert_eq "$(jq -c '[.[] | {name, region, orphan, spot}]' "$WORK/out")" \
  '[{"name":"other","region":"eu-west-1","orphan":true,"spot":true}]' "sweep of every region"
expect 0 ls --all-regions
assert_grep '^other \(orphan\) +running' "$WORK/out"
assert_grep 'gpunb down NAME' "$WORK/out"
pass "ls --all-regions finds a gpunb machine this ledger does not know, marked orphan"

# This ledger is empty and a gpunb machine runs in eu-west-1: rejected credentials are an error,
# never "No machines".
AWS_SECRET_ACCESS_KEY="wrong$AWS_SECRET_ACCESS_KEY" expect 3 --region eu-west-1 ls
assert_grep '^gpunb: error: .*AWS rejected the credentials' "$WORK/err"
grep -q 'No machines' "$WORK/out" && fail "bad credentials were listed as no machines"
AWS_SECRET_ACCESS_KEY="wrong$AWS_SECRET_ACCESS_KEY" expect 3 --region eu-west-1 ls --json
pass "ls with bad credentials and an empty ledger fails with exit 3, not 'No machines'"

# A region the sweep cannot ask (here EC2 refuses it, as for a region not enabled) is a warning
# naming it; the other regions are still listed.
sbx_fault '{"action": "DescribeInstances", "region": "ap-northeast-1", "error": "AuthFailure", "count": 1}'
expect 0 ls --all-regions --json
assert_eq "$(jq -r '.[].name' "$WORK/out")" other "machines listed beside the region that failed"
assert_grep '^gpunb: warning: region ap-northeast-1 not listed: .*AuthFailure' "$WORK/err"
sbx_clear faults
pass "ls --all-regions: a region it cannot ask is a warning line naming the region"

expect 0 --region eu-west-1 down other --yes
assert_eq "$(live_instances other)" 0 "instances after down of an adopted orphan"
pass "down adopts and terminates an orphan by name"

# Credentials and endpoint from ~/.aws files and a named profile; nothing in the environment.
mkdir -p "$HOME/.aws"
umask 077
printf '[sbx]\naws_access_key_id = %s\naws_secret_access_key = %s\n' \
  "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" >"$HOME/.aws/credentials"
printf '[profile sbx]\nregion = us-west-2\nendpoint_url = %s\n' "$SANDBOX_URL" >"$HOME/.aws/config"
(
  unset AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_REGION AWS_ENDPOINT_URL_EC2
  expect 0 --profile sbx up prof --no-connect
  AWS_PROFILE=sbx expect 0 ls --json
  assert_eq "$(jq -r '.[0].name + " " + .[0].region' "$WORK/out")" "prof us-west-2" "machine from a profile"
  expect 3 --profile nosuch ls
  assert_grep "profile 'nosuch'" "$WORK/err"
  AWS_PROFILE=sbx expect 0 down prof --yes
)
pass "credentials, region and endpoint_url from a named profile; an unknown profile is exit 3"
finish
