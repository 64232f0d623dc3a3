// The CUDA kernels of fused ball attention against the float64 definition, on the shapes the CPU
// tests use (tests/core/tst_ball_attention.cpp): outputs and the gradients of q, k, v and sigma
// in float32 and bfloat16, and bit-identical gradients from two runs (no atomics). A plain program
// (the GPU machine has no Qt): exit 0 when every check holds, 1 otherwise, 77 (CTest's skip)
// without a CUDA device.
#include <torch/torch.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "erwin/model/ball_attention.h"

namespace {

struct Shape {
  const char* name;
  int64_t balls, heads, m, head_dim, dims;
  bool padding;
};

struct Inputs {
  torch::Tensor q, k, v, pos, sigma;
};

Inputs random_inputs(const Shape& s, torch::Dtype dtype, const torch::Device& device) {
  torch::manual_seed(s.balls * 1000 + s.heads * 100 + s.m);
  auto pos = torch::rand({s.balls, s.m, s.dims}, torch::kDouble);
  if (s.padding && s.m > 2) pos.select(1, s.m - 1).copy_(pos.select(1, s.m - 2));
  auto leaf = [&](torch::Tensor t) { return t.to(device, dtype).requires_grad_(); };
  return {leaf(torch::randn({s.balls, s.heads, s.m, s.head_dim}, torch::kDouble)),
          leaf(torch::randn({s.balls, s.heads, s.m, s.head_dim}, torch::kDouble)),
          leaf(torch::randn({s.balls, s.heads, s.m, s.head_dim}, torch::kDouble)),
          pos.to(device, torch::kFloat),
          (-1 + 0.3 * torch::randn({1, s.heads, 1, 1}, torch::kDouble))
              .to(device, torch::kFloat)
              .requires_grad_()};
}

// The definition in float64 on the CPU, distances from explicit differences.
torch::Tensor naive_attention(const Inputs& in) {
  const auto p = in.pos.to(torch::kDouble);
  const auto d = (p.unsqueeze(2) - p.unsqueeze(1)).pow(2).sum(-1).sqrt().unsqueeze(1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(in.q.size(3)));
  const auto s = torch::matmul(in.q, in.k.transpose(2, 3)) * scale + in.sigma.view({1, -1, 1, 1}) * d;
  return torch::matmul(s.softmax(-1), in.v);
}

std::vector<torch::Tensor> run(const Inputs& in, bool naive) {
  for (auto t : {in.q, in.k, in.v, in.sigma}) t.mutable_grad() = torch::Tensor();
  auto out = naive ? naive_attention(in)
                   : erwin::ball_attention_fused(in.q, in.k, in.v, in.pos, in.sigma);
  (out * torch::linspace(-1, 2, out.numel(), out.options()).view(out.sizes())).sum().backward();
  return {out.detach(), in.q.grad(), in.k.grad(), in.v.grad(), in.sigma.grad()};
}

Inputs on_cpu_double(const Inputs& in) {
  auto leaf = [](const torch::Tensor& t) {
    return t.detach().to(torch::kCPU, torch::kDouble).requires_grad_();
  };
  return {leaf(in.q), leaf(in.k), leaf(in.v), in.pos.to(torch::kCPU, torch::kDouble),
          leaf(in.sigma)};
}

double relative_error(const torch::Tensor& value, const torch::Tensor& exact) {
  const auto v = value.to(torch::kCPU, torch::kDouble);
  return (v - exact).norm().item<double>() / std::max(exact.norm().item<double>(), 1.0);
}

}  // namespace

int main() {
  if (!torch::cuda::is_available()) {
    std::printf("SKIP: no CUDA device: the fused CUDA kernels were compiled but not run\n");
    return 77;
  }
  const torch::Device cuda(torch::kCUDA);
  const Shape shapes[] = {{"one head, odd ball 17, E 8", 3, 1, 17, 8, 3, false},
                          {"many heads 16, padding, E 16", 2, 16, 64, 16, 3, true},
                          {"2d, odd ball 100, E 32", 4, 4, 100, 32, 2, true},
                          {"ball of 1", 5, 2, 1, 8, 3, false},
                          {"odd ball 77, E 64, padding", 2, 3, 77, 64, 3, true},
                          {"m 512, E 8", 2, 2, 512, 8, 3, true},
                          {"m 512, E 64", 1, 2, 512, 64, 3, false},
                          {"README level, 128 balls of 128, E 16", 128, 2, 128, 16, 3, true}};
  const char* parts[] = {"out", "grad q", "grad k", "grad v", "grad sigma"};
  int failures = 0;
  for (const Shape& shape : shapes) {
    for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
      const bool bf16 = dtype == torch::kBFloat16;
      const Inputs in = random_inputs(shape, dtype, cuda);
      const auto ours = run(in, false);
      const auto again = run(in, false);
      const auto exact = run(on_cpu_double(in), true);
      // The CPU tests' bounds: float32 rounding; bfloat16 inputs and outputs.
      const double bounds[] = {bf16 ? 8e-3 : 2e-6, bf16 ? 2e-2 : 2e-5};
      for (size_t i = 0; i < exact.size(); ++i) {
        const double error = relative_error(ours[i], exact[i]);
        const double bound = bounds[i == 0 ? 0 : 1];
        const bool same = torch::equal(ours[i], again[i]);
        const bool ok = error <= bound && same;
        failures += !ok;
        std::printf("%-4s %-40s %-10s relative error %.3g (bound %.0e)%s%s\n", ok ? "ok" : "FAIL",
                    shape.name, parts[i], error, bound, bf16 ? " bf16" : "",
                    same ? "" : " NOT DETERMINISTIC");
      }
    }
  }
  std::printf("%d failure(s)\n", failures);
  return failures == 0 ? 0 : 1;
}
