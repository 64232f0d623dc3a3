// `erwin step`: what the published training code computes for a task model on given weights and
// data (experiments/wrappers/{eagle,shapenet}.py, experiments/training.py), written in the layout
// of the reference task fixtures (../shared/reference/README.md, "Task fixtures"), so that parity
// with the published training can be checked from outside the test suite.
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "erwin/checkpoint.h"
#include "erwin/datasets/training_tasks.h"
#include "erwin/io_util.h"
#include "erwin/json_text.h"
#include "erwin/npy.h"
#include "erwin/training/lr_schedule.h"
#include "erwin/training/optimization.h"

namespace erwin::cli {
namespace {

using Members = std::map<std::string, torch::Tensor>;
using json = nlohmann::json;

json read_json_object(const std::string& path) {
  const json value = parse_json_text(read_regular_file(path), path);
  if (!value.is_object()) throw std::invalid_argument(path + ": expected a JSON object");
  return value;
}

// The fixture's __meta__.config: the ErwinTransformer arguments, plus the wrapper's options
// (`use_pe` for EAGLE as 0/1 or a boolean; `knn`, which only built the given edges, for
// ShapeNet-Car) and the published checkpoints' `model` / `experiment` labels.
struct TaskConfig {
  ErwinConfig model;
  bool use_pe = false;
};

TaskConfig read_task_config(const std::string& path) {
  json object = read_json_object(path);
  TaskConfig config;
  if (object.contains("use_pe")) {
    const json& use_pe = object["use_pe"];
    if (!use_pe.is_boolean() && !use_pe.is_number_integer())
      throw std::invalid_argument(path + ": use_pe must be 0, 1, true or false");
    config.use_pe = use_pe.is_boolean() ? use_pe.get<bool>() : use_pe.get<int64_t>() != 0;
  }
  for (const char* wrapper_key : {"use_pe", "knn", "model", "experiment"})
    object.erase(wrapper_key);
  try {
    config.model = ErwinConfig::from_json(object.dump());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
  return config;
}

// The fixture's __meta__.optimizer: AdamW(lr, weight_decay), clip_grad_norm_(max_grad_norm) and
// create_scheduler_with_warmup(warmup_steps, total_steps, eta_min).
struct StepOptimizer {
  OptimizerSettings settings;
  int64_t warmup_steps = 0;
  int64_t total_steps = 0;
  double eta_min = 1e-7;  // the published default
};

StepOptimizer read_optimizer(const std::string& path) {
  const json object = read_json_object(path);
  StepOptimizer o;
  o.settings.max_grad_norm = 0;  // absent or null: no clipping, as published
  const auto number = [&](const char* key, auto& out, bool required) {
    const auto it = object.find(key);
    if (it == object.end() || it->is_null()) {
      if (required) throw std::invalid_argument(path + ": missing '" + key + "'");
      return;
    }
    if (!it->is_number()) throw std::invalid_argument(path + ": '" + key + "' must be a number");
    out = it->get<std::decay_t<decltype(out)>>();
  };
  number("lr", o.settings.lr, true);
  number("weight_decay", o.settings.weight_decay, false);
  number("max_grad_norm", o.settings.max_grad_norm, false);
  number("warmup_steps", o.warmup_steps, false);
  number("total_steps", o.total_steps, true);
  number("eta_min", o.eta_min, false);
  return o;
}

// The loss of each of `steps` published train_steps from the model's current weights, and the
// lr each used.
Members training_trajectory(torch::nn::Module& model, const StepOptimizer& o, int64_t steps,
                            const std::function<torch::Tensor()>& loss) {
  const WarmupCosineSchedule schedule(o.settings.lr, o.warmup_steps, o.total_steps, o.eta_min);
  const auto optimizer = make_adamw(model, o.settings);
  std::vector<double> losses, lrs;
  for (int64_t step = 0; step < steps; ++step) {
    lrs.push_back(schedule.lr_at(step));
    losses.push_back(
        optimisation_step(model, *optimizer, lrs.back(), o.settings.max_grad_norm, loss)
            .item<double>());
  }
  return {{"trajectory.loss", torch::tensor(losses, torch::kDouble)},
          {"trajectory.lr", torch::tensor(lrs, torch::kDouble)}};
}

void add_gradients(const torch::nn::Module& model, Members& out) {
  for (const auto& item : model.named_parameters())
    if (item.value().grad().defined()) out["grad." + item.key()] = item.value().grad().cpu();
}

void add_cpu(Members& out, const std::string& name, const torch::Tensor& value) {
  out[name] = value.detach().cpu();
}

// Runs the fixtures' sequence on `model` (weights from --weights): the train-mode forward whose
// outputs they hold (`train` adds them and returns the loss), the training_step that gives the
// gradients, the eval-mode values (`eval`), then, with --steps, the training trajectory from the
// same weights. The two train-mode passes each update BatchNorm's running statistics before the
// eval values are taken, as when the fixtures were made; loss_eval depends on that.
Members run_task(torch::nn::Module& model, const ArgParser& parser,
                 const std::function<torch::Tensor(Members&)>& train,
                 const std::function<void(Members&)>& eval) {
  const std::string weights = parser.text("weights");
  Members out, scratch;
  model.train();
  {
    torch::NoGradGuard no_grad;
    train(out);
  }
  model.zero_grad();
  train(scratch).backward();
  add_gradients(model, out);
  {
    torch::NoGradGuard no_grad;
    model.eval();
    eval(out);
  }
  if (parser.has("steps")) {
    const int64_t steps = parser.integer("steps");
    if (steps < 1) throw UsageError("erwin step: --steps must be at least 1");
    if (!parser.has("optimizer")) throw UsageError("erwin step: --steps needs --optimizer");
    load_weights(model, weights);  // the trajectory starts from the given weights
    const auto trajectory = training_trajectory(model, read_optimizer(parser.text("optimizer")),
                                                steps, [&] { return train(scratch); });
    out.insert(trajectory.begin(), trajectory.end());
  }
  return out;
}

int64_t default_start(int64_t window) {
  // Published EagleDataset: valid/test windows start at frame 100, whole simulations (990) at 0.
  return window == 990 ? 0 : 100;
}

Members run_eagle(const ArgParser& parser, const TaskConfig& config, const torch::Device& device) {
  const int64_t window = parser.integer("window");
  if (window < 2) throw UsageError("erwin step: --window must be at least 2");
  const int64_t start = parser.has("start") ? parser.integer("start") : default_start(window);
  const datasets::Batch batch =
      datasets::eagle_split_batch(parser.text("data"), parser.text("split"), window, start);
  Members out;
  for (const auto& [name, value] : datasets::published_eagle_batch(batch, start))
    add_cpu(out, "batch." + name, value);

  EagleModel model(config.model, datasets::kEagleNodeClasses, config.use_pe);
  load_weights(*model, parser.text("weights"));
  model->to(device);
  const EagleWindow input = datasets::eagle_window_from_batch(datasets::batch_to(batch, device));
  const auto losses = [&](const char* mode, Members& members) {
    const EagleUnroll unroll = model->unroll(input);
    const datasets::EagleLosses l = datasets::eagle_losses(unroll, input.state);
    add_cpu(members, std::string("loss_") + mode, l.loss);
    if (std::string(mode) == "train") {
      add_cpu(members, "state_hat_train", unroll.states);
      add_cpu(members, "output_train", unroll.increments);
      add_cpu(members, "target_train", unroll.target_increments);
      add_cpu(members, "loss_pressure_train", l.loss_pressure);
      add_cpu(members, "loss_velocity_train", l.loss_velocity);
    }
    return l.loss;
  };
  const Members task = run_task(
      *model, parser, [&](Members& m) { return losses("train", m); },
      [&](Members& m) { losses("eval", m); });
  out.insert(task.begin(), task.end());
  return out;
}

Members run_shapenet(const ArgParser& parser, const TaskConfig& config,
                     const torch::Device& device) {
  const NpzArchive input = NpzArchive::load(parser.text("input"));
  const torch::Tensor positions = input.get("input.node_positions").to(device);
  const torch::Tensor batch_idx = input.get("input.batch_idx").to(device);
  // Without message passing (mp_steps 0) the published batch needs no graph.
  const torch::Tensor edge_index = input.contains("input.edge_index")
                                       ? input.get("input.edge_index").to(device)
                                       : torch::Tensor();
  const torch::Tensor target = input.get("input.target").to(device);

  ShapenetCarModel model(config.model);
  load_weights(*model, parser.text("weights"));
  model->to(device);
  const auto predict = [&](const char* mode, Members& members) {
    const torch::Tensor predicted = model->forward(positions, batch_idx, edge_index);
    const torch::Tensor loss = shapenet_pressure_loss(predicted, target);
    add_cpu(members, std::string("pred_") + mode, predicted);
    add_cpu(members, std::string("loss_") + mode, loss);
    add_cpu(members, std::string("mse_") + mode,
            datasets::shapenet_denormalised_mse(predicted.detach(), target));
    return loss;
  };
  return run_task(
      *model, parser, [&](Members& m) { return predict("train", m); },
      [&](Members& m) { predict("eval", m); });
}

}  // namespace

int run_step(const Arguments& args) {
  ArgParser parser(
      "step",
      "Computes what the published training code computes for a task model, in the layout of "
      "the reference task fixtures: the train-mode forward, losses and every gradient, the "
      "eval-mode loss, and with --steps the loss and lr of that many published training steps "
      "(AdamW, clip_grad_norm_, linear warm-up + cosine). --config is the fixture's "
      "__meta__.config (plus use_pe for EAGLE), --weights an .npz of param.<name> arrays or any "
      "weights file `erwin forward` reads, --optimizer the fixture's __meta__.optimizer. EAGLE "
      "reads every simulation of --split as the published EagleDataset + collate_fn do; "
      "ShapeNet-Car reads input.node_positions, input.batch_idx, input.target and (unless "
      "mp_steps is 0) input.edge_index from --input.");
  parser.option("task", "eagle|shapenet", "task model")
      .option("config", "C.json", "model configuration")
      .option("weights", "W", "task model weights (published wrapper names)")
      .option("data", "root", "EAGLE: data set in the published layout")
      .option("split", "name", "EAGLE: split", "test")
      .option("window", "W", "EAGLE: window length")
      .option("start", "S", "EAGLE: first frame (default 100; 0 for a window of 990)")
      .option("input", "I.npz", "ShapeNet-Car: the inputs")
      .option("output", "O.npz", "where to write the results")
      .option("steps", "K", "also take K training steps from the given weights")
      .option("optimizer", "OPT.json", "optimizer and schedule of the training steps")
      .option("device", "cpu|cuda", "where to run", "cpu");
  if (!parser.parse(args)) return 0;

  const std::string task = parser.text("task");
  if (task != "eagle" && task != "shapenet")
    throw UsageError("erwin step: --task must be eagle or shapenet, got '" + task + "'");
  const std::string output = parser.text("output");
  const TaskConfig config = read_task_config(parser.text("config"));
  const torch::Device device = parse_device(parser.text("device"));
  const Members members =
      task == "eagle" ? run_eagle(parser, config, device) : run_shapenet(parser, config, device);
  save_npz(output, members);
  const auto& loss = members.at("loss_train");
  std::printf("%s: train loss %.8g, eval loss %.8g", task.c_str(), loss.item<double>(),
              members.at("loss_eval").item<double>());
  if (members.count("trajectory.loss"))
    std::printf(", %lld training steps, last loss %.8g",
                static_cast<long long>(members.at("trajectory.loss").numel()),
                members.at("trajectory.loss")[-1].item<double>());
  std::printf("\nwrote %s (%zu members)\n", output.c_str(), members.size());
  return 0;
}

}  // namespace erwin::cli
