#pragma once
// Training checkpoints: model weights, AdamW state, schedule, step, run configuration, metrics
// history and seed in one LibTorch archive, written atomically (erwin::write_file_atomically) so
// that a run killed while saving keeps its previous checkpoint.
#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <string>

#include "erwin/training/lr_schedule.h"
#include "erwin/training/metrics.h"
#include "erwin/training/run_config.h"

namespace erwin {

struct TrainingState {
  RunConfig run_config;
  WarmupCosineSchedule schedule{1.0, 0, 1, 0.0};
  int64_t step = 0;  // optimisation steps done
  uint64_t seed = 0;
  double elapsed_seconds = 0;
  MetricsHistory history;
};

// Writes the checkpoint to `file` directly (not atomic: the building block of the function below).
void write_training_checkpoint(const std::string& file, const TrainingState& state,
                               const torch::nn::Module& model,
                               const torch::optim::Optimizer& optimizer);

// write_training_checkpoint into a temporary file renamed over `path`.
void save_training_checkpoint(const std::string& path, const TrainingState& state,
                              const torch::nn::Module& model,
                              const torch::optim::Optimizer& optimizer);

// Reads the state, and the weights into `model` / the moments into `optimizer` where given (they
// must have the structure of the saved ones); their tensors are placed on `device` (the saved
// device when absent). erwin::FormatError naming `path` when the file is not a training
// checkpoint or is damaged.
TrainingState load_training_checkpoint(const std::string& path, torch::nn::Module* model = nullptr,
                                       torch::optim::Optimizer* optimizer = nullptr,
                                       std::optional<torch::Device> device = std::nullopt);

// True when `path` holds a training checkpoint of this format (false for any other file).
bool is_training_checkpoint(const std::string& path);

}  // namespace erwin
