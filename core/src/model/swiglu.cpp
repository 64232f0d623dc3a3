#include "erwin/model/swiglu.h"

namespace erwin {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// b * SiLU(a) as one autograd node that keeps only a and b. The decomposed form also keeps SiLU(a)
// for the product's backward: a tensor as large as the MLP's hidden layer, in every block. The
// backward is the decomposed one's arithmetic (mul's, then silu_backward), so gradients are equal.
class GatedSiLU : public torch::autograd::Function<GatedSiLU> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& a,
                               const torch::Tensor& b) {
    ctx->save_for_backward({a, b});
    return b * torch::silu(a);
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const tensor_list saved = ctx->get_saved_variables();
    const torch::Tensor &a = saved[0], &b = saved[1], &grad = grad_outputs[0];
    return {at::silu_backward(grad * b, a), grad * torch::silu(a)};
  }
};

torch::Tensor gated_silu(const torch::Tensor& a, const torch::Tensor& b) {
  if (!torch::GradMode::is_enabled() || !(a.requires_grad() || b.requires_grad()))
    return b * torch::silu(a);
  return GatedSiLU::apply(a, b);
}

}  // namespace

SwiGLUImpl::SwiGLUImpl(int64_t in_dim, int64_t hidden_dim)
    : w1(register_module("w1", torch::nn::Linear(in_dim, hidden_dim))),
      w2(register_module("w2", torch::nn::Linear(in_dim, hidden_dim))),
      w3(register_module("w3", torch::nn::Linear(hidden_dim, in_dim))) {}

torch::Tensor SwiGLUImpl::forward(const torch::Tensor& x) { return w3(gated_silu(w1(x), w2(x))); }

}  // namespace erwin
