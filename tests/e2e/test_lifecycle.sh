#!/usr/bin/env bash
# up (new, idempotent re-run, stopped machine), ls (human and JSON), ssh, stop, start, down.
source "$(dirname "$0")/lib.sh"
start_sandbox

expect 0 up box1 --type g5.xlarge --detach --no-browser
assert_grep '^box1 is running at 169\.254\.' "$WORK/out"
id=$(machine_json box1 | jq -r .id)
ip=$(machine_json box1 | jq -r .public_ip)
assert_eq "$(live_instances box1)" 1 "instances after up"
pass "up launches one running machine ($id)"

out=$(ssh_machine "$ip" "$id" 'echo ready-$(id -un)')
assert_eq "$out" "ready-ubuntu" "ssh output"
pass "ssh with the generated key and strict host-key checking"
[ ! -e "$HOME/.ssh/known_hosts" ] || fail "gpunb or the test wrote ~/.ssh/known_hosts"

key="$XDG_CONFIG_HOME/gpunb/keys/id_ed25519"
assert_eq "$(stat -c %a "$key")" 600 "private key mode"
assert_eq "$(stat -c %a "$(dirname "$key")")" 700 "key folder mode"
pass "private key is 0600 in a 0700 folder"

group=$(instance_field "$id" security_groups | jq -r '.[0]' 2>/dev/null || true)
aws_sbx ec2 describe-security-groups --group-names gpunb-box1 >"$WORK/sg.json"
perms=$(jq -c '[.SecurityGroups[0].IpPermissions[] | {p: .IpProtocol, f: .FromPort, t: .ToPort, c: [.IpRanges[].CidrIp]}]' "$WORK/sg.json")
assert_eq "$perms" "[{\"p\":\"tcp\",\"f\":22,\"t\":22,\"c\":[\"$GPUNB_SSH_CIDR\"]}]" "security group ingress"
pass "security group allows only tcp/22 from $GPUNB_SSH_CIDR ($group)"

expect 0 up box1 --detach --no-browser
assert_eq "$(machine_json box1 | jq -r .id)" "$id" "instance id after re-run"
assert_eq "$(live_instances box1)" 1 "instances after re-run"
pass "up again reuses the running machine"

expect 0 ls
assert_grep '^NAME +STATE +TYPE' "$WORK/out"
assert_grep "^box1 +running +g5\.xlarge +us-east-1 +$ip +$id" "$WORK/out"
expect 0 ls --json
jq -e 'length == 1 and (.[0] | has("name") and has("provider") and has("region") and has("id") and has("type")
       and has("state") and has("public_ip") and has("user") and has("launched_at"))' "$WORK/out" >/dev/null
assert_eq "$(jq -r '.[0] | [.name,.provider,.region,.id,.type,.state,.public_ip,.user] | join(" ")' "$WORK/out")" \
  "box1 ec2 us-east-1 $id g5.xlarge running $ip ubuntu" "ls --json fields"
pass "ls human and JSON"

ssh_machine "$ip" "$id" 'echo kept > ~/marker'
expect 0 stop box1
assert_grep '^box1 is stopped' "$WORK/out"
assert_eq "$(instance_field "$id" state)" stopped "sandbox state after stop"
pass "stop"

expect 0 up box1 --detach --no-browser
assert_eq "$(machine_json box1 | jq -r .id)" "$id" "id after up of a stopped machine"
assert_eq "$(machine_json box1 | jq -r .state)" running "state after up of a stopped machine"
ip=$(machine_json box1 | jq -r .public_ip)
assert_eq "$(ssh_machine "$ip" "$id" 'cat ~/marker')" kept "home after stop/start"
pass "up starts a stopped machine; the home survived"

expect 0 stop box1
expect 0 start box1 --no-connect
assert_grep '^box1 is running' "$WORK/out"
pass "start"

expect 7 down box1
assert_grep "without confirmation.*--yes" "$WORK/err"
assert_eq "$(instance_field "$id" state)" running "state after refused down"
pass "down refuses without --yes when not on a terminal"

expect 0 down box1 --yes
assert_grep '^box1 is terminated' "$WORK/out"
assert_eq "$(instance_field "$id" state)" terminated "sandbox state after down"
aws_sbx ec2 describe-security-groups >"$WORK/sgs.json"
assert_eq "$(jq '[.SecurityGroups[] | select(.GroupName | startswith("gpunb-"))] | length' "$WORK/sgs.json")" 0 "gpunb security groups left"
assert_eq "$(aws_sbx ec2 describe-key-pairs | jq '.KeyPairs | length')" 0 "key pairs left"
expect 0 ls
assert_grep '^No machines' "$WORK/out"
expect 5 stop box1
assert_grep "no machine named 'box1'" "$WORK/err"
pass "down terminates and deletes the security group and key pair"

finish
