#!/usr/bin/env bash
# Builds what a deployment runs and stages it in one folder, the same way everywhere: the
# Dockerfile's builder stage runs it, and so does the test deploy.release_stage.
#
#   scripts/build-release.sh OUT      OUT/bin/ferry-server and OUT/web (the web root)
#
# Only the two targets a deployment needs are built (ferry-server and the wasm client), in the
# usual build trees (build/native, build/wasm: incremental, shared with scripts/build.sh). The
# build tree's web folder also holds CMake's own files and the client's static libraries, so
# the web root is not a copy of it: it gets exactly the files the page loads (the shell page
# and its assets from shell/, ferry.js and ferry.wasm, and zxcvbn when installed), each checked
# to exist, plus a gzip copy of the large ones, which ferry-server sends to browsers that accept
# gzip. Assumes scripts/setup.sh ran.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
out=$1
export NODE_PATH=/usr/share/nodejs   # emscripten's JS optimiser needs Debian's acorn
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
jobs=${FERRY_JOBS:-$(nproc)}

log() { echo "[build-release] $*"; }

[ -f build/wasm/build.ninja ] || cmake --preset wasm >/dev/null
cmake --build --preset wasm -j"$jobs" --target ferry_client
[ -f build/native/build.ninja ] || cmake --preset native >/dev/null
cmake --build --preset native -j"$jobs" --target ferry-server

built=build/wasm/web
# What the page loads: the shell (index.html, boot.js, CSS, manifest, icons, storage worker),
# the client, and the password strength meter (optional: web/CMakeLists.txt copies it only
# when npm installed it; the page falls back without it).
assets=(ferry.js ferry.wasm)
for f in shell/*; do assets+=("$(basename "$f")"); done
optional=(zxcvbn.js zxcvbn.LICENSE.txt)
# Compressed copies for these (text and wasm compress 3-4x; the icons are PNG already).
compress_ext='\.(js|wasm|css|html|webmanifest)$'

rm -rf "$out/web" "$out/bin"
mkdir -p "$out/web" "$out/bin"
for f in "${assets[@]}"; do
  [ -f "$built/$f" ] || { echo "[build-release] $built/$f is missing: the wasm build is incomplete" >&2; exit 1; }
  cp "$built/$f" "$out/web/$f"
done
for f in "${optional[@]}"; do
  if [ -f "$built/$f" ]; then cp "$built/$f" "$out/web/$f"; fi
done
for f in "$out"/web/*; do
  # -n: no name or time in the header, so the same input gives the same bytes.
  if [[ $f =~ $compress_ext ]]; then gzip -9 -n -k "$f"; fi
done
install -m 755 build/native/server/ferry-server "$out/bin/ferry-server"
strip --strip-debug "$out/bin/ferry-server"
log "staged $out/bin/ferry-server and $(find "$out/web" -type f | wc -l) files in $out/web"
