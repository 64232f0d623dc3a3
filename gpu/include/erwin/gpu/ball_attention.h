#pragma once
// The CUDA kernels of fused ball attention: the same tensors and results as the CPU kernels
// (erwin/model/ball_attention_kernels.h), computed by the functions of ball_attention_math.h.
#include "erwin/model/ball_attention_kernels.h"

namespace erwin::fused_attention {

ForwardResult forward_cuda(const at::Tensor& qkv, const at::Tensor& pos, const at::Tensor& sigma);
BackwardResult backward_cuda(const BackwardInputs& in);

}  // namespace erwin::fused_attention
