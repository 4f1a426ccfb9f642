#!/usr/bin/env bash
# Fails, naming FILE:LINE, when a Linux-only call appears in the laptop side's code (src/ but the
# agent's folders) outside the platform seam, src/util/platform.{hpp,cpp}: the CLI must build on
# macOS, the agent runs on Linux only. Comments are not looked at.
set -euo pipefail
cd "$(dirname "$0")/.."

# Whole words: st_mtim is Linux's (macOS has st_mtimespec), st_mtime is everywhere.
linux_only='accept4|SOCK_NONBLOCK|SOCK_CLOEXEC|MSG_NOSIGNAL|pipe2|dup3|syncfs|O_TMPFILE|O_PATH'
linux_only+='|epoll_[a-z_]+|inotify_[a-z_]+|eventfd|signalfd|prctl|renameat2|RENAME_NOREPLACE'
linux_only+='|memfd_create|sendfile|splice|copy_file_range|fallocate|getrandom|SO_PEERCRED'
linux_only+='|TCP_USER_TIMEOUT|TCP_KEEPIDLE|st_[amc]tim|xdg-open'
pattern="\\b($linux_only)\\b|/proc/|<linux/|<sys/(epoll|inotify|eventfd|signalfd|prctl|sendfile|vfs|statfs|sysinfo)\\.h>"

cli_files() {
  git ls-files --cached --others --exclude-standard 'src/*.cpp' 'src/*.hpp' |
    grep -v -E '^src/(agent|data)/|^src/agent_[a-z]+\.cpp$|^src/util/platform\.(hpp|cpp)$'
}

found=0
while IFS= read -r file; do
  [ -f "$file" ] || continue
  # Drops a line's // comment (not the // of a URL such as file://) before matching.
  while IFS=: read -r line text; do
    call=$(grep -oE "$pattern" <<<"$text" | head -1)
    echo "$file:$line: Linux-only '$call' in CLI code; put it behind src/util/platform.hpp" >&2
    found=$((found + 1))
  done < <(sed -E 's#(^|[^:])//.*$#\1#' "$file" | grep -nE "$pattern" || true)
done < <(cli_files)

if [ "$found" -gt 0 ]; then
  echo "check-portable: $found Linux-only call(s) outside the platform seam" >&2
  exit 1
fi
echo "check-portable: no Linux-only calls outside src/util/platform.{hpp,cpp}"
