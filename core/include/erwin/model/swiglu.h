#pragma once
// SwiGLU feed-forward: w3(w2(x) * SiLU(w1(x))) (SPEC §3).
#include <torch/torch.h>

namespace erwin {

struct SwiGLUImpl : torch::nn::Module {
  SwiGLUImpl(int64_t in_dim, int64_t hidden_dim);
  torch::Tensor forward(const torch::Tensor& x);

  torch::nn::Linear w1{nullptr}, w2{nullptr}, w3{nullptr};
};
TORCH_MODULE(SwiGLU);

}  // namespace erwin
