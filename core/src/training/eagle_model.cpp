#include "erwin/training/eagle_model.h"

#include <cmath>
#include <stdexcept>
#include <string>

namespace erwin {
namespace {

void check_window(const EagleWindow& w) {
  auto fail = [](const std::string& field, const std::string& what) {
    throw std::invalid_argument("EagleWindow." + field + ": " + what);
  };
  if (!w.state.defined() || w.state.dim() != 3 || w.state.size(2) != kEagleStateChannels)
    fail("state", "expected [N, T, 4]");
  const int64_t n = w.state.size(0), t = w.state.size(1);
  if (t < 2) fail("state", "a window needs at least 2 steps");
  if (!w.node_type_onehot.defined() || w.node_type_onehot.dim() != 3 ||
      w.node_type_onehot.size(0) != n || w.node_type_onehot.size(1) != t)
    fail("node_type_onehot", "expected [N, T, K] matching state");
  if (!w.positions.defined() || w.positions.dim() != 3 || w.positions.size(0) != n ||
      w.positions.size(1) != t)
    fail("positions", "expected [N, T, d] matching state");
  if (!w.boundary.defined() || w.boundary.sizes() != torch::IntArrayRef({n, t}) ||
      w.boundary.scalar_type() != torch::kBool)
    fail("boundary", "expected bool [N, T]");
  if (static_cast<int64_t>(w.edges.size()) != t) fail("edges", "expected one tensor per step");
  if (!w.batch_idx.defined() || w.batch_idx.dim() != 1 || w.batch_idx.size(0) != n)
    fail("batch_idx", "expected [N]");
}

}  // namespace

torch::Tensor eagle_position_features(const torch::Tensor& positions) {
  constexpr int64_t kFrequencies = 8;
  const torch::Tensor frequencies =
      torch::pow(2.0, torch::arange(kFrequencies, positions.options())) * M_PI;
  const torch::Tensor angles = positions.unsqueeze(-1) * frequencies;  // [N, d, 8]
  return torch::cat({torch::cos(angles), torch::sin(angles)}, -1)
      .flatten(-2)
      .slice(-1, 0, kEaglePositionFeatures);
}

EagleModelImpl::EagleModelImpl(const ErwinConfig& config, int64_t node_types, bool use_pe)
    : use_pe(use_pe) {
  config.validate();
  if (!config.decode)
    throw std::invalid_argument("EagleModel: config.decode must be true (node-wise output)");
  if (node_types < 1) throw std::invalid_argument("EagleModel: node_types must be positive");
  const int64_t inputs = kEagleStateChannels + node_types + (use_pe ? kEaglePositionFeatures : 0);
  embedding_model = register_module("embedding_model", torch::nn::Linear(inputs, config.c_in));
  main_model = register_module("main_model", ErwinTransformer(config));
  pred_head =
      register_module("pred_head", torch::nn::Linear(config.c_hidden.front(), kEagleStateChannels));
}

torch::Tensor EagleModelImpl::single_forward(const torch::Tensor& state,
                                             const torch::Tensor& node_type_onehot,
                                             const torch::Tensor& positions,
                                             const torch::Tensor& edges,
                                             const torch::Tensor& batch_idx) {
  ErwinInputs inputs;
  std::vector<torch::Tensor> features{state, node_type_onehot};
  if (use_pe) features.push_back(eagle_position_features(positions));
  inputs.node_features = embedding_model(torch::cat(features, -1));
  inputs.node_positions = positions;
  inputs.batch_idx = batch_idx;
  inputs.edge_index = edges;
  return pred_head(main_model(inputs).features);
}

EagleUnroll EagleModelImpl::unroll(const EagleWindow& w, const UnrollProgress& on_step) {
  check_window(w);
  const int64_t steps = w.state.size(1);
  std::vector<torch::Tensor> states{w.state.select(1, 0)}, increments, targets;
  for (int64_t t = 1; t < steps; ++t) {
    const torch::Tensor& previous = states.back();
    const torch::Tensor increment =
        single_forward(previous, w.node_type_onehot.select(1, t - 1), w.positions.select(1, t - 1),
                       w.edges[t - 1], w.batch_idx);
    const torch::Tensor truth = w.state.select(1, t);
    // As published, the target is taken against the (differentiable) previous prediction.
    targets.push_back(truth - previous);
    increments.push_back(increment);
    // MeshGraphNet's boundary condition: inflow, wall and disabled nodes follow the data.
    states.push_back(
        torch::where(w.boundary.select(1, t).unsqueeze(-1), truth, previous + increment));
    if (on_step) on_step(t, steps - 1);
  }
  return {torch::stack(states, 1), torch::stack(increments, 1), torch::stack(targets, 1)};
}

torch::Tensor eagle_increment_loss(const EagleUnroll& u) {
  using torch::indexing::Slice;
  const auto velocity = Slice(0, 2), pressure = Slice(2, torch::indexing::None);
  return torch::mse_loss(u.increments.index({"...", velocity}),
                         u.target_increments.index({"...", velocity})) +
         0.1 * torch::mse_loss(u.increments.index({"...", pressure}),
                               u.target_increments.index({"...", pressure}));
}

torch::Tensor per_step_rmse(const torch::Tensor& predicted, const torch::Tensor& truth,
                            const std::vector<int64_t>& channels) {
  if (predicted.dim() != 3 || predicted.sizes() != truth.sizes())
    throw std::invalid_argument("per_step_rmse: predicted and truth must both be [N, T, C]");
  const auto index = torch::tensor(channels, torch::kInt64).to(predicted.device());
  const torch::Tensor error = (predicted - truth).index_select(2, index);
  return error.pow(2).mean(-1).sqrt().mean(0);
}

}  // namespace erwin
