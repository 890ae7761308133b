#!/usr/bin/env bash
# Sets everything up and runs the demo organisation end to end into ./demo-org (or $1).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/productops demo "${1:-demo-org}" --replace
