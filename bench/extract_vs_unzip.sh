#!/usr/bin/env bash
# Unpacking a zip: `gpunb-agent extract ARCHIVE DIR` (what `gpunb fetch` runs on the machine)
# against Debian's `unzip -q ARCHIVE -d DIR`, in one run.
# The fixture: FILES files (10,000) in nested folders, about MB megabytes (1024) unpacked: 99% small
# files, 1% of a few MB; half of them text-like (compressible), half random bytes; deflated by
# /usr/bin/python3's zipfile. Content from a seeded generator (SEED), the same for every run.
# Both read the zip from a warm page cache, write a fresh folder on the same file system, with
# `sync` before each run; outputs kept until the end (ext4 is slow to make inodes right after a
# mass deletion); the order alternates; medians of RUNS (3). The first outputs are compared
# with `diff -r`. Goal: gpunb / unzip <= 1.0.
source "$(dirname "$0")/common.sh"
AGENT_BIN=${AGENT_BIN:-$ROOT/build/gpunb-agent}
RUNS=${RUNS:-3}
FILES=${FILES:-10000}
MB=${MB:-1024}
SEED=${SEED:-42}
ZIP=${FIXTURE:-$WORK/fixture.zip}  # FIXTURE: a zip made before, to skip making it

log() { echo "[$(date +%H:%M:%S)] $*" >&2; }
die() { echo "bench: FAIL: $*" >&2; exit 1; }

# make_zip FILE: the deterministic archive described above.
make_zip() {
  /usr/bin/python3 - "$1" "$FILES" "$MB" "$SEED" <<'PY'
import random, sys, zipfile
out, count, mb, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
words = [bytes(rng.choice(b"abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randrange(2, 10)))
         for _ in range(2000)]
text = b" ".join(rng.choice(words) + (b"\n" if rng.random() < 0.1 else b"") for _ in range(400000))
large = max(1, count // 100)
small_total = mb * 2**20 // 2
large_each = (mb * 2**20 - small_total) // large
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
    for i in range(count):
        big = i % 100 == 99
        size = large_each if big else rng.randrange(2 * small_total // (count - large))
        if i % 2:
            data = rng.randbytes(size)
        else:
            start = rng.randrange(len(text))
            data = (text[start:] + text) * (size // len(text) + 1)
            data = data[:size]
        name = "data%02d/part%d/f%05d.%s" % (i % 20, i % 7, i, "bin" if i % 2 else "txt")
        archive.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 2, 3, 4, 5)), data,
                         compress_type=zipfile.ZIP_DEFLATED)
PY
}

elapsed_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
# timed OUTFILE CMD...: runs CMD (output to $WORK/last.out/.err), appends its seconds to OUTFILE
timed() {
  local out=$1 t0 t1; shift
  sync
  cat "$ZIP" >/dev/null
  t0=$(now_ns)
  "$@" >"$WORK/last.out" 2>"$WORK/last.err" </dev/null || die "$* failed: $(tail -2 "$WORK/last.err")"
  t1=$(now_ns)
  elapsed_s "$t0" "$t1" >>"$WORK/$out"; echo >>"$WORK/$out"
}

one_run() {
  local run=$1 order
  if [ $((run % 2)) = 1 ]; then order="gpunb unzip"; else order="unzip gpunb"; fi
  for side in $order; do
    if [ "$side" = unzip ]; then timed unzip.s unzip -q "$ZIP" -d "$WORK/unzip-$run"
    else timed gpunb.s "$AGENT_BIN" extract "$ZIP" "$WORK/gpunb-$run"; fi
  done
  log "run $run: unzip $(tail -1 "$WORK/unzip.s") s, gpunb $(tail -1 "$WORK/gpunb.s") s"
  if [ "$run" = 1 ]; then
    diff -r "$WORK/unzip-1" "$WORK/gpunb-1" >/dev/null || die "gpunb's files differ from unzip's"
  fi
}

[ -x "$AGENT_BIN" ] || die "no agent at $AGENT_BIN (build it, or set AGENT_BIN)"
if [ -z "${FIXTURE:-}" ]; then
  log "making the fixture: $FILES files, about $MB MB (seed $SEED)"
  make_zip "$ZIP"
fi
for run in $(seq "$RUNS"); do one_run "$run"; done

unpacked=$(unzip -l "$ZIP" | tail -1 | awk '{ printf "%.0f", $1 / 1048576 }')
echo "machine: $(machine_line)"
echo "fixture: $FILES files, $unpacked MB unpacked, $(du -m "$ZIP" | cut -f1) MB zipped; warm archive, fresh folders; medians of $RUNS"
u=$(median <"$WORK/unzip.s"); g=$(median <"$WORK/gpunb.s")
echo "unzip -q:             ${u} s"
echo "gpunb-agent extract:  ${g} s"
echo "ratio: $(awk -v a="$g" -v b="$u" 'BEGIN { printf "%.3f", a / b }') (goal <= 1.0)"
