#pragma once
// The ShapeNet-Car task model (SPEC §4; published experiments/wrappers/shapenet.py): random
// Fourier features of the positions -> Erwin -> Linear-GELU-Linear pressure head. Parameter
// names follow the published state_dict (pos_enc.linear, main_model, pred_head.{0,2}).
#include <torch/torch.h>

#include "erwin/config.h"
#include "erwin/model.h"

namespace erwin {

// cos and sin of a bias-free Linear(dimensionality -> num_features / 2) with weights drawn from
// N(0, 1/sigma).
struct FourierFeaturesImpl : torch::nn::Module {
  FourierFeaturesImpl(int64_t num_features, int64_t dimensionality, double sigma);
  torch::Tensor forward(const torch::Tensor& positions);  // [N, d] -> [N, num_features]

  torch::nn::Linear linear{nullptr};
};
TORCH_MODULE(FourierFeatures);

struct ShapenetCarModelImpl : torch::nn::Module {
  // config.c_in must be even (the Fourier features' width). `sigma`: FourierFeatures.
  explicit ShapenetCarModelImpl(const ErwinConfig& config, double sigma = 1.0);

  // Normalised positions [N, 3], batch index [N], k-NN edges [2, E] -> normalised pressure [N].
  torch::Tensor forward(const torch::Tensor& positions, const torch::Tensor& batch_idx,
                        const torch::Tensor& edge_index);

  FourierFeatures pos_enc{nullptr};
  ErwinTransformer main_model{nullptr};
  torch::nn::Sequential pred_head{nullptr};
};
TORCH_MODULE(ShapenetCarModel);

// The published training loss: mean squared error of the normalised pressure.
torch::Tensor shapenet_pressure_loss(const torch::Tensor& predicted, const torch::Tensor& target);

}  // namespace erwin
