// `erwin bench`: the published README benchmark (batch of 16 clouds, the README configuration)
// as medians of forward and forward + backward passes, with peak CUDA memory.
#include <sys/resource.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <optional>
#include <sstream>
#include <string>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "erwin/model.h"
#include "erwin/model/ball_attention.h"
#include "erwin/model/precision.h"
#include "progress.h"

#if __has_include(<c10/cuda/CUDACachingAllocator.h>) && __has_include(<cuda_runtime_api.h>)
#include <c10/cuda/CUDACachingAllocator.h>
#define ERWIN_CLI_PEAK_MEMORY 1
#endif

namespace erwin::cli {
namespace {

// The configuration of the published README's benchmark (mp_steps 0: no message passing).
ErwinConfig readme_config() {
  ErwinConfig config;
  config.c_in = 32;
  config.c_hidden = {32, 64, 128, 256, 512};
  config.enc_num_heads = {2, 4, 8, 16, 32};
  config.enc_depths = {2, 2, 2, 6, 2};
  config.dec_num_heads = {4, 4, 8, 16};
  config.dec_depths = {2, 2, 2, 2};
  config.strides = {2, 2, 2, 2};
  config.ball_sizes = {128, 128, 128, 128, 128};
  config.dimensionality = 3;
  config.mlp_ratio = 4;
  config.rotate = 0;
  config.mp_steps = 0;
  return config;
}

// A comma list of names, each parsed by `parse` (std::invalid_argument becomes a usage error).
template <class Parse>
auto parse_list(const std::string& option, const std::string& list, Parse parse) {
  std::vector<decltype(parse(std::string()))> values;
  std::stringstream items(list);
  for (std::string name; std::getline(items, name, ',');) {
    try {
      values.push_back(parse(name));
    } catch (const std::invalid_argument& e) {
      throw UsageError("erwin bench: --" + option + ": " + e.what());
    }
  }
  if (values.empty()) throw UsageError("erwin bench: --" + option + ": empty list");
  return values;
}

// The row's label: attention backend and precision, padded to the table's first columns.
std::string row_label(AttentionBackend backend, Precision precision) {
  char column[32];
  std::snprintf(column, sizeof column, "%-10s%-6s", attention_backend_name(backend),
                precision_name(precision));
  return column;
}

ErwinInputs random_inputs(int64_t points, int64_t batch, const torch::Device& device) {
  ErwinInputs inputs;
  inputs.node_features = torch::randn({points * batch, 32}, device);
  inputs.node_positions = torch::rand({points * batch, 3}, device);
  inputs.batch_idx = torch::arange(batch, torch::TensorOptions(torch::kInt64).device(device))
                         .repeat_interleave(points);
  // As in the published benchmark: at 1024 points per cloud a bottleneck ball holds two clouds.
  inputs.balls_across_clouds = true;
  return inputs;
}

void reset_peak_memory(const torch::Device& device) {
#ifdef ERWIN_CLI_PEAK_MEMORY
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.index());
#else
  (void)device;
#endif
}

// Peak bytes allocated by tensors since the last reset; nullopt on the CPU.
std::optional<double> peak_memory_mib(const torch::Device& device) {
#ifdef ERWIN_CLI_PEAK_MEMORY
  if (!device.is_cuda()) return std::nullopt;
  const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.index());
  const auto aggregate = static_cast<size_t>(c10::CachingAllocator::StatType::AGGREGATE);
  return static_cast<double>(stats.allocated_bytes[aggregate].peak) / (1024.0 * 1024.0);
#else
  (void)device;
  return std::nullopt;
#endif
}

struct Timing {
  std::optional<double> median_ms;  // nullopt: out of memory (or not run)
  std::optional<double> peak_mib;
  bool ran = true;
};

