// The CPU kernels of fused ball attention. One task per (ball, head), run in parallel on
// LibTorch's thread pool: the task copies its queries, keys, values and positions out of the
// packed qkv tensor into float32 scratch laid out for vectors (keys transposed, so that a query
// row's scores are computed a vector of keys at a time), then works on blocks of kRows query rows
// whose whole score rows fit in L1 (a ball holds at most a few hundred nodes): scores, softmax
// and output in the forward pass; scores recomputed, then dq, dk, dv and dσ in the backward pass.
// Nothing of size [balls, H, m, m] exists. The compute functions are compiled for AVX-512, AVX2
// and baseline x86-64 with 16, 8 and 4 lanes (cpu_vectors.h picks one at load time); the formulas
// and the softmax recurrence are those of ball_attention_math.h, shared with the CUDA kernels.
#include <ATen/Parallel.h>
#include <c10/util/BFloat16.h>

#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "cpu_vectors.h"
#include "erwin/model/ball_attention_kernels.h"
#include "erwin/model/ball_attention_math.h"

namespace erwin::fused_attention {
namespace {

using attention_math::PackedShape;

using namespace cpu_vectors;
constexpr int64_t kRows = 8;  // query rows per block: kRows accumulators stay in registers

int64_t round_up(int64_t n, int64_t to) { return (n + to - 1) / to * to; }

// A task's geometry: m nodes padded to mp (a multiple of the vector width and of kRows), E
// channels padded to ep, d dimensions.
struct TaskGeometry {
  int64_t m, mp, e, ep, d;
  float sigma, scale;
};

// Float32 scratch of one task, row-major, zero where padded. Rows: [mp][ep]; transposed: [e|d][mp].
struct Scratch {
  std::vector<float> storage;
  float *q, *k, *v, *k_t, *v_t, *pos_t, *grad_out, *grad_q, *grad_k, *grad_v;
  float *scores, *distances, *probabilities, *lse, *delta;

