// EAGLE reader on generated data: shapes, SPEC §4 normalisation, windows, mesh edges, splits,
// batching, and clear errors for broken files.
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <filesystem>
#include <set>
#include <utility>

#include "datasets_test_util.h"
#include "erwin/datasets/eagle.h"
#include "erwin/datasets/generate.h"
#include "erwin/npy.h"
#include "test_support.h"

using namespace erwin::datasets;
namespace fs = std::filesystem;

namespace {

using EdgeSet = std::set<std::pair<int64_t, int64_t>>;

EdgeSet edges_of(const torch::Tensor& edge_index) {
  EdgeSet edges;
  for (int64_t e = 0; e < edge_index.size(1); ++e)
    edges.insert({edge_index[0][e].item<int64_t>(), edge_index[1][e].item<int64_t>()});
  return edges;
}

// Every side of every non-degenerate triangle, both ways.
EdgeSet expected_edges(const torch::Tensor& triangles) {
  EdgeSet edges;
  for (int64_t f = 0; f < triangles.size(0); ++f)
    for (auto [p, q] : {std::pair{0, 1}, {1, 2}, {0, 2}}) {
      const int64_t a = triangles[f][p].item<int64_t>(), b = triangles[f][q].item<int64_t>();
      if (a == b) continue;
      edges.insert({a, b});
      edges.insert({b, a});
    }
  return edges;
}

}  // namespace

