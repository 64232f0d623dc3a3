// make_training_task and the helpers shared by the task implementations and inference.
#include "erwin/datasets/training_tasks.h"

namespace erwin::datasets {

using torch::indexing::None;
using torch::indexing::Slice;

ShapenetCarModel make_shapenet_model(const RunConfig& config) {
  return ShapenetCarModel(config.model, config.data.fourier_sigma);
}

EagleModel make_eagle_model(const RunConfig& config) {
  return EagleModel(config.model, kEagleNodeClasses, config.data.use_pe);
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

Batch eagle_split_batch(const std::string& root, const std::string& split, int64_t window,
                        int64_t start) {
  EagleOptions options;
  options.window = window;
  options.cache = false;
  EagleDataset dataset = EagleDataset::open(root, split, options);
  std::vector<Sample> samples;
  for (int64_t i = 0; i < dataset.size(); ++i) samples.push_back(dataset.get_window(i, start));
  if (samples.empty()) throw std::invalid_argument(root + ": the " + split + " split is empty");
  return collate(samples);
}

std::map<std::string, torch::Tensor> published_eagle_batch(const Batch& batch, int64_t start) {
  const int64_t steps = batch.node_features.size(1);
  std::vector<torch::Tensor> edges;
  for (int64_t t = 0; t < steps; ++t) edges.push_back(edges_at_step(batch, t));
  const torch::Tensor first_step = batch.edge_step == 0;
  const torch::Tensor edge_sample = batch.batch_idx.index({batch.edge_index[1]});
  const int64_t samples = batch.num_nodes.size(0);
  return {
      {"mesh_pos", batch.node_positions},
      {"velocity", batch.node_features.index({"...", Slice(0, 2)})},
      {"pressure", batch.node_features.index({"...", Slice(2, kEagleStateSize)})},
      {"node_type",
       batch.node_features.index({"...", Slice(kEagleStateSize, None)}).to(torch::kInt64)},
      {"edges", torch::stack(edges, 1)},
      {"num_nodes", batch.num_nodes},
      {"num_edges", torch::bincount(edge_sample.masked_select(first_step), {}, samples)},
      {"timestep", torch::arange(start, start + steps, torch::kInt64).repeat({samples, 1})},
      {"batch_idx", batch.batch_idx},
  };
}

EagleLosses eagle_losses(const EagleUnroll& unroll, const torch::Tensor& true_state) {
  const auto predicted = Slice(1, None);
  const torch::Tensor states = eagle_denormalise(unroll.states.index({Slice(), predicted}));
  const torch::Tensor truth = eagle_denormalise(true_state.index({Slice(), predicted}));
  const auto mean_rmse = [&](const Slice& channels) {
    const torch::Tensor error = truth.index({"...", channels}) - states.index({"...", channels});
    return error.pow(2).mean(-1).sqrt().mean();
  };
  return {eagle_increment_loss(unroll), mean_rmse(Slice(2, kEagleStateSize)),
          mean_rmse(Slice(0, 2))};
}

}  // namespace erwin::datasets
