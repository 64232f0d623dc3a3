#!/usr/bin/env bash
# Builds and runs tests under sanitizers (clang):
#   scripts/sanitize.sh           the core, data-set and CLI tests (ctest labels core, datasets)
#                                 with ASan + UBSan, in build-fuzz/ (shared with scripts/fuzz.sh:
#                                 the libraries are compiled once for both). Any report fails.
#   scripts/sanitize.sh --thread  ThreadSanitizer, in build-tsan/: the ball tree's helper threads
#                                 (core.balltree) and the Studio's background jobs (ui.main_window,
#                                 ui.receptive_field, ui.training_worker, ui.training_panel,
#                                 ui.rollout_player) under Xvfb.
# Extra arguments go to ctest (e.g. -R npy).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mode=address
if [ "${1:-}" = "--thread" ]; then
  mode=thread
  shift
fi

test_targets() {  # tst_<area>_<name> of tests/<area>/tst_<name>.cpp
  for area in "$@"; do
    for source in "$root"/tests/"$area"/tst_*.cpp; do
      name="$(basename "$source" .cpp)"
      echo "tst_${area}_${name#tst_}"
    done
  done
}

if [ "$mode" = address ]; then
  build="${ERWIN_FUZZ_BUILD_DIR:-$root/build-fuzz}"
  # shellcheck disable=SC2046
  "$root/scripts/sanitizer_build.sh" "$build" fuzz erwin $(test_targets core datasets)
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  cd "$build"
  ctest -L 'core|datasets' --output-on-failure --timeout 3600 "$@"
else
  build="${ERWIN_TSAN_BUILD_DIR:-$root/build-tsan}"
  tests=(tst_core_balltree tst_ui_main_window tst_ui_receptive_field tst_ui_training_worker
         tst_ui_training_panel tst_ui_rollout_player)
  "$root/scripts/sanitizer_build.sh" "$build" thread erwin "${tests[@]}"
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp}"
  cd "$build"
  xvfb-run -a -s "-screen 0 1600x1200x24" ctest --output-on-failure --timeout 3600 \
    -R '^(core\.balltree|ui\.(main_window|receptive_field|training_worker|training_panel|rollout_player))$' "$@"
fi
