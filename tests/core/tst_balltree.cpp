// Ball trees (SPEC §1, §2): agreement with the published implementation's fixtures, the fast
// builder against the recursive baseline, edge cases, bad input, and the tree queries.
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "erwin/balltree.h"
#include "erwin/balltree_published.h"
#include "erwin/npy.h"
#include "erwin/tree_queries.h"
#include "test_support.h"
#include "tree/partition_published.h"
#include "tree_support.h"

using erwin::BallTree;
using erwin::RotationOptions;
using erwin::test::expect_identical_trees;
using erwin::test::expect_invalid_argument;

namespace {

using Builder = BallTree (*)(const torch::Tensor&, const torch::Tensor&, const RotationOptions&);

// Entries of `entries` (int64) grouped in consecutive balls of `ball_size`, each sorted.
std::vector<std::vector<int64_t>> sorted_balls(const torch::Tensor& entries, int64_t ball_size) {
  const torch::Tensor flat = entries.contiguous();
  const int64_t* p = flat.data_ptr<int64_t>();
  std::vector<std::vector<int64_t>> balls(flat.numel() / ball_size);
  for (size_t b = 0; b < balls.size(); ++b) {
    balls[b].assign(p + b * ball_size, p + (b + 1) * ball_size);
    std::sort(balls[b].begin(), balls[b].end());
  }
  return balls;
}

// Empty when both hold the same multiset in every ball; otherwise the first difference.
std::string partition_difference(const torch::Tensor& ours, const torch::Tensor& theirs,
                                 int64_t ball_size, const std::string& what) {
  if (ours.numel() != theirs.numel())
    return what + ": " + std::to_string(ours.numel()) + " entries, expected " +
           std::to_string(theirs.numel());
  if (ours.numel() % ball_size != 0)
    return what + ": " + std::to_string(ours.numel()) + " entries are not balls of " +
           std::to_string(ball_size);
  const auto a = sorted_balls(ours, ball_size), b = sorted_balls(theirs, ball_size);
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i] != b[i])
      return what + ": ball " + std::to_string(i) + " of " + std::to_string(ball_size) + " differs";
  }
  return {};
}

#define EXPECT_SAME_PARTITION(ours, theirs, ball_size, what)                            \
  do {                                                                                  \
    const std::string difference = partition_difference(ours, theirs, ball_size, what); \
    QVERIFY2(difference.empty(), difference.c_str());                                   \
  } while (0)

// Slot entries with the mask folded in (2 * point + mask), so leaves compare masks too.
torch::Tensor slots_with_mask(const BallTree& tree) {
  return tree.tree_idx * 2 + tree.tree_mask.to(torch::kInt64);
}

struct Fixture {
  torch::Tensor pos, batch_idx;
  BallTree tree;
  RotationOptions options;
};

std::vector<int64_t> int_list(const QJsonValue& value) {
  std::vector<int64_t> list;
  for (const QJsonValue& v : value.toArray()) list.push_back(v.toInteger());
  return list;
}

Fixture load_fixture(const std::string& path) {
  const erwin::NpzArchive archive = erwin::NpzArchive::load(path);
  const QJsonObject meta =
      QJsonDocument::fromJson(QByteArray::fromStdString(archive.meta_json())).object();
  Fixture f;
  f.pos = archive.get("pos");
  f.batch_idx = archive.get("batch_idx");
  f.tree.tree_idx = archive.get("tree_idx");
  f.tree.tree_mask = archive.get("tree_mask");
  f.options.strides = int_list(meta["strides"]);
  f.options.ball_sizes = int_list(meta["ball_sizes"]);
  f.options.angle_degrees = meta["angle"].toDouble();
  for (size_t level = 0; level < f.options.ball_sizes.size(); ++level)
    f.tree.tree_idx_rot.push_back(archive.get("tree_idx_rot." + std::to_string(level)));
  return f;
}

