#!/usr/bin/env bash
# What machines cost: `ls` and `cost` figures against a hand computation from the ledger's own
# timestamps, with prices set in config.toml so that one second costs exactly one dollar; spot
# prices from DescribeSpotPriceHistory, asked once; a spot interruption shown; the warning about a
# machine running unattended with autostop off.
source "$(dirname "$0")/lib.sh"
start_sandbox

# g5.xlarge: 3600 $/h = 1 $/s. gp3: 26280 $/GB-month = 0.01 $/GB-s, so up's default 100 GB disk costs 1 $/s.
mkdir -p "$XDG_CONFIG_HOME/gpunb"
cat >"$XDG_CONFIG_HOME/gpunb/config.toml" <<'EOF'
[prices]
"g5.xlarge" = 3600
gp3 = 26280
EOF
LEDGER="$XDG_STATE_HOME/gpunb/ledger.db"

# seconds_of NAME UNTIL: "RUNNING DISK" seconds from the ledger's state events, spans as gpunb
# counts them: each state lasts until the next different one; the last one until UNTIL.
seconds_of() {
  python3 - "$LEDGER" "$1" "$2" <<'PY'
import sqlite3, sys
db, name, until = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = sqlite3.connect(db).execute(
    "SELECT time, detail FROM events WHERE machine = ? AND kind = 'state' ORDER BY time, id", (name,)).fetchall()
spans, current = [], None
for time, state in rows:
    if current and current[1] == state:
        continue
    if current:
        spans.append((current[0], time, current[1]))
    current = (time, state)
spans.append((current[0], until, current[1]))
running = sum(e - b for b, e, s in spans if s == "running")
disk = sum(e - b for b, e, s in spans if s in ("pending", "running", "stopping", "stopped", "shutting-down"))
print(running, disk)
PY
}

expect 0 up box --type g5.xlarge --no-connect
sleep 2
expect 0 stop box
expect 0 ls --json
jq -c '.[] | select(.name == "box")' "$WORK/out" >"$WORK/box.json"
read -r running _ < <(seconds_of box 0)
[ "$running" -gt 0 ] || fail "no running time in the ledger"
assert_eq "$(jq -r '[.state, .gpu, .price_per_hour, .price_source, .disk_gb, .disk_gb_assumed] | join(" ")' "$WORK/box.json")" \
  "stopped A10G 3600 config 100 false" "ls --json price fields (disk size from up's disk event)"
assert_eq "$(jq -r '.spent.compute' "$WORK/box.json")" "$running" "ls spent.compute (running seconds x 1 \$)"
assert_eq "$(jq -r '[.uptime_seconds, .autostop_minutes, .autostop_source] | join(" ")' "$WORK/box.json")" \
  "0 60 default" "ls uptime and autostop"
pass "ls: a stopped g5.xlarge, \$3600/h from the config, spent.compute = $running s x \$1"

expect 0 cost --json
until=$(python3 -c 'import sys, json, datetime; print(int(datetime.datetime.strptime(json.load(open(sys.argv[1]))["until"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc).timestamp()))' "$WORK/out")
read -r running disk < <(seconds_of box "$until")
assert_eq "$(jq -r '.machines[0] | [.name, .running_seconds, .stopped_seconds + .running_seconds] | join(" ")' "$WORK/out")" \
  "box $running $disk" "cost seconds"
assert_eq "$(jq -r '.machines[0].spent | [.compute, .disk, .total] | join(" ")' "$WORK/out")" \
  "$running $disk $((running + disk))" "cost dollars"
assert_eq "$(jq -r '.total' "$WORK/out")" "$((running + disk))" "cost total"
pass "cost: compute \$$running + disk \$$disk, as computed by hand from the ledger"

expect 0 cost
assert_grep '^box +g5\.xlarge +us-east-1 +stopped' "$WORK/out"
assert_grep '^Total: ' "$WORK/out"
expect 0 cost --since 2999-01-01 --json
assert_eq "$(jq -r .total "$WORK/out")" 0 "cost since a future date"
expect 2 cost --since yesterday
pass "cost table, --since"

expect 0 up sp --type g4dn.xlarge --spot --no-connect
expect 0 ls --json
price=$(jq -r '.[] | select(.name == "sp") | .price_per_hour' "$WORK/out")
assert_eq "$(jq -r '.[] | select(.name == "sp") | .price_source' "$WORK/out")" spot "spot price source"
python3 -c 'import sys; p = float(sys.argv[1]); assert 0.05 <= p < 1.06, p' "$price"
expect 0 ls --json
assert_eq "$(calls_of DescribeSpotPriceHistory)" 1 "DescribeSpotPriceHistory calls for two listings"
pass "spot machine priced from DescribeSpotPriceHistory (\$$price/h), asked once"

id=$(jq -r '.[] | select(.name == "sp") | .id' "$WORK/out")
curl -sf -X POST "$SANDBOX_URL/_sandbox/instances/$id/interrupt" >/dev/null
# --all: the sandbox may have finished terminating it already, and ls hides terminated ones.
sp_interrupted() { "$GPUNB_BIN" ls --all --json 2>/dev/null | jq -e '.[] | select(.name == "sp") | .interrupted' >/dev/null; }
wait_until 20 sp_interrupted
expect 0 ls --all --json
assert_eq "$(jq -r '.[] | select(.name == "sp") | .interrupted' "$WORK/out")" true "interrupted in ls --json"
expect 0 ls --all
assert_grep '^sp +[a-z-]+ \(spot interrupted\)' "$WORK/out"
pass "a spot interruption shows in ls"

# A machine running for 9 hours with autostop off: one warning, then quiet for a day.
# (a top-level key: appended after [prices] it would be read as a price)
sed -i '1i autostop = "off"' "$XDG_CONFIG_HOME/gpunb/config.toml"
expect 0 start box
python3 - "$LEDGER" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE events SET time = time - 9 * 3600 WHERE machine = 'box'")
db.commit()
PY
expect 0 cost --json
assert_grep 'box has been running for 9h at \$3600\.00/h with autostop off' "$WORK/err"
expect 0 cost --json
if grep -q 'autostop off' "$WORK/err"; then fail "warned twice: $(cat "$WORK/err")"; fi
pass "a machine running 9 h with autostop off is warned about once"

# A name reused after `down`: the new machine starts a new history; `cost` keeps both.
expect 0 up re --type g5.xlarge --no-connect
expect 0 down re --yes
expect 0 up re --type g4dn.xlarge --no-connect --disk 80
expect 0 ls --json
assert_eq "$(jq -r '.[] | select(.name == "re") | [.type, .disk_gb, .disk_gb_assumed] | join(" ")' "$WORK/out")" \
  "g4dn.xlarge 80 false" "ls of the reused name"
expect 0 cost --json
assert_eq "$(jq -r '[.machines[] | select(.name == "re") | .type + "/" + .state] | join(" ")' "$WORK/out")" \
  "g5.xlarge/terminated g4dn.xlarge/running" "cost rows of the reused name"
assert_eq "$(jq -r '[.machines[] | select(.name == "re") | .id] | unique | length' "$WORK/out")" 2 "distinct ids"
pass "a name reused after down: ls shows the new machine, cost both"

finish
