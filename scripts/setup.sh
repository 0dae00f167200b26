#!/usr/bin/env bash
# Installs everything Ferry needs on a Debian bookworm machine, from the Debian registry
# (deb and deb-src) and the npm registry only. Idempotent: when everything is present it
# only checks and returns in about a second.
#
#   scripts/setup.sh            install apt packages, fetch third-party sources, build wasm libsodium,
#                               install npm test tools
#
# Third-party sources and the wasm build of libsodium live in FERRY_DEPS (default
# /var/cache/ferry-deps), outside the source tree, shared by every checkout on the machine.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
deps=${FERRY_DEPS:-/var/cache/ferry-deps}
export DEBIAN_FRONTEND=noninteractive

log() { echo "[setup] $*"; }

# --- apt packages -------------------------------------------------------------------------
apt_packages=(
  build-essential cmake ninja-build ccache pkg-config git
  emscripten clang-14 lld-14 libclang-rt-14-dev
  libsodium-dev nlohmann-json3-dev catch2 libboost1.74-dev libboost-program-options1.74-dev libssl-dev
  autoconf automake libtool dpkg-dev
  fonts-dejavu-core
  chromium firefox-esr iproute2 iptables zbar-tools
  nodejs
  coturn
  libjwt-dev libcli11-dev
)

missing=()
for p in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

sources_file=/etc/apt/sources.list.d/ferry-deb-src.sources
need_update=0
if [ ! -f "$sources_file" ]; then
  log "adding deb-src entries for bookworm"
  cat >"$sources_file" <<'EOF'
# Added by Ferry's scripts/setup.sh: source packages for the wasm build (libsodium, imgui, qrcodegen).
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  need_update=1
fi

if [ ${#missing[@]} -gt 0 ] || [ $need_update = 1 ]; then
  log "apt-get update"
  apt-get update -qq || log "apt-get update reported errors (unreachable extra repositories are ignored)"
fi
if [ ${#missing[@]} -gt 0 ]; then
  log "installing: ${missing[*]}"
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- third-party sources (deb-src) --------------------------------------------------------
mkdir -p "$deps/src"
fetch_source() { # package, directory glob expected after unpacking
  local pkg=$1 dir=$2
  if compgen -G "$deps/src/$dir" >/dev/null; then return; fi
  log "fetching source package $pkg"
  # Only the upstream (orig) tarball is needed; a missing Debian patch tarball is harmless.
  (cd "$deps/src" && apt-get source --download-only -qq "$pkg" >/dev/null 2>&1) || true
  if ! compgen -G "$deps/src/${pkg}_*.orig.tar.*" >/dev/null; then
    apt-get update -qq || true
    (cd "$deps/src" && apt-get source --download-only -qq "$pkg" >/dev/null 2>&1) || true
  fi
  local orig
  orig=$(ls "$deps/src"/"${pkg}"_*.orig.tar.* 2>/dev/null | head -n 1)
  [ -n "$orig" ] || { echo "[setup] could not fetch the source of $pkg from deb-src" >&2; exit 1; }
  tar -xf "$orig" -C "$deps/src"
}
fetch_source libsodium 'libsodium-1.0.18*'
fetch_source imgui 'imgui-1.86*'
fetch_source qr-code-generator 'QR-Code-generator-1.8.0*'

sodium_src=$(ls -d "$deps"/src/libsodium-1.0.18* | head -n 1)
imgui_src=$(ls -d "$deps"/src/imgui-1.86* | head -n 1)
qr_src=$(ls -d "$deps"/src/QR-Code-generator-1.8.0* | head -n 1)

# Stable names for CMake (FERRY_DEPS/imgui, FERRY_DEPS/qrcodegen).
ln -sfn "$imgui_src" "$deps/imgui"
ln -sfn "$qr_src" "$deps/qrcodegen"

# --- header-only libraries for emcc -------------------------------------------------------
# emcc must not see /usr/include (glibc headers break it); expose only these headers.
mkdir -p "$deps/wasm-include"
ln -sfn /usr/include/nlohmann "$deps/wasm-include/nlohmann"
ln -sfn /usr/include/catch2 "$deps/wasm-include/catch2"

# --- emscripten environment ---------------------------------------------------------------
# Debian's emscripten ships a prebuilt, frozen system-library cache: do not move EM_CACHE.
export NODE_PATH=/usr/share/nodejs

# --- libsodium for wasm (built once) ------------------------------------------------------
# With wasm SIMD (bench/README.md, "Crypto"): libsodium's SSE code is compiled to wasm SIMD through
# Emscripten's SSE headers, and scripts/patches/libsodium-1.0.18-wasm-sse.patch lets its runtime
# dispatch pick it (wasm has no cpuid). Only the SSE sources get -msimd128 -msse4.1, and they are
# compiled with LLVM's fast instruction selector: Emscripten 3.1.6's optimising one miscompiles
# ChaCha20's 4-block SSSE3 path (wrong keystream from 256 bytes on; libsodium's own `make check`
# misses it, tests/unit/crypto/sodium_build_test.cpp does not). A new directory name, so machines
# that built the old prefix build this one once.
sodium_wasm="$deps/wasm/libsodium-simd"
sodium_patch="$here/scripts/patches/libsodium-1.0.18-wasm-sse.patch"
if [ ! -f "$sodium_wasm/lib/libsodium.a" ]; then
  log "building libsodium for wasm with SIMD (about 2 minutes on 2 cores)"
  build="$deps/build/libsodium-wasm-simd"
  rm -rf "$build"
  mkdir -p "$build"
  cp -a "$sodium_src/." "$build/"
  (
    cd "$build"
    [ -x configure ] || ./autogen.sh -s >/dev/null
    patch -p1 -s <"$sodium_patch"
    # HAVE_*INTRIN_H: configure skips these probes for emscripten. CFLAGS_SSE2 reaches every SSE
    # convenience library (libsse2, libssse3, libsse41), and only those.
    emconfigure ./configure --host=wasm32-unknown-emscripten --prefix="$sodium_wasm" \
      --disable-shared --enable-static --without-pthreads --disable-ssp --disable-asm \
      --disable-pie \
      CPPFLAGS="-DFERRY_WASM_SSE=1 -DHAVE_EMMINTRIN_H=1 -DHAVE_PMMINTRIN_H=1 -DHAVE_TMMINTRIN_H=1 -DHAVE_SMMINTRIN_H=1" \
      CFLAGS_SSE2="-msimd128 -msse4.1 -mllvm -fast-isel" >/dev/null
    emmake make -j"$(nproc)" >/dev/null
    emmake make install >/dev/null
  )
  rm -rf "$build"
fi

# --- npm test tools -----------------------------------------------------------------------
if [ -f "$here/package.json" ]; then
  if [ ! -d "$here/node_modules" ] || [ "$here/package-lock.json" -nt "$here/node_modules/.package-lock.json" ]; then
    log "installing npm packages"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi

log "ready (deps in $deps)"