// Trees compare at the leaves (2 slots, masks included: the strictest partition); rotated level 0
// through each side's own tree_idx; rotated levels >= 1 as node indices (reference README).
void expect_same_trees(const BallTree& ours, const BallTree& theirs,
                       const std::vector<int64_t>& ball_sizes) {
  EXPECT_SAME_PARTITION(slots_with_mask(ours), slots_with_mask(theirs), 2, "tree leaves");
  QCOMPARE(ours.tree_mask.logical_not().sum().item<int64_t>(),
           theirs.tree_mask.logical_not().sum().item<int64_t>());
  QCOMPARE(ours.tree_idx_rot.size(), theirs.tree_idx_rot.size());
  for (size_t level = 0; level < ours.tree_idx_rot.size(); ++level) {
    const std::string what = "rotated level " + std::to_string(level);
    erwin::inverse_permutation(ours.tree_idx_rot[level]);  // throws unless a permutation
    if (level == 0) {
      EXPECT_SAME_PARTITION(ours.tree_idx.index_select(0, ours.tree_idx_rot[0]),
                            theirs.tree_idx.index_select(0, theirs.tree_idx_rot[0]), ball_sizes[0],
                            what);
    } else {
      EXPECT_SAME_PARTITION(ours.tree_idx_rot[level], theirs.tree_idx_rot[level], ball_sizes[level],
                            what);
    }
  }
}

void expect_matches_fixture(const std::string& path, Builder build) {
  const Fixture f = load_fixture(path);
  const BallTree ours = build(f.pos, f.batch_idx, f.options);
  expect_same_trees(ours, f.tree, f.options.ball_sizes);
}

struct Batch {
  torch::Tensor pos, batch_idx;
};

// A batch of random clouds of the given sizes, uniform in the unit cube.
Batch random_batch(const std::vector<int64_t>& sizes, int dim, uint64_t seed) {
  torch::manual_seed(seed);
  std::vector<torch::Tensor> ids;
  for (size_t b = 0; b < sizes.size(); ++b)
    ids.push_back(torch::full({sizes[b]}, static_cast<int64_t>(b), torch::kInt64));
  const torch::Tensor batch_idx = torch::cat(ids);
  // Distinct coordinates (a permutation of a jittered grid per dimension): the published code
  // leaves open which of two tied points goes left, so only tie-free clouds compare with it.
  const int64_t n = batch_idx.size(0);
  std::vector<torch::Tensor> columns;
  for (int k = 0; k < dim; ++k) {
    const torch::Tensor grid = torch::randperm(n, torch::kInt64).to(torch::kFloat64);
    columns.push_back(
        ((grid + 0.25 + 0.5 * torch::rand({n}, torch::kFloat64)) / n).to(torch::kFloat32));
  }
  return {torch::stack(columns, 1), batch_idx};
}

// Keys for the white-box test of published_nth_element, in the orders that stress a quickselect.
std::vector<erwin::tree::PublishedRecord> keyed_records(const std::string& pattern, int64_t n,
                                                        std::mt19937& rng) {
  std::vector<erwin::tree::PublishedRecord> records(n);
  std::uniform_real_distribution<float> uniform(-1.0f, 1.0f);
  std::uniform_int_distribution<int> few(0, 3);
  for (int64_t i = 0; i < n; ++i) {
    float key = uniform(rng);
    if (pattern == "few values") key = float(few(rng));
    if (pattern == "sorted") key = float(i);
    if (pattern == "reversed") key = float(n - i);
    if (pattern == "organ pipe") key = float(std::min(i, n - 1 - i));
    if (pattern == "all equal") key = 0.5f;
    records[i] = {{key, uniform(rng), float(i % 7)}, static_cast<uint32_t>(i)};
  }
  return records;
}

// One cloud of integer grid points: every coordinate value is shared by many points.
Batch grid_cloud(const std::vector<int64_t>& shape) {
  std::vector<torch::Tensor> axes;
  for (int64_t size : shape) axes.push_back(torch::arange(size, torch::kFloat32));
  const torch::Tensor pos =
      torch::stack(torch::meshgrid(axes, "ij"), -1).reshape({-1, int64_t(shape.size())});
  return {pos, torch::zeros({pos.size(0)}, torch::kInt64)};
}

