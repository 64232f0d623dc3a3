#!/usr/bin/env bash
# The test command: installs what is missing, builds, runs every test with CTest under Xvfb.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
build="${ERWIN_BUILD_DIR:-$root/build}"
cd "$build"
xvfb-run -a -s "-screen 0 1600x1200x24" ctest --output-on-failure --timeout 900 "$@"
