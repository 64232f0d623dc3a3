#include "erwin/model/swiglu.h"

#include "fused_rows.h"

namespace erwin {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// b * SiLU(a): float32 and bfloat16 in one pass (fused_rows.h, arithmetic in float32 as
// LibTorch's silu and mul compute it), other dtypes with LibTorch's ops.
torch::Tensor gate(const torch::Tensor& a, const torch::Tensor& b) {
  return fused_rows::gated_silu_supported(a, b) ? fused_rows::gated_silu_forward(a, b)
                                                : b * torch::silu(a);
}

// (da, db) for the gradient of b * SiLU(a); otherwise the decomposed form's ATen ops (mul's, then
// silu_backward), so that its gradients are equal.
std::pair<torch::Tensor, torch::Tensor> gate_backward(const torch::Tensor& grad,
                                                      const torch::Tensor& a,
                                                      const torch::Tensor& b) {
  if (fused_rows::gated_silu_supported(a, b))
    return fused_rows::gated_silu_backward(grad.to(a.scalar_type()).contiguous(), a, b);
  return {at::silu_backward(grad * b, a), grad * torch::silu(a)};
}

// w3(b * SiLU(a)) as one autograd node that keeps a, b and w3's weight, not the gated product:
// the backward recomputes it (one pass over a and b). The decomposed graph keeps the product for
// w3's weight gradient and SiLU(a) for the gate's: each as large as the MLP's hidden layer, the
// largest tensors of a block. The backward is w3's linear backward (addmm's, in the product's
// dtype, the weight's gradient then in the weight's) followed by the gate's.
class GatedLinear : public torch::autograd::Function<GatedLinear> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& a, const torch::Tensor& b,
                               const torch::Tensor& weight, const torch::Tensor& bias) {
    ctx->save_for_backward({a, b, weight});
    return at::linear(gate(a, b), weight, bias);
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const tensor_list saved = ctx->get_saved_variables();
    const torch::Tensor &a = saved[0], &b = saved[1], &weight = saved[2];
    const torch::Tensor gated = gate(a, b);
    const torch::Tensor hidden = gated.reshape({-1, gated.size(-1)});
    const torch::Tensor grad =
        grad_outputs[0].reshape({-1, weight.size(0)}).to(gated.scalar_type());
    const torch::Tensor grad_weight = grad.t().mm(hidden).to(weight.scalar_type());
    const torch::Tensor grad_bias = grad.sum(0).to(weight.scalar_type());
    const torch::Tensor grad_gated = grad.mm(weight.to(gated.scalar_type())).view(gated.sizes());
    auto [grad_a, grad_b] = gate_backward(grad_gated, a, b);
    return {grad_a, grad_b, grad_weight, grad_bias};
  }
};

}  // namespace

SwiGLUImpl::SwiGLUImpl(int64_t in_dim, int64_t hidden_dim)
    : w1(register_module("w1", torch::nn::Linear(in_dim, hidden_dim))),
      w2(register_module("w2", torch::nn::Linear(in_dim, hidden_dim))),
      w3(register_module("w3", torch::nn::Linear(hidden_dim, in_dim))) {}

torch::Tensor SwiGLUImpl::forward(const torch::Tensor& x) {
  const torch::Tensor a = w1(x), b = w2(x);
  if (!torch::GradMode::is_enabled()) return w3(gate(a, b));
  return GatedLinear::apply(a, b, w3->weight, w3->bias);
}

}  // namespace erwin