// Every point in exactly one real slot, padding slots repeat a point of their own leaf.
void expect_valid_tree(const BallTree& tree, int64_t points) {
  const torch::Tensor slots = erwin::point_slots(tree);
  QCOMPARE(slots.size(0), points);
  const int64_t* idx = tree.tree_idx.data_ptr<int64_t>();
  const bool* mask = tree.tree_mask.data_ptr<bool>();
  for (int64_t s = 0; s < tree.tree_idx.size(0); ++s) {
    if (!mask[s]) QCOMPARE(idx[s], idx[s ^ 1]);
  }
}

}  // namespace

class BallTreeTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void matches_fixture_2d() {
    const std::string path = erwin::test::reference_file("balltree_2d.npz");
    ERWIN_REQUIRE_FIXTURE(path);
    expect_matches_fixture(path, erwin::build_balltree_with_rotations);
  }

  void matches_fixture_3d() {
    const std::string path = erwin::test::reference_file("balltree_3d.npz");
    ERWIN_REQUIRE_FIXTURE(path);
    expect_matches_fixture(path, erwin::build_balltree_with_rotations);
  }

  void baseline_matches_fixtures() {
    for (const char* name : {"balltree_2d.npz", "balltree_3d.npz"}) {
      const std::string path = erwin::test::reference_file(name);
      ERWIN_REQUIRE_FIXTURE(path);
      expect_matches_fixture(path, erwin::reference::build_balltree_with_rotations_recursive);
      expect_matches_fixture(path, erwin::reference::build_balltree_with_rotations_published);
    }
  }

  // Not just the same balls: the same slots, as the published builder fills them (README:
  // "compare partitions"; the order is what the model's pooling sees).
  void published_order_matches_fixtures_slot_by_slot() {
    for (const char* name : {"balltree_2d.npz", "balltree_3d.npz"}) {
      const std::string path = erwin::test::reference_file(name);
      ERWIN_REQUIRE_FIXTURE(path);
      const Fixture f = load_fixture(path);
      const BallTree ours = erwin::build_balltree_published_order(f.pos, f.batch_idx, f.options);
      expect_identical_trees(ours, f.tree);
    }
  }

  // Clouds and the subtrees of large clouds built in parallel come out as the single-threaded
  // published recursion builds them, ties (grid points, padding copies in rotated trees) included.
  void published_order_equals_published_recursion() {
    const Batch random = random_batch({5, 300, 1000, 4097, 20001}, 3, 5);
    const Batch one_cloud = random_batch({70001}, 2, 9);
    const Batch grid = grid_cloud({13, 11, 9});
    for (const Batch* batch : {&random, &one_cloud, &grid}) {
      const RotationOptions options{{2}, {4, 4}, 45.0};
      expect_identical_trees(
          erwin::build_balltree_published_order(batch->pos, batch->batch_idx, options),
          erwin::reference::build_balltree_with_rotations_published(batch->pos, batch->batch_idx,
                                                                    options));
    }
  }

  // White box: the published-order partitioner's selection against libstdc++'s own introselect,
  // element for element, on ties, sorted, reversed and organ-pipe keys, every size up to 300 and
  // some larger ones, with std::nth_element's depth limit and with tiny ones (which force its
  // heap-selection fallback).
  void published_nth_element_is_libstdcxx_introselect() {
    using erwin::tree::PublishedRecord;
    std::mt19937 rng(7);
    std::vector<int64_t> sizes;
    for (int64_t n = 1; n <= 300; ++n) sizes.push_back(n);
    for (int64_t n : {1000, 4097, 20000}) sizes.push_back(n);
    int cases = 0;
    for (const char* pattern :
         {"random", "few values", "sorted", "reversed", "organ pipe", "all equal"}) {
      for (int64_t n : sizes) {
        const std::vector<PublishedRecord> input = keyed_records(pattern, n, rng);
        const int standard_depth = 2 * (std::bit_width(static_cast<uint64_t>(n)) - 1);
        for (int depth : {standard_depth, 0, 1, 3}) {
          for (int64_t nth : {n / 2, int64_t{0}, n - 1}) {
            const int key = int(rng() % 3);
            std::vector<PublishedRecord> ours = input, theirs = input;
            erwin::tree::published_nth_element(ours.data(), ours.data() + nth, ours.data() + n, key,
                                               depth);
            std::__introselect(theirs.begin(), theirs.begin() + nth, theirs.end(), depth,
                               __gnu_cxx::__ops::__iter_comp_iter(
                                   [key](const PublishedRecord& a, const PublishedRecord& b) {
                                     return a.c[key] < b.c[key];
                                   }));
            for (int64_t i = 0; i < n; ++i) {
              if (ours[i].local != theirs[i].local)
                QFAIL(qPrintable(QString("%1, n = %2, nth = %3, depth %4: element %5 differs")
                                     .arg(pattern)
                                     .arg(n)
                                     .arg(nth)
                                     .arg(depth)
                                     .arg(i)));
            }
            ++cases;
          }
        }
      }
    }
    QVERIFY(cases > 20000);
  }

  void fast_equals_baseline_on_odd_sizes_data() {
    QTest::addColumn<int>("dim");
    QTest::newRow("2d") << 2;
    QTest::newRow("3d") << 3;
  }
  void fast_equals_baseline_on_odd_sizes() {
    QFETCH(int, dim);
    // Large enough for the parallel paths (several threads, subtree tasks).
    const Batch batch = random_batch({1, 2, 3, 5, 17, 255, 1000, 4097, 20001, 70001}, dim, 7 + dim);
    const torch::Tensor &pos = batch.pos, &batch_idx = batch.batch_idx;
    const BallTree fast = erwin::build_balltree(pos, batch_idx);
    const BallTree baseline = erwin::reference::build_balltree_recursive(pos, batch_idx);
    QCOMPARE(fast.cloud_slots, baseline.cloud_slots);
    expect_same_trees(fast, baseline, {});
    expect_valid_tree(fast, pos.size(0));
  }

  void fast_equals_baseline_with_rotations_data() {
    QTest::addColumn<int>("dim");
    QTest::addColumn<double>("angle");
    QTest::newRow("2d") << 2 << 30.0;
    QTest::newRow("3d") << 3 << 45.0;
  }
  void fast_equals_baseline_with_rotations() {
    QFETCH(int, dim);
    QFETCH(double, angle);
    const Batch batch = random_batch({300, 1000, 4097, 33333}, dim, 11 + dim);
    const torch::Tensor &pos = batch.pos, &batch_idx = batch.batch_idx;
    const RotationOptions options{{2, 4}, {16, 8, 4}, angle};
    const BallTree fast = erwin::build_balltree_with_rotations(pos, batch_idx, options);
    const BallTree baseline =
        erwin::reference::build_balltree_with_rotations_recursive(pos, batch_idx, options);
    QCOMPARE(fast.tree_idx_rot.size(), size_t{3});
    QCOMPARE(fast.tree_idx_rot[2].size(0), fast.tree_idx.size(0) / 8);
    expect_same_trees(fast, baseline, options.ball_sizes);
  }

  // Grids tie on every coordinate. Both builders order ties by row, so they still agree.
  void fast_equals_baseline_on_grid_points_data() {
    QTest::addColumn<std::vector<int64_t>>("shape");
    QTest::newRow("2d") << std::vector<int64_t>{61, 47};
    QTest::newRow("3d") << std::vector<int64_t>{13, 11, 9};
  }
  void fast_equals_baseline_on_grid_points() {
    QFETCH(std::vector<int64_t>, shape);
    const Batch grid = grid_cloud(shape);
    const torch::Tensor &pos = grid.pos, &batch_idx = grid.batch_idx;
    const RotationOptions options{{2}, {16, 8}, 45.0};
    const BallTree fast = erwin::build_balltree_with_rotations(pos, batch_idx, options);
    const BallTree baseline =
        erwin::reference::build_balltree_with_rotations_recursive(pos, batch_idx, options);
    expect_same_trees(fast, baseline, options.ball_sizes);
    expect_valid_tree(fast, pos.size(0));
  }

  // Builds share the kept helper threads; builds from several threads at once must not mix.
  void concurrent_builds_give_the_same_trees() {
    const Batch batch = random_batch({3000, 5000, 20000}, 3, 21);
    const RotationOptions options{{2}, {16, 8}, 45.0};
    const BallTree expected =
        erwin::build_balltree_with_rotations(batch.pos, batch.batch_idx, options);
    std::vector<BallTree> trees(4);
    std::vector<std::thread> threads;
    for (BallTree& tree : trees)
      threads.emplace_back([&] {
        for (int repeat = 0; repeat < 5; ++repeat)
          tree = erwin::build_balltree_with_rotations(batch.pos, batch.batch_idx, options);
      });
    for (std::thread& thread : threads) thread.join();
    for (const BallTree& tree : trees) expect_identical_trees(tree, expected);
  }

  void angle_zero_builds_no_rotated_trees() {
    const Batch batch = random_batch({100, 64}, 3, 3);
    const torch::Tensor &pos = batch.pos, &batch_idx = batch.batch_idx;
    const BallTree tree =
        erwin::build_balltree_with_rotations(pos, batch_idx, RotationOptions{{2}, {8, 8}, 0.0});
    QVERIFY(tree.tree_idx_rot.empty());
    QCOMPARE(tree.cloud_slots, (std::vector<int64_t>{128, 64}));
  }

  void powers_of_two_have_no_padding() {
    const Batch batch = random_batch({64, 2, 1024}, 3, 5);
    const torch::Tensor &pos = batch.pos, &batch_idx = batch.batch_idx;
    const BallTree tree = erwin::build_balltree(pos, batch_idx);
    QCOMPARE(tree.tree_idx.size(0), int64_t{64 + 2 + 1024});
    QVERIFY(tree.tree_mask.all().item<bool>());
  }

  void single_point_cloud_is_padded_to_two_slots() {
    const torch::Tensor pos =
        torch::tensor({0.5f, 0.5f, 1.0f, 2.0f, 3.0f, 1.0f, 2.0f, 0.0f}).view({4, 2});
    const torch::Tensor batch_idx = torch::tensor({0, 1, 1, 1}, torch::kInt64);
    const BallTree tree = erwin::build_balltree(pos, batch_idx);
    QCOMPARE(tree.cloud_slots, (std::vector<int64_t>{2, 4}));
    QCOMPARE(tree.tree_idx[0].item<int64_t>(), int64_t{0});
    QCOMPARE(tree.tree_idx[1].item<int64_t>(), int64_t{0});
    QCOMPARE(tree.tree_mask[0].item<bool>(), true);
    QCOMPARE(tree.tree_mask[1].item<bool>(), false);
    expect_valid_tree(tree, 4);
  }

  void equal_coordinates_still_give_a_valid_tree() {
    // Ties everywhere: the selection must terminate and keep every point once.
    torch::Tensor same = torch::zeros({5000, 3});
    torch::Tensor coarse = torch::randint(0, 3, {40000, 3}).to(torch::kFloat32);
    for (const torch::Tensor& pos : {same, coarse}) {
      const torch::Tensor batch_idx = torch::zeros({pos.size(0)}, torch::kInt64);
      const BallTree tree = erwin::build_balltree_with_rotations(
          pos, batch_idx, RotationOptions{{2}, {64, 32}, 45.0});
      expect_valid_tree(tree, pos.size(0));
      for (const torch::Tensor& rot : tree.tree_idx_rot) erwin::inverse_permutation(rot);
    }
  }

  void bad_input_is_rejected() {
    const Batch batch = random_batch({5, 9}, 3, 1);
    const torch::Tensor &pos = batch.pos, &batch_idx = batch.batch_idx;
    auto build = [](torch::Tensor p, torch::Tensor b) { erwin::build_balltree(p, b); };
    expect_invalid_argument(
        [&] {
          build(torch::empty({0, 3}), torch::empty({0}, torch::kInt64));
        },
        "pos");
    expect_invalid_argument([&] { build(pos.to(torch::kFloat64), batch_idx); }, "pos");
    expect_invalid_argument([&] { build(pos.flatten(), batch_idx); }, "pos");
    expect_invalid_argument([&] { build(torch::rand({14, 4}), batch_idx); }, "pos");
    for (float bad :
         {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
      torch::Tensor broken = pos.clone();
      broken[3][1] = bad;
      expect_invalid_argument([&] { build(broken, batch_idx); }, "pos");
    }
    expect_invalid_argument([&] { build(pos, batch_idx.slice(0, 0, 13)); }, "batch_idx");
    expect_invalid_argument([&] { build(pos, batch_idx.to(torch::kInt32)); }, "batch_idx");
    expect_invalid_argument(
        [&] {
          build(pos.slice(0, 0, 3), torch::tensor({0, 0, 2}, torch::kInt64));
        },
        "batch_idx");
    expect_invalid_argument(
        [&] {
          build(pos.slice(0, 0, 2), torch::tensor({1, 0}, torch::kInt64));
        },
        "batch_idx");
    expect_invalid_argument(
        [&] {
          build(pos.slice(0, 0, 2), torch::tensor({1, 1}, torch::kInt64));
        },
        "batch_idx");
  }

  void bad_rotation_options_are_rejected() {
    const Batch batch = random_batch({100, 30}, 3, 2);  // 128 and 32 slots
    const torch::Tensor &pos = batch.pos, &batch_idx = batch.batch_idx;
    auto build = [&](RotationOptions options) {
      erwin::build_balltree_with_rotations(pos, batch_idx, options);
    };
    expect_invalid_argument([&] { build({{}, {64}, 45.0}); }, "ball_sizes[0]");
    expect_invalid_argument([&] { build({{2}, {16, 32}, 45.0}); }, "ball_sizes[1]");
    expect_invalid_argument([&] { build({{3}, {16, 8}, 45.0}); }, "strides[0]");
    expect_invalid_argument([&] { build({{2, 2}, {16, 8}, 45.0}); }, "strides");
    expect_invalid_argument([&] { build({{}, {}, 45.0}); }, "ball_sizes");
    expect_invalid_argument([&] { build({{}, {16}, std::nan("")}); }, "angle");
  }

  void balls_may_hold_whole_clouds_when_allowed() {
    const Batch batch = random_batch({50, 40, 100}, 3, 4);  // 64, 64 and 128 slots
    RotationOptions options{{}, {128}, 30.0};
    expect_invalid_argument(
        [&] { erwin::build_balltree_with_rotations(batch.pos, batch.batch_idx, options); },
        "balls_across_clouds");
    options.balls_across_clouds = true;
    const auto tree = erwin::build_balltree_with_rotations(batch.pos, batch.batch_idx, options);
    // Rotated ball 0 holds clouds 0 and 1 whole, ball 1 cloud 2.
    const auto rotated = tree.tree_idx_rot[0];
    QVERIFY(torch::equal(std::get<0>(rotated.narrow(0, 0, 128).sort()), torch::arange(128)));
    QVERIFY(torch::equal(std::get<0>(rotated.narrow(0, 128, 128).sort()), torch::arange(128, 256)));

    // A ball may not take part of a cloud: cloud 1 (128 slots) starts in the middle of a ball.
    const Batch misaligned = random_batch({50, 100, 40}, 3, 5);  // 64, 128 and 64 slots
    expect_invalid_argument(
        [&] {
          erwin::build_balltree_with_rotations(misaligned.pos, misaligned.batch_idx, options);
        },
        "ball_sizes[0] = 128");
  }

  void ball_tiling_follows_strides() {
    // Level 1 of clouds of 64 and 64 slots after stride 4 has 16 + 16 nodes.
    erwin::validate_ball_tiling({64, 64}, {4}, {16, 32}, true);
    expect_invalid_argument(
        [] {
          erwin::validate_ball_tiling({64, 64}, {4}, {16, 32}, false);
        },
        "ball_sizes[1] = 32");
    expect_invalid_argument(
        [] {
          erwin::validate_ball_tiling({64, 64}, {4}, {16, 64}, true);
        },
        "ball_sizes[1] = 64");
    expect_invalid_argument(
        [] {
          erwin::validate_ball_tiling({64, 2}, {4}, {2, 1}, true);
        },
        "strides[0] = 4");
  }

  void inverse_permutation_inverts() {
    const torch::Tensor perm = torch::randperm(1000, torch::kInt64);
    const torch::Tensor inverse = erwin::inverse_permutation(perm);
    QVERIFY(torch::equal(inverse.index_select(0, perm), torch::arange(1000)));
    expect_invalid_argument(
        [] {
          erwin::inverse_permutation(torch::tensor({0, 0}, torch::kInt64));
        },
        "perm");
    expect_invalid_argument(
        [] {
          erwin::inverse_permutation(torch::tensor({0, 2}, torch::kInt64));
        },
        "perm");
  }

  void point_slots_and_balls() {
    const Batch batch = random_batch({5, 16, 33}, 3, 4);
    const torch::Tensor &pos = batch.pos, &batch_idx = batch.batch_idx;
    const BallTree tree = erwin::build_balltree(pos, batch_idx);
    QCOMPARE(erwin::max_ball_level(tree), int64_t{3});  // smallest cloud: 8 slots
    const torch::Tensor slots = erwin::point_slots(tree);
    QVERIFY(torch::equal(tree.tree_idx.index_select(0, slots), torch::arange(pos.size(0))));
    QVERIFY(tree.tree_mask.index_select(0, slots).all().item<bool>());
    const torch::Tensor balls = erwin::point_balls(tree, erwin::level_of_ball_size(8));
    QVERIFY(torch::equal(balls, torch::div(slots, 8, "floor")));
    expect_invalid_argument([&] { erwin::point_balls(tree, 4); }, "level");
    expect_invalid_argument([] { erwin::level_of_ball_size(6); }, "ball_size");
  }

  void ball_geometry_matches_brute_force() {
    const Batch batch = random_batch({5, 16, 33}, 3, 6);
    const torch::Tensor &pos = batch.pos, &batch_idx = batch.batch_idx;
    const BallTree tree = erwin::build_balltree(pos, batch_idx);
    const torch::Tensor slot_pos = pos.index_select(0, tree.tree_idx).to(torch::kFloat64);
    const auto levels = erwin::ball_geometry_all_levels(tree, pos);
    QCOMPARE(levels.size(), size_t{4});
    for (int64_t level = 0; level < 4; ++level) {
      const torch::Tensor balls = slot_pos.view({-1, int64_t{1} << level, 3});
      const torch::Tensor centres = balls.mean(1);
      const torch::Tensor radii = (balls - centres.unsqueeze(1)).pow(2).sum(2).sqrt().amax(1);
      const erwin::BallGeometry single = erwin::ball_geometry(tree, pos, level);
      QVERIFY(torch::equal(single.centres, levels[level].centres));
      QVERIFY(torch::allclose(levels[level].centres.to(torch::kFloat64), centres, 0, 1e-6));
      QVERIFY(torch::allclose(levels[level].radii.to(torch::kFloat64), radii, 0, 1e-6));
    }
    QCOMPARE(levels[0].radii.abs().max().item<float>(), 0.0f);
  }

  void coarsened_positions_pool_like_the_model() {
    const Batch batch = random_batch({5, 16, 33}, 2, 8);
    const torch::Tensor &pos = batch.pos, &batch_idx = batch.batch_idx;
    const BallTree tree = erwin::build_balltree(pos, batch_idx);
    const auto levels = erwin::coarsened_positions(tree, pos, {2, 4});
    QCOMPARE(levels.size(), size_t{3});
    const torch::Tensor slot_pos = pos.index_select(0, tree.tree_idx);
    QVERIFY(torch::equal(levels[0], slot_pos));
    const torch::Tensor level1 = slot_pos.view({-1, 2, 2}).mean(1);
    QVERIFY(torch::allclose(levels[1], level1, 0, 1e-6));
    QVERIFY(torch::allclose(levels[2], level1.view({-1, 4, 2}).mean(1), 0, 1e-6));
    expect_invalid_argument([&] { erwin::coarsened_positions(tree, pos, {16}); }, "strides[0]");
    expect_invalid_argument([&] { erwin::ball_geometry(tree, pos.slice(0, 0, 10), 1); }, "pos");
  }
};

QTEST_APPLESS_MAIN(BallTreeTest)
#include "tst_balltree.moc"
