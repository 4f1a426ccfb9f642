#!/usr/bin/env bash
# Data lands on the machine (issue 5): HTTP with a cut and a resume, a file changed on the server,
# Google Drive's pages, S3 (a key, a 2,500-object prefix, signed and anonymous, a wrong region),
# hostile archives refused, a streamed tar invisible until its checksum passed, UTF-8 archive names
# with LC_ALL=C, and a fetch that goes on after gpunb on the laptop is killed.
# Origins for the machine run inside its network namespace on its loopback; those for --local on
# this machine's loopback. Nothing else is contacted.
source "$(dirname "$0")/lib.sh"
start_sandbox
TOOLS="$ROOT/tests/tools"
ORIGIN_PIDS=()
trap 'for p in "${ORIGIN_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done; cleanup' EXIT

# origin NAME [ip netns exec NS] CMD...: starts a server that prints "READY <port>"; sets PORT_NAME.
origin() {
  local name=$1; shift
  : >"$WORK/$name.out"  # a restarted origin's old READY line must not be read as the new one's
  "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
  ORIGIN_PIDS+=($!)
  eval "PID_$name=$!"
  wait_until 30 grep -qs '^READY ' "$WORK/$name.out"
  eval "PORT_$name=$(sed -n 's/^READY //p' "$WORK/$name.out")"
}
stop_origin() { local pid; eval "pid=\$PID_$1"; kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
sha() { sha256sum "$1" | cut -c1-64; }
in_ns() { ip netns exec "$NS" "$@"; }
stats() { in_ns curl -sf "http://127.0.0.1:$PORT_http/_ctl/stats"; }

mkdir -p "$WORK/srv" "$WORK/drive"
head -c 30000000 /dev/urandom >"$WORK/srv/big.bin"
mkdir -p "$WORK/tree/sub" && echo one >"$WORK/tree/a.txt" && echo two >"$WORK/tree/sub/b.txt"
tar czf "$WORK/srv/tree.tar.gz" -C "$WORK/tree" . && (cd "$WORK/tree" && zip -qr "$WORK/srv/tree.zip" .)

expect 0 up box --detach --no-browser
id=$(machine_json box | jq -r .id)
NS=$(instance_field "$id" netns)
home=$(instance_field "$id" home_dir)
data="$home/work/box/data"

# --- HTTP: whole file checked, archives unpacked (tar while it downloads, zip after) ---------
origin http ip netns exec "$NS" /usr/bin/python3 "$TOOLS/http_origin.py" --dir "$WORK/srv" --port 0
expect 0 fetch box "http://127.0.0.1:$PORT_http/big.bin" --sha256 "$(sha "$WORK/srv/big.bin")"
cmp "$WORK/srv/big.bin" "$data/big.bin" || fail "big.bin differs on the machine"
assert_grep "fetched .*big.bin into .*/work/box/data: 1 file" "$WORK/out"
assert_grep '^/data/$' "$WS/.gpunbignore"
expect 0 pull box
[ ! -e "$WS/data/big.bin" ] || fail "pull brought the fetched data to the laptop"
expect 0 fetch box "http://127.0.0.1:$PORT_http/tree.tar.gz" --to unpacked --extract
cmp "$WORK/tree/sub/b.txt" "$home/work/box/unpacked/sub/b.txt" || fail "tar.gz not unpacked"
expect 0 fetch box "http://127.0.0.1:$PORT_http/tree.zip" --to zipped --unzip --json
[ "$(jq .extracted.entries "$WORK/out")" -ge 3 ] || fail "zip: $(cat "$WORK/out")"
cmp "$WORK/tree/a.txt" "$home/work/box/zipped/a.txt" || fail "zip not unpacked"
expect 7 fetch box "http://127.0.0.1:$PORT_http/tree.zip" --to wrong --sha256 "$(printf '0%.0s' {1..64})"
assert_grep "(sha-?256|SHA-256|checksum)" "$WORK/err"
[ ! -e "$home/work/box/wrong/tree.zip" ] || fail "a file that failed its check has its final name"
pass "HTTP: checked against --sha256, tar.gz and zip unpacked, a wrong checksum keeps nothing; data stays on the machine"

# --- a name the server chooses never replaces a file that is there --------------------------
printf 'my own notes\n' >"$data/report.csv" && chown --reference="$data" "$data/report.csv"
expect 0 fetch box "http://127.0.0.1:$PORT_http/tree.zip?cd=report.csv"
assert_grep '^note: report.csv was there already: this download is report \(1\).csv \(nothing replaced\)' "$WORK/out"
[ "$(cat "$data/report.csv")" = "my own notes" ] || fail "the server's name replaced a file"
cmp "$WORK/srv/tree.zip" "$data/report (1).csv" || fail "the download is not under the free name"
expect 0 fetch box "http://127.0.0.1:$PORT_http/tree.zip?cd=report.csv" --json
[ "$(jq -r '.notes[0]' "$WORK/out")" = "report (1).csv was there already with the same bytes: kept as it is" ] ||
  fail "a rerun: $(cat "$WORK/out")"
[ ! -e "$data/report (2).csv" ] || fail "a rerun of the same bytes made another copy"
pass "a server-chosen name never replaces a file: a free numbered name, said; a rerun keeps the same bytes"

# --- a cut mid-download, then a rerun that resumes; a changed file restarts ------------------
stop_origin http
origin http ip netns exec "$NS" /usr/bin/python3 "$TOOLS/http_origin.py" --dir "$WORK/srv" --port "$PORT_http" --rate 4MB
"$GPUNB_BIN" fetch box "http://127.0.0.1:$PORT_http/big.bin" --to resume >"$WORK/cut.out" 2>&1 </dev/null &
fetcher=$!
part_size() { stat -c %s "$home/work/box/resume/.big.bin.gpunb-part" 2>/dev/null || echo 0; }
partial() { [ "$(stats | jq .body_bytes)" -gt 6000000 ]; }
wait_until 30 partial
stop_origin http
rc=0; wait "$fetcher" || rc=$?
[ "$rc" = 8 ] || fail "a fetch whose server went away exited $rc, expected 8: $(cat "$WORK/cut.out")"
[ ! -e "$home/work/box/resume/big.bin" ] || fail "a cut download has its final name"
origin http ip netns exec "$NS" /usr/bin/python3 "$TOOLS/http_origin.py" --dir "$WORK/srv" --port "$PORT_http"
expect 0 fetch box "http://127.0.0.1:$PORT_http/big.bin" --to resume
[ "$(sha "$home/work/box/resume/big.bin")" = "$(sha "$WORK/srv/big.bin")" ] || fail "resumed file differs"
sent=$(stats | jq .body_bytes)
[ "$sent" -lt 27000000 ] || fail "the rerun sent $sent bytes: it did not resume"
pass "a cut download resumes on rerun ($sent of 30000000 bytes sent again), sha256 equal"

stop_origin http
origin http ip netns exec "$NS" /usr/bin/python3 "$TOOLS/http_origin.py" --dir "$WORK/srv" --port "$PORT_http" --rate 4MB
"$GPUNB_BIN" fetch box "http://127.0.0.1:$PORT_http/big.bin" --to changed >"$WORK/cut.out" 2>&1 </dev/null &
fetcher=$!
wait_until 30 partial
stop_origin http
wait "$fetcher" || true
head -c 30000000 /dev/urandom >"$WORK/srv/big.bin"  # the server's file is replaced
origin http ip netns exec "$NS" /usr/bin/python3 "$TOOLS/http_origin.py" --dir "$WORK/srv" --port "$PORT_http"
expect 0 fetch box "http://127.0.0.1:$PORT_http/big.bin" --to changed
[ "$(sha "$home/work/box/changed/big.bin")" = "$(sha "$WORK/srv/big.bin")" ] || fail "a changed file was spliced"
pass "a file changed on the server between runs is fetched again whole"

# --- the fetch goes on on the machine when gpunb on the laptop is killed ---------------------
stop_origin http
origin http ip netns exec "$NS" /usr/bin/python3 "$TOOLS/http_origin.py" --dir "$WORK/srv" --port "$PORT_http" --rate 6MB
"$GPUNB_BIN" fetch box "http://127.0.0.1:$PORT_http/big.bin" --to detached --connections 1 >/dev/null 2>&1 </dev/null &
fetcher=$!
wait_until 30 partial
kill -KILL "$fetcher"
wait "$fetcher" || true
expect 0 fetch box --status --json
[ "$(jq -r '.jobs[0].state' "$WORK/out")" = running ] || fail "no running fetch after gpunb was killed: $(cat "$WORK/out")"
fetch_done() { run_gpunb fetch box --status --json; [ "$(jq -r '.jobs[0].state' "$WORK/out")" = done ]; }
wait_until 60 fetch_done
[ "$(sha "$home/work/box/detached/big.bin")" = "$(sha "$WORK/srv/big.bin")" ] || fail "detached fetch differs"
expect 0 fetch box --status
assert_grep "done .*big.bin" "$WORK/out"
pass "a fetch keeps going on the machine after gpunb on the laptop is killed; --status follows it"

# --- Google Drive through the endpoint override ----------------------------------------------
head -c 3000000 /dev/urandom >"$WORK/drive/1AbCdEfGhIjKlMnOpQrStUvWxYz012345"
head -c 2000 /dev/urandom >"$WORK/drive/1SmallFileIdAbCdEfGhIjKlMnOpQr"
for id in 1QuotaIdAbCdEfGhIjKlMnOpQrSt 1PrivateIdAbCdEfGhIjKlMnOpQr; do echo x >"$WORK/drive/$id"; done
origin drive ip netns exec "$NS" /usr/bin/python3 "$TOOLS/gdrive_origin.py" --dir "$WORK/drive" --large-over 1000000 \
  --quota 1QuotaIdAbCdEfGhIjKlMnOpQrSt --private 1PrivateIdAbCdEfGhIjKlMnOpQr \
  --name 1AbCdEfGhIjKlMnOpQrStUvWxYz012345=weights.bin --name 1SmallFileIdAbCdEfGhIjKlMnOpQr=small.csv \
  --doc "1DocIdAbCdEfGhIjKlMnOpQrStUvWxYz=document:Lab notes" --doc 1SheetIdAbCdEfGhIjKlMnOpQrStUv=spreadsheets:Runs
export GPUNB_GDRIVE_ENDPOINT="http://127.0.0.1:$PORT_drive"
expect 0 fetch box "https://drive.google.com/file/d/1AbCdEfGhIjKlMnOpQrStUvWxYz012345/view?usp=sharing" --to drive
cmp "$WORK/drive/1AbCdEfGhIjKlMnOpQrStUvWxYz012345" "$home/work/box/drive/weights.bin" || fail "large Drive file"
expect 0 fetch box "https://drive.google.com/open?id=1SmallFileIdAbCdEfGhIjKlMnOpQr" --to drive
cmp "$WORK/drive/1SmallFileIdAbCdEfGhIjKlMnOpQr" "$home/work/box/drive/small.csv" || fail "small Drive file"
expect 7 fetch box 1QuotaIdAbCdEfGhIjKlMnOpQrSt --to drive
assert_grep "Too many users have viewed or downloaded this file recently" "$WORK/err"
expect 7 fetch box "https://drive.google.com/uc?id=1PrivateIdAbCdEfGhIjKlMnOpQr&export=download" --to drive
assert_grep "not shared publicly" "$WORK/err"
expect 5 fetch box "https://drive.google.com/file/d/1MissingIdAbCdEfGhIjKlMnOpQ/view" --to drive
[ -z "$(find "$home/work/box/drive" \( -name '*.html' -o -name 'download*' \) -print -quit)" ] || fail "a Drive page was saved"
pass "Google Drive: large-file form followed, small file direct, quota/permission/missing said with Google's words"

docs="$home/work/box/docs"
expect 0 fetch box "https://docs.google.com/document/d/1DocIdAbCdEfGhIjKlMnOpQrStUvWxYz/edit?usp=sharing" --to docs
[ "$(cat "$docs/Lab notes.docx")" = "Lab notes exported as docx" ] || fail "Docs link: $(ls "$docs")"
expect 0 fetch box "https://docs.google.com/spreadsheets/d/1SheetIdAbCdEfGhIjKlMnOpQrStUv/edit#gid=7" --to docs --format csv
[ "$(cat "$docs/Runs.csv")" = "Runs exported as csv (gid 7)" ] || fail "Sheets link as csv: $(ls "$docs")"
expect 0 fetch box "https://drive.google.com/file/d/1DocIdAbCdEfGhIjKlMnOpQrStUvWxYz/view" --to docs --format pdf
[ "$(cat "$docs/Lab notes.pdf")" = "Lab notes exported as pdf" ] || fail "Drive link to a document: $(ls "$docs")"
expect 2 fetch box "https://docs.google.com/document/d/1DocIdAbCdEfGhIjKlMnOpQrStUvWxYz/edit" --to docs --format xlsx
assert_grep "a Google Docs document cannot be exported as 'xlsx': --format takes docx, odt" "$WORK/err"
[ "$(find "$docs" -type f | wc -l)" = 3 ] || fail "a refused export left a file: $(ls -a "$docs")"
unset GPUNB_GDRIVE_ENDPOINT
pass "Google Docs/Sheets links and a Drive link to a document are exported under the document's name; a format the kind lacks is a usage error"

# --- S3 (on this machine's loopback, with --local): a key, 2,500 objects, anonymous, wrong region
origin s3 node "$TOOLS/s3_origin.mjs" --objects 2500 --size 200 --prefix many/
export AWS_ENDPOINT_URL_S3="http://127.0.0.1:$PORT_s3"
s3env() { AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER "$@"; }
s3env expect 0 fetch --local s3://gpunb-test/many/ --to "$WORK/s3all" --json
[ "$(find "$WORK/s3all" -type f | wc -l)" = 2500 ] || fail "prefix: $(find "$WORK/s3all" -type f | wc -l) files"
[ "$(jq .files "$WORK/out")" = 2500 ] || fail "prefix json: $(head -c 300 "$WORK/out")"
one=$(cd "$WORK/s3all" && find . -type f -print -quit | sed 's|^\./||')
s3env expect 0 fetch --local "s3://gpunb-test/many/$one" --to "$WORK/s3one"
cmp "$WORK/s3all/$one" "$WORK/s3one/$(basename "$one")" || fail "single key"
expect 0 fetch --local s3://gpunb-test/many/ --no-sign-request --to "$WORK/s3anon"
[ "$(find "$WORK/s3anon" -type f | wc -l)" = 2500 ] || fail "anonymous prefix"
origin proxy /usr/bin/python3 "$TOOLS/region_proxy.py" --upstream "http://127.0.0.1:$PORT_s3" --region eu-west-1
AWS_ENDPOINT_URL_S3="http://127.0.0.1:$PORT_proxy" s3env expect 0 fetch --local "s3://gpunb-test/many/$one" --to "$WORK/s3region"
cmp "$WORK/s3all/$one" "$WORK/s3region/$(basename "$one")" || fail "wrong-region fetch"
[ "$(curl -sf "http://127.0.0.1:$PORT_proxy/__proxy_stats" | jq .redirects)" -ge 1 ] || fail "no redirect happened"
s3env expect 5 fetch --local s3://no-such-bucket/x --to "$WORK/s3none"
pass "S3: one key, 2,500 objects signed and anonymous, a wrong region followed, a missing bucket said"

# --- hostile archives are refused, nothing written outside the folder ------------------------
mkdir -p "$WORK/evil"
/usr/bin/python3 - "$WORK/evil" <<'PY'
import io, sys, tarfile, zipfile
d = sys.argv[1]
with zipfile.ZipFile(f"{d}/slip.zip", "w") as z:
    z.writestr("ok.txt", "fine")
    z.writestr("../../escaped.txt", "evil")
def tar(name, entries):
    with tarfile.open(f"{d}/{name}", "w:gz") as t:
        for info, data in entries:
            t.addfile(info, io.BytesIO(data) if data is not None else None)
def member(name, kind=tarfile.REGTYPE, link="", data=b""):
    info = tarfile.TarInfo(name); info.type = kind; info.linkname = link; info.size = len(data)
    return info, (data if kind == tarfile.REGTYPE else None)
tar("abs.tar.gz", [member(d + "/absolute-escape.txt", data=b"evil")])
tar("symlink.tar.gz", [member("link", tarfile.SYMTYPE, "../.."), member("link/symlink-escape.txt", data=b"evil")])
tar("hardlink.tar.gz", [member("hl", tarfile.LNKTYPE, "../../../etc/passwd")])
with tarfile.open(f"{d}/bomb.tar.gz", "w:gz") as t:
    info = tarfile.TarInfo("zeros.bin"); info.size = 200 << 20
    class Zeros(io.RawIOBase):
        left = info.size
        def readinto(self, b):
            n = min(len(b), self.left); b[:n] = bytes(n); self.left -= n; return n
    t.addfile(info, Zeros())
PY
stop_origin http
origin local /usr/bin/python3 "$TOOLS/http_origin.py" --dir "$WORK/evil" --port 0
for archive in slip.zip abs.tar.gz symlink.tar.gz hardlink.tar.gz; do
  expect 7 fetch --local "http://127.0.0.1:$PORT_local/$archive" --to "$WORK/x/$archive/dir" --extract
  assert_grep "refused|outside|unsafe|absolute|\.\." "$WORK/err"
done
expect 7 fetch --local "http://127.0.0.1:$PORT_local/bomb.tar.gz" --to "$WORK/x/bomb/dir" -x --max-extract-ratio 100
assert_grep "ratio|max-extract" "$WORK/err"
outside=$(find "$WORK" -name '*escape*.txt' -o -name escaped.txt | grep -v "^$WORK/evil" || true)
[ -z "$outside" ] || fail "written outside the folder: $outside"
[ "$(du -sm "$WORK/x/bomb" | cut -f1)" -lt 150 ] || fail "the bomb filled the disk"
pass "zip-slip, absolute path, symlink and hard-link escapes and a bomb are refused; nothing outside"

# --- a tar unpacked while it downloads shows nothing until its checksum passed ---------------
cp "$WORK/srv/tree.tar.gz" "$WORK/evil/"
mkdir -p "$WORK/x/checked" && echo mine >"$WORK/x/checked/a.txt"
expect 7 fetch --local "http://127.0.0.1:$PORT_local/tree.tar.gz" --to "$WORK/x/checked" -x \
  --sha256 "$(printf '0%.0s' {1..64})"
assert_grep "(sha-?256|SHA-256|checksum)" "$WORK/err"
assert_eq "$(cat "$WORK/x/checked/a.txt")" mine "a.txt after a failed checksum"
assert_eq "$(ls -A "$WORK/x/checked")" a.txt "the folder after a failed checksum"
expect 0 fetch --local "http://127.0.0.1:$PORT_local/tree.tar.gz" --to "$WORK/x/checked" -x \
  --sha256 "$(sha "$WORK/evil/tree.tar.gz")"
cmp "$WORK/tree/sub/b.txt" "$WORK/x/checked/sub/b.txt" || fail "tar.gz not unpacked once checked"
[ -z "$(find "$WORK/x/checked" -name '.*gpunb-unpack*' -print -quit)" ] || fail "a stage was left"
mkdir -p "$WORK/s3bad/gpunb-test" "$WORK/x/etag" && echo mine >"$WORK/x/etag/a.txt"
object="$WORK/s3bad/gpunb-test/tree.tar.gz._S3rver_object"  # served with an ETag that is not its MD5
cp "$WORK/srv/tree.tar.gz" "$object" && printf '0%.0s' {1..32} >"$object.md5"
echo '{"content-type":"application/gzip"}' >"${object%_object}_metadata.json"
origin s3bad node "$TOOLS/s3_origin.mjs" --dir "$WORK/s3bad" --objects 1 --size 10 --prefix other/
AWS_ENDPOINT_URL_S3="http://127.0.0.1:$PORT_s3bad" s3env expect 7 fetch --local \
  s3://gpunb-test/tree.tar.gz --to "$WORK/x/etag" -x
assert_eq "$(ls -A "$WORK/x/etag"):$(cat "$WORK/x/etag/a.txt")" a.txt:mine "after an ETag mismatch"
pass "a tar streamed with a wrong --sha256 or S3 ETag leaves the folder as it was; checked, it lands"

# --- archive names are UTF-8 whatever the locale; modes masked --------------------------------
/usr/bin/python3 - "$WORK/evil" <<'PY'
import io, sys, tarfile, zipfile
d = sys.argv[1]
names = ["café/naïve.txt", "日本語/データ.csv"]
with zipfile.ZipFile(f"{d}/names.zip", "w") as z:  # flags the names UTF-8, as Windows and 7-Zip do
    for name in names:
        info = zipfile.ZipInfo(name); info.external_attr = 0o100777 << 16
        z.writestr(info, name)
with tarfile.open(f"{d}/names.tar.gz", "w:gz", format=tarfile.PAX_FORMAT) as t:
    for name in names:
        info = tarfile.TarInfo(name); info.size = len(name.encode()); info.mode = 0o6777
        t.addfile(info, io.BytesIO(name.encode()))
PY
for archive in names.zip names.tar.gz; do
  LC_ALL=C LANG= expect 0 fetch --local "http://127.0.0.1:$PORT_local/$archive" --to "$WORK/x/$archive" -x
  for name in "café/naïve.txt" "日本語/データ.csv"; do
    assert_eq "$(cat "$WORK/x/$archive/$name" 2>/dev/null)" "$name" "$archive: $name"
    assert_eq "$(stat -c %a "$WORK/x/$archive/$name")" 755 "$archive: the mode of $name"
  done
done
pass "UTF-8 names of a zip and a pax tar unpack under their names with LC_ALL=C; modes masked to 0755"

finish
