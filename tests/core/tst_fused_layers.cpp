// RMSNorm and SwiGLU as the model runs them (erwin/model/rms_norm.h, swiglu.h): one autograd node
// each, whose float32 and bfloat16 arithmetic is a one-pass CPU kernel (core/src/model/
// fused_rows_cpu.cpp). Outputs and gradients against LibTorch's own ops on the same inputs and
// weights: float32, bfloat16 inputs (RMSNorm's weight stays float32) and autocast to bfloat16,
// widths that are not a multiple of any vector width; the eval path; and a weight gradient that
// does not depend on the number of threads.
#include <ATen/Parallel.h>

#include <QTest>

#include "erwin/model/precision.h"
#include "erwin/model/rms_norm.h"
#include "erwin/model/swiglu.h"

using namespace erwin;

namespace {

double relative_error(const torch::Tensor& value, const torch::Tensor& reference) {
  const auto v = value.to(torch::kDouble), r = reference.to(torch::kDouble);
  return (v - r).norm().item<double>() / std::max(r.norm().item<double>(), 1e-30);
}

// A loss whose gradient differs in every element, so that every term of a backward pass matters.
torch::Tensor weighted_sum(const torch::Tensor& out) {
  const auto weights = torch::linspace(-1, 2, out.numel(), out.options().dtype(torch::kFloat));
  return (out.to(torch::kFloat) * weights.view(out.sizes())).sum();
}

// Gradients of `leaves` after backward of weighted_sum(forward()), which must be the leaves' own.
std::vector<torch::Tensor> output_and_gradients(const std::function<torch::Tensor()>& forward,
                                                const std::vector<torch::Tensor>& leaves) {
  for (auto leaf : leaves) leaf.mutable_grad() = torch::Tensor();
  const auto out = forward();
  weighted_sum(out).backward();
  std::vector<torch::Tensor> result{out.detach()};
  for (const auto& leaf : leaves) result.push_back(leaf.grad().clone());
  return result;
}

void expect_close(const std::vector<torch::Tensor>& ours,
                  const std::vector<torch::Tensor>& reference, double out_tolerance,
                  double gradient_tolerance, const QString& label) {
  QCOMPARE(ours.size(), reference.size());
  for (size_t i = 0; i < ours.size(); ++i) {
    QCOMPARE(ours[i].scalar_type(), reference[i].scalar_type());
    QCOMPARE(ours[i].sizes().vec(), reference[i].sizes().vec());
    const double error = relative_error(ours[i], reference[i]);
    const double tolerance = i == 0 ? out_tolerance : gradient_tolerance;
    QVERIFY2(error <= tolerance, qPrintable(QString("%1, %2: relative error %3 > %4")
                                                .arg(label, i == 0 ? "output" : "gradient")
                                                .arg(i)
                                                .arg(error)
                                                .arg(tolerance)));
  }
}

// LibTorch's SwiGLU on the module's weights: w3(w2(x) * SiLU(w1(x))), decomposed.
torch::Tensor reference_swiglu(SwiGLU& mlp, const torch::Tensor& x) {
  return mlp->w3(mlp->w2(x) * torch::silu(mlp->w1(x)));
}

}  // namespace

class FusedLayers : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void rms_norm_matches_libtorch_data() {
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("dim");
    QTest::addColumn<bool>("bfloat16");
    QTest::newRow("float32, 32 wide") << 300 << 32 << false;
    QTest::newRow("float32, 37 wide") << 129 << 37 << false;
    QTest::newRow("float32, 512 wide") << 70 << 512 << false;
    QTest::newRow("bfloat16, 37 wide") << 129 << 37 << true;
    QTest::newRow("bfloat16, 256 wide") << 200 << 256 << true;
  }

  void rms_norm_matches_libtorch() {
    QFETCH(int, rows);
    QFETCH(int, dim);
    QFETCH(bool, bfloat16);
    torch::manual_seed(rows + dim);
    RMSNorm norm(dim);
    {
      torch::NoGradGuard no_grad;
      norm->weight.uniform_(0.5, 1.5);
    }
    const auto dtype = bfloat16 ? torch::kBFloat16 : torch::kFloat;
    const auto x = (3 * torch::randn({rows, dim})).to(dtype).requires_grad_();
    const auto ours = output_and_gradients([&] { return norm(x); }, {x, norm->weight});
    const auto theirs = output_and_gradients(
        [&] { return at::rms_norm(x, {dim}, norm->weight, std::nullopt); }, {x, norm->weight});
    // float32: rounding apart (sums in another order); bfloat16: the same float32 arithmetic
    // rounded to bfloat16 once (ours) or at LibTorch's intermediate steps.
    expect_close(ours, theirs, bfloat16 ? 4e-3 : 1e-6, bfloat16 ? 8e-3 : 1e-5,
                 QString("dim %1").arg(dim));
    {
      torch::NoGradGuard no_grad;
      QVERIFY(torch::equal(norm(x), ours[0]));
    }
  }

  void rms_norm_weight_gradient_is_independent_of_threads() {
    torch::manual_seed(3);
    RMSNorm norm(64);
    const auto x = torch::randn({1000, 64}).requires_grad_();
    const int threads = at::get_num_threads();
    at::set_num_threads(1);
    const auto one = output_and_gradients([&] { return norm(x); }, {x, norm->weight});
    at::set_num_threads(std::max(threads, 3));
    const auto several = output_and_gradients([&] { return norm(x); }, {x, norm->weight});
    at::set_num_threads(threads);
    for (size_t i = 0; i < one.size(); ++i) QVERIFY(torch::equal(one[i], several[i]));
  }

  void swiglu_matches_libtorch_data() {
    QTest::addColumn<int>("rows");
    QTest::addColumn<int>("dim");
    QTest::addColumn<int>("hidden");
    QTest::addColumn<bool>("autocast");
    QTest::newRow("float32") << 256 << 32 << 128 << false;
    QTest::newRow("float32, odd widths") << 77 << 24 << 37 << false;
    QTest::newRow("autocast bfloat16") << 256 << 32 << 128 << true;
    QTest::newRow("autocast bfloat16, odd widths") << 77 << 24 << 37 << true;
  }

  void swiglu_matches_libtorch() {
    QFETCH(int, rows);
    QFETCH(int, dim);
    QFETCH(int, hidden);
    QFETCH(bool, autocast);
    torch::manual_seed(rows + hidden);
    SwiGLU mlp(dim, hidden);
    const auto x = (2 * torch::randn({rows, dim})).requires_grad_();
    std::vector<torch::Tensor> leaves{x};
    for (const auto& parameter : mlp->parameters()) leaves.push_back(parameter);
    const PrecisionGuard precision(autocast ? Precision::BFloat16 : Precision::Float32,
                                   torch::kCPU);
    const auto ours = output_and_gradients([&] { return mlp(x); }, leaves);
    const auto theirs = output_and_gradients([&] { return reference_swiglu(mlp, x); }, leaves);
    expect_close(ours, theirs, autocast ? 8e-3 : 1e-6, autocast ? 1.5e-2 : 1e-5,
                 autocast ? "autocast" : "float32");
    {
      torch::NoGradGuard no_grad;
      QVERIFY(torch::equal(mlp(x), ours[0]));
    }
  }
};

QTEST_APPLESS_MAIN(FusedLayers)
#include "tst_fused_layers.moc"
