// radius_graph / knn_graph against brute force on random clouds and against the edge_index of
// the reference fixtures (built by torch_cluster in the published code).
#include <QTest>
#include <algorithm>
#include <cmath>
#include <limits>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "erwin/graphs.h"
#include "erwin/npy.h"
#include "nlohmann/json.hpp"
#include "test_support.h"

namespace {

using EdgeSet = std::set<std::pair<int64_t, int64_t>>;

// Random clouds of the given sizes in the unit cube, with batch ids 0, 1, ... (a size of 0 makes
// an empty cloud, i.e. a gap in the ids).
struct Batch {
  torch::Tensor pos;
  torch::Tensor batch_idx;
};

Batch random_batch(const std::vector<int64_t>& sizes, int64_t dim, uint64_t seed) {
  torch::manual_seed(seed);
  std::vector<torch::Tensor> ids;
  int64_t total = 0;
  for (size_t c = 0; c < sizes.size(); ++c) {
    ids.push_back(torch::full({sizes[c]}, static_cast<int64_t>(c), torch::kInt64));
    total += sizes[c];
  }
  return {torch::rand({total, dim}), torch::cat(ids)};
}

// The squared distance as the reference computes it: float, accumulated axis by axis.
float squared_distance(const float* a, const float* b, int64_t dim) {
  float sum = 0;
  for (int64_t k = 0; k < dim; ++k) {
    const float diff = a[k] - b[k];
    sum += diff * diff;
  }
  return sum;
}

// All (distance², source) pairs of target i's cloud, in index order.
std::vector<std::pair<float, int64_t>> candidates(const Batch& b, int64_t i, bool loop) {
  const float* pos = b.pos.data_ptr<float>();
  const int64_t* id = b.batch_idx.data_ptr<int64_t>();
  const int64_t dim = b.pos.size(1);
  std::vector<std::pair<float, int64_t>> all;
  for (int64_t j = 0; j < b.pos.size(0); ++j)
    if (id[j] == id[i] && (loop || j != i))
      all.push_back({squared_distance(pos + i * dim, pos + j * dim, dim), j});
  return all;
}

torch::Tensor to_edge_tensor(const std::vector<int64_t>& sources,
                             const std::vector<int64_t>& targets) {
  const auto n = static_cast<int64_t>(sources.size());
  return torch::stack({torch::tensor(sources, torch::kInt64).view({n}),
                       torch::tensor(targets, torch::kInt64).view({n})});
}

torch::Tensor brute_radius(const Batch& b, double radius, bool loop, int64_t max_neighbours) {
  std::vector<int64_t> sources, targets;
  for (int64_t i = 0; i < b.pos.size(0); ++i) {
    auto within = candidates(b, i, loop);
    within.erase(std::remove_if(within.begin(), within.end(),
                                [&](const auto& c) {
                                  return !(c.first < static_cast<float>(radius * radius));
                                }),
                 within.end());
    if (max_neighbours >= 0 && static_cast<int64_t>(within.size()) > max_neighbours) {
      std::sort(within.begin(), within.end());  // nearest first, ties by index
      within.resize(max_neighbours);
    }
    std::vector<int64_t> found;
    for (const auto& c : within) found.push_back(c.second);
    std::sort(found.begin(), found.end());
    for (int64_t j : found) {
      sources.push_back(j);
      targets.push_back(i);
    }
  }
  return to_edge_tensor(sources, targets);
}

torch::Tensor brute_knn(const Batch& b, int64_t k, bool loop) {
  std::vector<int64_t> sources, targets;
  for (int64_t i = 0; i < b.pos.size(0); ++i) {
    auto all = candidates(b, i, loop);
    const size_t count = std::min<size_t>(k, all.size());
    std::partial_sort(all.begin(), all.begin() + count, all.end());  // nearest, ties by index
    for (size_t n = 0; n < count; ++n) {
      sources.push_back(all[n].second);
      targets.push_back(i);
    }
  }
  return to_edge_tensor(sources, targets);
}

EdgeSet edge_set(const torch::Tensor& edges) {
  const torch::Tensor e = edges.to(torch::kInt64).contiguous();
  const auto edge = e.accessor<int64_t, 2>();
  EdgeSet set;
  for (int64_t n = 0; n < e.size(1); ++n) set.insert({edge[0][n], edge[1][n]});
  return set;
}

void expect_same_edges(const torch::Tensor& actual, const torch::Tensor& expected,
                       const std::string& what) {
  QVERIFY2(actual.scalar_type() == torch::kInt64, what.c_str());
  QVERIFY2(actual.dim() == 2 && actual.size(0) == 2, what.c_str());
  const std::string counts = what + ": " + std::to_string(actual.size(1)) + " edges, expected " +
                             std::to_string(expected.size(1));
  QVERIFY2(actual.size(1) == expected.size(1), counts.c_str());
  QVERIFY2(torch::equal(actual, expected), (what + ": edges or their order differ").c_str());
}

template <typename Fn>
void expect_invalid_argument(Fn&& fn, const std::string& argument) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    QVERIFY2(message.find(argument) != std::string::npos,
             ("message does not name " + argument + ": " + message).c_str());
    return;
  }
  QFAIL(("no std::invalid_argument for bad " + argument).c_str());
}

}  // namespace

