#!/usr/bin/env bash
# The one test command (README, CI): installs what is missing, builds native and wasm, and runs
# every test through ctest: unit tests natively and under node (wasm), integration tests against
# the real server, and a short deterministic pass of every fuzz harness.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
start=$(date +%s)

bash scripts/setup.sh
bash scripts/build.sh
bash scripts/fuzz.sh --smoke

# Slow scenarios (e2e.large_2gb) run on request: ctest --test-dir build/native -L slow
ctest --test-dir build/native --output-on-failure -LE slow -j"${FERRY_JOBS:-$(nproc)}"
echo "[test] all tests passed in $(( $(date +%s) - start )) s"
