#include "erwin/model/rms_norm.h"

#include <limits>

#include "fused_rows.h"

namespace erwin {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::tensor_list;

// at::rms_norm as one autograd node that keeps only its input and the rows' 1/rms. LibTorch
// decomposes rms_norm on the CPU into pow, mean, rsqrt and two products (each a pass over memory
// and a temporary, and the graph keeps the normalised input for the weight's gradient); here
// float32 and bfloat16 inputs take one pass each way (fused_rows.h), float64 the same formulas
// from ATen ops. Results are those of at::rms_norm: computed in float32 (float64 for float64
// inputs), eps the machine epsilon of that type, y in x's dtype.
class RMSNormFunction : public torch::autograd::Function<RMSNormFunction> {
 public:
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& x,
                               const torch::Tensor& weight) {
    auto [y, inverse_rms] = fused_rows::rms_norm_supported(x, weight)
                                ? fused_rows::rms_norm_forward(x, weight)
                                : aten_forward(x, weight);
    ctx->save_for_backward({x, weight, inverse_rms});
    return y;
  }

  static tensor_list backward(AutogradContext* ctx, tensor_list grad_outputs) {
    const tensor_list saved = ctx->get_saved_variables();
    const torch::Tensor &x = saved[0], &weight = saved[1], &inverse_rms = saved[2];
    const torch::Tensor grad = grad_outputs[0].to(x.scalar_type()).contiguous();
    auto [grad_x, grad_weight] = fused_rows::rms_norm_supported(x, weight)
                                     ? fused_rows::rms_norm_backward(grad, x, weight, inverse_rms)
                                     : aten_backward(grad, x, weight, inverse_rms);
    return {grad_x, grad_weight};
  }

 private:
  // Float64 (or any input the kernels do not take): inverse_rms keeps the reduced dimension.
  static fused_rows::RMSNormForward aten_forward(const torch::Tensor& x,
                                                 const torch::Tensor& weight) {
    const double eps = x.scalar_type() == torch::kDouble ? std::numeric_limits<double>::epsilon()
                                                         : std::numeric_limits<float>::epsilon();
    auto inverse_rms = torch::rsqrt(x.pow(2).mean(-1, true) + eps);
    return {x * inverse_rms * weight, inverse_rms};
  }

  static std::pair<torch::Tensor, torch::Tensor> aten_backward(const torch::Tensor& grad,
                                                               const torch::Tensor& x,
                                                               const torch::Tensor& weight,
                                                               const torch::Tensor& inverse_rms) {
    const torch::Tensor normalised = x * inverse_rms;
    const torch::Tensor grad_normalised = grad * weight;
    const torch::Tensor grad_x =
        inverse_rms *
        (grad_normalised - normalised * (grad_normalised * normalised).mean(-1, true));
    return {grad_x, (grad * normalised).reshape({-1, x.size(-1)}).sum(0)};
  }
};

}  // namespace

RMSNormImpl::RMSNormImpl(int64_t dim)
    : dim(dim), weight(register_parameter("weight", torch::ones({dim}))) {}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  // eps = nullopt selects torch.finfo of the computation's dtype, as the reference's
  // nn.RMSNorm(dim) does. Inputs neither of the node's branches computes as LibTorch does (a
  // weight in another dtype than float32 or x's) keep LibTorch's own graph.
  const bool own_node =
      fused_rows::rms_norm_supported(x.contiguous(), weight) ||
      (x.scalar_type() == torch::kDouble && weight.scalar_type() == x.scalar_type());
  if (!own_node) return at::rms_norm(x, {dim}, weight, std::nullopt);
  return RMSNormFunction::apply(x.contiguous(), weight);
}

}  // namespace erwin