class TestGraphs : public QObject {
  Q_OBJECT

 private:
  // The fixture's edge_index, and how __meta__ says it was built.
  static torch::Tensor fixture_graph(const erwin::NpzArchive& npz, const std::string& kind,
                                     double value) {
    const nlohmann::json meta = nlohmann::json::parse(npz.meta_json());
    if (meta.at("edges") != kind || meta.at(kind).get<double>() != value)
      throw std::runtime_error(npz.path() + ": __meta__ does not describe " + kind + " " +
                               std::to_string(value));
    return npz.get("edge_index");
  }

  static void expect_fixture_edges(const torch::Tensor& actual, const torch::Tensor& expected) {
    QCOMPARE(actual.size(1), expected.size(1));
    QVERIFY(edge_set(actual) == edge_set(expected));
    QVERIFY2(torch::equal(actual, expected), "same edges, but not in the reference order");
  }

  static void compare_with_fixture_radius(const std::string& name, double radius) {
    const std::string path = erwin::test::reference_file(name);
    ERWIN_REQUIRE_FIXTURE(path);
    const erwin::NpzArchive npz = erwin::NpzArchive::load(path);
    expect_fixture_edges(
        erwin::radius_graph(npz.get("node_positions"), npz.get("batch_idx"), radius),
        fixture_graph(npz, "radius", radius));
  }

 private Q_SLOTS:
  void radius_matches_brute_force() {
    for (int64_t dim : {2, 3}) {
      const Batch b = random_batch({300, 1, 0, 257, 40}, dim, 7 + dim);
      for (double radius : {0.01, 0.08, 0.2, 0.5, 3.0})
        for (bool loop : {true, false}) {
          const std::string what = "d=" + std::to_string(dim) +
                                   " radius=" + std::to_string(radius) +
                                   " loop=" + std::to_string(loop);
          expect_same_edges(erwin::radius_graph(b.pos, b.batch_idx, radius, loop),
                            brute_radius(b, radius, loop, -1), what);
        }
    }
  }

  void radius_caps_neighbours_nearest_first() {
    for (int64_t dim : {2, 3}) {
      const Batch b = random_batch({200, 150}, dim, 21);
      for (int64_t cap : {1, 5, 32})
        for (bool loop : {true, false})
          expect_same_edges(erwin::radius_graph(b.pos, b.batch_idx, 0.3, loop, cap),
                            brute_radius(b, 0.3, loop, cap),
                            "max_num_neighbors=" + std::to_string(cap));
    }
  }

  void knn_matches_brute_force() {
    for (int64_t dim : {2, 3}) {
      const Batch b = random_batch({300, 1, 0, 257, 5}, dim, 3 + dim);
      for (int64_t k : {1, 2, 8, 33, 400})
        for (bool loop : {true, false}) {
          const std::string what = "d=" + std::to_string(dim) + " k=" + std::to_string(k) +
                                   " loop=" + std::to_string(loop);
          expect_same_edges(erwin::knn_graph(b.pos, b.batch_idx, k, loop), brute_knn(b, k, loop),
                            what);
        }
    }
  }

  // Far-apart tight clusters and many duplicated points: the ring search must cross empty cells
  // and break distance ties by index.
  void knn_handles_clusters_and_duplicates() {
    torch::manual_seed(5);
    for (int64_t dim : {2, 3}) {
      torch::Tensor cluster = torch::rand({100, dim}) * 1e-3;
      torch::Tensor pos =
          torch::cat({cluster, cluster + 10.0, cluster.index({torch::indexing::Slice(0, 50)}),
                      torch::zeros({20, dim})});
      const Batch b{pos, torch::zeros({pos.size(0)}, torch::kInt64)};
      for (int64_t k : {3, 8, 120})
        for (bool loop : {true, false}) {
          expect_same_edges(erwin::knn_graph(b.pos, b.batch_idx, k, loop), brute_knn(b, k, loop),
                            "clusters k=" + std::to_string(k));
          expect_same_edges(erwin::radius_graph(b.pos, b.batch_idx, 5e-4, loop),
                            brute_radius(b, 5e-4, loop, -1), "clusters radius");
        }
    }
  }

