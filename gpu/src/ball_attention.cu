// The CUDA kernels of fused ball attention. One thread block per (ball, head); each thread owns a
// query row (forward, query-side backward) or a key row (key-side backward) and runs the functions
// of ball_attention_math.h on blocks of kMaxBlockKeys keys (or queries) staged in shared memory.
// dσ is reduced per block in a fixed tree order and then over balls by ATen: no atomics, so the
// result does not depend on scheduling. The CPU runs the same functions in
// core/src/model/ball_attention_portable.cpp, where the tests check them.
#include <ATen/ATen.h>
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDAException.h>
#include <c10/cuda/CUDAGuard.h>
#include <c10/util/BFloat16.h>

#include <stdexcept>
#include <string>

#include "erwin/gpu/ball_attention.h"
#include "erwin/model/ball_attention_math.h"

namespace erwin::fused_attention {
namespace {

using namespace attention_math;

// A thread keeps its row's query (or key and value), output and scores in registers.
constexpr int kMaxHeadDim = 64;
constexpr int kMaxDims = 4;
constexpr int kMaxThreads = 256;

struct Launch {
  PackedShape shape;
  float scale;
  int threads;
  size_t shared_bytes;
};

// Rows [first, first + count) of the ball's q, k or v (`part`) as float [count][E] in `to`.
template <class T>
__device__ void stage_part(const PackedShape& s, const T* qkv, int64_t ball, int64_t head,
                           int64_t first, int64_t count, int part, float* to) {
  for (int64_t idx = threadIdx.x; idx < count * s.head_dim; idx += blockDim.x)
    to[idx] = static_cast<float>(
        qkv[s.qkv(ball, first + idx / s.head_dim, head, idx % s.head_dim, part)]);
}

__device__ void stage_positions(const PackedShape& s, const float* pos, int64_t ball, int64_t first,
                                int64_t count, float* to) {
  for (int64_t idx = threadIdx.x; idx < count * s.dims; idx += blockDim.x)
    to[idx] = pos[s.pos(ball, first, 0) + idx];
}

// Keys, values and positions of rows [first, first + count) into shared memory, between barriers
// (the previous block's readers are done before, every thread sees the block after).
template <class T>
__device__ KeyBlock stage_keys(const PackedShape& s, const T* qkv, const float* pos, int64_t ball,
                               int64_t head, int64_t first, int64_t count, float* k, float* v,
                               float* p) {
  __syncthreads();
  stage_part(s, qkv, ball, head, first, count, kKey, k);
  stage_part(s, qkv, ball, head, first, count, kValue, v);
  stage_positions(s, pos, ball, first, count, p);
  __syncthreads();
  return KeyBlock{k, v, p, count};
}

template <class T>
__device__ void load_part(const PackedShape& s, const T* qkv, int64_t ball, int64_t head, int64_t i,
                          int part, float* to) {
  for (int64_t e = 0; e < s.head_dim; ++e)
    to[e] = static_cast<float>(qkv[s.qkv(ball, i, head, e, part)]);
}

__device__ void load_position(const PackedShape& s, const float* pos, int64_t ball, int64_t i,
                              float* to) {
  for (int64_t c = 0; c < s.dims; ++c) to[c] = pos[s.pos(ball, i, c)];
}

template <class T>
__global__ void forward_kernel(Launch launch, const T* qkv, const float* pos, const float* sigma,
                               T* out, float* lse) {
  extern __shared__ float shared[];
  const PackedShape& s = launch.shape;
  float* k = shared;
  float* v = k + kMaxBlockKeys * s.head_dim;
  float* p = v + kMaxBlockKeys * s.head_dim;
  const int64_t ball = blockIdx.x / s.heads, head = blockIdx.x % s.heads;
  for (int64_t base = 0; base < s.m; base += blockDim.x) {
    const int64_t i = base + threadIdx.x;
    const bool active = i < s.m;
    float q[kMaxHeadDim], acc[kMaxHeadDim] = {}, my_pos[kMaxDims], scores[kMaxBlockKeys];
    if (active) {
      load_part(s, qkv, ball, head, i, kQuery, q);
      load_position(s, pos, ball, i, my_pos);
    }
    const QueryRow row{q, my_pos, sigma[head], launch.scale, s.head_dim, s.dims};
    OnlineSoftmax softmax;
    for (int64_t first = 0; first < s.m; first += kMaxBlockKeys) {
      const int64_t count = min(kMaxBlockKeys, s.m - first);
      const KeyBlock keys = stage_keys(s, qkv, pos, ball, head, first, count, k, v, p);
      if (active) absorb_keys(row, keys, softmax, acc, scores);
    }
    if (active) {
      for (int64_t e = 0; e < s.head_dim; ++e)
        out[s.out(ball, i, head, e)] = static_cast<T>(acc[e] / softmax.sum);
      lse[s.lse(ball, head, i)] = softmax.log_sum_exp();
    }
  }
}

// Sums `value` over the block's threads in thread order (deterministic); thread 0 gets the total.
__device__ float block_sum(float value, float* scratch) {
  __syncthreads();
  scratch[threadIdx.x] = value;
  __syncthreads();
  float total = 0.f;
  if (threadIdx.x == 0)
    for (unsigned t = 0; t < blockDim.x; ++t) total += scratch[t];
  return total;
}

// dq per query row and the block's dσ partial (dσ_h summed over this ball's rows).
template <class T>
__global__ void query_gradient_kernel(Launch launch, const T* qkv, const float* pos,
                                      const float* sigma, const T* grad_out, const float* lse,
                                      const float* delta, T* grad_qkv, float* task_grad_sigma) {
  extern __shared__ float shared[];
  const PackedShape& s = launch.shape;
  float* k = shared;
  float* v = k + kMaxBlockKeys * s.head_dim;
  float* p = v + kMaxBlockKeys * s.head_dim;
  const int64_t ball = blockIdx.x / s.heads, head = blockIdx.x % s.heads;
  float grad_sigma = 0.f;
  for (int64_t base = 0; base < s.m; base += blockDim.x) {
    const int64_t i = base + threadIdx.x;
    const bool active = i < s.m;
    float q[kMaxHeadDim], d_out[kMaxHeadDim], grad_q[kMaxHeadDim] = {}, my_pos[kMaxDims];
    if (active) {
      load_part(s, qkv, ball, head, i, kQuery, q);
      load_position(s, pos, ball, i, my_pos);
      for (int64_t e = 0; e < s.head_dim; ++e)
        d_out[e] = static_cast<float>(grad_out[s.out(ball, i, head, e)]);
    }
    const QueryRow row{q, my_pos, sigma[head], launch.scale, s.head_dim, s.dims};
    const float row_lse = active ? lse[s.lse(ball, head, i)] : 0.f;
    const float row_delta = active ? delta[s.lse(ball, head, i)] : 0.f;
    for (int64_t first = 0; first < s.m; first += kMaxBlockKeys) {
      const int64_t count = min(kMaxBlockKeys, s.m - first);
      const KeyBlock keys = stage_keys(s, qkv, pos, ball, head, first, count, k, v, p);
      if (active) query_gradient(row, keys, d_out, row_lse, row_delta, grad_q, grad_sigma);
    }
    if (active)
      for (int64_t e = 0; e < s.head_dim; ++e)
        grad_qkv[s.qkv(ball, i, head, e, kQuery)] = static_cast<T>(grad_q[e]);
  }
  const float total = block_sum(grad_sigma, shared);
  if (threadIdx.x == 0) task_grad_sigma[blockIdx.x] = total;
}

// dk and dv per key row.
template <class T>
__global__ void key_gradient_kernel(Launch launch, const T* qkv, const float* pos,
                                    const float* sigma, const T* grad_out, const float* lse,
                                    const float* delta, T* grad_qkv) {
  extern __shared__ float shared[];
  const PackedShape& s = launch.shape;
  float* q = shared;
  float* d_out = q + kMaxBlockKeys * s.head_dim;
  float* p = d_out + kMaxBlockKeys * s.head_dim;
  float* block_lse = p + kMaxBlockKeys * s.dims;
  float* block_delta = block_lse + kMaxBlockKeys;
  const int64_t ball = blockIdx.x / s.heads, head = blockIdx.x % s.heads;
  for (int64_t base = 0; base < s.m; base += blockDim.x) {
    const int64_t j = base + threadIdx.x;
    const bool active = j < s.m;
    float k[kMaxHeadDim], v[kMaxHeadDim], my_pos[kMaxDims];
    float grad_k[kMaxHeadDim] = {}, grad_v[kMaxHeadDim] = {};
    if (active) {
      load_part(s, qkv, ball, head, j, kKey, k);
      load_part(s, qkv, ball, head, j, kValue, v);
      load_position(s, pos, ball, j, my_pos);
    }
    const KeyRow key{k, v, my_pos, sigma[head], launch.scale, s.head_dim, s.dims};
    for (int64_t first = 0; first < s.m; first += kMaxBlockKeys) {
      const int64_t count = min(kMaxBlockKeys, s.m - first);
      __syncthreads();
      stage_part(s, qkv, ball, head, first, count, kQuery, q);
      for (int64_t idx = threadIdx.x; idx < count * s.head_dim; idx += blockDim.x)
        d_out[idx] = static_cast<float>(
            grad_out[s.out(ball, first + idx / s.head_dim, head, idx % s.head_dim)]);
      stage_positions(s, pos, ball, first, count, p);
      for (int64_t idx = threadIdx.x; idx < count; idx += blockDim.x) {
        block_lse[idx] = lse[s.lse(ball, head, first + idx)];
        block_delta[idx] = delta[s.lse(ball, head, first + idx)];
      }
      __syncthreads();
      if (active)
        key_gradient(key, QueryBlock{q, d_out, p, block_lse, block_delta, count}, grad_k, grad_v);
    }
    if (active) {
      for (int64_t e = 0; e < s.head_dim; ++e) {
        grad_qkv[s.qkv(ball, j, head, e, kKey)] = static_cast<T>(grad_k[e]);
        grad_qkv[s.qkv(ball, j, head, e, kValue)] = static_cast<T>(grad_v[e]);
      }
    }
  }
}

Launch launch_for(const at::Tensor& qkv, const at::Tensor& pos) {
  const PackedShape shape{qkv.size(0), qkv.size(1), qkv.size(2), qkv.size(3), pos.size(2)};
  if (shape.head_dim > kMaxHeadDim || shape.dims > kMaxDims)
    throw std::invalid_argument("ball_attention (CUDA): head_dim " +
                                std::to_string(shape.head_dim) + " and d " +
                                std::to_string(shape.dims) + " must be at most " +
                                std::to_string(kMaxHeadDim) + " and " + std::to_string(kMaxDims));
  const int threads = static_cast<int>(std::min<int64_t>((shape.m + 31) / 32 * 32, kMaxThreads));
  // Two [block][E] arrays, positions, and the key-side kernel's lse and Δ of a block; at least a
  // float per thread for the dσ reduction.
  const int64_t floats =
      2 * kMaxBlockKeys * shape.head_dim + kMaxBlockKeys * shape.dims + 2 * kMaxBlockKeys;
  const size_t bytes = std::max<int64_t>(floats, threads) * sizeof(float);
  return {shape, 1.f / std::sqrt(static_cast<float>(shape.head_dim)), threads, bytes};
}

template <class T>
ForwardResult forward_typed(const at::Tensor& qkv, const at::Tensor& pos, const at::Tensor& sigma) {
  const Launch launch = launch_for(qkv, pos);
  const PackedShape& s = launch.shape;
  auto out = at::empty({s.balls, s.m, s.heads, s.head_dim}, qkv.options());
  auto lse = at::empty({s.balls, s.heads, s.m}, pos.options());
  if (s.tasks() == 0) return {out, lse};
  forward_kernel<T>
      <<<s.tasks(), launch.threads, launch.shared_bytes, at::cuda::getCurrentCUDAStream()>>>(
          launch, qkv.data_ptr<T>(), pos.data_ptr<float>(), sigma.data_ptr<float>(),
          out.data_ptr<T>(), lse.data_ptr<float>());
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return {out, lse};
}

template <class T>
BackwardResult backward_typed(const BackwardInputs& in) {
  const Launch launch = launch_for(in.qkv, in.pos);
  const PackedShape& s = launch.shape;
  auto grad_qkv = at::empty_like(in.qkv);
  // Δ_i = dO_i·o_i, laid out as lse ([balls, H, m]).
  const auto delta =
      (in.grad_out.to(at::kFloat) * in.out.to(at::kFloat)).sum(-1).permute({0, 2, 1}).contiguous();
  auto task_grad_sigma = at::empty({s.balls, s.heads}, in.pos.options());
  if (s.tasks() == 0) return {grad_qkv, task_grad_sigma.sum(0)};
  const auto stream = at::cuda::getCurrentCUDAStream();
  query_gradient_kernel<T><<<s.tasks(), launch.threads, launch.shared_bytes, stream>>>(
      launch, in.qkv.data_ptr<T>(), in.pos.data_ptr<float>(), in.sigma.data_ptr<float>(),
      in.grad_out.data_ptr<T>(), in.lse.data_ptr<float>(), delta.data_ptr<float>(),
      grad_qkv.data_ptr<T>(), task_grad_sigma.data_ptr<float>());
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  key_gradient_kernel<T><<<s.tasks(), launch.threads, launch.shared_bytes, stream>>>(
      launch, in.qkv.data_ptr<T>(), in.pos.data_ptr<float>(), in.sigma.data_ptr<float>(),
      in.grad_out.data_ptr<T>(), in.lse.data_ptr<float>(), delta.data_ptr<float>(),
      grad_qkv.data_ptr<T>());
  C10_CUDA_KERNEL_LAUNCH_CHECK();
  return {grad_qkv, task_grad_sigma.sum(0)};
}

}  // namespace

ForwardResult forward_cuda(const at::Tensor& qkv, const at::Tensor& pos, const at::Tensor& sigma) {
  const c10::cuda::CUDAGuard device(qkv.device());
  if (qkv.scalar_type() == at::kBFloat16) return forward_typed<c10::BFloat16>(qkv, pos, sigma);
  return forward_typed<float>(qkv, pos, sigma);
}

BackwardResult backward_cuda(const BackwardInputs& in) {
  const c10::cuda::CUDAGuard device(in.qkv.device());
  if (in.qkv.scalar_type() == at::kBFloat16) return backward_typed<c10::BFloat16>(in);
  return backward_typed<float>(in);
}

}  // namespace erwin::fused_attention
