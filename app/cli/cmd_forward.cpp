// `erwin forward`: one forward pass of a configured model with given weights on inputs from an
// .npz (the reference fixtures' member names), output saved as .npy.
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "erwin/checkpoint.h"
#include "erwin/io_util.h"
#include "erwin/json_text.h"
#include "erwin/model.h"
#include "progress.h"

namespace erwin::cli {
namespace {

ErwinInputs read_inputs(const NpzArchive& archive, const ArgParser& parser) {
  ErwinInputs inputs;
  inputs.node_features = archive.get("node_features");
  inputs.node_positions = archive.get("node_positions");
  inputs.batch_idx = archive.get("batch_idx");
  if (archive.contains("edge_index")) inputs.edge_index = archive.get("edge_index");
  if (parser.has("radius")) inputs.radius = parser.number("radius");
  if (has_tree(archive)) inputs.tree = read_tree(archive);
  return inputs;
}

ErwinInputs to_device(ErwinInputs inputs, const torch::Device& device) {
  inputs.node_features = inputs.node_features.to(device);
  inputs.node_positions = inputs.node_positions.to(device);
  inputs.batch_idx = inputs.batch_idx.to(device);
  if (inputs.edge_index) inputs.edge_index = inputs.edge_index->to(device);
  if (inputs.tree) {
    inputs.tree->tree_idx = inputs.tree->tree_idx.to(device);
    inputs.tree->tree_mask = inputs.tree->tree_mask.to(device);
    for (auto& rotated : inputs.tree->tree_idx_rot) rotated = rotated.to(device);
  }
  return inputs;
}

// "out.npy" -> "out_batch_idx.npy".
std::string batch_idx_path(const std::string& output) {
  const std::string suffix = ".npy";
  const bool has_suffix = output.size() >= suffix.size() &&
                          output.compare(output.size() - suffix.size(), suffix.size(), suffix) == 0;
  return (has_suffix ? output.substr(0, output.size() - suffix.size()) : output) + "_batch_idx.npy";
}

// A run configuration (only its "model" section counts) or the ErwinTransformer arguments.
ErwinConfig config_file(const std::string& path) {
  // Read and parsed once, with the depth bound every JSON reader has (parse_json_text).
  const std::string text = read_regular_file(path);
  const auto json = parse_json_text(text, path);
  const bool run_config =
      json.is_object() && json.contains("model") && json.at("model").is_object();
  try {
    return ErwinConfig::from_json(run_config ? json.at("model").dump() : text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + (run_config ? ": model: " : ": ") + e.what());
  }
}

// --config, or the configuration the weights file records.
ErwinConfig model_config(const ArgParser& parser) {
  if (parser.has("config")) return config_file(parser.text("config"));
  const std::string weights = parser.text("weights");
  if (auto recorded = read_weights_config(weights)) return *recorded;
  throw UsageError("erwin forward: option --config is needed: " + weights +
                   " does not record the model configuration");
}

}  // namespace

int run_forward(const Arguments& args) {
  ArgParser parser(
      "forward",
      "Runs ErwinTransformer once. --config is the JSON of the model's constructor arguments "
      "(a fixture's __meta__.config as is) or a run configuration (its model section); without "
      "it, the configuration the weights file records. --weights is a fixture .npz, a "
      "torch.save state dict, a training checkpoint (erwin train's, the published scripts', "
      "older erwin ones) or an Erwin checkpoint; of a task model (EAGLE, ShapeNet-Car) its "
      "backbone main_model runs. --input is an .npz with "
      "node_features, node_positions, batch_idx and optionally edge_index and a tree "
      "(tree_idx, tree_mask, tree_idx_rot.L), used instead of building one. The output "
      "features are written to --output; without decoding, the batch index of each coarsest "
      "node goes to <output>_batch_idx.npy.");
  parser.option("config", "file.json", "model or run configuration (default: the weights')")
      .option("weights", "file", "model weights")
      .option("input", "file.npz", "model inputs")
      .option("output", "file.npy", "output features")
      .option("device", "cpu|cuda", "where to run", "cpu")
      .option("precision", "fp32|bf16", "bf16: autocast to bfloat16 (float32 weights)", "fp32")
      .option("radius", "r", "radius graph when mp_steps > 0 and the input has no edge_index")
      .flag("train", "train mode: BatchNorm uses batch statistics");
  if (!parser.parse(args)) return 0;

  const torch::Device device = parse_device(parser.text("device"));
  const std::string output = parser.text("output");
  const ErwinConfig config = model_config(parser);
  ErwinTransformer model(config);
  const std::string weights = parser.text("weights");
  try {
    load_state_dict(*model, backbone_weights(read_weights(weights)));
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(weights + ": " + e.what());
  }
  model->to(device);
  model->train(parser.flag_set("train"));
  const ErwinInputs inputs =
      to_device(read_inputs(NpzArchive::load(parser.text("input")), parser), device);

  torch::NoGradGuard no_grad;
  const PrecisionGuard autocast(parse_precision_option(parser), device);
  const auto start = std::chrono::steady_clock::now();
  const ErwinOutput result = model->forward(inputs);
  synchronize(device);
  const double forward_ms = elapsed_ms(start);

  save_npy(output, result.features.to(torch::kCPU, torch::kFloat));
  std::printf("forward (%s mode, %s, %s tree): %.2f ms\nwrote %s [%lld, %lld]\n",
              parser.flag_set("train") ? "train" : "eval", device.str().c_str(),
              inputs.tree ? "given" : "built", forward_ms, output.c_str(),
              static_cast<long long>(result.features.size(0)),
              static_cast<long long>(result.features.size(1)));
  if (!config.decode) {
    save_npy(batch_idx_path(output), result.batch_idx.cpu());
    std::printf("wrote %s\n", batch_idx_path(output).c_str());
  }
  return 0;
}

}  // namespace erwin::cli
