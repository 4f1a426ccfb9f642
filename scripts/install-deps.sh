#!/usr/bin/env bash
# Installs what gpunb needs to build, test and run its sandbox cloud: Debian packages only.
set -euo pipefail

packages=(
  # build
  g++ cmake ninja-build pkg-config clang-format clang-tidy
  libssh-dev libcurl4-openssl-dev libssl-dev libpugixml-dev nlohmann-json3-dev libcli11-dev
  libtomlplusplus-dev libfmt-dev libsqlite3-dev libarchive-dev libexpected-dev libgtest-dev
  # the sandbox cloud's test hosts and the baselines we compare against
  openssh-server openssh-client tmux screen rsync iproute2 nftables curl
  jupyter-server jupyter-core jupyter-notebook python3-ipykernel
  python3-botocore awscli
  # test tooling
  jq sqlite3
)

missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q --no-install-recommends "${missing[@]}"