class TestEagle : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string root_;
  EagleGenerateOptions generate_;

  std::string fresh_copy_of_first_simulation(const std::string& name) {
    const std::string broken = dir_.path().toStdString() + "/" + name;
    fs::create_directories(broken);
    fs::copy(root_ + "/sim_0000", broken,
             fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    return broken;
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    root_ = dir_.path().toStdString() + "/eagle";
    generate_.simulations = 6;
    generate_.steps = 12;
    generate_.grid_x = 20;
    generate_.grid_y = 10;
    generate_.seed = 7;
    generate_eagle_like(root_, generate_);
  }

  void splitsListTheSimulations() {
    const auto train = EagleDataset::open(root_, "train");
    const auto valid = EagleDataset::open(root_, "valid");
    const auto test = EagleDataset::open(root_, "test");
    QCOMPARE(train.size(), 4);
    QCOMPARE(valid.size(), 1);
    QCOMPARE(test.size(), 1);
    std::set<std::string> all(train.folders().begin(), train.folders().end());
    all.insert(valid.folders().front());
    all.insert(test.folders().front());
    QCOMPARE(all.size(), size_t(6));
    for (const std::string& folder : all) QVERIFY(fs::exists(folder + "/sim.npz"));
  }

  void fileLayoutIsThePublishedOne() {
    const auto archive = erwin::NpzArchive::load(root_ + "/sim_0000/sim.npz");
    const torch::Tensor points = archive.get("pointcloud");
    QCOMPARE(points.dim(), 3);
    QCOMPARE(points.size(0), generate_.steps);
    QCOMPARE(points.size(2), 2);
    for (const char* field : {"VX", "VY", "PS", "PG", "mask"})
      QCOMPARE(archive.get(field).sizes().vec(), points.sizes().slice(0, 2).vec());
    const torch::Tensor triangles = erwin::load_npy(root_ + "/sim_0000/triangles.npy");
    QCOMPARE(triangles.dim(), 3);
    QCOMPARE(triangles.size(0), generate_.steps);
    QCOMPARE(triangles.size(2), 3);
    QVERIFY(!torch::isFloatingType(triangles.scalar_type()));
  }

  void windowHoldsNormalisedStateAndOneHotTypes() {
    EagleOptions options;
    options.window = 5;
    auto valid = EagleDataset::open(root_, "valid", options);
    const Sample sample = valid.get(0);
    const auto archive = erwin::NpzArchive::load(valid.folders()[0] + "/sim.npz");
    const int64_t nodes = archive.get("pointcloud").size(1);
    // Evaluation windows start at 100, clamped so that the window fits.
    const int64_t start = std::min<int64_t>(100, generate_.steps - options.window);
    QCOMPARE(sample.node_features.sizes().vec(), (std::vector<int64_t>{nodes, 5, 13}));
    QCOMPARE(sample.node_positions.sizes().vec(), (std::vector<int64_t>{nodes, 5, 2}));
    QCOMPARE(sample.targets.sizes().vec(), (std::vector<int64_t>{nodes, 5, 4}));
    QCOMPARE(sample.node_type.sizes().vec(), (std::vector<int64_t>{nodes, 5}));

    const auto window = [&](const char* field) {
      return archive.get(field).slice(0, start, start + 5).t().to(torch::kFloat);
    };
    // SPEC §4 means and standard deviations of (vx, vy, ps, pg).
    const double mean[4] = {-0.0015, 0.2211, -0.8322, 4.6050};
    const double std[4] = {1.7970, 2.0258, 7.4013, 9.7232};
    const char* fields[4] = {"VX", "VY", "PS", "PG"};
    for (int c = 0; c < 4; ++c) {
      const torch::Tensor expected = (window(fields[c]) - mean[c]) / std[c];
      QVERIFY(torch::allclose(sample.targets.select(2, c), expected, 1e-5, 1e-6));
      QVERIFY(torch::allclose(sample.node_features.select(2, c), expected, 1e-5, 1e-6));
    }
    QVERIFY(
        torch::allclose(eagle_denormalise(sample.targets).select(2, 2), window("PS"), 1e-4, 1e-4));
    const torch::Tensor types = archive.get("mask").slice(0, start, start + 5).t();
    QVERIFY(torch::equal(sample.node_type, types.to(torch::kInt64)));
    const torch::Tensor one_hot = sample.node_features.slice(2, 4);
    QVERIFY(torch::equal(one_hot.sum(-1), torch::ones({nodes, 5})));
    QVERIFY(torch::equal(one_hot.argmax(-1), types.to(torch::kInt64)));
    const torch::Tensor points = archive.get("pointcloud").slice(0, start, start + 5);
    QVERIFY(torch::equal(sample.node_positions, points.permute({1, 0, 2}).to(torch::kFloat)));
  }

  // The published faces_to_edges: edge slots deduplicated across the window, so every step has
  // as many edges; each step's distinct proper edges are its triangle sides, both ways; a step
  // may repeat an edge (tst_task_parity checks the multiset against the published batch).
  void edgesAreThePublishedSlotsOfTheWindow() {
    EagleOptions options;
    options.window = 4;
    auto test = EagleDataset::open(root_, "test", options);
    const Sample sample = test.get_window(0, 3);
    const torch::Tensor triangles = erwin::load_npy(test.folders()[0] + "/triangles.npy");
    QCOMPARE(sample.edge_step.size(0), sample.edge_index.size(1));
    const int64_t per_step = (sample.edge_step == 0).sum().item<int64_t>();
    for (int64_t t = 0; t < 4; ++t) {
      const torch::Tensor step =
          sample.edge_index.index_select(1, torch::nonzero(sample.edge_step == t).squeeze(1));
      QCOMPARE(step.size(1), per_step);
      EdgeSet proper;
      for (const auto& [a, b] : edges_of(step))
        if (a != b) proper.insert({a, b});
      QVERIFY(proper == expected_edges(triangles[3 + t]));
      // Both directions as often: the second half is the first half flipped.
      QVERIFY(torch::equal(step.slice(1, per_step / 2), step.slice(1, 0, per_step / 2).flip(0)));
    }
  }

  void nodeSetChangesOverTime() {
    // The moving source disables the nodes it covers; their triangles collapse.
    const auto archive = erwin::NpzArchive::load(root_ + "/sim_0001/sim.npz");
    const torch::Tensor disabled = archive.get("mask") == kEagleDisabled;
    QVERIFY(disabled.any().item<bool>());
    QVERIFY(!torch::equal(disabled[0], disabled[generate_.steps - 1]));
    for (int64_t type : {kEagleInflow, kEagleOutflow, kEagleWall, kEagleNormal})
      QVERIFY((archive.get("mask") == type).any().item<bool>());
  }

  void trainingWindowsAreRandomButSeeded() {
    EagleOptions options;
    options.window = 3;
    options.seed = 11;
    auto first = EagleDataset::open(root_, "train", options);
    auto second = EagleDataset::open(root_, "train", options);
    std::set<std::vector<float>> distinct;
    for (int repeat = 0; repeat < 8; ++repeat) {
      const Sample a = first.get(1), b = second.get(1);
      QVERIFY(torch::equal(a.targets, b.targets));
      const torch::Tensor probe = a.targets.select(0, 0).select(1, 2).contiguous();
      distinct.insert(std::vector<float>(probe.data_ptr<float>(), probe.data_ptr<float>() + 3));
    }
    QVERIFY(distinct.size() > 1);
  }

  void collateOffsetsEdgesAndNumbersNodes() {
    EagleOptions options;
    options.window = 2;
    auto train = EagleDataset::open(root_, "train", options);
    const Sample a = train.get_window(0, 0), b = train.get_window(1, 4);
    const Batch batch = train.collate({a, b});
    const int64_t na = a.node_positions.size(0), nb = b.node_positions.size(0);
    QCOMPARE(batch.node_features.size(0), na + nb);
    QCOMPARE(batch.num_nodes[1].item<int64_t>(), nb);
    QCOMPARE(batch.batch_idx.sum().item<int64_t>(), nb);
    QCOMPARE(batch.batch_idx[na].item<int64_t>(), 1);
    const int64_t ea = a.edge_index.size(1);
    QVERIFY(torch::equal(batch.edge_index.slice(1, ea), b.edge_index + na));
    QVERIFY(torch::equal(batch.edge_index.slice(1, 0, ea), a.edge_index));
    const torch::Tensor step1 = edges_at_step(batch, 1);
    QCOMPARE(step1.size(1),
             (a.edge_step == 1).sum().item<int64_t>() + (b.edge_step == 1).sum().item<int64_t>());
  }

  void boundaryMaskCoversInflowWallDisabled() {
    const torch::Tensor types = torch::arange(9);
    const torch::Tensor mask = eagle_boundary_mask(types);
    QCOMPARE(mask.sum().item<int64_t>(), 3);
    QVERIFY(mask[2].item<bool>() && mask[4].item<bool>() && mask[6].item<bool>());
  }

  void generatorIsReproducible() {
    const std::string again = dir_.path().toStdString() + "/again";
    generate_eagle_like(again, generate_);
    const auto a = erwin::NpzArchive::load(root_ + "/sim_0002/sim.npz");
    const auto b = erwin::NpzArchive::load(again + "/sim_0002/sim.npz");
    for (const char* field : {"pointcloud", "VX", "PS", "mask"})
      QVERIFY(torch::equal(a.get(field), b.get(field)));
  }

  void fieldsAreOfOrderOneAfterNormalisation() {
    auto train = EagleDataset::open(root_, "train", {generate_.steps, 0, 0, true});
    const torch::Tensor state = train.get_window(0, 0).targets.reshape({-1, 4});
    const torch::Tensor spread = state.std(0);
    QVERIFY2((spread > 0.02).all().item<bool>(), "a state channel is nearly constant");
    QVERIFY2((state.abs().max() < 50).item<bool>(), "state far outside the normalised range");
  }

  void missingFilesAreNamed() {
    ERWIN_EXPECT_FORMAT_ERROR(EagleDataset::open(dir_.path().toStdString() + "/nowhere", "train"),
                              "Splits/train.txt");
    const std::string folder = fresh_copy_of_first_simulation("no_triangles");
    fs::remove(folder + "/triangles.npy");
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "triangles.npy", "triangles");
    fs::remove(folder + "/sim.npz");
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "sim.npz", "pointcloud");
  }

  void missingFieldIsNamed() {
    const std::string folder = fresh_copy_of_first_simulation("no_ps");
    auto archive = erwin::NpzArchive::load(folder + "/sim.npz");
    std::map<std::string, torch::Tensor> members;
    for (const std::string& name : archive.names())
      if (name != "PS") members[name] = archive.get(name);
    erwin::save_npz(folder + "/sim.npz", members);
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "sim.npz", "'PS'", "missing");
  }

  void wrongShapesAreNamed() {
    const std::string folder = fresh_copy_of_first_simulation("bad_shapes");
    auto archive = erwin::NpzArchive::load(folder + "/sim.npz");
    std::map<std::string, torch::Tensor> members;
    for (const std::string& name : archive.names()) members[name] = archive.get(name);
    members["VY"] = members["VY"].slice(1, 1);
    erwin::save_npz(folder + "/sim.npz", members);
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "sim.npz", "'VY'", "shape");

    members["VY"] = archive.get("VY");
    members["pointcloud"] = torch::cat({members["pointcloud"], members["pointcloud"]}, 2);
    erwin::save_npz(folder + "/sim.npz", members);
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "sim.npz", "'pointcloud'", "shape");

    fs::copy_file(root_ + "/sim_0000/sim.npz", folder + "/sim.npz",
                  fs::copy_options::overwrite_existing);
    const torch::Tensor triangles = erwin::load_npy(folder + "/triangles.npy");
    erwin::save_npy(folder + "/triangles.npy", triangles.slice(2, 0, 2));
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "triangles.npy", "'triangles'",
                              "shape");
    erwin::save_npy(folder + "/triangles.npy", triangles + 100000);
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "triangles.npy", "'triangles'",
                              "values");
  }

  // Regression (issue 13, case 8): NaN in a data set was reported without the file.
  void nonFiniteValuesAreNamed() {
    const std::string folder = fresh_copy_of_first_simulation("nan");
    auto archive = erwin::NpzArchive::load(folder + "/sim.npz");
    std::map<std::string, torch::Tensor> members;
    for (const std::string& name : archive.names()) members[name] = archive.get(name);
    members["VX"] = members["VX"].clone();
    members["VX"].index_put_({2, 5}, std::nanf(""));
    erwin::save_npz(folder + "/sim.npz", members);
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "sim.npz", "'VX'", "NaN");
    members["VX"] = archive.get("VX");
    members["pointcloud"] = members["pointcloud"].clone();
    members["pointcloud"].index_put_({0, 1, 0}, INFINITY);
    erwin::save_npz(folder + "/sim.npz", members);
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "sim.npz", "'pointcloud'", "infinite");
  }

  void wrongDtypesAreNamed() {
    const std::string folder = fresh_copy_of_first_simulation("bad_dtypes");
    auto archive = erwin::NpzArchive::load(folder + "/sim.npz");
    std::map<std::string, torch::Tensor> members;
    for (const std::string& name : archive.names()) members[name] = archive.get(name);
    members["mask"] = members["mask"].to(torch::kFloat);
    erwin::save_npz(folder + "/sim.npz", members);
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "sim.npz", "'mask'", "dtype");

    members["mask"] = archive.get("mask");
    members["PG"] = members["PG"].to(torch::kInt32);
    erwin::save_npz(folder + "/sim.npz", members);
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "sim.npz", "'PG'", "dtype");

    fs::copy_file(root_ + "/sim_0000/sim.npz", folder + "/sim.npz",
                  fs::copy_options::overwrite_existing);
    erwin::save_npy(folder + "/triangles.npy",
                    erwin::load_npy(folder + "/triangles.npy").to(torch::kDouble));
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "triangles.npy", "'triangles'",
                              "dtype");
  }

  void truncatedArchivesAreNamed() {
    const std::string folder = fresh_copy_of_first_simulation("truncated");
    erwin::test::truncate_file(folder + "/sim.npz", 0.6);
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "sim.npz", "pointcloud");
    fs::copy_file(root_ + "/sim_0000/sim.npz", folder + "/sim.npz",
                  fs::copy_options::overwrite_existing);
    erwin::test::truncate_file(folder + "/triangles.npy", 0.5);
    ERWIN_EXPECT_FORMAT_ERROR(load_eagle_simulation(folder), "triangles.npy", "triangles");
  }
};

QTEST_APPLESS_MAIN(TestEagle)
#include "tst_eagle.moc"
