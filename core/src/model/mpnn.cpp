#include "erwin/model/mpnn.h"

namespace erwin {
namespace {

torch::nn::Sequential message_fn(int64_t dim, int64_t dimensionality) {
  return torch::nn::Sequential(torch::nn::Linear(2 * dim + dimensionality, dim), torch::nn::GELU(),
                               torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
}

torch::nn::Sequential update_fn(int64_t dim) {
  return torch::nn::Sequential(torch::nn::Linear(2 * dim, dim),
                               torch::nn::LayerNorm(torch::nn::LayerNormOptions({dim})));
}

// Mean of `src` rows per receiver; receivers without incoming rows get zero.
torch::Tensor scatter_mean(const torch::Tensor& src, const torch::Tensor& receivers,
                           int64_t num_receivers) {
  auto sum = torch::zeros({num_receivers, src.size(1)}, src.options()).index_add(0, receivers, src);
  auto count = torch::zeros({num_receivers}, receivers.options())
                   .index_add_(0, receivers, torch::ones_like(receivers));
  return sum / count.clamp_min(1).unsqueeze(1);
}

}  // namespace

MPNNImpl::MPNNImpl(int64_t dim, int64_t mp_steps, int64_t dimensionality)
    : message_fns(register_module("message_fns", torch::nn::ModuleList())),
      update_fns(register_module("update_fns", torch::nn::ModuleList())) {
  for (int64_t step = 0; step < mp_steps; ++step) {
    message_fns->push_back(message_fn(dim, dimensionality));
    update_fns->push_back(update_fn(dim));
  }
}

torch::Tensor MPNNImpl::forward(torch::Tensor h, const torch::Tensor& pos,
                                const torch::Tensor& edge_index) {
  const auto source = edge_index[0];
  const auto target = edge_index[1];
  const auto edge_attr = (pos.index_select(0, source) - pos.index_select(0, target)).detach();
  for (size_t step = 0; step < message_fns->size(); ++step) {
    auto messages = message_fns[step]->as<torch::nn::Sequential>()->forward(
        torch::cat({h.index_select(0, source), h.index_select(0, target), edge_attr}, -1));
    auto message = scatter_mean(messages, target, h.size(0));
    h = h + update_fns[step]->as<torch::nn::Sequential>()->forward(torch::cat({h, message}, -1));
  }
  return h;
}

}  // namespace erwin
