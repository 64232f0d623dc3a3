#include "erwin/model/ball_attention.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace erwin {
namespace {

thread_local AttentionBackend backend_on_this_thread = AttentionBackend::Auto;

constexpr int64_t kDefaultBlockElements = int64_t{16} << 20;

void check_shapes(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                  const torch::Tensor& pos, const torch::Tensor& sigma) {
  auto fail = [](const std::string& what) {
    throw std::invalid_argument("ball_attention: " + what);
  };
  if (q.dim() != 4) fail("q must be [balls, heads, ball_size, head_dim]");
  if (!k.sizes().equals(q.sizes()) || !v.sizes().equals(q.sizes()))
    fail("k and v must have q's shape " + std::to_string(q.size(0)) + "x" +
         std::to_string(q.size(1)) + "x" + std::to_string(q.size(2)) + "x" +
         std::to_string(q.size(3)));
  if (pos.dim() != 3 || pos.size(0) != q.size(0) || pos.size(1) != q.size(2))
    fail("pos must be [balls, ball_size, d] matching q");
  if (sigma.numel() != q.size(1)) fail("sigma must hold one value per head");
}

// The scores q kᵀ/√E + σ_h · ‖p_i − p_j‖ of query rows [row, row + rows) of every ball, and the
// distances they used: both [balls, H or 1, rows, m].
struct BlockScores {
  torch::Tensor distances, scores;
};

BlockScores block_scores(const torch::Tensor& q, const torch::Tensor& k_t, const torch::Tensor& pos,
                         const torch::Tensor& sigma, int64_t row, int64_t rows) {
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  auto distances = torch::cdist(pos.narrow(1, row, rows), pos, 2).unsqueeze(1);
  auto scores =
      torch::matmul(q.narrow(2, row, rows), k_t) * scale + sigma.view({1, -1, 1, 1}) * distances;
  return {std::move(distances), std::move(scores)};
}

// Rows per block so that one block's scores stay within `max_elements`.
int64_t rows_per_block(const torch::Tensor& q, int64_t max_elements) {
  const int64_t per_row = q.size(0) * q.size(1) * q.size(2);
  return std::clamp<int64_t>(max_elements / std::max<int64_t>(per_row, 1), 1, q.size(2));
}

// Forward: out = softmax(S) v and lse = logsumexp(S) per row, S = q kᵀ/√E + σ D, block by block.
// Backward (recomputing S per block): with P = exp(S − lse) and Δ = rowsum(dO ∘ O),
// dS = P ∘ (dO vᵀ − Δ); dq = dS k/√E, dk = dSᵀ q/√E, dv = Pᵀ dO, dσ_h = Σ dS ∘ D.
class BlockedBallAttention : public torch::autograd::Function<BlockedBallAttention> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& q,
                               const torch::Tensor& k, const torch::Tensor& v,
                               const torch::Tensor& pos, const torch::Tensor& sigma,
                               int64_t max_block_elements) {
    const int64_t m = q.size(2), block = rows_per_block(q, max_block_elements);
    auto out = torch::empty_like(q);
    auto lse = torch::empty({q.size(0), q.size(1), m}, q.options());
    const auto k_t = k.transpose(2, 3);
    for (int64_t row = 0; row < m; row += block) {
      const int64_t rows = std::min(block, m - row);
      const auto scores = block_scores(q, k_t, pos, sigma, row, rows).scores;
      const auto row_lse = scores.logsumexp(-1, /*keepdim=*/true);
      out.narrow(2, row, rows).copy_(torch::matmul((scores - row_lse).exp(), v));
      lse.narrow(2, row, rows).copy_(row_lse.squeeze(-1));
    }
    ctx->save_for_backward({q, k, v, pos, sigma, out, lse});
    ctx->saved_data["block"] = block;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto &q = saved[0], &k = saved[1], &v = saved[2], &pos = saved[3], &sigma = saved[4];
    const auto &out = saved[5], &lse = saved[6];
    const auto grad_out = grads[0].contiguous();
    const int64_t block = ctx->saved_data["block"].toInt();
    const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
    const int64_t m = q.size(2);

    const auto delta = (grad_out * out).sum(-1, /*keepdim=*/true);
    auto grad_q = torch::empty_like(q);
    auto grad_k = torch::zeros_like(k);
    auto grad_v = torch::zeros_like(v);
    auto grad_sigma = torch::zeros({q.size(1)}, q.options());
    const auto k_t = k.transpose(2, 3), v_t = v.transpose(2, 3);
    for (int64_t row = 0; row < m; row += block) {
      const int64_t rows = std::min(block, m - row);
      const auto q_rows = q.narrow(2, row, rows);
      const auto [distances, scores] = block_scores(q, k_t, pos, sigma, row, rows);
      const auto p = (scores - lse.narrow(2, row, rows).unsqueeze(-1)).exp();
      const auto grad_out_rows = grad_out.narrow(2, row, rows);
      const auto grad_scores = p * (torch::matmul(grad_out_rows, v_t) - delta.narrow(2, row, rows));
      grad_v += torch::matmul(p.transpose(2, 3), grad_out_rows);
      grad_q.narrow(2, row, rows).copy_(torch::matmul(grad_scores, k) * scale);
      grad_k += torch::matmul(grad_scores.transpose(2, 3), q_rows) * scale;
      grad_sigma += (grad_scores * distances).sum({0, 2, 3});
    }
    return {grad_q,         grad_k, grad_v, torch::Tensor(), grad_sigma.view(sigma.sizes()),
            torch::Tensor()};
  }
};

