#pragma once
// The kernels behind fused ball attention (erwin/model/ball_attention.h), one per back end, all on
// the packed tensors of erwin/model/ball_attention_math.h:
//   qkv [balls, m, H, E, 3] (float32 or bfloat16), pos [balls, m, d] (float32), sigma [H] (float32)
//   → out [balls, m, H, E] (qkv's dtype), lse [balls, H, m] (float32).
// The backward kernels take dO [balls, m, H, E] and give dqkv (qkv's shape and dtype) and dσ [H]
// (float32, reduced over balls in a fixed order: deterministic).
#include <ATen/ATen.h>

namespace erwin::fused_attention {

struct ForwardResult {
  at::Tensor out, lse;
};

struct BackwardResult {
  at::Tensor grad_qkv, grad_sigma;
};

struct BackwardInputs {
  at::Tensor qkv, pos, sigma, out, lse, grad_out;
};

// Vectorised CPU kernels (AVX-512, AVX2 or SSE, chosen at run time), parallel over balls × heads.
ForwardResult forward_cpu(const at::Tensor& qkv, const at::Tensor& pos, const at::Tensor& sigma);
BackwardResult backward_cpu(const BackwardInputs& in);

// The functions of ball_attention_math.h driven on the CPU exactly as the CUDA kernels drive them
// (a query or key row per thread, keys and queries staged in blocks of kMaxBlockKeys): slow, for
// tests of the code the GPU runs.
ForwardResult forward_portable(const at::Tensor& qkv, const at::Tensor& pos,
                               const at::Tensor& sigma);
BackwardResult backward_portable(const BackwardInputs& in);

}  // namespace erwin::fused_attention
