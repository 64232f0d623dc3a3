#!/usr/bin/env bash
# The main job: installs what is missing, builds, then launches Erwin Studio on its demo scene
# (under Xvfb when there is no display). Without the GUI build it runs the CLI demo instead.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$root/scripts/build.sh"
build="${ERWIN_BUILD_DIR:-$root/build}"
if [ -x "$build/app/erwin-studio" ]; then
  if [ -z "${DISPLAY:-}" ]; then
    exec xvfb-run -a -s "-screen 0 1600x1200x24" "$build/app/erwin-studio" "$@"
  fi
  exec "$build/app/erwin-studio" "$@"
fi
exec "$build/app/erwin" demo "$@"
