#!/usr/bin/env bash
# A compromised machine cannot harm the laptop: names it gives files are printed escaped, and the
# ignore rules it writes are a conflict, never applied to the laptop's workspace.
source "$(dirname "$0")/lib.sh"
start_sandbox

echo 'secrets/' >.gpunbignore
mkdir -p secrets
echo 'not for the machine' >secrets/key.txt
echo '{}' >a.ipynb
expect 0 up evil --no-connect
expect 0 push evil
id=$(machine_json evil | jq -r .id)
remote="$(instance_field "$id" home_dir)/work/evil"
cmp .gpunbignore "$remote/.gpunbignore"
[ ! -e "$remote/secrets" ] || fail "an ignored folder was pushed"

# The machine, taken over, plants a file whose name is a terminal escape (retitles the window,
# clears the screen) and drops the rule that keeps secrets/ at home.
evil_name=$(printf 'x\033]0;pwned\007\033[2Jy.ipynb')
echo '{}' >"$remote/$evil_name"
printf '# nothing is ignored\n' >"$remote/.gpunbignore"

# A push names what it leaves on the machine ("remote newer; pull to get it: NAME").
expect 0 push evil
cat "$WORK/out" "$WORK/err" >"$WORK/printed"
if grep -q "$(printf '\033')" "$WORK/printed"; then fail "a raw escape character reached the terminal"; fi
assert_grep 'x\\x1b\]0;pwned\\x07\\x1b\[2Jy\.ipynb' "$WORK/printed"
pass "a file name chosen by the machine is printed with its control characters escaped"

expect 9 pull evil
cat "$WORK/out" "$WORK/err" >"$WORK/printed"
if grep -q "$(printf '\033')" "$WORK/printed"; then fail "a raw escape character reached the terminal"; fi

assert_eq "$(cat .gpunbignore)" "secrets/" "the laptop's .gpunbignore after pull"
assert_grep 'conflict: \.gpunbignore' "$WORK/printed"
copy=$(ls .gpunbignore.conflict-remote-*)
assert_eq "$(cat "$copy")" "# nothing is ignored" "the machine's version, kept beside"
rm "$copy"
expect 0 push evil
cmp .gpunbignore "$remote/.gpunbignore" || fail "push did not restore the laptop's rules on the machine"
[ ! -e "$remote/secrets" ] || fail "secrets/ went to the machine after it changed .gpunbignore"
pass "a .gpunbignore changed on the machine is a conflict (exit 9), never applied; push restores it there"

expect 0 down evil --yes
finish
