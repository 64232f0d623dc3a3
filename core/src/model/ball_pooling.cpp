#include "erwin/model/ball_pooling.h"

namespace erwin {
namespace {

// Centre of every group of `stride` consecutive positions, and each member's offset from it,
// flattened per group: ([n, d], [n, stride * d]).
std::pair<torch::Tensor, torch::Tensor> group_centres_and_offsets(const torch::Tensor& pos,
                                                                  int64_t stride) {
  const auto groups = pos.detach().view({-1, stride, pos.size(1)});
  auto centres = groups.mean(1);
  auto offsets = (groups - centres.unsqueeze(1)).reshape({groups.size(0), -1});
  return {centres, offsets};
}

}  // namespace

BallPoolingImpl::BallPoolingImpl(int64_t in_dim, int64_t out_dim, int64_t stride,
                                 int64_t dimensionality)
    : stride(stride),
      proj(register_module("proj",
                           torch::nn::Linear(stride * in_dim + stride * dimensionality, out_dim))),
      norm(register_module("norm", torch::nn::BatchNorm1d(out_dim))) {}

TreeLevel BallPoolingImpl::forward(const TreeLevel& fine) {
  if (stride == 1) return fine;
  auto [centres, offsets] = group_centres_and_offsets(fine.pos, stride);
  auto grouped = fine.x.reshape({centres.size(0), -1});  // all member features first
  auto x = norm(proj(torch::cat({grouped, offsets}, 1)));
  using torch::indexing::Slice;
  return {x, centres, fine.batch_idx.index({Slice(0, torch::indexing::None, stride)})};
}

}  // namespace erwin
