# Sandbox "cron at boot", run by the host's init before sshd starts: each user's @reboot lines
# from /run/sandbox/crontabs/USER, as that user, detached, with cron's plain environment (plus
# the stubs folder, standing in for /usr/sbin).
for tab in /run/sandbox/crontabs/*; do
  [ -f "$tab" ] || continue
  user=$(basename "$tab")
  uid=$(id -u "$user" 2>/dev/null) || continue
  home=$(getent passwd "$user" | cut -d: -f6)
  grep '^@reboot[[:space:]]' "$tab" | sed 's/^@reboot[[:space:]]*//' | while IFS= read -r cmd; do
    echo "boot: $user: $cmd"
    (cd "$home" && setpriv --reuid="$uid" --regid="$uid" --init-groups \
      env -i HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/sh \
      PATH=/run/sandbox/bin:/usr/local/bin:/usr/bin:/bin /bin/sh -c "$cmd" </dev/null >/dev/null 2>&1 &)
  done
done
