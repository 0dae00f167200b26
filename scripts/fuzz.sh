#!/usr/bin/env bash
# Builds the libFuzzer harnesses (clang-14, ASan+UBSan) and runs them.
#   scripts/fuzz.sh --smoke          every harness for a fixed number of runs (part of the tests)
#   scripts/fuzz.sh NAME [SECONDS]   one harness (e.g. frame_fuzz) for SECONDS (default 60),
#                                    corpus kept in build/fuzz/corpus/NAME
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true  # ccache hits across checkouts
[ -f build/fuzz/build.ninja ] || cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j"${FERRY_JOBS:-$(nproc)}"

harnesses=$(find build/fuzz/tests/fuzz -maxdepth 1 -type f -name '*_fuzz' -perm -u+x 2>/dev/null | sort)
if [ "${1:-}" = "--smoke" ]; then
  for h in $harnesses; do
    name=$(basename "$h")
    corpus=build/fuzz/corpus/$name
    mkdir -p "$corpus"
    seeds=tests/fuzz/corpus/$name
    # Deterministic: fixed seed and run count, so a smoke pass cannot be flaky by timing.
    "$h" -seed=1 -runs=20000 -artifact_prefix="$corpus/../$name-" "$corpus" $( [ -d "$seeds" ] && echo "$seeds" ) >/dev/null 2>"$corpus.log" ||
      { cat "$corpus.log"; echo "[fuzz] $name failed"; exit 1; }
    echo "[fuzz] $name: 20000 runs clean"
  done
  exit 0
fi

name=${1:?usage: scripts/fuzz.sh --smoke | NAME [SECONDS]}
mkdir -p "build/fuzz/corpus/$name"
exec "build/fuzz/tests/fuzz/$name" -artifact_prefix="build/fuzz/$name-" -max_total_time="${2:-60}" "build/fuzz/corpus/$name" \
  $( [ -d "tests/fuzz/corpus/$name" ] && echo "tests/fuzz/corpus/$name" )
