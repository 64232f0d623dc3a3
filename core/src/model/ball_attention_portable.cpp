// The functions of ball_attention_math.h driven the way the CUDA kernels (gpu/src/
// ball_attention.cu) drive them, on the CPU: per (ball, head) a "thread block" stages keys (or
// queries) in blocks of kMaxBlockKeys, and every "thread" (a query row, or in the key-side
// backward a key row) takes the staged block in. Serial inside a task; here only so that the CPU
// tests exercise the arithmetic the GPU runs.
#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

#include "erwin/model/ball_attention_kernels.h"
#include "erwin/model/ball_attention_math.h"

namespace erwin::fused_attention {
namespace {

using namespace attention_math;

PackedShape shape_of(const at::Tensor& qkv, const at::Tensor& pos) {
  return {qkv.size(0), qkv.size(1), qkv.size(2), qkv.size(3), pos.size(2)};
}

// One (ball, head)'s rows gathered out of the packed tensors: [m][E] or [m][d], float32.
struct TaskRows {
  std::vector<float> q, k, v, pos, grad_out, lse, delta;

  TaskRows(const PackedShape& s, const float* qkv, const float* positions, int64_t ball,
           int64_t head)
      : q(s.m * s.head_dim), k(q.size()), v(q.size()), pos(s.m * s.dims) {
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t e = 0; e < s.head_dim; ++e) {
        q[i * s.head_dim + e] = qkv[s.qkv(ball, i, head, e, kQuery)];
        k[i * s.head_dim + e] = qkv[s.qkv(ball, i, head, e, kKey)];
        v[i * s.head_dim + e] = qkv[s.qkv(ball, i, head, e, kValue)];
      }
      for (int64_t c = 0; c < s.dims; ++c) pos[i * s.dims + c] = positions[s.pos(ball, i, c)];
    }
  }
};

// Rows [first, first + count) of a [m][width] array: what a thread block stages in shared memory.
std::vector<float> stage(const std::vector<float>& rows, int64_t width, int64_t first,
                         int64_t count) {
  return {rows.begin() + first * width, rows.begin() + (first + count) * width};
}

float sigma_of(const at::Tensor& sigma, int64_t head) { return sigma.data_ptr<float>()[head]; }

template <class Body>
void for_each_task(const PackedShape& shape, Body&& body) {
  at::parallel_for(0, shape.tasks(), 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) body(t / shape.heads, t % shape.heads);
  });
}

}  // namespace

ForwardResult forward_portable(const at::Tensor& qkv_in, const at::Tensor& pos,
                               const at::Tensor& sigma) {
  const auto qkv = qkv_in.to(at::kFloat).contiguous();
  const PackedShape s = shape_of(qkv, pos);
  auto out = at::empty({s.balls, s.m, s.heads, s.head_dim}, pos.options());
  auto lse = at::empty({s.balls, s.heads, s.m}, pos.options());
  const float scale = 1.f / std::sqrt(static_cast<float>(s.head_dim));
  for_each_task(s, [&](int64_t ball, int64_t head) {
    const TaskRows rows(s, qkv.data_ptr<float>(), pos.data_ptr<float>(), ball, head);
    std::vector<OnlineSoftmax> softmax(s.m);
    std::vector<float> acc(s.m * s.head_dim, 0.f), scores(kMaxBlockKeys);
    for (int64_t first = 0; first < s.m; first += kMaxBlockKeys) {
      const int64_t count = std::min(kMaxBlockKeys, s.m - first);
      const auto k = stage(rows.k, s.head_dim, first, count);
      const auto v = stage(rows.v, s.head_dim, first, count);
      const auto p = stage(rows.pos, s.dims, first, count);
      const KeyBlock keys{k.data(), v.data(), p.data(), count};
      for (int64_t i = 0; i < s.m; ++i) {
        const QueryRow row{&rows.q[i * s.head_dim],
                           &rows.pos[i * s.dims],
                           sigma_of(sigma, head),
                           scale,
                           s.head_dim,
                           s.dims};
        absorb_keys(row, keys, softmax[i], &acc[i * s.head_dim], scores.data());
      }
    }
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t e = 0; e < s.head_dim; ++e)
        out.data_ptr<float>()[s.out(ball, i, head, e)] = acc[i * s.head_dim + e] / softmax[i].sum;
      lse.data_ptr<float>()[s.lse(ball, head, i)] = softmax[i].log_sum_exp();
    }
  });
  return {out.to(qkv_in.scalar_type()), lse};
}

