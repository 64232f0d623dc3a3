#pragma once
// Ball multi-head self-attention (SPEC §3 "Ball attention", paper eq. 8-10): attention inside
// consecutive balls of `ball_size` nodes, with a learned distance bias per head.
#include <torch/torch.h>

namespace erwin {

struct BallMSAImpl : torch::nn::Module {
  BallMSAImpl(int64_t dim, int64_t num_heads, int64_t ball_size, int64_t dimensionality);
  // x: [n * ball_size, dim], pos: [n * ball_size, d], nodes in ball order.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& pos);

  int64_t num_heads, ball_size;
  torch::nn::Linear qkv{nullptr}, proj{nullptr}, pe_proj{nullptr};
  torch::Tensor sigma_att;  // [1, H, 1, 1]
};
TORCH_MODULE(BallMSA);

}  // namespace erwin