  void larger_cloud_matches_brute_force() {
    const Batch b = random_batch({5000}, 3, 99);
    expect_same_edges(erwin::knn_graph(b.pos, b.batch_idx, 16), brute_knn(b, 16, true), "5000 knn");
    expect_same_edges(erwin::radius_graph(b.pos, b.batch_idx, 0.07),
                      brute_radius(b, 0.07, true, -1), "5000 radius");
  }

  void float64_and_single_cloud_without_batch() {
    const Batch b = random_batch({500}, 3, 11);
    const torch::Tensor no_batch;
    expect_same_edges(erwin::knn_graph(b.pos.to(torch::kFloat64), no_batch, 6),
                      erwin::knn_graph(b.pos, b.batch_idx, 6), "float64 knn");
    QCOMPARE(edge_set(erwin::radius_graph(b.pos.to(torch::kFloat64), no_batch, 0.15)).size(),
             edge_set(erwin::radius_graph(b.pos, b.batch_idx, 0.15)).size());
  }

  void empty_inputs_give_no_edges() {
    const torch::Tensor pos = torch::zeros({0, 3});
    const torch::Tensor batch = torch::zeros({0}, torch::kInt64);
    for (const torch::Tensor& edges :
         {erwin::radius_graph(pos, batch, 0.1), erwin::knn_graph(pos, batch, 4)}) {
      QCOMPARE(edges.size(0), int64_t{2});
      QCOMPARE(edges.size(1), int64_t{0});
      QVERIFY(edges.scalar_type() == torch::kInt64);
    }
    // A lone point: only its self-loop, or nothing.
    const torch::Tensor one = torch::zeros({1, 2});
    const torch::Tensor one_batch = torch::zeros({1}, torch::kInt64);
    QCOMPARE(erwin::knn_graph(one, one_batch, 3, true).size(1), int64_t{1});
    QCOMPARE(erwin::knn_graph(one, one_batch, 3, false).size(1), int64_t{0});
    QCOMPARE(erwin::radius_graph(one, one_batch, 1.0, false).size(1), int64_t{0});
  }

  void bad_arguments_throw_naming_them() {
    const Batch b = random_batch({10}, 3, 1);
    const double nan = std::numeric_limits<double>::quiet_NaN();
    for (double radius : {0.0, -1.0, nan, std::numeric_limits<double>::infinity()})
      expect_invalid_argument([&] { erwin::radius_graph(b.pos, b.batch_idx, radius); }, "radius");
    expect_invalid_argument([&] { erwin::radius_graph(b.pos, b.batch_idx, 0.1, true, 0); },
                            "max_num_neighbors");
    for (int64_t k : {0, -2})
      expect_invalid_argument([&] { erwin::knn_graph(b.pos, b.batch_idx, k); }, "k");
    expect_invalid_argument([&] { erwin::knn_graph(torch::rand({10, 4}), b.batch_idx, 2); }, "pos");
    expect_invalid_argument(
        [&] {
          erwin::knn_graph(torch::ones({10, 3}, torch::kInt64), b.batch_idx, 2);
        },
        "pos");
    torch::Tensor with_nan = b.pos.clone();
    with_nan[3][1] = nan;
    expect_invalid_argument([&] { erwin::radius_graph(with_nan, b.batch_idx, 0.1); }, "pos");
    expect_invalid_argument([&] { erwin::knn_graph(b.pos, torch::zeros({9}, torch::kInt64), 2); },
                            "batch_idx");
    expect_invalid_argument(
        [&] { erwin::knn_graph(b.pos, torch::arange(10, torch::kInt64).flip(0), 2); }, "batch_idx");
    expect_invalid_argument([&] { erwin::knn_graph(b.pos, torch::zeros({10}, torch::kInt32), 2); },
                            "batch_idx");
  }

  void radius_matches_fixture_unet_3d() { compare_with_fixture_radius("erwin_3d_unet.npz", 0.2); }

  void radius_matches_fixture_eagle_2d() {
    compare_with_fixture_radius("erwin_2d_eagle_like.npz", 0.12);
  }

  void knn_matches_fixture_resnet_3d() {
    const std::string path = erwin::test::reference_file("erwin_3d_resnet_knn.npz");
    ERWIN_REQUIRE_FIXTURE(path);
    const erwin::NpzArchive npz = erwin::NpzArchive::load(path);
    expect_fixture_edges(erwin::knn_graph(npz.get("node_positions"), npz.get("batch_idx"), 8),
                         fixture_graph(npz, "knn", 8));
  }
};

QTEST_APPLESS_MAIN(TestGraphs)
#include "tst_graphs.moc"
