#!/usr/bin/env bash
# Builds everything that exists: the wasm tree (core, wasm tests, client) and the native tree
# (core, server, tests). Incremental: seconds when nothing changed. Assumes scripts/setup.sh ran.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export NODE_PATH=/usr/share/nodejs   # emscripten's JS optimiser needs Debian's acorn
jobs=${FERRY_JOBS:-$(nproc)}
# ccache hits across checkouts (CI clones afresh each time): paths are hashed relative to here.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true

[ -f build/wasm/build.ninja ] || cmake --preset wasm >/dev/null
cmake --build --preset wasm -j"$jobs"
[ -f build/native/build.ninja ] || cmake --preset native >/dev/null
cmake --build --preset native -j"$jobs"
