#!/usr/bin/env bash
# Throttling and 5xx are retried; capacity errors fail over to the next zone, then the next type;
# an unreadable answer is an error, not a crash.
source "$(dirname "$0")/lib.sh"
start_sandbox

sbx_clear calls
sbx_fault '{"action": "RunInstances", "error": "RequestLimitExceeded", "count": 2}'
expect 0 up thr --no-connect
assert_eq "$(calls_of RunInstances)" 3 "RunInstances calls (2 throttled, 1 served)"
assert_eq "$(live_instances thr)" 1 "instances after throttled up"
pass "RequestLimitExceeded is retried with backoff"

sbx_fault '{"action": "*", "status": 500, "count": 2}'
expect 0 ls --json
assert_eq "$(jq -r '.[] | select(.name == "thr") | .state' "$WORK/out")" running "state listed after 5xx"
pass "5xx answers are retried"

sbx_fault '{"action": "DescribeInstances", "garbage": true, "count": 1}'
expect 4 ls
assert_grep 'unreadable' "$WORK/err"
sbx_fault '{"action": "DescribeInstances", "garbage": "html", "count": 1}'
expect 4 ls
expect 0 ls
pass "a non-XML or truncated answer is a clear error, and the next call works"

sbx_fault '{"action": "RunInstances", "zone": "us-east-1a", "error": "InsufficientInstanceCapacity"}'
expect 0 up cap --no-connect
assert_eq "$(machine_json cap | jq -r .zone)" us-east-1b "zone after failover"
assert_grep 'no g5\.xlarge capacity in us-east-1a' "$WORK/err"
assert_eq "$(live_instances cap)" 1 "instances after failover"
pass "InsufficientInstanceCapacity in one zone fails over to the next and says so"
sbx_clear faults

sbx_fault '{"action": "RunInstances", "instance_type": "g5.xlarge", "error": "InsufficientInstanceCapacity"}'
expect 0 up fb --no-connect --type g5.xlarge,g4dn.xlarge
assert_eq "$(machine_json fb | jq -r .type)" g4dn.xlarge "type after fallback"
assert_grep 'no g5\.xlarge capacity in us-east-1c' "$WORK/err"
pass "when every zone lacks the first type, the fallback type is launched"

sbx_fault '{"action": "RunInstances", "instance_type": "g4dn.xlarge", "error": "InsufficientInstanceCapacity"}'
expect 6 up none --no-connect --type g5.xlarge,g4dn.xlarge
assert_grep 'tried g5\.xlarge in us-east-1a, .*g4dn\.xlarge in us-east-1c' "$WORK/err"
assert_eq "$(live_instances none)" 0 "instances after capacity failure"
expect 0 ls --all --json
assert_eq "$(jq '[.[] | select(.name == "none")] | length' "$WORK/out")" 0 "ledger rows after capacity failure"
pass "no capacity anywhere: exit 6, what was tried, nothing left behind"
sbx_clear faults

for name in thr cap fb; do expect 0 down "$name" --yes; done
finish
