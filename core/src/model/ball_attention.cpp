#include "erwin/model/ball_attention.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "erwin/model/ball_attention_kernels.h"

#ifdef ERWIN_WITH_CUDA
#include "erwin/gpu/ball_attention.h"
#endif

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

// The fused kernels as one autograd node; the inputs are the packed tensors of
// ball_attention_kernels.h (sigma in its parameter shape [1, H, 1, 1]).
class FusedBallAttention : public torch::autograd::Function<FusedBallAttention> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& qkv,
                               const torch::Tensor& pos, const torch::Tensor& sigma,
                               bool portable) {
    auto [out, lse] = run_forward(qkv, pos, flat_sigma(sigma), portable);
    ctx->save_for_backward({qkv, pos, sigma, out, lse});
    ctx->saved_data["portable"] = portable;
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& qkv = saved[0];
    const auto& sigma = saved[2];
    const fused_attention::BackwardInputs in{
        qkv,      saved[1], flat_sigma(sigma), saved[3],
        saved[4], grads[0].to(qkv.scalar_type()).contiguous()};
    auto [grad_qkv, grad_sigma] = run_backward(in, ctx->saved_data["portable"].toBool());
    return {grad_qkv, torch::Tensor(), grad_sigma.view(sigma.sizes()).to(sigma.scalar_type()),
            torch::Tensor()};
  }

 private:
  static torch::Tensor flat_sigma(const torch::Tensor& sigma) {
    return sigma.detach().to(torch::kFloat).reshape({-1}).contiguous();
  }

  static fused_attention::ForwardResult run_forward(const torch::Tensor& qkv,
                                                    const torch::Tensor& pos,
                                                    const torch::Tensor& sigma, bool portable) {
    if (portable) return fused_attention::forward_portable(qkv, pos, sigma);
#ifdef ERWIN_WITH_CUDA
    if (qkv.is_cuda()) return fused_attention::forward_cuda(qkv, pos, sigma);
#endif
    return fused_attention::forward_cpu(qkv, pos, sigma);
  }

  static fused_attention::BackwardResult run_backward(const fused_attention::BackwardInputs& in,
                                                      bool portable) {
    if (portable) return fused_attention::backward_portable(in);
#ifdef ERWIN_WITH_CUDA
    if (in.qkv.is_cuda()) return fused_attention::backward_cuda(in);
#endif
    return fused_attention::backward_cpu(in);
  }
};

void check_packed_shapes(const torch::Tensor& qkv, const torch::Tensor& pos,
                         const torch::Tensor& sigma) {
  auto fail = [](const std::string& what) {
    throw std::invalid_argument("ball_attention: " + what);
  };
  if (qkv.dim() != 5 || qkv.size(4) != 3) fail("qkv must be [balls, ball_size, heads, head_dim, 3]");
  if (pos.dim() != 3 || pos.size(0) != qkv.size(0) || pos.size(1) != qkv.size(1))
    fail("pos must be [balls, ball_size, d] matching qkv");
  if (sigma.numel() != qkv.size(2)) fail("sigma must hold one value per head");
}

// The fused kernels on packed tensors (checked by the caller).
torch::Tensor fused_packed(const torch::Tensor& qkv, const torch::Tensor& pos,
                           const torch::Tensor& sigma, bool portable) {
  if (!portable && !fused_attention_supports(qkv))
    throw std::invalid_argument(
        "ball_attention: the fused kernels take float32 or bfloat16 tensors on the CPU" +
        std::string(qkv.is_cuda() ? " (this build has no CUDA kernels)" : "") + ", not " +
        std::string(c10::toString(qkv.scalar_type())) + " on " + qkv.device().str());
  return FusedBallAttention::apply(qkv.contiguous(),
                                   pos.detach().to(qkv.device(), torch::kFloat).contiguous(),
                                   sigma, portable);
}

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

namespace {
constexpr std::pair<AttentionBackend, const char*> kBackendNames[] = {
    {AttentionBackend::Auto, "auto"},
    {AttentionBackend::Reference, "reference"},
    {AttentionBackend::Blocked, "blocked"},
    {AttentionBackend::Fused, "fused"},
    {AttentionBackend::Portable, "portable"}};
}  // namespace

const char* attention_backend_name(AttentionBackend backend) {
  for (const auto& [value, name] : kBackendNames)
    if (value == backend) return name;
  return "auto";
}

AttentionBackend parse_attention_backend(const std::string& name) {
  for (const auto& [value, spelling] : kBackendNames)
    if (name == spelling) return value;
  throw std::invalid_argument("unknown attention '" + name +
                              "' (auto, reference, blocked, fused, portable)");
}

bool fused_attention_supports(const torch::Tensor& qkv) {
  const bool dtype = qkv.scalar_type() == torch::kFloat || qkv.scalar_type() == torch::kBFloat16;
#ifdef ERWIN_WITH_CUDA
  const bool device = qkv.is_cpu() || qkv.is_cuda();
#else
  const bool device = qkv.is_cpu();
#endif
  return dtype && device;
}

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

torch::Tensor ball_attention_fused(const torch::Tensor& q, const torch::Tensor& k,
                                   const torch::Tensor& v, const torch::Tensor& pos,
                                   const torch::Tensor& sigma, bool portable) {
  check_shapes(q, k, v, pos, sigma);
  // [balls, H, m, E] x3 -> [balls, m, H, E, 3], the layout of the model's qkv projection.
  const auto qkv = torch::stack({q, k, v}, -1).permute({0, 2, 1, 3, 4});
  return fused_packed(qkv, pos, sigma, portable).permute({0, 2, 1, 3});
}

torch::Tensor ball_attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                             const torch::Tensor& pos, const torch::Tensor& sigma) {
  switch (backend_on_this_thread) {
    case AttentionBackend::Reference:
      return ball_attention_reference(q, k, v, pos, sigma);
    case AttentionBackend::Blocked:
      return ball_attention_blocked(q, k, v, pos, sigma);
    case AttentionBackend::Fused:
      return ball_attention_fused(q, k, v, pos, sigma);
    case AttentionBackend::Portable:
      return ball_attention_fused(q, k, v, pos, sigma, /*portable=*/true);
    case AttentionBackend::Auto:
      break;
  }
  if (fused_attention_supports(q)) return ball_attention_fused(q, k, v, pos, sigma);
  return bias_is_large(q) ? ball_attention_blocked(q, k, v, pos, sigma)
                          : ball_attention_reference(q, k, v, pos, sigma);
}

torch::Tensor ball_attention_packed(const torch::Tensor& qkv, const torch::Tensor& pos,
                                    const torch::Tensor& sigma) {
  check_packed_shapes(qkv, pos, sigma);
  const auto backend = backend_on_this_thread;
  if (backend == AttentionBackend::Fused || backend == AttentionBackend::Portable ||
      (backend == AttentionBackend::Auto && fused_attention_supports(qkv)))
    return fused_packed(qkv, pos, sigma, backend == AttentionBackend::Portable);
  const auto heads = qkv.permute({4, 0, 2, 1, 3});  // [3, balls, H, m, E]
  return ball_attention(heads[0], heads[1], heads[2], pos, sigma).permute({0, 2, 1, 3});
}

}  // namespace erwin
