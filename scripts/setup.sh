#!/usr/bin/env bash
# Installs everything Ferry needs on a Debian bookworm machine, from the Debian registry
# (deb and deb-src) and the npm registry only. Idempotent: when everything is present it
# only checks and returns in about a second.
#
#   scripts/setup.sh            install apt packages, fetch third-party sources, build wasm libsodium,
#                               install npm test tools
#   scripts/setup.sh --build-only   only what building needs (deploy/Dockerfile's builder): no
#                               browsers, coturn, nginx or other tools that only the tests use
#
# Third-party sources and the wasm build of libsodium live in FERRY_DEPS (default
# /var/cache/ferry-deps), outside the source tree, shared by every checkout on the machine.
set -euo pipefail

build_only=0
case "${1:-}" in
  "") ;;
  --build-only) build_only=1 ;;
  *) echo "usage: $0 [--build-only]" >&2; exit 2 ;;
esac

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
  fonttools  # pyftsubset: the UI font cut down to the characters the atlas loads (web/CMakeLists.txt)
  brotli  # the web build precompresses the page (web/CMakeLists.txt: dist/ holds .br and .gz copies)
  nodejs
  libjwt-dev libcli11-dev  # ferry-server: the JWT hook and its command line (the Docker builder needs them)
  libhiredis-dev  # ferry-server --redis: rooms across instances (the Docker builder needs it)
  prometheus-cpp-dev  # ferry-server /metrics: the Prometheus text format (the Docker builder needs it)
)
# Only the tests use these.
test_packages=(
  chromium firefox-esr iproute2 iptables zbar-tools
  coturn
  # deploy/ and e2e.nginx_proxy: Debian's nginx in front of ferry-server (started by the tests
  # only, never as a service), certutil for the test CA in the browsers' NSS database, and
  # systemd-analyze for the unit's check.
  nginx libnss3-tools systemd
  python3-yaml  # deploy.compose reads compose.yaml
  redis-server  # tests/integration redis_test: started by the test on loopback, never as a service
)
[ $build_only = 1 ] || apt_packages+=("${test_packages[@]}")
# Debian's nodejs comes without npm (a build of node that bundles it, e.g. nodesource's, conflicts
# with Debian's npm package).
command -v npm >/dev/null || apt_packages+=(npm)

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
  # Packages with a service (nginx, coturn) must not start it: the tests start their own, with
  # their own configuration, and a system nginx would hold port 80 for nobody. policy-rc.d says
  # "not now" to invoke-rc.d for the length of the install (only if no policy is there already).
  policy=/usr/sbin/policy-rc.d
  own_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\n# Ferry scripts/setup.sh, during apt-get install only\nexit 101\n' >"$policy"
    chmod 755 "$policy"
    own_policy=1
  fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}" || { [ $own_policy = 1 ] && rm -f "$policy"; exit 1; }
  [ $own_policy = 1 ] && rm -f "$policy"
fi
# Never leave nginx running or enabled as a system service (disable works without a running
# service manager too; --now only with one).
if command -v systemctl >/dev/null && [ -e /lib/systemd/system/nginx.service ]; then
  if [ -d /run/systemd/system ]; then now=--now; else now=; fi
  systemctl disable $now nginx.service >/dev/null 2>&1 || true
fi
if [ -f /run/nginx.pid ] && [ -x /usr/sbin/nginx ] && [ "$(cat /proc/"$(cat /run/nginx.pid)"/comm 2>/dev/null)" = nginx ]; then
  log "stopping the system nginx that its package started"
  /usr/sbin/nginx -s quit || true
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
# Installed again only when package-lock.json changed (its hash is kept in node_modules; file
# times say nothing in a fresh checkout or a second worktree). A node_modules that is a symlink
# belongs to another checkout: npm ci would empty that one, so it is left alone.
if [ -f "$here/package.json" ]; then
  lock_hash=$(sha256sum "$here/package-lock.json" | cut -d' ' -f1)
  stamp="$here/node_modules/.ferry-package-lock.sha256"
  if [ -L "$here/node_modules" ]; then
    [ "$(cat "$stamp" 2>/dev/null)" = "$lock_hash" ] ||
      log "node_modules is a symlink to another checkout's, which was installed from another package-lock.json: not touching it"
  elif [ ! -d "$here/node_modules" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$lock_hash" ]; then
    log "installing npm packages"
    (cd "$here" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$lock_hash" >"$stamp"
  fi
fi

log "ready (deps in $deps)"
