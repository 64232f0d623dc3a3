#pragma once
// The glue between the data sets and the trainer (erwin/training/): TrainingTask implementations
// for ShapeNet-Car and EAGLE, built from a RunConfig.
#include <torch/torch.h>

#include <memory>
#include <optional>
#include <vector>

#include "erwin/datasets/eagle.h"
#include "erwin/datasets/sample.h"
#include "erwin/datasets/shapenet_car.h"
#include "erwin/training/eagle_model.h"
#include "erwin/training/run_config.h"
#include "erwin/training/shapenet_model.h"
#include "erwin/training/task.h"

namespace erwin::datasets {

// The task models of a run configuration (weights initialised from torch's current RNG).
ShapenetCarModel make_shapenet_model(const RunConfig& config);
EagleModel make_eagle_model(const RunConfig& config);

// Seeds torch with config.seed, then opens the data (config.data) and builds the task model.
std::unique_ptr<TrainingTask> make_training_task(const RunConfig& config);

// The tensors of a batch on `device` (undefined fields stay undefined).
Batch batch_to(const Batch& batch, const torch::Device& device);

// A collated batch of EAGLE windows as the model's input: state and one-hot types split from
// node_features, boundary nodes from node_type (eagle_boundary_mask), the edges of each step.
EagleWindow eagle_window_from_batch(const Batch& batch);

class ShapenetCarTask : public TrainingTask {
 public:
  explicit ShapenetCarTask(const RunConfig& config);

  torch::nn::Module& model() override { return *model_; }
  void to(const torch::Device& device) override;
  int64_t train_size() const override { return train_.size(); }
  int64_t val_size() const override { return val_.size(); }
  torch::Tensor train_loss(const std::vector<int64_t>& indices, uint64_t seed) override;
  torch::Tensor val_loss(const std::vector<int64_t>& indices) override;

  ShapenetCarModel& shapenet_model() { return model_; }

 private:
  torch::Tensor loss(ShapenetCarDataset& dataset, std::vector<std::optional<Sample>>& cache,
                     const std::vector<int64_t>& indices);

  ShapenetCarDataset train_, val_;
  std::vector<std::optional<Sample>> train_cache_, val_cache_;  // cars are read once
  ShapenetCarModel model_;
  torch::Device device_ = torch::kCPU;
};

class EagleTask : public TrainingTask {
 public:
  explicit EagleTask(const RunConfig& config);

  torch::nn::Module& model() override { return *model_; }
  void to(const torch::Device& device) override;
  int64_t train_size() const override { return train_.size(); }
  int64_t val_size() const override { return val_.size(); }
  // Each sample is a window of data.window steps starting at a step drawn from (seed, index).
  torch::Tensor train_loss(const std::vector<int64_t>& indices, uint64_t seed) override;
  torch::Tensor val_loss(const std::vector<int64_t>& indices) override;

  EagleModel& eagle_model() { return model_; }

 private:
  int64_t simulation_steps(int64_t index);
  torch::Tensor loss(const std::vector<Sample>& samples);

  EagleDataset train_, val_;
  std::vector<int64_t> train_steps_;  // frames per training simulation, 0 until first needed
  EagleModel model_;
  torch::Device device_ = torch::kCPU;
};

}  // namespace erwin::datasets
