#include "erwin/datasets/inference.h"

#include <stdexcept>

#include "erwin/datasets/training_tasks.h"
#include "erwin/training/training_checkpoint.h"

namespace erwin::datasets {
namespace {

RunConfig checkpoint_config(const std::string& path, TaskKind expected) {
  RunConfig config = load_training_checkpoint(path).run_config;
  if (config.task != expected)
    throw std::invalid_argument(path + ": a " + task_kind_name(config.task) +
                                " checkpoint, expected " + task_kind_name(expected));
  return config;
}

}  // namespace

ShapenetCarModel load_shapenet_model(const std::string& checkpoint_path) {
  ShapenetCarModel model =
      make_shapenet_model(checkpoint_config(checkpoint_path, TaskKind::ShapenetCar));
  load_training_checkpoint(checkpoint_path, model.ptr().get());
  return model;
}

EagleModel load_eagle_model(const std::string& checkpoint_path) {
  EagleModel model = make_eagle_model(checkpoint_config(checkpoint_path, TaskKind::Eagle));
  load_training_checkpoint(checkpoint_path, model.ptr().get());
  return model;
}

EagleRollout eagle_rollout(EagleModel& model, const std::string& root, const std::string& split,
                           int64_t simulation, int64_t start, int64_t steps,
                           const torch::Device& device, const UnrollProgress& on_step) {
  if (steps < 1) throw std::invalid_argument("eagle_rollout: steps must be at least 1");
  EagleOptions options;
  options.window = steps + 1;
  options.cache = true;  // only this simulation is read; it also provides the triangles
  EagleDataset dataset = EagleDataset::open(root, split, options);
  if (simulation < 0 || simulation >= dataset.size())
    throw std::invalid_argument("eagle_rollout: simulation " + std::to_string(simulation) +
                                " out of " + std::to_string(dataset.size()));
  const Batch batch = batch_to(collate({dataset.get_window(simulation, start)}), device);

  torch::NoGradGuard no_grad;
  model->to(device);
  model->eval();
  const EagleUnroll unroll = model->unroll(eagle_window_from_batch(batch), on_step);
  const torch::Tensor predicted = eagle_denormalise(unroll.states).cpu();
  const torch::Tensor truth = eagle_denormalise(batch.targets).cpu();

  EagleRollout r;
  r.simulation = simulation;
  r.start = start;
  r.positions = batch.node_positions.cpu().transpose(0, 1).contiguous();
  r.node_type = batch.node_type.cpu().t().contiguous();
  r.triangles = dataset.simulation(simulation).triangles.slice(0, start, start + steps + 1).clone();
  r.predicted = predicted.transpose(0, 1).contiguous();
  r.truth = truth.transpose(0, 1).contiguous();
  r.rmse_velocity = per_step_rmse(predicted, truth, {0, 1});
  r.rmse_pressure = per_step_rmse(predicted, truth, {2, 3});
  return r;
}

ShapenetPrediction predict_shapenet_car(ShapenetCarModel& model, const ShapenetCarDataset& dataset,
                                        int64_t car, const torch::Device& device) {
  if (car < 0 || car >= dataset.size())
    throw std::invalid_argument("predict_shapenet_car: car " + std::to_string(car) + " out of " +
                                std::to_string(dataset.size()));
  const Batch batch = batch_to(dataset.collate({dataset.get(car)}), device);
  torch::NoGradGuard no_grad;
  model->to(device);
  model->eval();
  const torch::Tensor normalised =
      model->forward(batch.node_positions, batch.batch_idx, batch.edge_index);

  ShapenetPrediction p;
  p.car = car;
  p.positions = batch.node_positions.cpu();
  p.predicted = shapenet_denormalise_pressure(normalised.cpu());
  p.truth = shapenet_denormalise_pressure(batch.targets.squeeze(-1).cpu());
  p.mse = (p.predicted - p.truth).pow(2).mean().item<double>();
  return p;
}

}  // namespace erwin::datasets
