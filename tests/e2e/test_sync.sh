#!/usr/bin/env bash
# Notebooks travel both ways: push/pull/sync, conflicts kept, an interrupted push, ignore rules,
# the size limit, and stop/down that bring the work home first.
source "$(dirname "$0")/lib.sh"
start_sandbox

# The workspace: a notebook, a script, things to skip, an ignored folder.
nb_json() {  # nb_json SOURCE: a minimal notebook whose one cell holds SOURCE
  jq -n --arg src "$1" '{cells: [{cell_type: "code", execution_count: null, id: "c1", metadata: {},
    outputs: [], source: $src}], metadata: {}, nbformat: 4, nbformat_minor: 5}'
}
nb_json 'print("local v1")' >analysis.ipynb
echo 'x = 1' >helpers.py
mkdir -p .ipynb_checkpoints __pycache__ data/raw .git
echo skip >.ipynb_checkpoints/analysis-checkpoint.ipynb
echo skip >__pycache__/helpers.cpython-311.pyc
echo skip >.git/HEAD
echo 'data/raw/' >.gpunbignore
head -c 1000000 /dev/urandom >data/raw/big.bin

# Files a sync --json moved (uploads, downloads, deletions, conflict copies).
transferred() {
  jq '[.counts | .upload.files, .download.files, .delete_remote.files, .delete_local.files, .conflict.files] | add' "$WORK/out"
}

