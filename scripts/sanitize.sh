#!/usr/bin/env bash
# Builds and runs tests under sanitizers (clang):
#   scripts/sanitize.sh           the core, data-set and CLI tests (ctest labels core, datasets)
#                                 with ASan + UBSan, in build-fuzz/ (shared with scripts/fuzz.sh:
#                                 the libraries are compiled once for both). Any report fails.
#   scripts/sanitize.sh --thread  ThreadSanitizer, in build-tsan/: the ball tree's helper threads
#                                 (core.balltree), the Studio's job mechanism (ui.jobs) and its
#                                 background jobs (ui.training_worker, ui.main_window,
#                                 ui.receptive_field, ui.training_panel, ui.rollout_player) under
#                                 Xvfb; ERWIN_TSAN_TESTS="core.balltree ui.jobs" builds and runs
#                                 only these.
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
  # CTest names (<area>.<name>, program tst_<area>_<name>); ERWIN_TSAN_TESTS chooses some.
  all_tests="core.balltree ui.jobs ui.training_worker ui.main_window ui.receptive_field"
  all_tests+=" ui.training_panel ui.rollout_player"
  read -r -a tests <<<"${ERWIN_TSAN_TESTS:-$all_tests}"
  targets=()
  for test in "${tests[@]}"; do targets+=("tst_${test/./_}"); done
  "$root/scripts/sanitizer_build.sh" "$build" thread erwin "${targets[@]}"
  export TSAN_OPTIONS="${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1 suppressions=$root/tests/tsan.supp}"
  # LibTorch's intra-op threads are OpenMP's (libgomp, not instrumented): TSan cannot see their
  # barriers and would report every tensor one of them wrote. One intra-op thread; the project's
  # own threads (jobs, tree helpers, data loading) stay as they are.
  export OMP_NUM_THREADS=1
  cd "$build"
  pattern="$(IFS='|'; echo "${tests[*]}")"
  xvfb-run -a -s "-screen 0 1600x1200x24" ctest --output-on-failure --timeout 3600 \
    -R "^(${pattern//./\\.})\$" "$@"
fi
