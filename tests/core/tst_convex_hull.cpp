// Convex hulls (erwin/convex_hull.h): known shapes, the defining property on random sets (every
// point on the inner side of every face, Euler's formula), degenerate sets, and the bottom-up
// ball hulls against direct hulls of each ball's points.
#include <QTest>
#include <set>

#include "erwin/balltree.h"
#include "erwin/convex_hull.h"
#include "test_support.h"

using namespace erwin;

namespace {

std::vector<int64_t> all_rows(const torch::Tensor& pos) {
  std::vector<int64_t> rows(pos.size(0));
  for (int64_t i = 0; i < pos.size(0); ++i) rows[i] = i;
  return rows;
}

std::set<int64_t> as_set(const std::vector<int64_t>& v) { return {v.begin(), v.end()}; }

// Largest distance of a point outside any face (0 for a correct hull).
double max_outside(const torch::Tensor& pos, const ConvexHull& hull) {
  const auto p = pos.to(torch::kDouble);
  double worst = 0;
  for (const auto& [a, b, c] : hull.triangles) {
    auto normal = torch::linalg_cross(p[b] - p[a], p[c] - p[a]);
    normal = normal / normal.norm();
    worst = std::max(worst, torch::matmul(p - p[a], normal).max().item<double>());
  }
  return worst;
}

}  // namespace

class ConvexHullTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void square_with_interior_points() {
    auto pos = torch::rand({50, 2}) * 0.8 + 0.1;
    pos.narrow(0, 0, 4).copy_(torch::tensor({{0.f, 0.f}, {1.f, 1.f}, {1.f, 0.f}, {0.f, 1.f}}));
    const auto hull = convex_hull(pos, all_rows(pos));
    // Counter-clockwise from the lowest-leftmost corner.
    QCOMPARE(hull.vertices, (std::vector<int64_t>{0, 2, 1, 3}));
    QVERIFY(hull.triangles.empty());
  }

  void cube_with_interior_points() {
    auto pos = torch::rand({200, 3}) * 0.9 + 0.05;
    for (int corner = 0; corner < 8; ++corner)
      pos[corner] = torch::tensor({float(corner & 1), float((corner >> 1) & 1), float(corner >> 2)});
    const auto hull = convex_hull(pos, all_rows(pos));
    QCOMPARE(as_set(hull.vertices), (std::set<int64_t>{0, 1, 2, 3, 4, 5, 6, 7}));
    QCOMPARE(hull.triangles.size(), size_t(12));
    QVERIFY(max_outside(pos, hull) < 1e-6);
  }

  void random_sets_satisfy_the_hull_property() {
    torch::manual_seed(3);
    for (int64_t n : {4, 5, 20, 300}) {
      const auto pos = torch::randn({n, 3});
      const auto hull = convex_hull(pos, all_rows(pos));
      QVERIFY2(max_outside(pos, hull) < 1e-6, qPrintable(QString::number(n)));
      // A closed triangulated surface of genus 0: F = 2V - 4.
      QCOMPARE(int64_t(hull.triangles.size()), 2 * int64_t(hull.vertices.size()) - 4);
    }
  }

  void degenerate_sets() {
    // Flat in 3D: the polygon in its plane.
    auto flat = torch::rand({40, 3});
    flat.select(1, 2).fill_(0.5f);
    flat.narrow(0, 0, 4).copy_(
        torch::tensor({{-1.f, -1.f, 0.5f}, {2.f, -1.f, 0.5f}, {2.f, 2.f, 0.5f}, {-1.f, 2.f, 0.5f}}));
    auto hull = convex_hull(flat, all_rows(flat));
    QVERIFY(hull.triangles.empty());
    QCOMPARE(as_set(hull.vertices), (std::set<int64_t>{0, 1, 2, 3}));
    // Collinear: the two ends.
    const auto line = torch::linspace(0, 1, 7).unsqueeze(1).repeat({1, 3});
    hull = convex_hull(line, all_rows(line));
    QCOMPARE(as_set(hull.vertices), (std::set<int64_t>{0, 6}));
    // Repeated rows (padding copies) and a single point.
    QCOMPARE(convex_hull(line, {3, 3, 3}).vertices, (std::vector<int64_t>{3}));
    QCOMPARE(convex_hull(line, {}).vertices.size(), size_t(0));
  }

  void ball_hulls_equal_direct_hulls_data() {
    QTest::addColumn<int>("dim");
    QTest::addColumn<int>("level");
    QTest::newRow("3d level 0") << 3 << 0;
    QTest::newRow("3d level 1") << 3 << 1;
    QTest::newRow("3d level 2") << 3 << 2;
    QTest::newRow("3d level 6") << 3 << 6;
    QTest::newRow("2d level 5") << 2 << 5;
    QTest::newRow("3d root") << 3 << 10;
  }

  void ball_hulls_equal_direct_hulls() {
    QFETCH(int, dim);
    QFETCH(int, level);
    torch::manual_seed(dim * 10 + level);
    const auto pos = torch::rand({1000, dim});  // 1024 slots: 24 padding copies
    const auto tree = build_balltree(pos, torch::zeros({1000}, torch::kInt64));
    const auto hulls = ball_hulls(pos, tree.tree_idx, level);
    const int64_t ball = int64_t{1} << level;
    QCOMPARE(int64_t(hulls.size()), 1024 / ball);
    for (size_t b = 0; b < hulls.size(); ++b) {
      const auto slots = tree.tree_idx.narrow(0, int64_t(b) * ball, ball);
      const std::vector<int64_t> members(slots.data_ptr<int64_t>(),
                                         slots.data_ptr<int64_t>() + ball);
      QCOMPARE(as_set(hulls[b].vertices), as_set(convex_hull(pos, members).vertices));
    }
  }

  void rejects_bad_arguments() {
    const auto pos = torch::rand({8, 3});
    const auto tree = build_balltree(pos, torch::zeros({8}, torch::kInt64));
    test::expect_invalid_argument([&] { ball_hulls(pos, tree.tree_idx, 4); }, "level");
    test::expect_invalid_argument([&] { convex_hull(pos, {0, 8}); }, "points");
    test::expect_invalid_argument([&] { convex_hull(pos.to(torch::kDouble), {0}); }, "pos");
  }
};

QTEST_APPLESS_MAIN(ConvexHullTest)
#include "tst_convex_hull.moc"
