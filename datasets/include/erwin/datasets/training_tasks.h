#pragma once
// The glue between the data sets and the trainer (erwin/training/): TrainingTask implementations
// for ShapeNet-Car and EAGLE, built from a RunConfig.
#include <torch/torch.h>

#include <map>
#include <memory>
#include <optional>
#include <string>
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

// Every simulation of `split` as one batch of the windows [start, start + window): what the
// published EagleDataset(root, mode=split, window_length=window) + collate_fn give for the
// valid and test splits (where the published start is 100).
Batch eagle_split_batch(const std::string& root, const std::string& split, int64_t window,
                        int64_t start);

// A batch in the published collate_fn's layout: mesh_pos, velocity, pressure [N, T, 2]
// (normalised), node_type [N, T, 9] one-hot int64, edges [2, T, E], num_nodes, num_edges [S],
// timestep [S, T] (from `start`), batch_idx [N]. Needs the same number of edges at every step
// of a sample, as faces_to_edges gives.
std::map<std::string, torch::Tensor> published_eagle_batch(const Batch& batch, int64_t start);

// The published EagleModel.step values: `loss` (eagle_increment_loss) and the mean per-node
// RMSE of the denormalised velocity and pressure over the predicted steps.
struct EagleLosses {
  torch::Tensor loss, loss_pressure, loss_velocity;
};
EagleLosses eagle_losses(const EagleUnroll& unroll, const torch::Tensor& true_state);

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
