#pragma once
// The arithmetic of fused ball attention, written once for every back end: the CPU kernels
// (core/src/model/ball_attention_fused*.cpp) and the CUDA kernels (gpu/src/ball_attention.cu).
// Under nvcc these are __host__ __device__ functions, so the CPU tests run the very code a CUDA
// thread runs: the indexing of the packed tensors, the online-softmax recurrence and the backward
// formulas.
//
// Per ball and head (m nodes, E channels per head, positions p in d dimensions), SPEC §3 step 3:
//   s_ij = q_i·k_j / √E + σ_h ‖p_i − p_j‖,   o_i = Σ_j e^{s_ij − lse_i} v_j,   lse_i = log Σ_j
//   e^{s_ij}.
// Backward (the FlashAttention-2 recurrence: scores recomputed, never stored), p_ij = e^{s_ij −
// lse_i}:
//   Δ_i = dO_i·o_i,  dp_ij = dO_i·v_j,  ds_ij = p_ij (dp_ij − Δ_i),
//   dq_i = Σ_j ds_ij k_j/√E,  dk_j = Σ_i ds_ij q_i/√E,  dv_j = Σ_i p_ij dO_i,  dσ_h = Σ_ij ds_ij
//   ‖p_i − p_j‖.
// Padding slots are copies of real points (SPEC §1) and attend and are attended like any node.
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define ERWIN_HOST_DEVICE __host__ __device__
#else
#define ERWIN_HOST_DEVICE
#endif

namespace erwin::attention_math {

// Index arithmetic of the tensors the fused attention reads and writes, all contiguous:
//   qkv  [balls, m, H, E, 3]  what the model's qkv Linear writes: column (h·E + e)·3 + k holds
//                             q (k = 0), k (k = 1), v (k = 2) (SPEC §3 step 2, interleaved);
//   out  [balls, m, H, E]     heads concatenated head-major, as the proj Linear takes them;
//   pos  [balls, m, d];  lse [balls, H, m].
struct PackedShape {
  int64_t balls, m, heads, head_dim, dims;

  ERWIN_HOST_DEVICE int64_t node_head(int64_t ball, int64_t i, int64_t head) const {
    return (ball * m + i) * heads + head;
  }
  ERWIN_HOST_DEVICE int64_t qkv(int64_t ball, int64_t i, int64_t head, int64_t e, int which) const {
    return (node_head(ball, i, head) * head_dim + e) * 3 + which;
  }
  ERWIN_HOST_DEVICE int64_t out(int64_t ball, int64_t i, int64_t head, int64_t e) const {
    return node_head(ball, i, head) * head_dim + e;
  }
  ERWIN_HOST_DEVICE int64_t pos(int64_t ball, int64_t i, int64_t c) const {
    return (ball * m + i) * dims + c;
  }
  ERWIN_HOST_DEVICE int64_t lse(int64_t ball, int64_t head, int64_t i) const {
    return (ball * heads + head) * m + i;
  }
  ERWIN_HOST_DEVICE int64_t tasks() const { return balls * heads; }  // one per (ball, head)
};

enum QkvPart { kQuery = 0, kKey = 1, kValue = 2 };

// The score of a query-key pair from its dot product and distance. T is float, or a vector of
// floats in the CPU kernels.
template <class T>
ERWIN_HOST_DEVICE inline T attention_score(T dot, T distance, float scale, float sigma) {
  return dot * scale + distance * sigma;
}

// ds_ij from p_ij, dp_ij and Δ_i.
template <class T>
ERWIN_HOST_DEVICE inline T score_gradient(T probability, T dp, float delta) {
  return probability * (dp - delta);
}

ERWIN_HOST_DEVICE inline float distance(const float* a, const float* b, int64_t dims) {
  float squared = 0.f;
  for (int64_t c = 0; c < dims; ++c) squared += (a[c] - b[c]) * (a[c] - b[c]);
  return sqrtf(squared);
}

ERWIN_HOST_DEVICE inline float dot(const float* a, const float* b, int64_t n) {
  float sum = 0.f;
  for (int64_t e = 0; e < n; ++e) sum += a[e] * b[e];
  return sum;
}

// The online softmax of one query row (Milakov & Gimelshein 2018): keys arrive in blocks; the
// running maximum and the sum of e^{s − max} are kept, and what was accumulated under an older
// maximum is rescaled when a block raises it.
struct OnlineSoftmax {
  float max = -INFINITY;
  float sum = 0.f;

