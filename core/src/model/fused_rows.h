#pragma once
// One-pass CPU kernels for the element- and row-wise parts of a transformer block that LibTorch
// runs as chains of small ops (a pass over memory and a temporary each): RMSNorm's forward and
// backward, and SwiGLU's gate b * SiLU(a) with its backward. Arithmetic in float32 on float32 or
// bfloat16 tensors, as LibTorch's ops compute them; results within rounding of theirs.
#include <ATen/ATen.h>

#include <utility>

namespace erwin::fused_rows {

// Whether the kernels below take these tensors: contiguous, on the CPU, and for RMSNorm a
// float32 or bfloat16 input with a float32 weight, for the gate two float32 or two bfloat16
// tensors of one shape.
bool rms_norm_supported(const at::Tensor& x, const at::Tensor& weight);
bool gated_silu_supported(const at::Tensor& a, const at::Tensor& b);

struct RMSNormForward {
  at::Tensor y;            // x's dtype
  at::Tensor inverse_rms;  // float32, one per row
};

// y = x · (mean(x²) + eps)^(−1/2) · weight over the last dimension, computed in float32 (eps:
// float32's machine epsilon, as torch.rms_norm with eps=None for float32 and bfloat16 inputs).
RMSNormForward rms_norm_forward(const at::Tensor& x, const at::Tensor& weight);

// (dx in x's dtype, dweight in float32). dweight sums fixed blocks of rows in a fixed order, so it
// does not depend on the number of threads.
std::pair<at::Tensor, at::Tensor> rms_norm_backward(const at::Tensor& grad, const at::Tensor& x,
                                                    const at::Tensor& weight,
                                                    const at::Tensor& inverse_rms);

// b · SiLU(a), in a's dtype.
at::Tensor gated_silu_forward(const at::Tensor& a, const at::Tensor& b);

// (da, db) for the gradient `grad` of b · SiLU(a).
std::pair<at::Tensor, at::Tensor> gated_silu_backward(const at::Tensor& grad, const at::Tensor& a,
                                                      const at::Tensor& b);

}  // namespace erwin::fused_rows