  explicit Scratch(const TaskGeometry& g) {
    const int64_t rows = g.mp * g.ep, transposed = std::max(g.e, g.d) * g.mp, block = kRows * g.mp;
    storage.assign(7 * rows + 3 * transposed + 3 * block + 2 * g.mp, 0.f);
    float* next = storage.data();
    auto take = [&](int64_t n) { return std::exchange(next, next + n); };
    q = take(rows), k = take(rows), v = take(rows), grad_out = take(rows), grad_q = take(rows);
    grad_k = take(rows), grad_v = take(rows);
    k_t = take(transposed), v_t = take(transposed), pos_t = take(transposed);
    scores = take(block), distances = take(block), probabilities = take(block);
    lse = take(g.mp), delta = take(g.mp);
  }
};

// out[r][j] = Σ_e a[r][e] · b_t[e][j] for the kRows rows of `a` ([kRows][ep]) and every j < mp.
template <class V>
ERWIN_VECTOR_INLINE void rows_times_transposed(const TaskGeometry& g, const float* __restrict__ a,
                                               const float* __restrict__ b_t,
                                               float* __restrict__ out) {
  for (int64_t j = 0; j < g.mp; j += kLanesOf<V>) {
    V acc[kRows] = {};
    for (int64_t e = 0; e < g.e; ++e) {
      const V b = load<V>(b_t + e * g.mp + j);
      for (int64_t r = 0; r < kRows; ++r) acc[r] += a[r * g.ep + e] * b;
    }
    for (int64_t r = 0; r < kRows; ++r) store(out + r * g.mp + j, acc[r]);
  }
}

// out[r][:] = Σ_{j<m} a[r][j] · b[j][:] for the kRows rows of `a` ([kRows][mp]), b [mp][ep].
template <class V>
ERWIN_VECTOR_INLINE void rows_times_matrix(const TaskGeometry& g, const float* __restrict__ a,
                                           const float* __restrict__ b, float* __restrict__ out) {
  for (int64_t e = 0; e < g.ep; e += kLanesOf<V>) {
    V acc[kRows] = {};
    for (int64_t j = 0; j < g.m; ++j) {
      const V bj = load<V>(b + j * g.ep + e);
      for (int64_t r = 0; r < kRows; ++r) acc[r] += a[r * g.mp + j] * bj;
    }
    for (int64_t r = 0; r < kRows; ++r) store(out + r * g.ep + e, acc[r]);
  }
}

// out[j][:] += Σ_r a[r][j] · b[r][:] for every j < m: a [kRows][mp], b [kRows][ep], out [mp][ep].
template <class V>
ERWIN_VECTOR_INLINE void accumulate_transposed_times_rows(const TaskGeometry& g,
                                                          const float* __restrict__ a,
                                                          const float* __restrict__ b,
                                                          float* __restrict__ out) {
  for (int64_t j = 0; j < g.m; ++j) {
    for (int64_t e = 0; e < g.ep; e += kLanesOf<V>) {
      V acc = load<V>(out + j * g.ep + e);
      for (int64_t r = 0; r < kRows; ++r) acc += a[r * g.mp + j] * load<V>(b + r * g.ep + e);
      store(out + j * g.ep + e, acc);
    }
  }
}

// Scores and distances of query rows [row, row + kRows) against every key (SPEC §3 step 3).
// Keys past m score −∞.
template <class V>
ERWIN_VECTOR_INLINE void block_scores(const TaskGeometry& g, const Scratch& s, int64_t row) {
  rows_times_transposed<V>(g, s.q + row * g.ep, s.k_t, s.scores);
  for (int64_t r = 0; r < kRows; ++r) {
    for (int64_t j = 0; j < g.mp; j += kLanesOf<V>) {
      V squared = {};
      for (int64_t c = 0; c < g.d; ++c) {
        const V diff = load<V>(s.pos_t + c * g.mp + j) - s.pos_t[c * g.mp + row + r];
        squared += diff * diff;
      }
      const V distance = sqrt_vec(squared);
      float* scores = s.scores + r * g.mp + j;
      store(s.distances + r * g.mp + j, distance);
      store(scores, attention_math::attention_score(load<V>(scores), distance, g.scale, g.sigma));
    }
    std::fill(s.scores + r * g.mp + g.m, s.scores + (r + 1) * g.mp, -INFINITY);
  }
}

// p = e^{s − shift} per row, zero past m; returns nothing, writes s.probabilities.
template <class V>
ERWIN_VECTOR_INLINE void block_probabilities(const TaskGeometry& g, const Scratch& s,
                                             const float* shift) {
  for (int64_t r = 0; r < kRows; ++r) {
    for (int64_t j = 0; j < g.mp; j += kLanesOf<V>) {
      store(s.probabilities + r * g.mp + j, exp_vec(load<V>(s.scores + r * g.mp + j) - shift[r]));
    }
    std::fill(s.probabilities + r * g.mp + g.m, s.probabilities + (r + 1) * g.mp, 0.f);
  }
}

// Forward of one task: out rows into s.grad_q's storage (reused as [mp][ep] output), lse.
template <class V>
ERWIN_VECTOR_INLINE void forward_task_body(const TaskGeometry& g, const Scratch& s, float* out) {
  for (int64_t row = 0; row < g.m; row += kRows) {
    block_scores<V>(g, s, row);
    float row_max[kRows];
    attention_math::OnlineSoftmax softmax[kRows];
    for (int64_t r = 0; r < kRows; ++r) {
      V m = splat<V>(-INFINITY);
      for (int64_t j = 0; j < g.mp; j += kLanesOf<V>) m = vmax(m, load<V>(s.scores + r * g.mp + j));
      // A ball's whole row is one block of the online recurrence (it fits in L1).
      softmax[r].admit_block(horizontal_max(m));
      row_max[r] = softmax[r].max;
    }
    block_probabilities<V>(g, s, row_max);
    for (int64_t r = 0; r < kRows; ++r) {
      V sum = {};
      for (int64_t j = 0; j < g.mp; j += kLanesOf<V>)
        sum += load<V>(s.probabilities + r * g.mp + j);
      softmax[r].sum = horizontal_sum(sum);
    }
    float* out_rows = out + row * g.ep;
    rows_times_matrix<V>(g, s.probabilities, s.v, out_rows);
    for (int64_t r = 0; r < kRows && row + r < g.m; ++r) {
      const float inverse = 1.f / softmax[r].sum;
      for (int64_t e = 0; e < g.ep; ++e) out_rows[r * g.ep + e] *= inverse;
      s.lse[row + r] = softmax[r].log_sum_exp();
    }
  }
}

// Backward of one task: dq, dk, dv into the scratch, returns this task's dσ.
template <class V>
ERWIN_VECTOR_INLINE double backward_task_body(const TaskGeometry& g, const Scratch& s) {
  double grad_sigma = 0.0;
  for (int64_t row = 0; row < g.m; row += kRows) {
    block_scores<V>(g, s, row);
    block_probabilities<V>(g, s, s.lse + row);
    const int64_t valid = std::min(kRows, g.m - row);
    // Rows past m are padding of the block: no probability, no score gradient.
    std::fill(s.probabilities + valid * g.mp, s.probabilities + kRows * g.mp, 0.f);
    // dp into s.scores (the scores are no longer needed), then ds in place.
    rows_times_transposed<V>(g, s.grad_out + row * g.ep, s.v_t, s.scores);
    for (int64_t r = 0; r < kRows; ++r) {
      V sigma_part = {};
      for (int64_t j = 0; j < g.mp; j += kLanesOf<V>) {
        float* ds = s.scores + r * g.mp + j;
        const V value = attention_math::score_gradient(load<V>(s.probabilities + r * g.mp + j),
                                                       load<V>(ds), s.delta[row + r]);
        store(ds, value);
        sigma_part += value * load<V>(s.distances + r * g.mp + j);
      }
      if (r < valid) grad_sigma += horizontal_sum(sigma_part);
    }
    std::fill(s.scores + valid * g.mp, s.scores + kRows * g.mp, 0.f);
    rows_times_matrix<V>(g, s.scores, s.k, s.grad_q + row * g.ep);
    accumulate_transposed_times_rows<V>(g, s.probabilities, s.grad_out + row * g.ep, s.grad_v);
    accumulate_transposed_times_rows<V>(g, s.scores, s.q + row * g.ep, s.grad_k);
  }
  for (int64_t i = 0; i < g.m * g.ep; ++i) {
    s.grad_q[i] *= g.scale;
    s.grad_k[i] *= g.scale;
  }
  return grad_sigma;
}

// forward_task and backward_task once per instruction set (cpu_vectors.h).
#define ERWIN_ATTENTION_TASKS(TARGET, LANES)                                      \
  TARGET void forward_task(const TaskGeometry& g, const Scratch& s, float* out) { \
    forward_task_body<FloatVec<LANES>>(g, s, out);                                \
  }                                                                               \
  TARGET double backward_task(const TaskGeometry& g, const Scratch& s) {          \
    return backward_task_body<FloatVec<LANES>>(g, s);                             \
  }
ERWIN_FOR_EACH_ISA(ERWIN_ATTENTION_TASKS)
#undef ERWIN_ATTENTION_TASKS

// The lanes of the vectors the tasks above run with (the same instruction set is picked for all).
#define ERWIN_VECTOR_LANES(TARGET, LANES) \
  TARGET int64_t vector_lanes() { return LANES; }
ERWIN_FOR_EACH_ISA(ERWIN_VECTOR_LANES)
#undef ERWIN_VECTOR_LANES

// Copies one task's inputs out of the packed tensors into the scratch (float32, padded).
template <class T>
struct TaskIo {
  const PackedShape& shape;
  const T* qkv;
  const float* pos;

