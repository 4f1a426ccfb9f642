#!/usr/bin/env bash
# Notebook sync against rsync on a plain test host (sandbox/testhost.py, user `ubuntu`), in one run:
#   first sync:  `gpunb push NAME` (NAME recorded by `gpunb up NAME --host ubuntu@ADDR --workspace
#                DIR --no-connect`, not timed) into an empty ~/work/NAME, against
#                `rsync -a -e "ssh -i KEY ..." DIR/ ubuntu@ADDR:work-rsync-N/` into an empty folder;
#   re-sync:     one file changed, then `gpunb push NAME` again against the same rsync again.
# The workspace: FILES files (10,000), about MB megabytes (500): 99% small files in nested folders,
# 1% of a few MB; content from a seeded generator (SEED), the same for every run.
# Each run has fresh targets on both sides (kept until the end: ext4 is slow to make inodes right
# after a mass deletion); the order alternates; `sync` before each first sync. Medians of RUNS.
# Goal: gpunb / rsync <= 1.0 on both. If gpunb's half cannot run, rsync's still runs, the reason is
# printed, exit status 3.
source "$(dirname "$0")/lib_hosts.sh"
RUNS=${RUNS:-3}
FILES=${FILES:-10000}
MB=${MB:-500}
SEED=${SEED:-42}
WS=$WORK/workspace

# make_workspace DIR: the deterministic tree described above.
make_workspace() {
  $PY - "$1" "$FILES" "$MB" "$SEED" <<'EOF'
import os, random, sys
root, count, mb, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(seed)
large = max(1, count // 100)
small_total = mb * 2**20 // 5
large_each = (mb * 2**20 - small_total) // large
for i in range(count):
    big = i % 100 == 99
    size = large_each if big else rng.randrange(2 * small_total // (count - large))
    d = os.path.join(root, "project%02d" % (i % 20), "part%d" % (i % 7))
    os.makedirs(d, exist_ok=True)
    name = "f%05d.%s" % (i, "bin" if big else rng.choice(["ipynb", "py", "csv", "md"]))
    with open(os.path.join(d, name), "wb") as f:
        f.write(rng.randbytes(size))
EOF
}

elapsed_s() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'; }
# timed OUTFILE CMD...: runs CMD (output to $WORK/last.out/.err), appends its seconds to OUTFILE
timed() {
  local out=$1 t0 t1; shift
  t0=$(now_ns)
  "$@" >"$WORK/last.out" 2>"$WORK/last.err" </dev/null || return 1
  t1=$(now_ns)
  elapsed_s "$t0" "$t1" >>"$WORK/$out"; echo >>"$WORK/$out"
}

rsync_to() {  # rsync_to TARGET: rsync -a over ssh with the test host's options
  rsync -a -e "ssh $(printf '%q ' "${SSH_OPTS[@]}")" "$WS/" "$HOST_USER@$HOST_ADDR:$1/"
}

gpunb_push() {  # gpunb_push NAME
  "$GPUNB_BIN" push "$1"
}

count_files() { find "$1" -type f | wc -l; }

# gpunb_first RUN: records bench$RUN (untimed), then times its first push; checks what arrived.
gpunb_first() {
  local name=bench$1
  if ! "$GPUNB_BIN" up "$name" --host "$HOST_USER@$HOST_ADDR" --workspace "$WS" --no-connect \
    >"$WORK/up-$name.out" 2>"$WORK/up-$name.err" </dev/null; then
    GPUNB_FAILED="gpunb up $name --no-connect failed: $(tail -2 "$WORK/up-$name.err" | tr '\n' ' ')"
    return 1
  fi
  GPUNB_NAMES+=("$name")
  sync
  if ! timed gpunb_first.s gpunb_push "$name"; then
    GPUNB_FAILED="gpunb push $name failed: $(tail -2 "$WORK/last.err" | tr '\n' ' ')"
    return 1
  fi
  local got want
  got=$(count_files "$HOST_HOME/work/$name") want=$(count_files "$WS")
  [ "$got" = "$want" ] || { GPUNB_FAILED="gpunb push $name: $got files on the host, not $want"; return 1; }
}

rsync_first() {
  sync
  timed rsync_first.s rsync_to "work-rsync-$1" || die "rsync failed: $(tail -2 "$WORK/last.err")"
}

one_run() {
  local run=$1 order
  if [ $((run % 2)) = 1 ]; then order="gpunb rsync"; else order="rsync gpunb"; fi
  for side in $order; do
    if [ "$side" = rsync ]; then rsync_first "$run"; elif [ -z "$GPUNB_FAILED" ]; then gpunb_first "$run" || true; fi
  done
  # one file changes, then both sync again
  printf 'changed in run %s\n' "$run" >>"$WS/$CHANGED"
  timed rsync_again.s rsync_to "work-rsync-$run" || die "rsync again failed"
  cmp -s "$WS/$CHANGED" "$HOST_HOME/work-rsync-$run/$CHANGED" || die "rsync did not bring the change"
  if [ -z "$GPUNB_FAILED" ] && ! timed gpunb_again.s gpunb_push "bench$run"; then
    GPUNB_FAILED="gpunb push bench$run (again) failed: $(tail -2 "$WORK/last.err" | tr '\n' ' ')"
  elif [ -z "$GPUNB_FAILED" ] && ! cmp -s "$WS/$CHANGED" "$HOST_HOME/work/bench$run/$CHANGED"; then
    GPUNB_FAILED="gpunb push bench$run (again) did not bring the change"
  fi
  log "run $run: first rsync $(tail -1 "$WORK/rsync_first.s") s, gpunb $(tail -1 "$WORK/gpunb_first.s" 2>/dev/null || echo -) s;" \
      "again rsync $(tail -1 "$WORK/rsync_again.s") s, gpunb $(tail -1 "$WORK/gpunb_again.s" 2>/dev/null || echo -) s"
}

setup_gpunb_home
log "making the workspace: $FILES files, about $MB MB (seed $SEED)"
make_workspace "$WS"
CHANGED=$(cd "$WS" && find . -type f -name '*.ipynb' | LC_ALL=C sort | awk 'NR == 1')  # the file each run changes
start_testhost
log "test host $HOST_USER@$HOST_ADDR (netns $HOST_NS)"
gpunb_supported || log "gpunb: $GPUNB_FAILED"
for run in $(seq "$RUNS"); do one_run "$run"; done

echo "machine: $(machine_line)"
echo "workspace: $FILES files, $(du -sm "$WS" | cut -f1) MB; fresh targets each run; medians of $RUNS"
r1=$(median <"$WORK/rsync_first.s"); r2=$(median <"$WORK/rsync_again.s")
echo "rsync -a over ssh:  first sync ${r1} s, re-sync after one change ${r2} s"
if [ -n "$GPUNB_FAILED" ]; then
  report_gpunb_failure
  exit 3
fi
g1=$(median <"$WORK/gpunb_first.s"); g2=$(median <"$WORK/gpunb_again.s")
echo "gpunb push:         first sync ${g1} s, re-sync after one change ${g2} s"
echo "ratio gpunb/rsync: first sync $(ratio "$g1" "$r1"), re-sync $(ratio "$g2" "$r2") (goal <= 1.0 on both)"
