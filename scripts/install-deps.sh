#!/usr/bin/env bash
# Installs what gpunb needs to build, test and run its sandbox cloud: Debian packages only.
set -euo pipefail

packages=(
  # build
  g++ cmake ninja-build pkg-config clang-format clang-tidy
  libssh-dev libcurl4-openssl-dev libssl-dev libpugixml-dev nlohmann-json3-dev libcli11-dev
  libtomlplusplus-dev libfmt-dev libsqlite3-dev libexpected-dev libgtest-dev
  # the static agent: OpenSSL and libarchive with the libraries libarchive.a needs
  libarchive-dev nettle-dev libacl1-dev liblzma-dev libzstd-dev libbz2-dev zlib1g-dev
  # the sandbox cloud's test hosts and the baselines we compare against
  openssh-server openssh-client tmux screen rsync iproute2 nftables curl
  jupyter-server jupyter-core jupyter-notebook python3-ipykernel
  python3-botocore awscli aria2 unzip zip
  # test tooling: a real browser for the notebook UI test
  jq sqlite3 chromium fonts-liberation nodejs npm
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
# node and npm may come from elsewhere than Debian (a newer Node.js): only install when absent.
command -v node >/dev/null && command -v npm >/dev/null && missing=("${missing[@]/nodejs/}") && missing=("${missing[@]/npm/}")
read -r -a missing <<<"${missing[*]}"
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all apt packages present"
else
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Test-only npm packages (playwright-core drives Debian's chromium; it downloads no browser).
cd "$(dirname "$0")/.."
if [ ! -d node_modules/playwright-core ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
