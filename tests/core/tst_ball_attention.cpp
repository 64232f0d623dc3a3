// The ball attention implementations (erwin/model/ball_attention.h). Blocked against the published
// math (cdist + scaled-dot-product attention); the fused kernels, both the vectorised CPU kernels
// and the shared code the CUDA kernels run (portable), against a naive float64 computation:
// outputs and the gradients of q, k, v and sigma, for odd ball sizes, one and many heads, balls
// holding padding copies, m = 512, E = 8 and 64, blocks that split balls unevenly; bfloat16
// inputs; determinism of the fused backward pass.
#include <ATen/Parallel.h>

#include <QTest>

#include "erwin/model/ball_attention.h"
#include "test_support.h"

using namespace erwin;

namespace {

struct AttentionInputs {
  torch::Tensor q, k, v, pos, sigma;
};

AttentionInputs random_inputs(int64_t balls, int64_t heads, int64_t ball_size, int64_t head_dim,
                              int64_t dim, torch::Dtype dtype, bool padding_copies) {
  torch::manual_seed(balls * 1000 + heads * 100 + ball_size);
  const auto options = torch::TensorOptions().dtype(dtype);
  AttentionInputs in;
  in.q = torch::randn({balls, heads, ball_size, head_dim}, options).requires_grad_();
  in.k = torch::randn({balls, heads, ball_size, head_dim}, options).requires_grad_();
  in.v = torch::randn({balls, heads, ball_size, head_dim}, options).requires_grad_();
  auto pos = torch::rand({balls, ball_size, dim}, options);
  if (padding_copies && ball_size > 2) {
    // Padding repeats a ball's last point (SPEC §1): zero distances inside the ball.
    pos.select(1, ball_size - 1).copy_(pos.select(1, ball_size - 2));
  }
  in.pos = pos;
  in.sigma = (-1 + 0.3 * torch::randn({1, heads, 1, 1}, options)).requires_grad_();
  return in;
}

struct Result {
  torch::Tensor out, grad_q, grad_k, grad_v, grad_sigma;
};

template <class Attention>
Result run(const AttentionInputs& in, Attention attention) {
  for (auto t : {in.q, in.k, in.v, in.sigma}) t.mutable_grad() = torch::Tensor();
  auto out = attention(in.q, in.k, in.v, in.pos, in.sigma);
  // A loss whose gradient is not uniform, so that every term of the backward pass matters.
  (out * torch::linspace(-1, 2, out.numel(), out.options()).view(out.sizes())).sum().backward();
  return {out.detach(), in.q.grad().clone(), in.k.grad().clone(), in.v.grad().clone(),
          in.sigma.grad().clone()};
}

// Relative to the reference's norm, or absolute where that is below 1 (the inputs are O(1), and
// some gradients vanish exactly, e.g. q's in a ball of one node).
double relative_error(const torch::Tensor& value, const torch::Tensor& reference) {
  return (value - reference).norm().item<double>() / std::max(reference.norm().item<double>(), 1.0);
}

// softmax(q kᵀ/√E + σ‖p_i − p_j‖) v in float64 with distances from explicit differences: the
// definition, with nothing fused, blocked or cached.
torch::Tensor naive_attention(const torch::Tensor& q, const torch::Tensor& k,
                              const torch::Tensor& v, const torch::Tensor& pos,
                              const torch::Tensor& sigma) {
  const auto p = pos.to(torch::kDouble);
  const auto distances = (p.unsqueeze(2) - p.unsqueeze(1)).pow(2).sum(-1).sqrt().unsqueeze(1);
  const double scale = 1.0 / std::sqrt(static_cast<double>(q.size(3)));
  const auto scores =
      torch::matmul(q, k.transpose(2, 3)) * scale + sigma.view({1, -1, 1, 1}) * distances;
  return torch::matmul(scores.softmax(-1), v);
}

// The same inputs in float64, as leaves of their own.
AttentionInputs in_double(const AttentionInputs& in) {
  auto leaf = [](const torch::Tensor& t) {
    return t.detach().to(torch::kDouble).requires_grad_(t.requires_grad());
  };
  return {leaf(in.q), leaf(in.k), leaf(in.v), in.pos.detach().to(torch::kDouble), leaf(in.sigma)};
}

void expect_close(const Result& value, const Result& exact, double out_tolerance,
                  double gradient_tolerance, const QString& label) {
  const std::tuple<const char*, torch::Tensor, torch::Tensor, double> compared[] = {
      {"out", value.out, exact.out, out_tolerance},
      {"grad q", value.grad_q, exact.grad_q, gradient_tolerance},
      {"grad k", value.grad_k, exact.grad_k, gradient_tolerance},
      {"grad v", value.grad_v, exact.grad_v, gradient_tolerance},
      {"grad sigma", value.grad_sigma, exact.grad_sigma, gradient_tolerance}};
  for (const auto& [what, ours, reference, tolerance] : compared) {
    const double error = relative_error(ours.to(torch::kDouble), reference);
    QVERIFY2(
        error <= tolerance,
        qPrintable(
            QString("%1 %2: relative error %3 > %4").arg(label, what).arg(error).arg(tolerance)));
  }
}

}  // namespace

