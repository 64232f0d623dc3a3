#pragma once
// Ball unpooling (SPEC §3 "Unpooling", paper eq. 13): refines the children a pooling step
// merged, children.x <- BatchNorm(children.x + split(Linear([x, child offsets]))).
#include <torch/torch.h>

#include "erwin/model/tree_level.h"

namespace erwin {

struct BallUnpoolingImpl : torch::nn::Module {
  BallUnpoolingImpl(int64_t in_dim, int64_t out_dim, int64_t stride, int64_t dimensionality);
  // coarse: the pooled level; children: the finer level as it was when pooled.
  // Returns the children's new features. Applied for stride 1 too.
  torch::Tensor forward(const TreeLevel& coarse, const TreeLevel& children);

  int64_t stride;
  torch::nn::Linear proj{nullptr};
  torch::nn::BatchNorm1d norm{nullptr};
};
TORCH_MODULE(BallUnpooling);

}  // namespace erwin
