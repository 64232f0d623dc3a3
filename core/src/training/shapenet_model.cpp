#include "erwin/training/shapenet_model.h"

#include <stdexcept>

namespace erwin {

FourierFeaturesImpl::FourierFeaturesImpl(int64_t num_features, int64_t dimensionality,
                                         double sigma) {
  if (num_features < 2 || num_features % 2 != 0)
    throw std::invalid_argument("FourierFeatures: num_features must be even and positive, got " +
                                std::to_string(num_features));
  linear = register_module(
      "linear",
      torch::nn::Linear(torch::nn::LinearOptions(dimensionality, num_features / 2).bias(false)));
  torch::NoGradGuard no_grad;
  linear->weight.normal_(0.0, 1.0 / sigma);
}

torch::Tensor FourierFeaturesImpl::forward(const torch::Tensor& positions) {
  const torch::Tensor projection = linear(positions);
  return torch::cat({torch::cos(projection), torch::sin(projection)}, -1);
}

ShapenetCarModelImpl::ShapenetCarModelImpl(const ErwinConfig& config, double sigma) {
  config.validate();
  if (!config.decode)
    throw std::invalid_argument("ShapenetCarModel: config.decode must be true (node-wise output)");
  const int64_t width = config.c_hidden.front();
  pos_enc = register_module("pos_enc", FourierFeatures(config.c_in, config.dimensionality, sigma));
  main_model = register_module("main_model", ErwinTransformer(config));
  pred_head = register_module(
      "pred_head", torch::nn::Sequential(torch::nn::Linear(width, width), torch::nn::GELU(),
                                         torch::nn::Linear(width, 1)));
}

torch::Tensor ShapenetCarModelImpl::forward(const torch::Tensor& positions,
                                            const torch::Tensor& batch_idx,
                                            const torch::Tensor& edge_index) {
  ErwinInputs inputs;
  inputs.node_features = pos_enc(positions);
  inputs.node_positions = positions;
  inputs.batch_idx = batch_idx;
  if (edge_index.defined()) inputs.edge_index = edge_index;
  return pred_head->forward(main_model(inputs).features).squeeze(-1);
}

torch::Tensor shapenet_pressure_loss(const torch::Tensor& predicted, const torch::Tensor& target) {
  if (predicted.sizes() != target.sizes())
    throw std::invalid_argument("shapenet_pressure_loss: predicted and target shapes differ");
  return torch::mse_loss(predicted, target);
}

}  // namespace erwin
