// The blocked ball attention (erwin/model/ball_attention.h) against the published math (cdist +
// scaled-dot-product attention): outputs and the gradients of q, k, v and sigma, for odd ball
// sizes, one and many heads, balls holding padding copies, and blocks that split balls unevenly.
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
             "small balls use the reference math by default");
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

  void auto_blocks_large_balls() {
    // 64 balls of 512 nodes and 8 heads: a 512 MiB bias in the reference math.
    torch::NoGradGuard no_grad;
    const auto q = torch::randn({64, 8, 512, 4});
    const auto pos = torch::rand({64, 512, 3});
    const auto sigma = -torch::ones({1, 8, 1, 1});
    QVERIFY(64 * 8 * 512 * 512 * 4 > kBlockedAttentionBytes);
    const auto out = ball_attention(q, q, q, pos, sigma);
    const auto expected = ball_attention_reference(q.narrow(0, 0, 2), q.narrow(0, 0, 2),
                                                   q.narrow(0, 0, 2), pos.narrow(0, 0, 2), sigma);
    QVERIFY(relative_error(out.narrow(0, 0, 2), expected) < 1e-5);
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
