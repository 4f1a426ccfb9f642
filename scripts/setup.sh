#!/usr/bin/env bash
# A fresh Debian 12 machine to a working gpunb: install dependencies, build, run the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
bash scripts/demo.sh
