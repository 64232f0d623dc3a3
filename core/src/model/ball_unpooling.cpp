#include "erwin/model/ball_unpooling.h"

namespace erwin {

BallUnpoolingImpl::BallUnpoolingImpl(int64_t in_dim, int64_t out_dim, int64_t stride,
                                     int64_t dimensionality)
    : stride(stride),
      proj(register_module("proj",
                           torch::nn::Linear(in_dim + stride * dimensionality, stride * out_dim))),
      norm(register_module("norm", torch::nn::BatchNorm1d(out_dim))) {}

torch::Tensor BallUnpoolingImpl::forward(const TreeLevel& coarse, const TreeLevel& children) {
  const auto d = children.pos.size(1);
  // Offsets from the coarse node's own position (the pooled centre), not re-computed centres.
  auto offsets = (children.pos.detach().view({-1, stride, d}) - coarse.pos.detach().unsqueeze(1))
                     .reshape({coarse.pos.size(0), stride * d});
  auto refinement = proj(torch::cat({coarse.x, offsets}, -1)).reshape({children.x.size(0), -1});
  return norm(children.x + refinement);
}

}  // namespace erwin
