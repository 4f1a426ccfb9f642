#!/usr/bin/env bash
# `gpunb ls --json` against `aws ec2 describe-instances` (Debian's awscli) on one sandbox cloud
# holding 50 gpunb machines; runs alternate, medians compared. Goal: ratio <= 0.2.
source "$(dirname "$0")/common.sh"
MACHINES=${MACHINES:-50}
RUNS=${RUNS:-15}
start_sandbox

echo "launching $MACHINES machines..."
seq -f 'm%02g' 1 "$MACHINES" | xargs -P 8 -I{} "$GPUNB_BIN" up {} --no-connect >/dev/null
count=$("$GPUNB_BIN" ls --json | jq '[.[] | select(.state == "running")] | length')
[ "$count" = "$MACHINES" ] || { echo "expected $MACHINES running machines, ls shows $count" >&2; exit 1; }
aws_count=$(/usr/bin/aws --endpoint-url "$SANDBOX_URL" ec2 describe-instances --output json | jq '[.Reservations[].Instances[]] | length')
[ "$aws_count" = "$MACHINES" ] || { echo "aws sees $aws_count instances" >&2; exit 1; }

for _ in $(seq "$RUNS"); do
  time_ms "$GPUNB_BIN" ls --json >>"$WORK/gpunb.ms"; echo >>"$WORK/gpunb.ms"
  time_ms /usr/bin/aws --endpoint-url "$SANDBOX_URL" ec2 describe-instances --output json >>"$WORK/aws.ms"; echo >>"$WORK/aws.ms"
done
ours=$(median <"$WORK/gpunb.ms")
theirs=$(median <"$WORK/aws.ms")
ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.3f", a / b }')
echo "machine: $(machine_line)"
echo "gpunb ls --json:              median ${ours} ms over $RUNS runs ($MACHINES machines)"
echo "aws ec2 describe-instances:   median ${theirs} ms over $RUNS runs"
echo "ratio gpunb/aws: $ratio (goal <= 0.2)"
