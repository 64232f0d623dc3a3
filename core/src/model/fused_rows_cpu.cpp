// The kernels of fused_rows.h: one pass over the rows (RMSNorm) or elements (the SwiGLU gate) on
// LibTorch's thread pool, vectors as wide as the CPU's (cpu_vectors.h), float32 arithmetic.
#include <ATen/Parallel.h>

#include <cmath>
#include <limits>
#include <vector>

#include "cpu_vectors.h"
#include "fused_rows.h"

namespace erwin::fused_rows {
namespace {

using namespace cpu_vectors;
using c10::BFloat16;

// Work below this many elements runs on the calling thread (LibTorch's own grain size).
constexpr int64_t kGrain = at::internal::GRAIN_SIZE;
// RMSNorm's weight gradient is summed over blocks of this many rows, then over blocks in order.
constexpr int64_t kWeightGradRows = 64;
constexpr float kEps = std::numeric_limits<float>::epsilon();

// body(j, n) for every vector of lanes j..j+n of a row of `count` values, the last one partial.
template <class V, class Body>
ERWIN_VECTOR_INLINE void for_each_vector(int64_t count, Body&& body) {
  int64_t j = 0;
  for (; j + kLanesOf<V> <= count; j += kLanesOf<V>) body(j, kLanesOf<V>);
  if (j < count) body(j, count - j);
}

template <class V, class T>
ERWIN_VECTOR_INLINE V load_n(const T* p, int64_t n) {
  return n == kLanesOf<V> ? load<V>(p) : load_partial<V>(p, n);
}
template <class V, class T>
ERWIN_VECTOR_INLINE void store_n(T* p, V v, int64_t n) {
  if (n == kLanesOf<V>)
    store(p, v);
  else
    store_partial(p, v, n);
}

template <class V, class T>
ERWIN_VECTOR_INLINE void rms_norm_rows(const T* x, const float* w, T* y, float* inverse_rms,
                                       int64_t rows, int64_t dim) {
  for (int64_t r = 0; r < rows; ++r, x += dim, y += dim) {
    V squares = {};
    for_each_vector<V>(dim, [&](int64_t j, int64_t n) {
      const V v = load_n<V>(x + j, n);
      squares += v * v;
    });
    const float inverse = 1.f / std::sqrt(horizontal_sum(squares) / static_cast<float>(dim) + kEps);
    inverse_rms[r] = inverse;
    for_each_vector<V>(dim, [&](int64_t j, int64_t n) {
      store_n(y + j, load_n<V>(x + j, n) * inverse * load_n<V>(w + j, n), n);
    });
  }
}

// dx = r·g∘w − x·r³·Σ(g∘w∘x)/D per row (r = inverse rms); dw += g∘x·r into `grad_weight`.
template <class V, class T>
ERWIN_VECTOR_INLINE void rms_norm_backward_rows(const T* grad, const T* x, const float* w,
                                                const float* inverse_rms, T* dx, float* grad_weight,
                                                int64_t rows, int64_t dim) {
  for (int64_t r = 0; r < rows; ++r, grad += dim, x += dim, dx += dim) {
    V dots = {};
    for_each_vector<V>(dim, [&](int64_t j, int64_t n) {
      dots += load_n<V>(grad + j, n) * load_n<V>(w + j, n) * load_n<V>(x + j, n);
    });
    const float inverse = inverse_rms[r];
    const float along_x =
        inverse * inverse * inverse * horizontal_sum(dots) / static_cast<float>(dim);
    for_each_vector<V>(dim, [&](int64_t j, int64_t n) {
      const V g = load_n<V>(grad + j, n), xv = load_n<V>(x + j, n);
      store_n(dx + j, g * load_n<V>(w + j, n) * inverse - xv * along_x, n);
      store_n(grad_weight + j, load_n<V>(grad_weight + j, n) + g * xv * inverse, n);
    });
  }
}

// b·SiLU(a), SiLU(a) = a / (1 + e^−a) as LibTorch computes it.
template <class V, class T>
ERWIN_VECTOR_INLINE void gated_silu_range(const T* a, const T* b, T* out, int64_t count) {
  for_each_vector<V>(count, [&](int64_t j, int64_t n) {
    const V av = load_n<V>(a + j, n);
    store_n(out + j, load_n<V>(b + j, n) * (av / (1.f + exp_vec(-av))), n);
  });
}

// da = g·b·σ(a)·(1 + a·(1 − σ(a))) (LibTorch's silu_backward of g·b, σ the logistic function),
// db = g·SiLU(a).
template <class V, class T>
ERWIN_VECTOR_INLINE void gated_silu_backward_range(const T* grad, const T* a, const T* b, T* da,
                                                   T* db, int64_t count) {
  for_each_vector<V>(count, [&](int64_t j, int64_t n) {
    const V g = load_n<V>(grad + j, n), av = load_n<V>(a + j, n);
    const V sigmoid = 1.f / (1.f + exp_vec(-av));
    store_n(da + j, g * load_n<V>(b + j, n) * sigmoid * (1.f + av * (1.f - sigmoid)), n);
    store_n(db + j, g * (av * sigmoid), n);
  });
}

// The entry points, once per dtype and instruction set (cpu_vectors.h).
#define ERWIN_FUSED_ROWS_KERNELS(TARGET, LANES, T)                                                \
  TARGET void rms_norm_kernel(const T* x, const float* w, T* y, float* inverse_rms, int64_t rows, \
                              int64_t dim) {                                                      \
    rms_norm_rows<FloatVec<LANES>>(x, w, y, inverse_rms, rows, dim);                              \
  }                                                                                               \
  TARGET void rms_norm_backward_kernel(const T* grad, const T* x, const float* w,                 \
                                       const float* inverse_rms, T* dx, float* grad_w,            \
                                       int64_t rows, int64_t dim) {                               \
    rms_norm_backward_rows<FloatVec<LANES>>(grad, x, w, inverse_rms, dx, grad_w, rows, dim);      \
  }                                                                                               \
  TARGET void gated_silu_kernel(const T* a, const T* b, T* out, int64_t n) {                      \
    gated_silu_range<FloatVec<LANES>>(a, b, out, n);                                              \
  }                                                                                               \
  TARGET void gated_silu_backward_kernel(const T* grad, const T* a, const T* b, T* da, T* db,     \
                                         int64_t n) {                                             \
    gated_silu_backward_range<FloatVec<LANES>>(grad, a, b, da, db, n);                            \
  }
#define ERWIN_FUSED_ROWS_FLOAT(TARGET, LANES) ERWIN_FUSED_ROWS_KERNELS(TARGET, LANES, float)
#define ERWIN_FUSED_ROWS_BFLOAT16(TARGET, LANES) ERWIN_FUSED_ROWS_KERNELS(TARGET, LANES, BFloat16)
ERWIN_FOR_EACH_ISA(ERWIN_FUSED_ROWS_FLOAT)
ERWIN_FOR_EACH_ISA(ERWIN_FUSED_ROWS_BFLOAT16)
#undef ERWIN_FUSED_ROWS_BFLOAT16
#undef ERWIN_FUSED_ROWS_FLOAT
#undef ERWIN_FUSED_ROWS_KERNELS

bool is_float_or_bfloat16(const at::Tensor& t) {
  return t.scalar_type() == at::kFloat || t.scalar_type() == at::kBFloat16;
}

bool plain_cpu(const at::Tensor& t) { return t.is_cpu() && t.is_contiguous() && t.dim() >= 1; }

template <class F>
void dispatch_float_or_bfloat16(const at::Tensor& t, F&& f) {
  if (t.scalar_type() == at::kBFloat16)
    f(BFloat16{});
  else
    f(float{});
}

}  // namespace

bool rms_norm_supported(const at::Tensor& x, const at::Tensor& weight) {
  return plain_cpu(x) && plain_cpu(weight) && is_float_or_bfloat16(x) &&
         weight.scalar_type() == at::kFloat && weight.dim() == 1 && x.size(-1) == weight.size(0);
}

bool gated_silu_supported(const at::Tensor& a, const at::Tensor& b) {
  return plain_cpu(a) && plain_cpu(b) && is_float_or_bfloat16(a) &&
         a.scalar_type() == b.scalar_type() && a.sizes().equals(b.sizes());
}

RMSNormForward rms_norm_forward(const at::Tensor& x, const at::Tensor& weight) {
  const int64_t dim = x.size(-1), rows = x.numel() / dim;
  auto y = at::empty_like(x);
  auto inverse_rms = at::empty({rows}, x.options().dtype(at::kFloat));
  dispatch_float_or_bfloat16(x, [&](auto type) {
    using T = decltype(type);
    const T* in = x.data_ptr<T>();
    T* out = y.data_ptr<T>();
    const float* w = weight.data_ptr<float>();
    float* inverse = inverse_rms.data_ptr<float>();
    at::parallel_for(0, rows, std::max<int64_t>(1, kGrain / dim), [&](int64_t begin, int64_t end) {
      rms_norm_kernel(in + begin * dim, w, out + begin * dim, inverse + begin, end - begin, dim);
    });
  });
  return {y, inverse_rms};
}

std::pair<at::Tensor, at::Tensor> rms_norm_backward(const at::Tensor& grad, const at::Tensor& x,
                                                    const at::Tensor& weight,
                                                    const at::Tensor& inverse_rms) {
  const int64_t dim = x.size(-1), rows = x.numel() / dim;
  const int64_t blocks = (rows + kWeightGradRows - 1) / kWeightGradRows;
  auto dx = at::empty_like(x);
  std::vector<float> block_grad_weight(blocks * dim, 0.f);
  dispatch_float_or_bfloat16(x, [&](auto type) {
    using T = decltype(type);
    const T *g = grad.data_ptr<T>(), *in = x.data_ptr<T>();
    T* out = dx.data_ptr<T>();
    const float* w = weight.data_ptr<float>();
    const float* inverse = inverse_rms.data_ptr<float>();
    const int64_t grain = std::max<int64_t>(1, kGrain / (kWeightGradRows * dim));
    at::parallel_for(0, blocks, grain, [&](int64_t begin, int64_t end) {
      for (int64_t block = begin; block < end; ++block) {
        const int64_t row = block * kWeightGradRows;
        const int64_t n = std::min(kWeightGradRows, rows - row);
        rms_norm_backward_kernel(g + row * dim, in + row * dim, w, inverse + row, out + row * dim,
                                 block_grad_weight.data() + block * dim, n, dim);
      }
    });
  });
  auto grad_weight = at::empty({dim}, weight.options());
  float* dw = grad_weight.data_ptr<float>();
  for (int64_t j = 0; j < dim; ++j) {
    double sum = 0.0;
    for (int64_t block = 0; block < blocks; ++block) sum += block_grad_weight[block * dim + j];
    dw[j] = static_cast<float>(sum);
  }
  return {dx, grad_weight};
}

at::Tensor gated_silu_forward(const at::Tensor& a, const at::Tensor& b) {
  auto out = at::empty_like(a);
  dispatch_float_or_bfloat16(a, [&](auto type) {
    using T = decltype(type);
    const T *pa = a.data_ptr<T>(), *pb = b.data_ptr<T>();
    T* po = out.data_ptr<T>();
    at::parallel_for(0, a.numel(), kGrain, [&](int64_t begin, int64_t end) {
      gated_silu_kernel(pa + begin, pb + begin, po + begin, end - begin);
    });
  });
  return out;
}

std::pair<at::Tensor, at::Tensor> gated_silu_backward(const at::Tensor& grad, const at::Tensor& a,
                                                      const at::Tensor& b) {
  auto da = at::empty_like(a), db = at::empty_like(b);
  dispatch_float_or_bfloat16(a, [&](auto type) {
    using T = decltype(type);
    const T *pg = grad.data_ptr<T>(), *pa = a.data_ptr<T>(), *pb = b.data_ptr<T>();
    T *pda = da.data_ptr<T>(), *pdb = db.data_ptr<T>();
    at::parallel_for(0, a.numel(), kGrain, [&](int64_t begin, int64_t end) {
      gated_silu_backward_kernel(pg + begin, pa + begin, pb + begin, pda + begin, pdb + begin,
                                 end - begin);
    });
  });
  return {da, db};
}

}  // namespace erwin::fused_rows
