// `erwin predict`: the ShapeNet-Car model of a training checkpoint on one car, its pressure MSE,
// exported to HDF5 and/or ParaView.
#include <cstdio>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "erwin/datasets/inference.h"
#include "erwin/training/training_checkpoint.h"
#include "export_options.h"

namespace erwin::cli {

int run_predict(const Arguments& args) {
  ArgParser parser("predict",
                   "Predicts the surface pressure of one car with the ShapeNet-Car model of a "
                   "training checkpoint (erwin train's, or the published save_checkpoint's for "
                   "ShapenetCarModel), prints the MSE and writes the prediction (HDF5, "
                   "ParaView).");
  add_model_result_options(parser);
  parser.option("car", "i", "car of the split", "0");
  if (!parser.parse(args)) return 0;
  prepare_outputs(parser, "predict");

  const std::string checkpoint = parser.text("checkpoint");
  const torch::Device device = parse_device(parser.text("device"));
  ShapenetCarModel model = datasets::load_shapenet_model(checkpoint);
  datasets::ShapenetCarOptions options;  // the k-NN graph the model was trained with
  options.knn = load_training_checkpoint(checkpoint).run_config.data.knn;
  const auto dataset =
      datasets::ShapenetCarDataset::open(parser.text("data"), parser.text("split"), options);
  const PrecisionGuard autocast(parse_precision_option(parser), device);
  datasets::ShapenetPrediction prediction =
      datasets::predict_shapenet_car(model, dataset, parser.integer("car"), device);
  prediction.checkpoint = checkpoint;
  std::printf("car %lld of %s/%s: %lld points, pressure MSE %.6g\n",
              static_cast<long long>(prediction.car), parser.text("data").c_str(),
              parser.text("split").c_str(), static_cast<long long>(prediction.positions.size(0)),
              prediction.mse);
  export_results(parser, prediction);
  return 0;
}

}  // namespace erwin::cli
