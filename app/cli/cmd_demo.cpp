// `erwin demo`: the whole pipeline on synthetic data, for a first run without data or a GUI:
// clouds sampled on tori and spheres, their ball tree with rotations, and forward passes of a
// small randomly initialised Erwin model.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "erwin/model.h"
#include "progress.h"

namespace erwin::cli {
namespace {

constexpr double kPi = 3.14159265358979323846;

// Uniform in angle (not in area: fine for a demo) on a torus of radii 1 and 0.35.
torch::Tensor torus_points(int64_t n) {
  const auto u = torch::rand({n}) * (2 * kPi);
  const auto v = torch::rand({n}) * (2 * kPi);
  const auto ring = 1.0 + 0.35 * torch::cos(v);
  return torch::stack({ring * torch::cos(u), ring * torch::sin(u), 0.35 * torch::sin(v)}, 1);
}

// Uniform on the unit sphere (normalised Gaussian samples).
torch::Tensor sphere_points(int64_t n) {
  const auto x = torch::randn({n, 3});
  return x / x.norm(2, 1, true);
}

// Clouds alternate between tori and spheres, each shifted so that they do not overlap.
ErwinInputs demo_inputs(int64_t points, int64_t batch) {
  std::vector<torch::Tensor> clouds;
  for (int64_t b = 0; b < batch; ++b)
    clouds.push_back((b % 2 == 0 ? torus_points(points) : sphere_points(points)) +
                     torch::tensor({3.0f * static_cast<float>(b), 0.0f, 0.0f}));
  ErwinInputs inputs;
  inputs.node_positions = torch::cat(clouds).to(torch::kFloat32);
  // Features: the coordinates and the distance to the cloud's centre line.
  inputs.node_features =
      torch::cat({inputs.node_positions, inputs.node_positions.norm(2, 1, true)}, 1);
  inputs.batch_idx = torch::arange(batch, torch::kInt64).repeat_interleave(points);
  return inputs;
}

ErwinConfig demo_config(double radius) {
  ErwinConfig config;
  config.c_in = 4;
  config.c_hidden = {32, 64, 128};
  config.ball_sizes = {32, 32, 16};
  config.enc_num_heads = {2, 4, 8};
  config.enc_depths = {2, 2, 2};
  config.dec_num_heads = {2, 4};
  config.dec_depths = {2, 2};
  config.strides = {2, 2};
  config.rotate = 45;
  config.mp_steps = radius > 0 ? 2 : 0;
  return config;
}

}  // namespace

int run_demo(const Arguments& args) {
  ArgParser parser("demo",
                   "Samples clouds on tori and spheres, builds their ball tree with rotated "
                   "trees, and times forward passes of a small randomly initialised Erwin model "
                   "(3 levels, ball sizes 32,32,16, rotation 45 degrees).");
  parser.option("points", "n", "points per cloud (at least 128)", "4096")
      .option("batch", "n", "number of clouds", "4")
      .option("repeats", "n", "forward passes to time", "5")
      .option("radius", "r", "radius graph for 2 message-passing steps; 0 for none", "0")
      .option("seed", "n", "random seed", "0");
  if (!parser.parse(args)) return 0;

  const int64_t points = parser.integer("points");
  const int64_t batch = parser.integer("batch");
  const int64_t repeats = parser.integer("repeats");
  const double radius = parser.number("radius");
  // The coarsest level holds ball_sizes[2] = 16 nodes of 4 points each in a cloud of >= 128 slots.
  if (points < 128) throw UsageError("erwin demo: option --points must be at least 128");
  if (batch < 1 || repeats < 1) throw UsageError("erwin demo: --batch and --repeats must be >= 1");
  if (radius < 0) throw UsageError("erwin demo: option --radius must be >= 0");
  torch::manual_seed(static_cast<uint64_t>(parser.integer("seed")));

  ErwinInputs inputs = demo_inputs(points, batch);
  const ErwinConfig config = demo_config(radius);
  if (radius > 0) inputs.radius = radius;
  std::printf("%lld clouds of %lld points (tori and spheres), %d threads\n",
              static_cast<long long>(batch), static_cast<long long>(points), at::get_num_threads());

  ErwinTransformer model(config);
  model->eval();
  auto start = std::chrono::steady_clock::now();
  inputs.tree = model->build_tree(inputs.node_positions, inputs.batch_idx);
  std::printf("ball tree with rotated trees: %.2f ms\n", elapsed_ms(start));
  print_tree_summary(*inputs.tree, inputs.node_positions, config.strides, config.ball_sizes);

  torch::NoGradGuard no_grad;
  std::vector<double> times;
  ProgressBar progress("forward", repeats);
  torch::Tensor output;
  for (int64_t i = 0; i < repeats; ++i) {
    start = std::chrono::steady_clock::now();
    output = model->forward(inputs).features;
    times.push_back(elapsed_ms(start));
    char note[48];
    std::snprintf(note, sizeof note, "%.1f ms", times.back());
    progress.update(i + 1, note);
  }
  progress.finish();
  std::sort(times.begin(), times.end());
  std::printf(
      "forward (eval, given tree%s): median %.2f ms, min %.2f ms; output [%lld, %lld], "
      "mean |x| %.4f\n",
      radius > 0 ? ", radius graph" : "", times[times.size() / 2], times.front(),
      static_cast<long long>(output.size(0)), static_cast<long long>(output.size(1)),
      output.abs().mean().item<double>());
  return 0;
}

}  // namespace erwin::cli
