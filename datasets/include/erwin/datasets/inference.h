#pragma once
// What the Studio renders from a trained model: an EAGLE autoregressive rollout and a
// ShapeNet-Car pressure prediction, both in physical (denormalised) units.
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "erwin/datasets/eagle.h"
#include "erwin/datasets/shapenet_car.h"
#include "erwin/training/eagle_model.h"
#include "erwin/training/shapenet_model.h"

namespace erwin::datasets {

// The model of a training checkpoint (erwin/training/training_checkpoint.h: erwin train's, one
// the published save_checkpoint wrote for EagleModel / ShapenetCarModel, or an older erwin one),
// built from its stored configuration; std::invalid_argument when the checkpoint is of the other
// task.
ShapenetCarModel load_shapenet_model(const std::string& checkpoint_path);
EagleModel load_eagle_model(const std::string& checkpoint_path);

struct EagleRollout {
  int64_t simulation = 0;
  int64_t start = 0;            // simulation frame of step 0
  torch::Tensor positions;      // float [T, N, 2]
  torch::Tensor node_type;      // int64 [T, N]
  torch::Tensor triangles;      // int64 [T, F, 3]: the mesh of each frame (it changes over time)
  torch::Tensor predicted;      // float [T, N, 4] (vx, vy, ps, pg); step 0 is the true state
  torch::Tensor truth;          // float [T, N, 4]
  torch::Tensor rmse_velocity;  // float [T]: per_step_rmse over (vx, vy); 0 at step 0
  torch::Tensor rmse_pressure;  // float [T]: per_step_rmse over (ps, pg)
  std::string checkpoint;       // the model's training checkpoint, when known (for exports)
};

// Rolls `model` out autoregressively for `steps` steps from frame `start` of simulation
// `simulation` of `root`/`split` (T = steps + 1 frames), on `device`, without gradients.
// std::invalid_argument when the frames do not exist. `on_step` follows the steps (and may throw
// to abandon the rollout).
EagleRollout eagle_rollout(EagleModel& model, const std::string& root, const std::string& split,
                           int64_t simulation, int64_t start, int64_t steps,
                           const torch::Device& device = torch::kCPU,
                           const UnrollProgress& on_step = {});

struct ShapenetPrediction {
  int64_t car = 0;
  torch::Tensor positions;  // float [N, 3], normalised (as the model sees them)
  torch::Tensor predicted;  // float [N] pressure
  torch::Tensor truth;      // float [N] pressure
  double mse = 0;           // mean squared pressure error (the published denormalised MSE)
  std::string checkpoint;   // the model's training checkpoint, when known (for exports)
};

ShapenetPrediction predict_shapenet_car(ShapenetCarModel& model, const ShapenetCarDataset& dataset,
                                        int64_t car, const torch::Device& device = torch::kCPU);

}  // namespace erwin::datasets
