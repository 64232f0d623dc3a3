#pragma once
// What the trainer trains: a model with its loss over numbered training and validation samples.
// Data-set glue (datasets/) implements it; core/ stays independent of the data formats.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace erwin {

class TrainingTask {
 public:
  virtual ~TrainingTask() = default;

  // Every trainable parameter (the backbone and the task head).
  virtual torch::nn::Module& model() = 0;
  // Moves the model and all later batches to `device`.
  virtual void to(const torch::Device& device) = 0;

  virtual int64_t train_size() const = 0;
  virtual int64_t val_size() const = 0;

  // Mean loss of training samples `indices`, differentiable. `seed` drives any per-sample
  // randomness (EAGLE window starts), so the same (indices, seed) give the same batch.
  virtual torch::Tensor train_loss(const std::vector<int64_t>& indices, uint64_t seed) = 0;
  // Mean loss of validation samples `indices`; called in eval mode without gradients.
  virtual torch::Tensor val_loss(const std::vector<int64_t>& indices) = 0;
};

}  // namespace erwin