// Median wall time of `step` over `repeats` runs after `warmup` untimed ones.
Timing time_step(const std::function<void()>& step, int64_t warmup, int64_t repeats,
                 const torch::Device& device, ProgressBar& progress, int64_t& done) {
  std::vector<double> times;
  try {
    for (int64_t i = 0; i < warmup; ++i) {
      step();
      progress.update(++done);
    }
    synchronize(device);
    reset_peak_memory(device);
    for (int64_t i = 0; i < repeats; ++i) {
      const auto start = std::chrono::steady_clock::now();
      step();
      synchronize(device);
      times.push_back(elapsed_ms(start));
      progress.update(++done);
    }
  } catch (const c10::OutOfMemoryError&) {
    return {std::nullopt, std::nullopt};
  }
  std::nth_element(times.begin(), times.begin() + times.size() / 2, times.end());
  return {times[times.size() / 2], peak_memory_mib(device)};
}

std::string format_ms(const Timing& timing) {
  if (!timing.ran) return "-";
  if (!timing.median_ms) return "OOM";
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", *timing.median_ms);
  return text;
}

std::string format_mib(const std::optional<double>& value) {
  if (!value) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.0f", *value);
  return text;
}

// Which passes a run times: both, or one (so that the process's peak RSS is that pass's).
struct Passes {
  bool forward = true, backward = true;
};

Passes parse_passes(const std::string& name) {
  if (name == "both") return {};
  if (name == "fwd") return {true, false};
  if (name == "fwdbwd") return {false, true};
  throw UsageError("erwin bench: --pass: '" + name + "' is not both, fwd or fwdbwd");
}

// The process's peak resident memory so far (getrusage: kilobytes on Linux).
double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;
}

// One table row: medians and peaks of the passes at `size` points per cloud ("-": not run).
std::string bench_size(ErwinTransformer& model, int64_t size, int64_t batch, int64_t warmup,
                       int64_t repeats, const torch::Device& device, Precision precision,
                       Passes passes) {
  const ErwinInputs inputs = random_inputs(size, batch, device);
  const PrecisionGuard autocast(precision, device);
  ProgressBar progress("n=" + std::to_string(size),
                       (passes.forward + passes.backward) * (warmup + repeats));
  int64_t done = 0;
  const Timing skipped{std::nullopt, std::nullopt, /*ran=*/false};
  const Timing forward = !passes.forward ? skipped
                                         : time_step(
                                               [&] {
                                                 model->eval();
                                                 torch::NoGradGuard no_grad;
                                                 model->forward(inputs);
                                               },
                                               warmup, repeats, device, progress, done);
  const Timing backward = !passes.backward
                              ? skipped
                              : time_step(
                                    [&] {
                                      model->train();
                                      model->zero_grad();
                                      model->forward(inputs).features.square().mean().backward();
                                    },
                                    warmup, repeats, device, progress, done);
  progress.finish();
  char row[160];
  std::snprintf(row, sizeof row, "%10lld %12s %14s %12s %14s", static_cast<long long>(size),
                format_ms(forward).c_str(), format_ms(backward).c_str(),
                format_mib(forward.peak_mib).c_str(), format_mib(backward.peak_mib).c_str());
  return row;
}

