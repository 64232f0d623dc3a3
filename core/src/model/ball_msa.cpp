#include "erwin/model/ball_msa.h"

#include "erwin/model/ball_attention.h"

namespace erwin {
namespace {

// Position of every node relative to the centre of its ball (paper eq. 9).
torch::Tensor relative_to_ball_centre(const torch::Tensor& balls) {
  return (balls - balls.mean(1, /*keepdim=*/true)).reshape({-1, balls.size(2)});
}

}  // namespace

BallMSAImpl::BallMSAImpl(int64_t dim, int64_t num_heads, int64_t ball_size, int64_t dimensionality)
    : num_heads(num_heads),
      ball_size(ball_size),
      qkv(register_module("qkv", torch::nn::Linear(dim, 3 * dim))),
      proj(register_module("proj", torch::nn::Linear(dim, dim))),
      pe_proj(register_module("pe_proj", torch::nn::Linear(dimensionality, dim))),
      sigma_att(register_parameter("sigma_att", -1 + 0.01 * torch::randn({1, num_heads, 1, 1}))) {}

torch::Tensor BallMSAImpl::forward(const torch::Tensor& x, const torch::Tensor& pos) {
  const int64_t num_balls = x.size(0) / ball_size;
  const int64_t dim = x.size(1);
  const int64_t head_dim = dim / num_heads;
  const auto balls = pos.detach().view({num_balls, ball_size, pos.size(1)});

  auto h = x + pe_proj(relative_to_ball_centre(balls));
  // Column (head * E + e) * 3 + k of qkv holds q/k/v (k = 0/1/2): interleaved innermost (SPEC §3).
  const auto packed = qkv(h).view({num_balls, ball_size, num_heads, head_dim, 3});
  const auto attended = ball_attention_packed(packed, balls, sigma_att);  // [balls, m, H, E]
  return proj(attended.reshape({num_balls * ball_size, dim}));
}

}  // namespace erwin
