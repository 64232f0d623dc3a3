#pragma once
// Ball pooling (SPEC §3 "Pooling", paper eq. 12): groups of `stride` consecutive nodes become
// one node at their centre with BatchNorm(Linear([x_1..x_s, offsets])) features.
#include <torch/torch.h>

#include "erwin/model/tree_level.h"

namespace erwin {

struct BallPoolingImpl : torch::nn::Module {
  BallPoolingImpl(int64_t in_dim, int64_t out_dim, int64_t stride, int64_t dimensionality);
  // With stride 1 the level passes through untouched (its parameters are unused).
  TreeLevel forward(const TreeLevel& fine);

  int64_t stride;
  torch::nn::Linear proj{nullptr};
  torch::nn::BatchNorm1d norm{nullptr};
};
TORCH_MODULE(BallPooling);

}  // namespace erwin
