#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz, clang, ASan + UBSan) into build-fuzz/ and runs each on
# a scratch copy of its committed corpus (tests/fuzz/corpus/<target>/), so the repository is not
# modified. Any crash, sanitizer report, timeout (10 s per input), memory beyond 2 GB or error text
# that is not the project's own (tests/fuzz/fuzz_support.h) fails the script; the input that
# caused it is kept in build-fuzz/findings/.
#
#   scripts/fuzz.sh                      every target for 30 s
#   scripts/fuzz.sh --time 600 npz ply   these targets (fuzz_npz, fuzz_ply) for 10 minutes
#   scripts/fuzz.sh --merge --time 600   ... then merge the inputs that add coverage into the
#                                        committed corpus (libFuzzer -merge=1)
#   scripts/fuzz.sh --replay --time 15  first run every committed input once (the regression
#                                        part: crash reproducers included; a failure prints the
#                                        input's path), then explore each target for 15 s (CI)
#   scripts/fuzz.sh --replay --time 0    the committed inputs only
#   scripts/fuzz.sh --build-only [targets]
# Environment: ERWIN_FUZZ_BUILD_DIR (default build-fuzz); ERWIN_FUZZ_FLAGS, more libFuzzer flags
# (e.g. "-fork=1 -ignore_crashes=1" to go on after a finding and collect them all).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${ERWIN_FUZZ_BUILD_DIR:-$root/build-fuzz}"
seconds=30
merge=0
replay=0
build_only=0
targets=()
while [ $# -gt 0 ]; do
  case "$1" in
    --time) seconds="$2"; shift 2 ;;
    --merge) merge=1; shift ;;
    --replay) replay=1; shift ;;
    --build-only) build_only=1; shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) targets+=("fuzz_${1#fuzz_}"); shift ;;
  esac
done

# The named targets only (fuzz_mesh needs a part of the Studio and VTK), or all of them.
build_targets=("${targets[@]}")
[ ${#build_targets[@]} -eq 0 ] && build_targets=(fuzz_targets)
"$root/scripts/sanitizer_build.sh" "$build" fuzz "${build_targets[@]}"
[ "$build_only" = 1 ] && exit 0

if [ ${#targets[@]} -eq 0 ]; then
  for exe in "$build"/tests/fuzz/fuzz_*; do targets+=("$(basename "$exe")"); done
fi

# malloc may fail as it does in a normal run (libhdf5 asks malloc for the sizes a damaged file
# declares and handles the failure); a failing operator new or a single allocation over 2 GB is
# still a finding.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export LSAN_OPTIONS="${LSAN_OPTIONS:-suppressions=$root/tests/fuzz/lsan.supp}"
scratch="$(mktemp -d "${TMPDIR:-/tmp}/erwin-fuzz.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
findings="$build/findings"
mkdir -p "$findings"

# Libraries' own faults that are no crash of ours, handled per target (tests/fuzz/lsan.supp has the
# leaks that LSan can name):
#   md, h5_export  libhdf5 1.10 asks malloc for the size a damaged metadata entry declares (8 GB)
#                  and never touches it; memory in use stays limited by -rss_limit_mb. The readers
#                  run libhdf5 in a child process first, which they end after 30 s: an input may
#                  take that long without being a hang of ours.
#   mesh           VTK 9.1's readers leak on their error paths, in frames LSan cannot see (VTK has
#                  no frame pointers); leaks are not checked there: neither libFuzzer's check after
#                  each input (-detect_leaks=0) nor LSan's at exit (ASAN_OPTIONS), which otherwise
#                  reports what the inputs of a run leaked in total.
target_options() {
  case "$1" in
    fuzz_md|fuzz_h5_export) echo "-malloc_limit_mb=65536 -timeout=60" ;;
    fuzz_mesh) echo "-detect_leaks=0" ;;
  esac
}

# Runs the target's executable with the sanitizer options of that target.
run_fuzzer() {
  local target="$1"
  shift
  local asan="$ASAN_OPTIONS"
  [ "$target" = fuzz_mesh ] && asan="$asan:detect_leaks=0"
  ASAN_OPTIONS="$asan" TMPDIR="$scratch" "$build/tests/fuzz/$target" "$@"
}

# Runs every committed input of the target once (libFuzzer runs files named on its command line
# one by one, printing "Running: <file>" before each); on a failure the input's path is printed.
replay_target() {
  local target="$1" name="${1#fuzz_}" corpus="$root/tests/fuzz/corpus/${1#fuzz_}"
  local log="$build/fuzz-logs/$name.replay.log" inputs=() status=0
  [ -d "$corpus" ] && mapfile -t inputs < <(find "$corpus" -type f | sort)
  [ ${#inputs[@]} -eq 0 ] && { echo "ok   $name: no committed inputs"; return 0; }
  : >"$log"
  local start=$SECONDS i
  for ((i = 0; i < ${#inputs[@]}; i += 500)); do  # 500 paths per run keep the command line short
    run_fuzzer "$target" -rss_limit_mb=2048 -timeout=10 \
      $(target_options "$target") -artifact_prefix="$findings/$name-" \
      "${inputs[@]:i:500}" >>"$log" 2>&1 || { status=$?; break; }
  done
  if [ "$status" -ne 0 ]; then
    echo "FAIL $name: a committed input fails (exit $status; log $log)"
    echo "     reproducer: $(grep -E '^Running: ' "$log" | tail -1 | cut -d' ' -f2-)"
    grep -E 'ERROR|fuzz finding|runtime error' "$log" | head -5
    return 1
  fi
  echo "ok   $name: ${#inputs[@]} committed inputs replayed in $((SECONDS - start)) s"
}

run_target() {
  local target="$1" name="${1#fuzz_}" corpus="$root/tests/fuzz/corpus/${1#fuzz_}"
  local work="$scratch/$name" log="$build/fuzz-logs/$name.log"
  mkdir -p "$work" "$build/fuzz-logs"
  if [ "$replay" = 1 ]; then
    replay_target "$target" || return 1
    [ "$seconds" -gt 0 ] || return 0
  fi
  [ -d "$corpus" ] && cp -r "$corpus/." "$work/"
  local status=0
  run_fuzzer "$target" "$work" -max_total_time="$seconds" \
    -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 $(target_options "$target") \
    ${ERWIN_FUZZ_FLAGS:-} \
    -artifact_prefix="$findings/$name-" >"$log" 2>&1 || status=$?
  local stats
  stats="$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -1 || true)"
  if [ "$status" -ne 0 ]; then
    echo "FAIL $name (exit $status; log $log)"
    grep -E 'ERROR|fuzz finding|runtime error|Test unit written' "$log" | head -5
    echo "     reproducer: $(grep -oE 'Test unit written to [^ ]+' "$log" | tail -1 | cut -d' ' -f5)"
    return 1
  fi
  echo "ok   $name: $stats"
  if [ "$merge" = 1 ]; then
    mkdir -p "$corpus"
    run_fuzzer "$target" -merge=1 "$corpus" "$work" >>"$log" 2>&1
  fi
}

failed=0
for target in "${targets[@]}"; do
  if [ ! -x "$build/tests/fuzz/$target" ]; then
    echo "no such fuzz target: $target" >&2
    failed=1
    continue
  fi
  run_target "$target" || failed=1
done
exit "$failed"
