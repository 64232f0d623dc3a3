#!/usr/bin/env bash
# Configures (once) and builds the clang build with ASan + UBSan and libFuzzer's coverage
# instrumentation that scripts/fuzz.sh and scripts/sanitize.sh share, so the core and data-set
# libraries are compiled once for both. Usage: sanitizer_build.sh <build dir> <target>...
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$1"
shift
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
if [ ! -f "$build/CMakeCache.txt" ]; then
  args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DERWIN_FUZZ=ON -DERWIN_WITH_CUDA=OFF
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"
        "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"
        -DCMAKE_C_COMPILER="${ERWIN_CLANG:-clang}" -DCMAKE_CXX_COMPILER="${ERWIN_CLANGXX:-clang++}")
  command -v ninja >/dev/null && args+=(-G Ninja)
  command -v ccache >/dev/null && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$root" -B "$build" "${args[@]}"
fi
cmake --build "$build" --parallel "$(nproc)" --target "$@"
