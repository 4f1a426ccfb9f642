#!/usr/bin/env bash
# `gpunb fetch --local s3://BUCKET/PREFIX/ --to DIR` against `aws s3 cp --recursive` (Debian's
# awscli, which ignores AWS_ENDPOINT_URL: --endpoint-url is passed) from one local S3 (s3rver via
# tests/tools/s3_origin.mjs) holding OBJECTS objects of mixed sizes, TOTAL bytes in all. Runs
# alternate into fresh folders; medians compared. Goal: ratio <= 0.5.
source "$(dirname "$0")/common.sh"
OBJECTS=${OBJECTS:-2000}
TOTAL=${TOTAL:-200000000}
RUNS=${RUNS:-3}
BUCKET=gpunb-bench
S3_PID=""
stop_s3() { if [ -n "$S3_PID" ]; then kill -TERM "$S3_PID" 2>/dev/null || true; wait "$S3_PID" 2>/dev/null || true; fi; }
trap 'stop_s3; bench_cleanup' EXIT

[ -f "$ROOT/node_modules/s3rver/package.json" ] || { echo "run: npm install --no-audit --no-fund" >&2; exit 1; }
echo "writing $OBJECTS objects ($TOTAL bytes) into s3rver..."
/usr/bin/node "$ROOT/tests/tools/s3_origin.mjs" --bucket "$BUCKET" --prefix data/ \
  --objects "$OBJECTS" --total "$TOTAL" --dir "$WORK/s3" >"$WORK/s3.ready" 2>"$WORK/s3.log" &
S3_PID=$!
for _ in $(seq 600); do grep -qs '^READY ' "$WORK/s3.ready" && break; sleep 0.1; done
S3_URL="http://127.0.0.1:$(sed -n 's/^READY //p' "$WORK/s3.ready")"
export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER AWS_REGION=us-east-1
export AWS_ENDPOINT_URL_S3=$S3_URL
unset AWS_SESSION_TOKEN AWS_PROFILE

aws_cp() { /usr/bin/aws --endpoint-url "$S3_URL" s3 cp --recursive --only-show-errors "s3://$BUCKET/data/" "$1"; }
# ---- our side: needs `gpunb fetch --local` (the lead's work in progress) -----------------------
gpunb_fetch() { "$GPUNB_BIN" fetch --local "s3://$BUCKET/data/" --to "$1"; }
# -------------------------------------------------------------------------------------------------

check_copy() {  # same number of files and bytes as the bucket holds
  local files bytes
  files=$(find "$1" -type f | wc -l)
  bytes=$(find "$1" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  [ "$files" = "$OBJECTS" ] && [ "$bytes" = "$TOTAL" ] || { echo "$2 copy: $files files, $bytes bytes (expected $OBJECTS, $TOTAL)" >&2; exit 1; }
}

aws_cp "$WORK/warm" && rm -rf "$WORK/warm"  # s3rver reads its metadata once; both runs then equal
have_gpunb=1
"$GPUNB_BIN" fetch --help >/dev/null 2>&1 || { have_gpunb=0; echo "note: $GPUNB_BIN has no 'fetch' yet: timing aws only" >&2; }
for run in $(seq "$RUNS"); do
  time_ms aws_cp "$WORK/aws-$run" >>"$WORK/aws.ms"; echo >>"$WORK/aws.ms"
  check_copy "$WORK/aws-$run" aws; rm -rf "$WORK/aws-$run"
  if [ "$have_gpunb" = 1 ]; then
    time_ms gpunb_fetch "$WORK/gpunb-$run" >>"$WORK/gpunb.ms"; echo >>"$WORK/gpunb.ms"
    check_copy "$WORK/gpunb-$run" gpunb; rm -rf "$WORK/gpunb-$run"
  fi
done
theirs=$(median <"$WORK/aws.ms")
echo "machine: $(machine_line)"
echo "aws s3 cp --recursive:        median ${theirs} ms over $RUNS runs ($OBJECTS objects, $TOTAL bytes)"
if [ "$have_gpunb" = 1 ]; then
  ours=$(median <"$WORK/gpunb.ms")
  echo "gpunb fetch --local:          median ${ours} ms over $RUNS runs"
  echo "ratio gpunb/aws: $(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.3f", a / b }') (goal <= 0.5)"
fi