// glibc hands blocks above its mmap threshold back to the OS when they are freed, and trims the
// heap's top above the trim threshold: every pass then faults the same memory in again (page
// faults and zeroing, 1/3 of the process's system time). A benchmark repeats one pass, so keep
// big blocks in the heap and the heap's top mapped (peak RSS: fwd+bwd unchanged, fwd +2-6%).
void keep_freed_memory() {
#if defined(__GLIBC__)
  mallopt(M_MMAP_THRESHOLD, 256 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

}  // namespace

int run_bench(const Arguments& args) {
  ArgParser parser(
      "bench",
      "Times the published README configuration (c_in 32, c_hidden 32 doubling, 5 levels, "
      "ball size 128, no rotations, no message passing) on batches of random clouds: forward "
      "(eval, no gradients) and forward + backward (train mode, loss mean(out^2)), medians in "
      "ms, with peak CUDA memory. The tree is built inside each pass, as in the published "
      "model. Default sizes: 1024..32768 points per cloud on CUDA, 1024 on the CPU (larger "
      "clouds take minutes there). At 1024 points a bottleneck ball holds two whole clouds, as "
      "in the published code. --attention picks the ball-attention computation: fused (the "
      "fused kernels: scores from positions on the fly, nothing of size balls x heads x m x m), "
      "reference (cdist + scaled-dot-product attention, the published math), blocked "
      "(memory-lean autograd function), portable (the CUDA kernels' code run on the CPU, slow), "
      "auto (fused where it runs), or a comma list to compare them in one run. --precision "
      "bf16 runs under autocast to bfloat16 (float32 weights), fp32 without; a list compares. "
      "--pass times one pass only, so that the peak RSS printed at the end is that pass's.");
  parser.option("device", "cpu|cuda", "where to run", "cuda if available, else cpu")
      .option("sizes", "list", "points per cloud")
      .option("batch", "n", "clouds per batch", "16")
      .option("repeats", "n", "timed passes per size", "10 on cuda, 3 on cpu")
      .option("warmup", "n", "untimed passes per size", "2 on cuda, 1 on cpu")
      .option("attention", "list", "auto, fused, reference, blocked and/or portable", "auto")
      .option("precision", "list", "fp32 and/or bf16", "fp32")
      .option("pass", "both|fwd|fwdbwd", "which passes to time", "both");
  if (!parser.parse(args)) return 0;

  const torch::Device device =
      parse_device(parser.has("device") ? parser.text("device")
                                        : (torch::cuda::is_available() ? "cuda" : "cpu"));
  const bool cuda = device.is_cuda();
  const std::vector<int64_t> sizes =
      parser.has("sizes") ? parser.integers("sizes")
      : cuda              ? std::vector<int64_t>{1024, 2048, 4096, 8192, 16384, 32768}
                          : std::vector<int64_t>{1024};
  const int64_t batch = parser.integer("batch");
  const int64_t repeats = parser.has("repeats") ? parser.integer("repeats") : (cuda ? 10 : 3);
  const int64_t warmup = parser.has("warmup") ? parser.integer("warmup") : (cuda ? 2 : 1);
  if (batch < 1 || repeats < 1 || warmup < 0)
    throw UsageError("erwin bench: --batch and --repeats must be >= 1, --warmup >= 0");
  if (!cuda && !parser.has("sizes"))
    std::printf("note: on the CPU only 1024 points per cloud by default (use --sizes for more)\n");
  const auto backends =
      parse_list("attention", parser.has("attention") ? parser.text("attention") : "auto",
                 parse_attention_backend);
  const Passes passes = parse_passes(parser.has("pass") ? parser.text("pass") : "both");
  const auto precisions = parse_list(
      "precision", parser.has("precision") ? parser.text("precision") : "fp32", parse_precision);

  keep_freed_memory();
  torch::manual_seed(0);
  ErwinTransformer model(readme_config());
  model->to(device);
  std::printf("README configuration, batch %lld, %s, %lld warm-up + %lld timed passes\n",
              static_cast<long long>(batch), device.str().c_str(), static_cast<long long>(warmup),
              static_cast<long long>(repeats));

  std::vector<std::string> rows;
  for (const int64_t size : sizes) {
    for (const Precision precision : precisions) {
      for (const AttentionBackend backend : backends) {
        AttentionBackendGuard attention(backend);
        const std::string label = row_label(backend, precision);
        try {
          rows.push_back(
              label + bench_size(model, size, batch, warmup, repeats, device, precision, passes));
        } catch (const std::invalid_argument& e) {  // a size the configuration cannot take
          rows.push_back(label + std::to_string(size) + "  skipped: " + e.what());
        }
      }
    }
  }

  std::printf("\n%-10s%-6s%10s %12s %14s %12s %14s\n", "attention", "prec", "points", "fwd ms",
              "fwd+bwd ms", "fwd MiB", "fwd+bwd MiB");
  for (const auto& row : rows) std::printf("%s\n", row.c_str());
#ifndef ERWIN_CLI_PEAK_MEMORY
  if (cuda) std::printf("(peak memory: this build has no CUDA allocator headers)\n");
#endif
  // With one pass, attention, precision and size, this is that pass's peak (model included).
  std::printf("peak RSS of this process: %.0f MiB\n", peak_rss_mib());
  return 0;
}

}  // namespace erwin::cli
