#!/usr/bin/env bash
# Builds what a deployment runs and stages it in one folder, the same way everywhere: the
# Dockerfile's builder stage runs it, and so does the test deploy.release_stage.
#
#   scripts/build-release.sh OUT      OUT/bin/ferry-server and OUT/web (the web root, dist/)
#
# Only the targets a deployment needs are built (ferry-server, and the wasm client staged as the
# web root: ferry_dist), in the usual build trees (build/native, build/wasm: incremental, shared
# with scripts/build.sh). The web root is build/wasm/dist, which the build stages with exactly
# the files the page loads, under content-hashed names, with .br and .gz copies
# (cmake/stage_dist.cmake); it is copied as it is. Assumes scripts/setup.sh ran.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
out=$1
export NODE_PATH=/usr/share/nodejs   # emscripten's JS optimiser needs Debian's acorn
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
jobs=${FERRY_JOBS:-$(nproc)}

log() { echo "[build-release] $*"; }

[ -f build/wasm/build.ninja ] || cmake --preset wasm >/dev/null
cmake --build --preset wasm -j"$jobs" --target ferry_dist
[ -f build/native/build.ninja ] || cmake --preset native >/dev/null
cmake --build --preset native -j"$jobs" --target ferry-server

dist=build/wasm/dist
[ -f "$dist/index.html" ] || { echo "[build-release] $dist/index.html is missing: the wasm build is incomplete" >&2; exit 1; }
rm -rf "$out/web" "$out/bin"
mkdir -p "$out/bin"
cp -r "$dist" "$out/web"
install -m 755 build/native/server/ferry-server "$out/bin/ferry-server"
strip --strip-debug "$out/bin/ferry-server"
log "staged $out/bin/ferry-server and $(find "$out/web" -type f | wc -l) files in $out/web"
