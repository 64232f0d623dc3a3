#pragma once
// Pre-norm transformer block: x += BMSA(RMSNorm(x)); x += SwiGLU(RMSNorm(x)) (SPEC §3).
#include <torch/torch.h>

#include "erwin/model/ball_msa.h"
#include "erwin/model/rms_norm.h"
#include "erwin/model/swiglu.h"

namespace erwin {

struct ErwinTransformerBlockImpl : torch::nn::Module {
  ErwinTransformerBlockImpl(int64_t dim, int64_t num_heads, int64_t ball_size, int64_t mlp_ratio,
                            int64_t dimensionality);
  torch::Tensor forward(torch::Tensor x, const torch::Tensor& pos);

  RMSNorm norm1{nullptr}, norm2{nullptr};
  BallMSA BMSA{nullptr};
  SwiGLU swiglu{nullptr};
};
TORCH_MODULE(ErwinTransformerBlock);

}  // namespace erwin
