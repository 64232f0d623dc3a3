// make_training_task and the helpers shared by the task implementations and inference.
#include "erwin/datasets/training_tasks.h"

namespace erwin::datasets {

ShapenetCarModel make_shapenet_model(const RunConfig& config) {
  return ShapenetCarModel(config.model, config.data.fourier_sigma);
}

EagleModel make_eagle_model(const RunConfig& config) {
  return EagleModel(config.model, kEagleNodeClasses);
}

std::unique_ptr<TrainingTask> make_training_task(const RunConfig& config) {
  config.validate();
  torch::manual_seed(config.seed);
  if (config.task == TaskKind::Eagle) return std::make_unique<EagleTask>(config);
  return std::make_unique<ShapenetCarTask>(config);
}

Batch batch_to(const Batch& batch, const torch::Device& device) {
  auto move = [&](const torch::Tensor& t) { return t.defined() ? t.to(device) : t; };
  Batch out;
  out.node_features = move(batch.node_features);
  out.node_positions = move(batch.node_positions);
  out.node_type = move(batch.node_type);
  out.edge_index = move(batch.edge_index);
  out.edge_step = move(batch.edge_step);
  out.targets = move(batch.targets);
  out.batch_idx = move(batch.batch_idx);
  out.num_nodes = move(batch.num_nodes);
  return out;
}

EagleWindow eagle_window_from_batch(const Batch& batch) {
  using torch::indexing::None;
  using torch::indexing::Slice;
  EagleWindow w;
  w.state = batch.node_features.index({"...", Slice(0, kEagleStateSize)});
  w.node_type_onehot = batch.node_features.index({"...", Slice(kEagleStateSize, None)});
  w.positions = batch.node_positions;
  w.boundary = eagle_boundary_mask(batch.node_type);
  for (int64_t t = 0; t < batch.node_features.size(1); ++t)
    w.edges.push_back(edges_at_step(batch, t));
  w.batch_idx = batch.batch_idx;
  return w;
}

}  // namespace erwin::datasets