  // Admits a block whose largest score is `block_max`. Returns the factor by which the sum and
  // every output accumulated so far were rescaled (the caller rescales its outputs).
  ERWIN_HOST_DEVICE float admit_block(float block_max) {
    const float new_max = fmaxf(max, block_max);
    const float factor = max == -INFINITY ? 0.f : expf(max - new_max);
    sum *= factor;
    max = new_max;
    return factor;
  }
  ERWIN_HOST_DEVICE float weight(float score) const { return expf(score - max); }
  ERWIN_HOST_DEVICE float log_sum_exp() const { return max + logf(sum); }
};

// What one query row needs to take a block of keys in: its query, position, σ and 1/√E.
struct QueryRow {
  const float* q;    // [E]
  const float* pos;  // [d]
  float sigma, scale;
  int64_t head_dim, dims;
};

// A block of `count` keys as one thread block sees them (staged in shared memory on CUDA):
// keys and values [count, E], positions [count, d], rows contiguous.
struct KeyBlock {
  const float *k, *v, *pos;
  int64_t count;
};

// Upper bound of the keys a block holds in the per-row scratch of `absorb_keys`.
constexpr int64_t kMaxBlockKeys = 64;

// The forward step of one query row over one key block: online softmax into `acc` [E] (the
// unnormalised output). `scores` is scratch of at least `keys.count` floats.
ERWIN_HOST_DEVICE inline void absorb_keys(const QueryRow& row, const KeyBlock& keys,
                                          OnlineSoftmax& softmax, float* acc, float* scores) {
  float block_max = -INFINITY;
  for (int64_t j = 0; j < keys.count; ++j) {
    scores[j] =
        attention_score(dot(row.q, keys.k + j * row.head_dim, row.head_dim),
                        distance(row.pos, keys.pos + j * row.dims, row.dims), row.scale, row.sigma);
    block_max = fmaxf(block_max, scores[j]);
  }
  const float factor = softmax.admit_block(block_max);
  for (int64_t e = 0; e < row.head_dim; ++e) acc[e] *= factor;
  for (int64_t j = 0; j < keys.count; ++j) {
    const float w = softmax.weight(scores[j]);
    softmax.sum += w;
    for (int64_t e = 0; e < row.head_dim; ++e) acc[e] += w * keys.v[j * row.head_dim + e];
  }
}

// The backward step of one query row over one key block: dq_i [E] and this row's share of dσ_h.
// `grad_out` is dO_i, `lse` and `delta` the row's log-sum-exp and Δ_i.
ERWIN_HOST_DEVICE inline void query_gradient(const QueryRow& row, const KeyBlock& keys,
                                             const float* grad_out, float lse, float delta,
                                             float* grad_q, float& grad_sigma) {
  for (int64_t j = 0; j < keys.count; ++j) {
    const float dist = distance(row.pos, keys.pos + j * row.dims, row.dims);
    const float* k = keys.k + j * row.head_dim;
    const float p =
        expf(attention_score(dot(row.q, k, row.head_dim), dist, row.scale, row.sigma) - lse);
    const float ds =
        score_gradient(p, dot(grad_out, keys.v + j * row.head_dim, row.head_dim), delta);
    for (int64_t e = 0; e < row.head_dim; ++e) grad_q[e] += ds * row.scale * k[e];
    grad_sigma += ds * dist;
  }
}

// What one key row needs in the backward pass: its key, value and position (and σ, 1/√E).
struct KeyRow {
  const float *k, *v, *pos;
  float sigma, scale;
  int64_t head_dim, dims;
};

// A block of `count` query rows for the key-side backward pass: queries and dO [count, E],
// positions [count, d], and each row's log-sum-exp and Δ.
struct QueryBlock {
  const float *q, *grad_out, *pos, *lse, *delta;
  int64_t count;
};

// The backward step of one key row over one query block: dk_j and dv_j [E], accumulated.
ERWIN_HOST_DEVICE inline void key_gradient(const KeyRow& key, const QueryBlock& queries,
                                           float* grad_k, float* grad_v) {
  for (int64_t i = 0; i < queries.count; ++i) {
    const float* q = queries.q + i * key.head_dim;
    const float* grad_out = queries.grad_out + i * key.head_dim;
    const float dist = distance(queries.pos + i * key.dims, key.pos, key.dims);
    const float p = expf(attention_score(dot(q, key.k, key.head_dim), dist, key.scale, key.sigma) -
                         queries.lse[i]);
    const float ds = score_gradient(p, dot(grad_out, key.v, key.head_dim), queries.delta[i]);
    for (int64_t e = 0; e < key.head_dim; ++e) {
      grad_v[e] += p * grad_out[e];
      grad_k[e] += ds * key.scale * q[e];
    }
  }
}

}  // namespace erwin::attention_math