expect 0 up nb --detach --no-browser
URL=$(sed -n 's/^Jupyter: //p' "$WORK/out")
TOKEN=${URL##*token=}
PORT=$(echo "$URL" | sed 's|http://127.0.0.1:\([0-9]*\)/.*|\1|')
id=$(machine_json nb | jq -r .id)
home=$(instance_field "$id" home_dir)
remote="$home/work/nb"
assert_grep '^push: ' "$WORK/err"
cmp analysis.ipynb "$remote/analysis.ipynb" || fail "analysis.ipynb was not pushed by up"
cmp helpers.py "$remote/helpers.py"
cmp .gpunbignore "$remote/.gpunbignore"
for skipped in .ipynb_checkpoints __pycache__ .git data/raw/big.bin; do
  [ ! -e "$remote/$skipped" ] || fail "$skipped was pushed"
done
pass "up pushes the workspace before Jupyter starts; default skips and .gpunbignore honoured"

# Edit the notebook on the machine through Jupyter's contents API, over the tunnel.
nb_json 'print("edited in Jupyter")' | jq '{type: "notebook", format: "json", content: .}' >"$WORK/put.json"
curl -sf -X PUT -H "Authorization: token $TOKEN" -H 'Content-Type: application/json' \
  --data @"$WORK/put.json" "http://127.0.0.1:$PORT/api/contents/analysis.ipynb" >/dev/null
expect 0 pull nb
cmp analysis.ipynb "$remote/analysis.ipynb" || fail "pull did not bring the notebook back byte-identical"
grep -q 'edited in Jupyter' analysis.ipynb
pass "an edit made in Jupyter comes back byte-identical with pull"

echo 'x = 2' >helpers.py
expect 0 push nb
cmp helpers.py "$remote/helpers.py" || fail "push did not send the local edit"
expect 0 sync nb --json
assert_eq "$(transferred)" 0 "files transferred by a sync with nothing to do"
pass "a local edit goes up with push; a sync after it has nothing to do"

# Both sides change: both versions kept, reported, exit 9.
echo 'x = "local"' >helpers.py
sleep 1  # a different second for the remote edit's mtime: what is tested is content, not time
echo 'x = "remote"' >"$remote/helpers.py"
expect 9 sync nb
assert_grep 'conflict' "$WORK/out"
assert_eq "$(cat helpers.py)" 'x = "local"' "the local version keeps the name"
copy=$(ls helpers.conflict-remote-*.py)
assert_eq "$(cat "$copy")" 'x = "remote"' "the remote version beside it"
pass "a file changed on both sides: both versions kept ($copy), conflict reported, exit 9"
rm "$copy"
expect 0 sync nb

# Over the size limit: listed, not pulled, unless --include-large.
head -c 110000000 /dev/zero >"$remote/checkpoint.pt"
expect 0 pull nb
[ ! -e checkpoint.pt ] || fail "a file over 100 MB was pulled"
assert_grep 'checkpoint.pt' "$WORK/out"
expect 0 pull nb --include-large
cmp checkpoint.pt "$remote/checkpoint.pt"
rm -f checkpoint.pt "$remote/checkpoint.pt"
expect 0 sync nb --delete
pass "files over the size limit are listed but pulled only with --include-large"

# A push of large files cut by killing the sshd serving it: no partial file under a final name,
# then a rerun completes with equal hashes.
mkdir -p big
for i in 1 2 3 4 5 6; do head -c 60000000 /dev/urandom >"big/part$i.bin"; done
sha256sum big/*.bin >"$WORK/big.sha"
listener=$(instance_field "$id" sshd_pid)
ns=$(instance_field "$id" netns)
kill_sessions() {  # every sshd of the host but its listener: the connections die, sshd stays
  for pid in $(ip netns pids "$ns"); do
    [ "$pid" != "$listener" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = sshd ] && kill -KILL "$pid" 2>/dev/null
  done
  true
}
partial_seen() {  # a final-named file with the wrong size, ever
  for f in "$remote"/big/part*.bin; do
    [ -e "$f" ] && [ "$(stat -c %s "$f")" != 60000000 ] && return 0
  done
  return 1
}
"$GPUNB_BIN" push nb >"$WORK/bg.out" 2>"$WORK/bg.err" </dev/null &
push_pid=$!
started() { compgen -G "$remote/big/.*gpunb-tmp*" >/dev/null || compgen -G "$remote/big/*" >/dev/null; }
wait_until 30 started
kill_sessions
seen=0
while kill -0 "$push_pid" 2>/dev/null; do partial_seen && seen=1; done
push_rc=0
wait "$push_pid" || push_rc=$?
cat "$WORK/bg.out" "$WORK/bg.err" >>"$WORK/transcript.log"
[ "$push_rc" != 0 ] || fail "the cut push reported success"
[ "$seen" = 0 ] && ! partial_seen || fail "a partial file was visible under its final name"
expect 0 push nb
(cd "$remote/.." && cd nb && sha256sum -c "$WORK/big.sha" >/dev/null) || fail "hashes differ after the rerun"
pass "a push cut mid-transfer leaves no partial file (exit $push_rc); the rerun completes, hashes equal"

# stop keeps the remote home; start + sync then finds nothing to transfer.
expect 0 disconnect nb
expect 0 stop nb
assert_grep '^pull: ' "$WORK/err"
[ -f "$remote/analysis.ipynb" ] || fail "the home did not survive stop"
expect 0 start nb --no-connect
expect 0 sync nb --json
assert_eq "$(transferred)" 0 "files transferred after stop and start"
[ "$(jq .unchanged "$WORK/out")" -gt 0 ] || fail "the sync saw no files"
pass "stop pulls first and keeps the home; after start a sync has nothing to transfer"

# down pulls remote edits before terminating; the host's home is gone afterwards.
echo 'print("last words")' >"$remote/final.py"
expect 0 down nb --yes
cmp final.py <(echo 'print("last words")') || fail "down did not pull the last edit"
[ ! -e "$home" ] || fail "the terminated machine's home still exists"
pass "down pulls the remote edits, then terminates (the home is gone)"

# An unreachable machine: down refuses without --force, and does with it.
expect 0 up lost --detach --no-browser  # reached once: its host key is pinned
lid=$(machine_json lost | jq -r .id)
curl -sf -X POST -d '{"up": false}' "$SANDBOX_URL/_sandbox/instances/$lid/network" >/dev/null
expect 7 down lost --yes
assert_grep 'cannot pull the notebooks of lost.*--force' "$WORK/err"
assert_eq "$(instance_field "$lid" state)" running "state after the refused down"
expect 0 down lost --yes --force
pass "down of an unreachable machine refuses without --force"
finish
