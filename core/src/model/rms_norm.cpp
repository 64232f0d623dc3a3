#include "erwin/model/rms_norm.h"

#include <ATen/autocast_mode.h>

#include <limits>

namespace erwin {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// at::rms_norm's output, as one autograd node that keeps only its input. The decomposed graph
// also keeps the normalised input (as large as the input) for the weight's gradient, twice in
// every block. The backward recomputes 1/rms and the normalised input from x.
class RMSNormFunction : public torch::autograd::Function<RMSNormFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight, int64_t dim) {
    ctx->save_for_backward({x, weight});
    ctx->saved_data["dim"] = dim;
    return at::rms_norm(x, {dim}, weight, std::nullopt);
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const tensor_list saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &weight = saved[1], &grad = grad_outputs[0];
    // eps = machine epsilon of the input dtype (float32 or float64 here), as in forward.
    const double eps = x.scalar_type() == torch::kDouble ? std::numeric_limits<double>::epsilon()
                                                         : std::numeric_limits<float>::epsilon();
    const torch::Tensor inverse_rms = torch::rsqrt(x.pow(2).mean(-1, true) + eps);
    const torch::Tensor normalised = x * inverse_rms;
    const torch::Tensor grad_normalised = grad * weight;
    const torch::Tensor grad_x =
        inverse_rms *
        (grad_normalised - normalised * (grad_normalised * normalised).mean(-1, true));
    const torch::Tensor grad_weight = (grad * normalised).reshape({-1, x.size(-1)}).sum(0);
    return {grad_x, grad_weight, torch::Tensor()};
  }
};

}  // namespace

RMSNormImpl::RMSNormImpl(int64_t dim)
    : dim(dim), weight(register_parameter("weight", torch::ones({dim}))) {}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  // eps = nullopt selects torch.finfo(x.dtype).eps, as the reference's nn.RMSNorm(dim) does.
  // Autocast (bf16) and reduced-precision inputs keep LibTorch's own graph, whose dtype rules
  // (upcast to float inside) the function above does not repeat.
  const bool own_graph = torch::GradMode::is_enabled() &&
                         (x.requires_grad() || weight.requires_grad()) &&
                         !at::autocast::is_autocast_enabled(x.device().type()) &&
                         (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kDouble) &&
                         weight.scalar_type() == x.scalar_type();
  if (!own_graph) return at::rms_norm(x, {dim}, weight, std::nullopt);
  return RMSNormFunction::apply(x, weight, dim);
}

}  // namespace erwin
