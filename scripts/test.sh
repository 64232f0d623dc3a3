#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test with CTest under Xvfb.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# CI builds with warnings as errors (-Wall -Wextra, CMakeLists.txt); locally they are warnings.
if [ "${CI:-}" = true ]; then
  export ERWIN_CMAKE_ARGS="${ERWIN_CMAKE_ARGS:-} -DERWIN_WARNINGS_AS_ERRORS=ON"
fi
"$root/scripts/build.sh"
build="${ERWIN_BUILD_DIR:-$root/build}"
cd "$build"
xvfb-run -a -s "-screen 0 1600x1200x24" ctest --output-on-failure --timeout 900 "$@"
# In CI (CI=true), or with ERWIN_FUZZ_CHECK=1: every fuzz target's committed inputs run once (crash
# reproducers included), then each target explores for ERWIN_FUZZ_SECONDS (default 15) seconds;
# scripts/fuzz.sh builds the clang 14 fuzz build in build-fuzz/ (clang installed when missing).
if [ "${CI:-}" = true ] || [ "${ERWIN_FUZZ_CHECK:-0}" = 1 ]; then
  "$root/scripts/fuzz.sh" --replay --time "${ERWIN_FUZZ_SECONDS:-15}"
fi
