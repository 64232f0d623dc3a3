#!/usr/bin/env bash
# The GPU checks of the fused ball attention in one run, for a machine with CUDA, CMake and
# PyTorch but no Qt or VTK (the `device` machines): builds the core, the CUDA kernels, the `erwin`
# tool and the GPU tests (no GUI, no Qt tests), runs the kernel test, the README benchmark (fused
# against the reference math, float32 and bfloat16, 1k..32k points per cloud, with peak CUDA
# memory) and, where Nsight Compute is installed, its speed-of-light view of the fused kernels.
# Everything goes to $OUT (default: out/gpu-check), the table to $OUT/summary.txt.
#
#   scripts/gpu-check.sh            build + checks (skips the GPU parts without a device)
#   scripts/gpu-check.sh --prepare  on a development machine: copy the header-only dependency the
#                                   GPU machine lacks (nlohmann/json) into .gpu-deps/, to be
#                                   carried there with the working tree
# Environment: OUT, ERWIN_GPU_SIZES (default 1024,2048,4096,8192,16384,32768), ERWIN_GPU_ARCH
# (default: the device's own, else 90).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
deps="$root/.gpu-deps"

if [ "${1:-}" = "--prepare" ]; then
  mkdir -p "$deps/include" "$deps/share/cmake"
  cp -r /usr/include/nlohmann "$deps/include/"
  cp -r /usr/share/cmake/nlohmann_json "$deps/share/cmake/"
  echo "copied nlohmann/json into $deps"
  exit 0
fi

out="${OUT:-$root/out/gpu-check}"
build="$root/build-gpu"
mkdir -p "$out"
summary="$out/summary.txt"
: >"$summary"
say() { echo "$*" | tee -a "$summary"; }

has_gpu=0
if command -v nvidia-smi >/dev/null && nvidia-smi -L >/dev/null 2>&1; then has_gpu=1; fi
arch="${ERWIN_GPU_ARCH:-}"
if [ -z "$arch" ]; then
  arch=90
  if [ "$has_gpu" = 1 ]; then
    cap="$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader | head -1 | tr -d '.')"
    [ -n "$cap" ] && arch="$cap"
  fi
fi
say "gpu-check $(date -u +%FT%TZ): GPU present: $has_gpu, CUDA architecture $arch"
[ "$has_gpu" = 1 ] && nvidia-smi -L | tee -a "$summary"

# Configure: no GUI; Torch from the Python that has it; nlohmann/json from .gpu-deps if the
# system has none.
arch_list="${arch%?}.${arch: -1}"  # 90 -> 9.0, as TORCH_CUDA_ARCH_LIST spells it
args=(-DCMAKE_BUILD_TYPE=Release -DERWIN_BUILD_GUI=OFF -DERWIN_WITH_CUDA=ON
      "-DERWIN_CUDA_ARCHITECTURES=$arch" "-DTORCH_CUDA_ARCH_LIST=$arch_list")
[ -d "$deps/share/cmake/nlohmann_json" ] && args+=("-DCMAKE_PREFIX_PATH=$deps")
command -v ninja >/dev/null && [ ! -f "$build/CMakeCache.txt" ] && args+=(-G Ninja)
start=$(date +%s)
cmake -S "$root" -B "$build" "${args[@]}" >"$out/configure.log" 2>&1 ||
  { tail -30 "$out/configure.log"; exit 1; }
cmake --build "$build" --parallel "$(nproc)" --target erwin test_fused_attention_cuda \
  >"$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }
say "build: $(($(date +%s) - start)) s"

# The kernel test: exit 77 means no device (CTest's skip).
set +e
"$build/tests/test_fused_attention_cuda" >"$out/kernel-test.txt" 2>&1
rc=$?
set -e
say "kernel test (tests/gpu/test_fused_attention_cuda): exit $rc"
tail -1 "$out/kernel-test.txt" | tee -a "$summary"
if [ "$has_gpu" != 1 ]; then
  say "no GPU: stopping after the build"
  exit 0
fi
[ "$rc" = 0 ] || grep FAIL "$out/kernel-test.txt" | tee -a "$summary"

# The README benchmark on this GPU.
sizes="${ERWIN_GPU_SIZES:-1024,2048,4096,8192,16384,32768}"
"$build/app/erwin" bench --device cuda --sizes "$sizes" --attention reference,fused \
  --precision fp32,bf16 >"$out/bench.txt" 2>&1 || true
say "benchmark (erwin bench --device cuda --attention reference,fused --precision fp32,bf16):"
sed -n '/^attention/,$p' "$out/bench.txt" | tee -a "$summary"

# Where the fused kernels stand against the GPU's bandwidth and compute (Nsight Compute).
if command -v ncu >/dev/null; then
  ncu --kernel-name regex:'forward_kernel|gradient_kernel' --launch-count 3 \
    --section SpeedOfLight "$build/app/erwin" bench --device cuda --sizes 8192 --batch 16 \
    --attention fused --repeats 1 --warmup 0 >"$out/ncu.txt" 2>&1 || true
  say "Nsight Compute speed of light (8192 points, batch 16): see ncu.txt"
  grep -E "Kernel|forward_kernel|gradient_kernel|Memory Throughput|Compute \(SM\)|Duration" \
    "$out/ncu.txt" | head -40 | tee -a "$summary"
else
  say "Nsight Compute (ncu) not installed: no speed-of-light view"
fi