BackwardResult backward_portable(const BackwardInputs& in) {
  const auto qkv = in.qkv.to(at::kFloat).contiguous();
  const auto out = in.out.to(at::kFloat).contiguous();
  const auto grad_out = in.grad_out.to(at::kFloat).contiguous();
  const PackedShape s = shape_of(qkv, in.pos);
  auto grad_qkv = at::empty_like(qkv);
  std::vector<float> task_grad_sigma(s.tasks());
  const float scale = 1.f / std::sqrt(static_cast<float>(s.head_dim));
  const int64_t E = s.head_dim;
  for_each_task(s, [&](int64_t ball, int64_t head) {
    TaskRows rows(s, qkv.data_ptr<float>(), in.pos.data_ptr<float>(), ball, head);
    rows.grad_out.resize(s.m * E);
    rows.lse.resize(s.m);
    rows.delta.resize(s.m);
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t e = 0; e < E; ++e)
        rows.grad_out[i * E + e] = grad_out.data_ptr<float>()[s.out(ball, i, head, e)];
      rows.delta[i] =
          dot(&rows.grad_out[i * E], out.data_ptr<float>() + s.out(ball, i, head, 0), E);
      rows.lse[i] = in.lse.data_ptr<float>()[s.lse(ball, head, i)];
    }
    const float sigma = sigma_of(in.sigma, head);
    std::vector<float> grad_q(s.m * E, 0.f), grad_k(s.m * E, 0.f), grad_v(s.m * E, 0.f);
    std::vector<float> row_grad_sigma(s.m, 0.f);
    for (int64_t first = 0; first < s.m; first += kMaxBlockKeys) {
      const int64_t count = std::min(kMaxBlockKeys, s.m - first);
      // The query side: every query row takes the staged keys in.
      const auto k = stage(rows.k, E, first, count), v = stage(rows.v, E, first, count);
      const auto p = stage(rows.pos, s.dims, first, count);
      const KeyBlock keys{k.data(), v.data(), p.data(), count};
      for (int64_t i = 0; i < s.m; ++i) {
        const QueryRow row{&rows.q[i * E], &rows.pos[i * s.dims], sigma, scale, E, s.dims};
        query_gradient(row, keys, &rows.grad_out[i * E], rows.lse[i], rows.delta[i], &grad_q[i * E],
                       row_grad_sigma[i]);
      }
      // The key side: every key row takes the staged queries in.
      const auto q = stage(rows.q, E, first, count), d_out = stage(rows.grad_out, E, first, count);
      const QueryBlock queries{
          q.data(), d_out.data(), p.data(), rows.lse.data() + first, rows.delta.data() + first,
          count};
      for (int64_t j = 0; j < s.m; ++j) {
        const KeyRow key{&rows.k[j * E], &rows.v[j * E], &rows.pos[j * s.dims], sigma, scale, E,
                         s.dims};
        key_gradient(key, queries, &grad_k[j * E], &grad_v[j * E]);
      }
    }
    float* grad = grad_qkv.data_ptr<float>();
    for (int64_t i = 0; i < s.m; ++i) {
      for (int64_t e = 0; e < E; ++e) {
        grad[s.qkv(ball, i, head, e, kQuery)] = grad_q[i * E + e];
        grad[s.qkv(ball, i, head, e, kKey)] = grad_k[i * E + e];
        grad[s.qkv(ball, i, head, e, kValue)] = grad_v[i * E + e];
      }
    }
    float total = 0.f;
    for (const float part : row_grad_sigma) total += part;
    task_grad_sigma[ball * s.heads + head] = total;
  });
  auto grad_sigma = at::zeros({s.heads}, in.pos.options());
  for (int64_t t = 0; t < s.tasks(); ++t)
    grad_sigma.data_ptr<float>()[t % s.heads] += task_grad_sigma[t];
  return {grad_qkv.to(in.qkv.scalar_type()), grad_sigma};
}

}  // namespace erwin::fused_attention
