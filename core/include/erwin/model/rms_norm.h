#pragma once
// RMSNorm over the last dimension, weight only, eps = machine epsilon of the input dtype
// (torch.nn.RMSNorm with eps=None; SPEC §3). LibTorch's C++ API has no RMSNorm module.
#include <torch/torch.h>

namespace erwin {

struct RMSNormImpl : torch::nn::Module {
  explicit RMSNormImpl(int64_t dim);
  torch::Tensor forward(const torch::Tensor& x);

  int64_t dim;
  torch::Tensor weight;
};
TORCH_MODULE(RMSNorm);

}  // namespace erwin
