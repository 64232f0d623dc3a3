#include "erwin/datasets/training_tasks.h"

namespace erwin::datasets {
namespace {

ShapenetCarOptions shapenet_options(const RunConfig& config) {
  ShapenetCarOptions options;
  options.knn = config.data.knn;
  return options;
}

}  // namespace

ShapenetCarTask::ShapenetCarTask(const RunConfig& config)
    : train_(ShapenetCarDataset::open(config.data.root, config.data.train_split,
                                      shapenet_options(config))),
      val_(ShapenetCarDataset::open(config.data.root, config.data.val_split,
                                    shapenet_options(config))),
      train_cache_(static_cast<size_t>(train_.size())),
      val_cache_(static_cast<size_t>(val_.size())),
      model_(make_shapenet_model(config)) {}

void ShapenetCarTask::to(const torch::Device& device) {
  device_ = device;
  model_->to(device);
}

torch::Tensor ShapenetCarTask::loss(ShapenetCarDataset& dataset,
                                    std::vector<std::optional<Sample>>& cache,
                                    const std::vector<int64_t>& indices) {
  std::vector<Sample> samples;
  for (int64_t index : indices) {
    auto& slot = cache.at(static_cast<size_t>(index));
    if (!slot) slot = dataset.get(index);
    samples.push_back(*slot);
  }
  const Batch batch = batch_to(dataset.collate(samples), device_);
  const torch::Tensor predicted =
      model_->forward(batch.node_positions, batch.batch_idx, batch.edge_index);
  return shapenet_pressure_loss(predicted, batch.targets.squeeze(-1));
}

torch::Tensor ShapenetCarTask::train_loss(const std::vector<int64_t>& indices, uint64_t) {
  return loss(train_, train_cache_, indices);
}

torch::Tensor ShapenetCarTask::val_loss(const std::vector<int64_t>& indices) {
  return loss(val_, val_cache_, indices);
}

}  // namespace erwin::datasets
