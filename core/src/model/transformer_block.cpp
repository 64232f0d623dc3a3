#include "erwin/model/transformer_block.h"

namespace erwin {

ErwinTransformerBlockImpl::ErwinTransformerBlockImpl(int64_t dim, int64_t num_heads,
                                                     int64_t ball_size, int64_t mlp_ratio,
                                                     int64_t dimensionality)
    : norm1(register_module("norm1", RMSNorm(dim))),
      norm2(register_module("norm2", RMSNorm(dim))),
      BMSA(register_module("BMSA", BallMSA(dim, num_heads, ball_size, dimensionality))),
      swiglu(register_module("swiglu", SwiGLU(dim, dim * mlp_ratio))) {}

torch::Tensor ErwinTransformerBlockImpl::forward(torch::Tensor x, const torch::Tensor& pos) {
  x = x + BMSA(norm1(x), pos);
  return x + swiglu(norm2(x));
}

}  // namespace erwin
