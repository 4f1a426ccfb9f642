#!/usr/bin/env bash
# One large file over HTTP from a local server that caps each connection (as CDNs and S3 do):
# `gpunb fetch --local` (ranged connections into a preallocated file) against `curl` (one
# connection) and `aria2c -x16 -s16` (16 connections), in one run, one after the other.
# SIZE (2 GiB) of random bytes served by tests/tools/http_origin.py with RATE (40 MB/s) per
# connection. Every result is checked against the file's SHA-256. gpunb uses --connections 16,
# as many as aria2c -x16. Goals: curl / gpunb >= 3, aria2c / gpunb >= 1.0.
source "$(dirname "$0")/common.sh"
SIZE_MB=${SIZE_MB:-2048}
RATE=${RATE:-40MB}
CONNECTIONS=${CONNECTIONS:-16}
ORIGIN_PID=""
trap '[ -n "$ORIGIN_PID" ] && kill -TERM "$ORIGIN_PID" 2>/dev/null; bench_cleanup' EXIT
die() { echo "bench: FAIL: $*" >&2; exit 1; }

mkdir -p "$WORK/srv"
head -c "$((SIZE_MB << 20))" /dev/urandom >"$WORK/srv/data.bin"
want=$(sha256sum "$WORK/srv/data.bin" | cut -c1-64)
/usr/bin/python3 "$ROOT/tests/tools/http_origin.py" --dir "$WORK/srv" --port 0 --rate "$RATE" >"$WORK/origin.out" 2>"$WORK/origin.err" &
ORIGIN_PID=$!
for _ in $(seq 100); do grep -qs '^READY ' "$WORK/origin.out" && break; sleep 0.1; done
URL="http://127.0.0.1:$(sed -n 's/^READY //p' "$WORK/origin.out")/data.bin"

# run NAME CMD...: seconds for CMD, which writes $WORK/NAME/data.bin; checks the bytes; cleans up.
run() {
  local name=$1; shift
  mkdir -p "$WORK/$name"; sync
  local start end
  start=$(now_ns); (cd "$WORK/$name" && "$@" >"$WORK/$name.log" 2>&1) || die "$name failed: $(tail -3 "$WORK/$name.log")"; end=$(now_ns)
  [ "$(sha256sum "$WORK/$name/data.bin" | cut -c1-64)" = "$want" ] || die "$name: wrong bytes"
  rm -rf "$WORK/$name"
  awk -v d=$((end - start)) 'BEGIN { printf "%.2f", d / 1e9 }'
}

gpunb_s=$(run gpunb "$GPUNB_BIN" fetch --local "$URL" --to . --connections "$CONNECTIONS")
curl_s=$(run curl curl -sf -o data.bin "$URL")
if command -v aria2c >/dev/null; then
  aria_s=$(run aria2 aria2c -q -x16 -s16 --file-allocation=falloc -o data.bin "$URL")
fi
echo "machine: $(machine_line)"
echo "file: $SIZE_MB MiB, $RATE/s per connection"
echo "gpunb fetch --connections $CONNECTIONS: ${gpunb_s} s ($(awk -v s="$gpunb_s" -v m="$SIZE_MB" 'BEGIN { printf "%.0f", m / s }') MiB/s)"
echo "curl:                   ${curl_s} s"
echo "ratio vs curl: $(awk -v a="$curl_s" -v b="$gpunb_s" 'BEGIN { printf "%.2f", a / b }')x faster (goal >= 3)"
if [ -n "${aria_s:-}" ]; then
  echo "aria2c -x16 -s16:       ${aria_s} s"
  echo "ratio vs aria2c: $(awk -v a="$aria_s" -v b="$gpunb_s" 'BEGIN { printf "%.2f", a / b }')x (goal >= 1.0)"
else
  echo "aria2c: not installed (apt-get install aria2)"
fi
