#!/usr/bin/env bash
# Configures (once) and builds a clang build with sanitizers:
#   sanitizer_build.sh <build dir> fuzz <target>...    ASan + UBSan + libFuzzer's coverage
#       instrumentation (ERWIN_FUZZ=ON): scripts/fuzz.sh and scripts/sanitize.sh share it, so the
#       core and data-set libraries are compiled once for both;
#   sanitizer_build.sh <build dir> thread <target>...  ThreadSanitizer (scripts/sanitize.sh --thread).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="$1"
mode="$2"
shift 2
"$root/scripts/setup-deps.sh" >/dev/null
clang_packages=(clang-14 libclang-rt-14-dev)  # the compiler and its sanitizer/libFuzzer runtimes
for pkg in "${clang_packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
    echo "[sanitizer build] installing ${clang_packages[*]}"
    sudo_cmd=""
    [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
    $sudo_cmd apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${clang_packages[@]}" >/dev/null
    break
  fi
done

# One configure or build at a time per build dir (two scripts/fuzz.sh runs may start together).
mkdir -p "$build"
exec 9>"$build/.erwin-build.lock"
flock 9
export CCACHE_SLOPPINESS="${CCACHE_SLOPPINESS:-pch_defines,time_macros,include_file_mtime,include_file_ctime}"
if [ ! -f "$build/CMakeCache.txt" ]; then
  args=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DERWIN_WITH_CUDA=OFF
        "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"
        "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only"
        -DCMAKE_C_COMPILER="${ERWIN_CLANG:-clang-14}" -DCMAKE_CXX_COMPILER="${ERWIN_CLANGXX:-clang++-14}")
  case "$mode" in
    fuzz) args+=(-DERWIN_FUZZ=ON) ;;
    thread) args+=(-DERWIN_SANITIZE=thread) ;;
    *) echo "unknown mode $mode (fuzz or thread)" >&2; exit 2 ;;
  esac
  command -v ninja >/dev/null && args+=(-G Ninja)
  command -v ccache >/dev/null && args+=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
  cmake -S "$root" -B "$build" "${args[@]}"
fi
cmake --build "$build" --parallel "$(nproc)" --target "$@"
