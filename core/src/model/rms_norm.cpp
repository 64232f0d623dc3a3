#include "erwin/model/rms_norm.h"

namespace erwin {

RMSNormImpl::RMSNormImpl(int64_t dim)
    : dim(dim), weight(register_parameter("weight", torch::ones({dim}))) {}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
  // eps = nullopt selects torch.finfo(x.dtype).eps, as the reference's nn.RMSNorm(dim) does.
  return at::rms_norm(x, {dim}, weight, std::nullopt);
}

}  // namespace erwin
