#pragma once
// Gradients against a reference fixture's `grad.<name>` members, with the rule the fixtures'
// README explains: float32 gradients that are analytically zero (a bias feeding only a
// training-mode BatchNorm) are rounding noise in the fixture too, so those are checked against
// an exact float64 recomputation instead.
#include <torch/torch.h>

#include <QString>
#include <QTest>
#include <algorithm>
#include <string>
#include <vector>

#include "erwin/npy.h"

namespace erwin::test {

inline double relative_error(const torch::Tensor& value, const torch::Tensor& reference) {
  return (value - reference).norm().item<double>() /
         std::max(reference.norm().item<double>(), 1e-300);
}

inline bool is_qkv_bias(const std::string& name) {
  const std::string suffix = ".qkv.bias";
  return name.size() > suffix.size() &&
         name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// Entries 0, 2, 3, 5, ... of an interleaved q/k/v vector: all but the keys'.
inline torch::Tensor query_and_value_entries(int64_t n) {
  const auto all = torch::arange(n);
  return all.masked_select(all.remainder(3) != 1);
}

struct GradientTolerances {
  double each;     // relative, norm-wise, per parameter
  double overall;  // relative, all gradients concatenated
};

// `model` holds the float32 gradients of the fixture's loss, `exact_model` the same step in
// float64. Every parameter the fixture has a gradient for must have one within `tol.each`
// (or, for a bias whose fixture gradient is itself noise, be as close to the exact value as the
// fixture within the order of magnitude that summation order explains); parameters the fixture
// lacks must have none; all together within `tol.overall`.
inline void expect_gradients_match(const torch::nn::Module& model,
                                   const torch::nn::Module& exact_model, const NpzArchive& fixture,
                                   GradientTolerances tol) {
  const auto exact = exact_model.named_parameters();
  std::vector<torch::Tensor> ours_all, reference_all;
  int compared = 0, noise_dominated = 0;
  for (const auto& [name, param] : model.named_parameters().pairs()) {
    const QString qname = QString::fromStdString(name);
    const std::string key = "grad." + name;
    if (!fixture.contains(key)) {
      // The forward does not touch it (e.g. stride-1 pooling): no gradient, as in PyTorch.
      QVERIFY2(!param.grad().defined(), qPrintable(qname + " has a gradient, the fixture none"));
      continue;
    }
    QVERIFY2(param.grad().defined(), qPrintable(qname + " has no grad"));
    auto ours = param.grad().to(torch::kDouble);
    auto reference = fixture.get(key).to(torch::kDouble);
    auto exact_grad = exact[name].grad();
    ours_all.push_back(ours.flatten());
    reference_all.push_back(reference.flatten());
    ++compared;
    if (is_qkv_bias(name)) {
      // The key third of a qkv bias (entries 1, 4, 7, ...: SPEC §3 step 2) adds q_i·b to every
      // score of row i, which softmax ignores: its gradient is analytically zero, and both ours
      // and the fixture's are float32 rounding noise there. That third is compared with the
      // float64 gradient (its noise relative to the whole gradient within tol.each); the query
      // and value thirds go through the rule below.
      const auto keys = torch::arange(1, ours.numel(), 3);
      const double key_noise =
          (ours.index_select(0, keys) - exact_grad.index_select(0, keys)).norm().item<double>() /
          std::max(exact_grad.norm().item<double>(), 1e-300);
      QVERIFY2(
          key_noise <= tol.each,
          qPrintable(QString("grad.%1 (key third): %2 from float64").arg(qname).arg(key_noise)));
      const auto rest = query_and_value_entries(ours.numel());
      ours = ours.index_select(0, rest);
      reference = reference.index_select(0, rest);
      exact_grad = exact_grad.index_select(0, rest);
    }
    const double error = relative_error(ours, reference);
    const double fixture_noise = relative_error(reference, exact_grad);
    // Ours and the fixture's can differ by up to the sum of their distances from the exact
    // gradient; the strict comparison holds only where the fixture's own rounding leaves room
    // for ours (at most half the tolerance). Beyond that the fixture is noise-dominated.
    if (fixture_noise <= tol.each / 2) {
      QVERIFY2(error <= tol.each,
               qPrintable(QString("grad.%1: relative error %2").arg(qname).arg(error)));
      continue;
    }
    // Only bias gradients (sums over all nodes) cancel like this; a wrong formula would show up
    // in weight gradients too, so these may not be waived.
    QVERIFY2(name.size() > 5 && name.compare(name.size() - 5, 5, ".bias") == 0,
             qPrintable(QString("grad.%1: fixture %2 from exact").arg(qname).arg(fixture_noise)));
    ++noise_dominated;
    const double our_noise = relative_error(ours, exact_grad);
    qInfo("  grad.%s is rounding noise in the fixture (%.3g from exact; ours %.3g)", name.c_str(),
          fixture_noise, our_noise);
    QVERIFY2(our_noise <= 10 * fixture_noise,
             qPrintable(QString("grad.%1: %2 from exact, fixture %3")
                            .arg(qname)
                            .arg(our_noise)
                            .arg(fixture_noise)));
  }
  for (const auto& member : fixture.names())
    if (member.rfind("grad.", 0) == 0)
      QVERIFY2(exact.contains(member.substr(5)),
               qPrintable(QString::fromStdString(member + ": no such parameter in the model")));
  QVERIFY2(compared > 0, "no gradients compared");
  const double overall = relative_error(torch::cat(ours_all), torch::cat(reference_all));
  qInfo("%d gradients, all together relative error %.3g; %d noise-dominated in the fixture",
        compared, overall, noise_dominated);
  QVERIFY2(overall <= tol.overall,
           qPrintable(QString("all gradients: relative error %1").arg(overall)));
}

}  // namespace erwin::test