  void load_inputs(const TaskGeometry& g, Scratch& s, int64_t ball, int64_t head) const {
    for (int64_t i = 0; i < g.m; ++i) {
      const T* node = qkv + shape.qkv(ball, i, head, 0, 0);
      for (int64_t e = 0; e < g.e; ++e) {
        const float q = static_cast<float>(node[3 * e]), k = static_cast<float>(node[3 * e + 1]),
                    v = static_cast<float>(node[3 * e + 2]);
        s.q[i * g.ep + e] = q;
        s.k[i * g.ep + e] = k;
        s.v[i * g.ep + e] = v;
        s.k_t[e * g.mp + i] = k;
        s.v_t[e * g.mp + i] = v;
      }
      for (int64_t c = 0; c < g.d; ++c) s.pos_t[c * g.mp + i] = pos[shape.pos(ball, i, c)];
    }
  }
};

TaskGeometry geometry_of(const PackedShape& shape, float sigma) {
  // Rows are padded for whole vectors and whole blocks of kRows query rows.
  const int64_t lanes = vector_lanes();
  const int64_t mp = round_up(shape.m, std::max(lanes, kRows));
  return {shape.m,
          mp,
          shape.head_dim,
          round_up(shape.head_dim, lanes),
          shape.dims,
          sigma,
          1.f / std::sqrt(static_cast<float>(shape.head_dim))};
}

PackedShape shape_of(const at::Tensor& qkv, const at::Tensor& pos) {
  return {qkv.size(0), qkv.size(1), qkv.size(2), qkv.size(3), pos.size(2)};
}

// Runs `task(scratch, ball, head)` for every (ball, head) on LibTorch's thread pool, with one
// scratch per chunk of tasks.
template <class Task>
void for_each_task(const PackedShape& shape, const float* sigma, Task&& task) {
  at::parallel_for(0, shape.tasks(), 1, [&](int64_t begin, int64_t end) {
    std::optional<Scratch> scratch;
    for (int64_t t = begin; t < end; ++t) {
      const int64_t ball = t / shape.heads, head = t % shape.heads;
      const TaskGeometry g = geometry_of(shape, sigma[head]);
      if (!scratch) scratch.emplace(g);
      task(g, *scratch, ball, head);
    }
  });
}

template <class T>
ForwardResult forward_typed(const at::Tensor& qkv, const at::Tensor& pos, const at::Tensor& sigma) {
  const PackedShape shape = shape_of(qkv, pos);
  auto out = at::empty({shape.balls, shape.m, shape.heads, shape.head_dim}, qkv.options());
  auto lse = at::empty({shape.balls, shape.heads, shape.m}, pos.options());
  const TaskIo<T> io{shape, qkv.data_ptr<T>(), pos.data_ptr<float>()};
  T* out_data = out.data_ptr<T>();
  float* lse_data = lse.data_ptr<float>();
  for_each_task(shape, sigma.data_ptr<float>(),
                [&](const TaskGeometry& g, Scratch& s, int64_t ball, int64_t head) {
                  io.load_inputs(g, s, ball, head);
                  forward_task(g, s, s.grad_q);
                  for (int64_t i = 0; i < g.m; ++i) {
                    T* row = out_data + shape.out(ball, i, head, 0);
                    for (int64_t e = 0; e < g.e; ++e)
                      row[e] = static_cast<T>(s.grad_q[i * g.ep + e]);
                    lse_data[shape.lse(ball, head, i)] = s.lse[i];
                  }
                });
  return {out, lse};
}

template <class T>
BackwardResult backward_typed(const BackwardInputs& in) {
  const PackedShape shape = shape_of(in.qkv, in.pos);
  auto grad_qkv = at::empty_like(in.qkv);
  std::vector<double> task_grad_sigma(shape.tasks());
  const TaskIo<T> io{shape, in.qkv.data_ptr<T>(), in.pos.data_ptr<float>()};
  const T* out = in.out.data_ptr<T>();
  const T* grad_out = in.grad_out.data_ptr<T>();
  const float* lse = in.lse.data_ptr<float>();
  T* grad = grad_qkv.data_ptr<T>();
  for_each_task(shape, in.sigma.data_ptr<float>(),
                [&](const TaskGeometry& g, Scratch& s, int64_t ball, int64_t head) {
                  io.load_inputs(g, s, ball, head);
                  for (int64_t i = 0; i < g.m; ++i) {
                    const int64_t at = shape.out(ball, i, head, 0);
                    float delta = 0.f;
                    for (int64_t e = 0; e < g.e; ++e) {
                      const float d_out = static_cast<float>(grad_out[at + e]);
                      s.grad_out[i * g.ep + e] = d_out;
                      delta += d_out * static_cast<float>(out[at + e]);
                    }
                    s.delta[i] = delta;
                    s.lse[i] = lse[shape.lse(ball, head, i)];
                  }
                  std::fill(s.grad_k, s.grad_k + g.mp * g.ep, 0.f);
                  std::fill(s.grad_v, s.grad_v + g.mp * g.ep, 0.f);
                  task_grad_sigma[ball * shape.heads + head] = backward_task(g, s);
                  for (int64_t i = 0; i < g.m; ++i) {
                    T* node = grad + shape.qkv(ball, i, head, 0, 0);
                    for (int64_t e = 0; e < g.e; ++e) {
                      node[3 * e] = static_cast<T>(s.grad_q[i * g.ep + e]);
                      node[3 * e + 1] = static_cast<T>(s.grad_k[i * g.ep + e]);
                      node[3 * e + 2] = static_cast<T>(s.grad_v[i * g.ep + e]);
                    }
                  }
                });
  // dσ_h: the tasks' sums added over balls in ball order, whatever the thread count.
  auto grad_sigma = at::empty({shape.heads}, in.pos.options());
  for (int64_t head = 0; head < shape.heads; ++head) {
    double sum = 0.0;
    for (int64_t ball = 0; ball < shape.balls; ++ball)
      sum += task_grad_sigma[ball * shape.heads + head];
    grad_sigma.data_ptr<float>()[head] = static_cast<float>(sum);
  }
  return {grad_qkv, grad_sigma};
}

}  // namespace

ForwardResult forward_cpu(const at::Tensor& qkv, const at::Tensor& pos, const at::Tensor& sigma) {
  if (qkv.scalar_type() == at::kBFloat16) return forward_typed<c10::BFloat16>(qkv, pos, sigma);
  return forward_typed<float>(qkv, pos, sigma);
}

BackwardResult backward_cpu(const BackwardInputs& in) {
  if (in.qkv.scalar_type() == at::kBFloat16) return backward_typed<c10::BFloat16>(in);
  return backward_typed<float>(in);
}

}  // namespace erwin::fused_attention