class BallAttention : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void blocked_equals_reference_data() {
    QTest::addColumn<int>("balls");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("ball_size");
    QTest::addColumn<int>("head_dim");
    QTest::addColumn<int>("dim");
    QTest::addColumn<bool>("padding");
    QTest::addColumn<int>("block_elements");  // 0: default blocks (one block here)
    QTest::newRow("one head, odd ball") << 3 << 1 << 17 << 8 << 3 << false << 3 * 17 * 5;
    QTest::newRow("many heads, padding") << 2 << 8 << 64 << 16 << 3 << true << 2 * 8 * 7 * 64;
    QTest::newRow("2d, ball of 100") << 4 << 4 << 100 << 32 << 2 << true << 4 * 4 * 33 * 100;
    QTest::newRow("ball of 1") << 5 << 2 << 1 << 8 << 3 << false << 1;
    QTest::newRow("one row per block") << 2 << 3 << 31 << 64 << 3 << true << 1;
    QTest::newRow("default block") << 6 << 4 << 128 << 16 << 3 << true << 0;
  }

  void blocked_equals_reference() {
    QFETCH(int, balls);
    QFETCH(int, heads);
    QFETCH(int, ball_size);
    QFETCH(int, head_dim);
    QFETCH(int, dim);
    QFETCH(bool, padding);
    QFETCH(int, block_elements);
    // float64 shows the two are the same function: a wrong term would miss by O(1), while
    // cdist's matmul-based distances (|x|^2 + |y|^2 - 2 x.y, as the published model computes
    // them) differ between the whole ball and a block of rows by ~sqrt(eps) for close points.
    // In float32 that is ~3e-4 on such distances, so the outputs agree to the model parity
    // tests' 1e-4 rather than to float32 rounding.
    for (const auto dtype : {torch::kDouble, torch::kFloat}) {
      const auto in = random_inputs(balls, heads, ball_size, head_dim, dim, dtype, padding);
      const Result reference = run(in, ball_attention_reference);
      const Result blocked =
          run(in, [&](auto&&... args) { return ball_attention_blocked(args..., block_elements); });
      const double tolerance = dtype == torch::kDouble ? 1e-7 : 1e-4;
      const std::pair<const char*, std::pair<torch::Tensor, torch::Tensor>> compared[] = {
          {"out", {blocked.out, reference.out}},
          {"grad q", {blocked.grad_q, reference.grad_q}},
          {"grad k", {blocked.grad_k, reference.grad_k}},
          {"grad v", {blocked.grad_v, reference.grad_v}},
          {"grad sigma", {blocked.grad_sigma, reference.grad_sigma}}};
      for (const auto& [what, pair] : compared) {
        const double error = relative_error(pair.first, pair.second);
        QVERIFY2(error <= tolerance, qPrintable(QString("%1 (%2): relative error %3")
                                                    .arg(what)
                                                    .arg(dtype == torch::kDouble ? "f64" : "f32")
                                                    .arg(error)));
      }
    }
  }

  // Shapes the issue names: odd ball sizes, one head, many heads, padding copies, m = 512, E = 8
  // and 64; and balls of one node, and more keys than one staged block of the portable kernels.
  void fused_equals_float64_definition_data() {
    QTest::addColumn<int>("balls");
    QTest::addColumn<int>("heads");
    QTest::addColumn<int>("ball_size");
    QTest::addColumn<int>("head_dim");
    QTest::addColumn<int>("dim");
    QTest::addColumn<bool>("padding");
    QTest::newRow("one head, odd ball 17, E 8") << 3 << 1 << 17 << 8 << 3 << false;
    QTest::newRow("many heads 16, padding, E 16") << 2 << 16 << 64 << 16 << 3 << true;
    QTest::newRow("2d, odd ball 100, E 32") << 4 << 4 << 100 << 32 << 2 << true;
    QTest::newRow("ball of 1") << 5 << 2 << 1 << 8 << 3 << false;
    QTest::newRow("odd ball 77, E 64, padding") << 2 << 3 << 77 << 64 << 3 << true;
    QTest::newRow("m 512, E 8") << 2 << 2 << 512 << 8 << 3 << true;
    QTest::newRow("m 512, E 64") << 1 << 2 << 512 << 64 << 3 << false;
    QTest::newRow("E 12 (not a vector multiple)") << 3 << 2 << 33 << 12 << 3 << true;
  }

  void fused_equals_float64_definition() {
    QFETCH(int, balls);
    QFETCH(int, heads);
    QFETCH(int, ball_size);
    QFETCH(int, head_dim);
    QFETCH(int, dim);
    QFETCH(bool, padding);
    const auto in = random_inputs(balls, heads, ball_size, head_dim, dim, torch::kFloat, padding);
    const Result exact = run(in_double(in), naive_attention);
    // float32 arithmetic against float64: rounding of sums over m keys and E channels.
    constexpr double kOut = 2e-6, kGradient = 2e-5;
    expect_close(run(in, [](auto&&... a) { return ball_attention_fused(a...); }), exact, kOut,
                 kGradient, "vectorised CPU");
    expect_close(run(in, [](auto&&... a) { return ball_attention_fused(a..., true); }), exact, kOut,
                 kGradient, "portable (the CUDA code)");
  }

  // bfloat16 q, k, v (8 significant bits), float32 arithmetic inside: the error is the rounding of
  // inputs and outputs to bfloat16, compared with the float64 definition on the same rounded
  // inputs.
  void fused_takes_bfloat16() {
    const auto in = random_inputs(4, 4, 64, 16, 3, torch::kFloat, true);
    AttentionInputs half = in;
    for (auto* t : {&half.q, &half.k, &half.v})
      *t = t->detach().to(torch::kBFloat16).requires_grad_();
    const Result exact = run(in_double(half), naive_attention);
    for (const bool portable : {false, true}) {
      const Result ours =
          run(half, [&](auto&&... a) { return ball_attention_fused(a..., portable); });
      QCOMPARE(ours.out.scalar_type(), torch::kBFloat16);
      QCOMPARE(ours.grad_q.scalar_type(), torch::kBFloat16);
      expect_close(ours, exact, 8e-3, 2e-2, portable ? "portable bf16" : "CPU bf16");
    }
  }

  // The backward pass reduces without atomics or thread-dependent order: bit-identical
  // gradients from runs on 1 and 2 threads.
  void fused_backward_is_deterministic() {
    const auto in = random_inputs(16, 4, 64, 16, 3, torch::kFloat, true);
    const int threads = at::get_num_threads();
    std::vector<Result> results;
    for (const int n : {1, 2, 2}) {
      at::set_num_threads(n);
      results.push_back(run(in, [](auto&&... a) { return ball_attention_fused(a...); }));
    }
    at::set_num_threads(threads);
    for (const Result& r : {results[1], results[2]}) {
      QVERIFY(torch::equal(r.out, results[0].out));
      QVERIFY(torch::equal(r.grad_q, results[0].grad_q));
      QVERIFY(torch::equal(r.grad_k, results[0].grad_k));
      QVERIFY(torch::equal(r.grad_v, results[0].grad_v));
      QVERIFY(torch::equal(r.grad_sigma, results[0].grad_sigma));
    }
  }

  // The model's entry point takes the qkv projection's packed output and gives heads
  // concatenated: the same numbers as the separate-tensor form, with every backend.
  // The model's entry point takes the qkv projection's packed output and gives heads
  // concatenated: the float64 definition with every backend. The reference math and the blocked
  // function compute distances as cdist does (|x|² + |y|² − 2x·y): ~sqrt(eps) for the zero
  // distances of padding copies, ~3e-5 on the outputs here; the fused kernels subtract positions.
  void packed_entry_matches_every_backend() {
    const auto in = random_inputs(3, 4, 32, 8, 3, torch::kFloat, true);
    const auto packed = torch::stack({in.q, in.k, in.v}, -1).permute({0, 2, 1, 3, 4}).contiguous();
    const auto exact = in_double(in);
    const auto expected = naive_attention(exact.q, exact.k, exact.v, exact.pos, exact.sigma);
    for (const auto backend :
         {AttentionBackend::Auto, AttentionBackend::Reference, AttentionBackend::Blocked,
          AttentionBackend::Fused, AttentionBackend::Portable}) {
      AttentionBackendGuard guard(backend);
      const auto out = ball_attention_packed(packed, in.pos, in.sigma);
      QCOMPARE(out.sizes().vec(), (std::vector<int64_t>{3, 32, 4, 8}));
      const bool cdist =
          backend == AttentionBackend::Reference || backend == AttentionBackend::Blocked;
      const double error = relative_error(out.permute({0, 2, 1, 3}).to(torch::kDouble), expected);
      QVERIFY2(error < (cdist ? 1e-4 : 2e-6),
               qPrintable(QString("%1: %2").arg(attention_backend_name(backend)).arg(error)));
    }
  }

  void backend_names_round_trip() {
    for (const auto backend :
         {AttentionBackend::Auto, AttentionBackend::Reference, AttentionBackend::Blocked,
          AttentionBackend::Fused, AttentionBackend::Portable})
      QCOMPARE(parse_attention_backend(attention_backend_name(backend)), backend);
    test::expect_invalid_argument([] { parse_attention_backend("flash"); }, "fused");
  }

  void fused_refuses_float64() {
    const auto in = random_inputs(2, 2, 8, 4, 3, torch::kDouble, false);
    test::expect_invalid_argument([&] { ball_attention_fused(in.q, in.k, in.v, in.pos, in.sigma); },
                                  "float32 or bfloat16");
    // Auto falls back to the reference math for float64.
    QVERIFY(ball_attention(in.q, in.k, in.v, in.pos, in.sigma).defined());
  }

  void positions_get_no_gradient() {
    auto in = random_inputs(2, 2, 8, 4, 3, torch::kFloat, false);
    in.pos.requires_grad_();
    ball_attention_blocked(in.q, in.k, in.v, in.pos, in.sigma).sum().backward();
    QVERIFY(!in.pos.grad().defined());
    QVERIFY(in.q.grad().defined());
  }

  void backend_guard_selects_and_restores() {
    const auto in = random_inputs(2, 2, 8, 4, 3, torch::kFloat, false);
    auto node_name = [&] {
      return ball_attention(in.q, in.k, in.v, in.pos, in.sigma).grad_fn()->name();
    };
    QCOMPARE(current_attention_backend(), AttentionBackend::Auto);
    QVERIFY2(node_name().find("BlockedBallAttention") == std::string::npos,
             "float32 uses the fused kernels by default");
    {
      AttentionBackendGuard fused(AttentionBackend::Fused);
      const auto out = ball_attention(in.q, in.k, in.v, in.pos, in.sigma);
      QVERIFY(out.grad_fn()->next_edges()[0].function->name().find("FusedBallAttention") !=
              std::string::npos);
    }
    {
      AttentionBackendGuard blocked(AttentionBackend::Blocked);
      QVERIFY(node_name().find("BlockedBallAttention") != std::string::npos);
      {
        AttentionBackendGuard reference(AttentionBackend::Reference);
        QVERIFY(node_name().find("BlockedBallAttention") == std::string::npos);
      }
      QCOMPARE(current_attention_backend(), AttentionBackend::Blocked);
    }
    QCOMPARE(current_attention_backend(), AttentionBackend::Auto);
  }

  // 64 balls of 512 nodes and 8 heads: a 512 MiB bias in the reference math (1 GiB in float64).
  // Auto takes the fused kernels for float32, and the blocked function for float64, which the
  // fused kernels do not take.
  void auto_is_fused_or_blocks_large_balls() {
    const auto q = torch::randn({64, 8, 512, 4});
    const auto pos = torch::rand({64, 512, 3});
    const auto sigma = -torch::ones({1, 8, 1, 1});
    QVERIFY(64 * 8 * 512 * 512 * 4 > kBlockedAttentionBytes);
    for (const auto dtype : {torch::kFloat, torch::kDouble}) {
      const auto q_leaf = q.to(dtype).requires_grad_();
      const auto out = ball_attention(q_leaf, q_leaf, q_leaf, pos.to(dtype), sigma.to(dtype));
      std::string nodes;
      for (const auto& edge : out.grad_fn()->next_edges())
        if (edge.function) nodes += edge.function->name() + " ";
      nodes += out.grad_fn()->name();
      const char* expected_node =
          dtype == torch::kFloat ? "FusedBallAttention" : "BlockedBallAttention";
      QVERIFY2(nodes.find(expected_node) != std::string::npos, nodes.c_str());
      const auto first = [](const torch::Tensor& t) {
        return t.narrow(0, 0, 2).to(torch::kDouble);
      };
      const auto exact =
          naive_attention(first(q), first(q), first(q), first(pos), sigma.to(torch::kDouble));
      const double error = relative_error(first(out.detach()), exact);
      QVERIFY2(error < (dtype == torch::kFloat ? 2e-6 : 1e-12), qPrintable(QString::number(error)));
    }
  }

  void rejects_mismatched_shapes() {
    const auto in = random_inputs(2, 2, 8, 4, 3, torch::kFloat, false);
    test::expect_invalid_argument(
        [&] { ball_attention_blocked(in.q, in.k.narrow(2, 0, 4), in.v, in.pos, in.sigma); },
        "k and v");
    test::expect_invalid_argument(
        [&] { ball_attention(in.q, in.k, in.v, in.pos.narrow(1, 0, 4), in.sigma); }, "pos");
    test::expect_invalid_argument(
        [&] { ball_attention(in.q, in.k, in.v, in.pos, torch::ones({3})); }, "sigma");
  }
};

QTEST_APPLESS_MAIN(BallAttention)
#include "tst_ball_attention.moc"
