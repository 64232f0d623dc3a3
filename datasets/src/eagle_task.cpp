#include <random>

#include "erwin/datasets/training_tasks.h"
#include "erwin/npy.h"

namespace erwin::datasets {
namespace {

EagleOptions eagle_options(const RunConfig& config, int64_t window) {
  EagleOptions options;
  options.window = window;
  options.eval_start = config.data.eval_start;
  options.seed = config.seed;
  return options;
}

}  // namespace

EagleTask::EagleTask(const RunConfig& config)
    : train_(EagleDataset::open(config.data.root, config.data.train_split,
                                eagle_options(config, config.data.window))),
      val_(EagleDataset::open(config.data.root, config.data.val_split,
                              eagle_options(config, config.data.val_window))),
      train_steps_(static_cast<size_t>(train_.size()), 0),
      model_(make_eagle_model(config)) {}

void EagleTask::to(const torch::Device& device) {
  device_ = device;
  model_->to(device);
}

int64_t EagleTask::simulation_steps(int64_t index) {
  // EagleDataset does not expose a simulation's length; the pointcloud member gives it.
  int64_t& steps = train_steps_.at(static_cast<size_t>(index));
  if (steps == 0)
    steps = NpzArchive::load(train_.folders()[index] + "/sim.npz").get("pointcloud").size(0);
  return steps;
}

torch::Tensor EagleTask::loss(const std::vector<Sample>& samples) {
  const Batch batch = batch_to(datasets::collate(samples), device_);
  return eagle_increment_loss(model_->unroll(eagle_window_from_batch(batch)));
}

torch::Tensor EagleTask::train_loss(const std::vector<int64_t>& indices, uint64_t seed) {
  std::vector<Sample> samples;
  for (int64_t index : indices) {
    const int64_t last_start = simulation_steps(index) - train_.options().window;
    if (last_start < 0)
      throw std::invalid_argument(train_.folders()[index] + ": shorter than data.window");
    std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                      static_cast<uint32_t>(index)};
    std::mt19937_64 rng(seq);
    samples.push_back(train_.get_window(
        index, static_cast<int64_t>(rng() % static_cast<uint64_t>(last_start + 1))));
  }
  return loss(samples);
}

torch::Tensor EagleTask::val_loss(const std::vector<int64_t>& indices) {
  std::vector<Sample> samples;
  for (int64_t index : indices) samples.push_back(val_.get(index));
  return loss(samples);
}

}  // namespace erwin::datasets
