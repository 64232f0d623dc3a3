#pragma once
// The EAGLE task model (SPEC §4; published experiments/wrappers/eagle.py): Linear([state, one-hot
// node type(, position features)]) -> Erwin -> Linear(c_hidden[0] -> 4) state increment, unrolled
// over a window with boundary nodes reset to the ground truth. Parameter names follow the published
// state_dict (embedding_model, main_model, pred_head). Data-set conventions (normalisation, which
// node types are boundaries) stay with the caller: this file only sees tensors.
#include <torch/torch.h>

#include <functional>
#include <vector>

#include "erwin/config.h"
#include "erwin/model.h"

namespace erwin {

constexpr int64_t kEagleStateChannels = 4;  // vx, vy, ps, pg

// A batch of windows of T steps over N nodes (all node-wise tensors share dimension 0).
struct EagleWindow {
  torch::Tensor state;               // float [N, T, 4], normalised
  torch::Tensor node_type_onehot;    // float [N, T, K]
  torch::Tensor positions;           // float [N, T, d]
  torch::Tensor boundary;            // bool [N, T]: nodes reset to the true state at step t
  std::vector<torch::Tensor> edges;  // T tensors int64 [2, E_t]
  torch::Tensor batch_idx;           // int64 [N]
};

struct EagleUnroll {
  torch::Tensor states;             // [N, T, 4]: step 0 the true state, then the predictions
  torch::Tensor increments;         // [N, T-1, 4]: predicted increments
  torch::Tensor target_increments;  // [N, T-1, 4]: true state minus the previous prediction
};

// Called after each unrolled step with (steps done, steps in all). It may throw to abandon the
// unroll, e.g. when the job it belongs to was cancelled.
using UnrollProgress = std::function<void(int64_t done, int64_t total)>;

// The published Positional_Encoder of the EAGLE wrapper (use_pe): cos and sin of 2^k * pi * x
// for k < 8 per coordinate, laid out [coordinate][cos k..., sin k...] and cut to the first
// kEaglePositionFeatures, so that in 2D only the first coordinate's 16 features remain (as
// published; kept for parity with its checkpoints).
constexpr int64_t kEaglePositionFeatures = 16;
torch::Tensor eagle_position_features(const torch::Tensor& positions);  // [N, d] -> [N, 16]

struct EagleModelImpl : torch::nn::Module {
  // `node_types`: K, the one-hot width (EAGLE: 9). `use_pe`: append eagle_position_features to
  // the embedding's input (the published --use_pe).
  EagleModelImpl(const ErwinConfig& config, int64_t node_types, bool use_pe = false);

  // One step: the predicted increment [N, 4] of `state` [N, 4].
  torch::Tensor single_forward(const torch::Tensor& state, const torch::Tensor& node_type_onehot,
                               const torch::Tensor& positions, const torch::Tensor& edges,
                               const torch::Tensor& batch_idx);

  // Autoregressive unroll from window.state[:, 0] over the window's T steps (T >= 2). Throws
  // std::invalid_argument naming a field whose shape does not fit.
  EagleUnroll unroll(const EagleWindow& window, const UnrollProgress& on_step = {});

  bool use_pe = false;
  torch::nn::Linear embedding_model{nullptr};
  ErwinTransformer main_model{nullptr};
  torch::nn::Linear pred_head{nullptr};
};
TORCH_MODULE(EagleModel);

// The published loss: MSE of the velocity increments + 0.1 x MSE of the pressure increments.
torch::Tensor eagle_increment_loss(const EagleUnroll& unroll);

// Per-step RMSE of a rollout: for each step t, the mean over nodes of the root mean square over
// `channels` of (predicted - truth); inputs [N, T, C] (denormalised), result float [T].
torch::Tensor per_step_rmse(const torch::Tensor& predicted, const torch::Tensor& truth,
                            const std::vector<int64_t>& channels);

}  // namespace erwin