bool bias_is_large(const torch::Tensor& q) {
  const int64_t bytes = q.size(0) * q.size(1) * q.size(2) * q.size(2) * q.element_size();
  return bytes > kBlockedAttentionBytes;
}

}  // namespace

AttentionBackendGuard::AttentionBackendGuard(AttentionBackend backend)
    : previous_(backend_on_this_thread) {
  backend_on_this_thread = backend;
}

AttentionBackendGuard::~AttentionBackendGuard() { backend_on_this_thread = previous_; }

AttentionBackend current_attention_backend() { return backend_on_this_thread; }

torch::Tensor ball_attention_reference(const torch::Tensor& q, const torch::Tensor& k,
                                       const torch::Tensor& v, const torch::Tensor& pos,
                                       const torch::Tensor& sigma) {
  check_shapes(q, k, v, pos, sigma);
  const auto bias =
      sigma.view({1, -1, 1, 1}) * torch::cdist(pos, pos, 2).unsqueeze(1);  // [balls, H, m, m]
  return at::scaled_dot_product_attention(q, k, v, bias);
}

torch::Tensor ball_attention_blocked(const torch::Tensor& q, const torch::Tensor& k,
                                     const torch::Tensor& v, const torch::Tensor& pos,
                                     const torch::Tensor& sigma, int64_t max_block_elements) {
  check_shapes(q, k, v, pos, sigma);
  if (max_block_elements < 0)
    throw std::invalid_argument("ball_attention: max_block_elements must not be negative");
  return BlockedBallAttention::apply(
      q.contiguous(), k.contiguous(), v.contiguous(), pos.detach().contiguous(), sigma,
      max_block_elements ? max_block_elements : kDefaultBlockElements);
}

torch::Tensor ball_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& pos, const torch::Tensor& sigma) {
  switch (backend_on_this_thread) {
    case AttentionBackend::Reference:
      return ball_attention_reference(q, k, v, pos, sigma);
    case AttentionBackend::Blocked:
      return ball_attention_blocked(q, k, v, pos, sigma);
    case AttentionBackend::Auto:
      break;
  }
  return bias_is_large(q) ? ball_attention_blocked(q, k, v, pos, sigma)
                          : ball_attention_reference(q, k, v, pos, sigma);
}

}  // namespace erwin
