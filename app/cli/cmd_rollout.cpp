// `erwin rollout`: an EAGLE model of a training checkpoint rolled out autoregressively on one
// simulation, with the RMSE per step, exported to HDF5 and/or ParaView.
#include <chrono>
#include <cstdio>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "erwin/datasets/inference.h"
#include "export_options.h"
#include "progress.h"

namespace erwin::cli {

int run_rollout(const Arguments& args) {
  ArgParser parser(
      "rollout",
      "Rolls the EAGLE model of a training checkpoint (erwin train's, or the published "
      "save_checkpoint's for EagleModel) out autoregressively from frame "
      "--start of one simulation for --steps steps, prints the velocity and pressure "
      "RMSE of every step and writes the rollout (HDF5, ParaView).");
  add_model_result_options(parser);
  parser.option("simulation", "i", "simulation of the split", "0")
      .option("start", "frame", "first frame (the true state the rollout starts from)", "0")
      .option("steps", "n", "steps to predict", "10");
  if (!parser.parse(args)) return 0;
  prepare_outputs(parser, "rollout");

  const std::string checkpoint = parser.text("checkpoint");
  const torch::Device device = parse_device(parser.text("device"));
  const int64_t steps = parser.integer("steps");
  EagleModel model = datasets::load_eagle_model(checkpoint);
  std::printf("rolling out simulation %lld of %s/%s, frames %lld..%lld, on %s\n",
              static_cast<long long>(parser.integer("simulation")), parser.text("data").c_str(),
              parser.text("split").c_str(), static_cast<long long>(parser.integer("start")),
              static_cast<long long>(parser.integer("start") + steps),
              parser.text("device").c_str());
  std::fflush(stdout);  // before the long step, also when stdout is a pipe
  const auto start = std::chrono::steady_clock::now();
  ProgressBar progress("rollout", steps);
  const PrecisionGuard autocast(parse_precision_option(parser), device);
  datasets::EagleRollout rollout =
      datasets::eagle_rollout(model, parser.text("data"), parser.text("split"),
                              parser.integer("simulation"), parser.integer("start"), steps, device,
                              [&](int64_t done, int64_t) { progress.update(done); });
  progress.finish();
  rollout.checkpoint = checkpoint;
  std::printf("%lld nodes, %lld steps in %.2f s\n%6s %6s %14s %14s\n",
              static_cast<long long>(rollout.positions.size(1)), static_cast<long long>(steps),
              elapsed_ms(start) / 1000.0, "step", "frame", "rmse_velocity", "rmse_pressure");
  for (int64_t t = 1; t <= steps; ++t)
    std::printf("%6lld %6lld %14.6g %14.6g\n", static_cast<long long>(t),
                static_cast<long long>(rollout.start + t), rollout.rmse_velocity[t].item<double>(),
                rollout.rmse_pressure[t].item<double>());
  export_results(parser, rollout);
  return 0;
}

}  // namespace erwin::cli
