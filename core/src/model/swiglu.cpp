#include "erwin/model/swiglu.h"

namespace erwin {

SwiGLUImpl::SwiGLUImpl(int64_t in_dim, int64_t hidden_dim)
    : w1(register_module("w1", torch::nn::Linear(in_dim, hidden_dim))),
      w2(register_module("w2", torch::nn::Linear(in_dim, hidden_dim))),
      w3(register_module("w3", torch::nn::Linear(hidden_dim, in_dim))) {}

torch::Tensor SwiGLUImpl::forward(const torch::Tensor& x) { return w3(w2(x) * torch::silu(w1(x))); }

}  // namespace erwin
