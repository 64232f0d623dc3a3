// MD polymer reader on generated data: HDF5 layout and splits, windows, the published
// velocity / acceleration normalisation, bonds both ways, files written by h5py (from the .venv),
// and errors for broken files.
#include <QTemporaryDir>
#include <QTest>
#include <filesystem>

#include "datasets_test_util.h"
#include "erwin/datasets/generate.h"
#include "erwin/datasets/md_polymer.h"
#include "h5py_support.h"
#include "test_support.h"

using namespace erwin::datasets;
namespace fs = std::filesystem;

class TestMd : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string root_;
  MdGenerateOptions generate_;
  MdPolymerOptions options_;

  std::string broken_copy(const std::string& name) {
    const std::string copy = dir_.path().toStdString() + "/" + name;
    fs::copy(root_, copy, fs::copy_options::recursive);
    return copy;
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    root_ = dir_.path().toStdString() + "/md";
    generate_.train_trajectories = 2;
    generate_.valid_trajectories = 1;
    generate_.test_trajectories = 1;
    generate_.chains = 2;
    generate_.beads_per_chain = 10;
    generate_.frames = 30;
    generate_.test_frames = 20;
    generate_.seed = 5;
    generate_md_like(root_, generate_);
    options_.seq_len = 4;
  }

  void layoutAndSplitsAreThePublishedOnes() {
    QVERIFY(fs::exists(root_ + "/splits/train.txt"));
    QVERIFY(fs::exists(root_ + "/splits/val.txt"));
    QVERIFY(fs::exists(root_ + "/splits/test_class2.txt"));
    const auto train = MdPolymerDataset::open(root_, "train", options_);
    const auto valid = MdPolymerDataset::open(root_, "val", options_);
    const auto test = MdPolymerDataset::open(root_, "test", options_);
    QCOMPARE(train.trajectories().size(), size_t(2));
    QCOMPARE(valid.trajectories().size(), size_t(1));
    QVERIFY(fs::exists(root_ + "/polymer_train/" + valid.trajectories()[0] + "/position.h5"));
    QVERIFY(fs::exists(root_ + "/polymer_test/" + test.trajectories()[0] + "/position.h5"));
    // One sample per window start: T - seq_len per trajectory.
    QCOMPARE(train.size(), 2 * (generate_.frames - options_.seq_len));
    QCOMPARE(test.size(), generate_.test_frames - options_.seq_len);
  }

  void filesHoldTheNamedDatasets() {
    const std::string folder = root_ + "/polymer_train/traj_0000";
    const torch::Tensor types = load_h5_array(folder + "/ptype.h5", "particle_type");
    const torch::Tensor bonds = load_h5_array(folder + "/bond.h5", "bond_indices");
    const torch::Tensor positions = load_h5_array(folder + "/position.h5", "position");
    const int64_t n = generate_.chains * generate_.beads_per_chain;
    QCOMPARE(types.sizes().vec(), (std::vector<int64_t>{n}));
    QCOMPARE(bonds.sizes().vec(),
             (std::vector<int64_t>{generate_.chains * (generate_.beads_per_chain - 1), 2}));
    QCOMPARE(positions.sizes().vec(), (std::vector<int64_t>{generate_.frames, n, 3}));
    QCOMPARE(types.scalar_type(), torch::kInt64);
    QCOMPARE(positions.scalar_type(), torch::kFloat);
    QVERIFY(types.max().item<int64_t>() < kMdParticleTypes);
  }

  void samplesFollowThePublishedFormulas() {
    auto valid = MdPolymerDataset::open(root_, "valid", options_);
    const int64_t start = 7, s = options_.seq_len;
    const Sample sample = valid.get(start);
    const std::string folder = root_ + "/polymer_train/" + valid.trajectories()[0];
    torch::Tensor positions = load_h5_array(folder + "/position.h5", "position");
    positions = positions - positions.mean({0, 1}, true);
    const torch::Tensor window = positions.slice(0, start, start + s + 1);  // [s + 1, N, 3]
    const torch::Tensor pos_std = torch::tensor({21.4457f, 31.7121f, 25.5143f});
    const torch::Tensor vel_std = torch::tensor({1.2809f, 1.2735f, 1.2792f});
    const torch::Tensor acc_std = torch::tensor({1.7428f, 1.7295f, 1.7390f});
    const int64_t n = positions.size(1);

    QVERIFY(torch::allclose(sample.node_positions, window[s - 1] / pos_std, 1e-5, 1e-6));
    for (int64_t k = 0; k + 1 < s; ++k) {
      const torch::Tensor velocity = (window[k + 1] - window[k]) / vel_std;
      QVERIFY(
          torch::allclose(sample.node_features.slice(1, 3 * k, 3 * k + 3), velocity, 1e-4, 1e-5));
    }
    QCOMPARE(sample.node_features.sizes().vec(), (std::vector<int64_t>{n, 3 * (s - 1)}));
    const torch::Tensor acceleration =
        (window[s] - window[s - 1]) - (window[s - 1] - window[s - 2]);
    QVERIFY(torch::allclose(sample.targets, acceleration / acc_std, 1e-4, 1e-5));
    QVERIFY(torch::equal(sample.node_type, load_h5_array(folder + "/ptype.h5", "particle_type")));
  }

  void bondsGoBothWays() {
    auto test = MdPolymerDataset::open(root_, "test", options_);
    const Sample sample = test.get(0);
    const torch::Tensor bonds = load_h5_array(
        root_ + "/polymer_test/" + test.trajectories()[0] + "/bond.h5", "bond_indices");
    const int64_t b = bonds.size(0);
    QCOMPARE(sample.edge_index.sizes().vec(), (std::vector<int64_t>{2, 2 * b}));
    QVERIFY(torch::equal(sample.edge_index.slice(1, 0, b), bonds.t()));
    QVERIFY(torch::equal(sample.edge_index.slice(1, b), bonds.flip({1}).t()));
  }

  void windowsCrossIntoTheNextTrajectory() {
    auto train = MdPolymerDataset::open(root_, "train", [&] {
      auto o = options_;
      o.noise = false;
      return o;
    }());
    const int64_t per = generate_.frames - options_.seq_len;
    const Sample first_of_second = train.get(per);
    const std::string folder = root_ + "/polymer_train/" + train.trajectories()[1];
    torch::Tensor positions = load_h5_array(folder + "/position.h5", "position");
    positions = positions - positions.mean({0, 1}, true);
    const torch::Tensor pos_std = torch::tensor({21.4457f, 31.7121f, 25.5143f});
    QVERIFY(torch::allclose(first_of_second.node_positions,
                            positions[options_.seq_len - 1] / pos_std, 1e-5, 1e-6));
  }

  void trainingNoiseIsSeededAndSmall() {
    auto clean = MdPolymerDataset::open(root_, "train", [&] {
      auto o = options_;
      o.noise = false;
      return o;
    }());
    auto noisy_a = MdPolymerDataset::open(root_, "train", options_);
    auto noisy_b = MdPolymerDataset::open(root_, "train", options_);
    const Sample a = noisy_a.get(3), b = noisy_b.get(3), c = clean.get(3);
    QVERIFY(torch::equal(a.node_positions, b.node_positions));
    QVERIFY(!torch::equal(a.node_positions, c.node_positions));
    // sigma <= 0.1 on positions that are then divided by std >= 21.
    QVERIFY((a.node_positions - c.node_positions).abs().max().item<float>() < 0.1f);
  }

  void collateOffsetsBonds() {
    auto test = MdPolymerDataset::open(root_, "test", options_);
    const Sample a = test.get(0), b = test.get(5);
    const Batch batch = test.collate({a, b});
    const int64_t n = a.node_positions.size(0);
    QCOMPARE(batch.edge_index.size(1), a.edge_index.size(1) + b.edge_index.size(1));
    QVERIFY(torch::equal(batch.edge_index.slice(1, a.edge_index.size(1)), b.edge_index + n));
    QCOMPARE(batch.batch_idx.size(0), 2 * n);
    QVERIFY(torch::equal(batch.node_type, torch::cat({a.node_type, b.node_type})));
  }

  void dynamicsMoveTheBeads() {
    auto test = MdPolymerDataset::open(root_, "test", options_);
    const Sample sample = test.get(0);
    const float speed = sample.node_features.abs().mean().item<float>();
    QVERIFY2(speed > 0.01f && speed < 10.f, "normalised velocities out of range");
  }

  void filesWrittenByH5pyAreRead() {
    // As a researcher's h5py script writes them: other dtypes, gzip chunks, and string
    // attributes of every kind (the reader must pass over them).
    REQUIRE_VENV_PYTHON();
    const std::string source = root_ + "/polymer_train/traj_0000";
    const std::string copy = dir_.path().toStdString() + "/h5py_trajectory";
    fs::create_directories(copy);
    const std::vector<std::pair<std::string, QString>> files = {
        {"ptype.h5", R"(
types = f["particle_type"][()]
del f["particle_type"]
f["particle_type"] = types.astype("i4")
f.attrs["description"] = "bead types"
f["particle_type"].attrs["names"] = np.bytes_(b"A B C D"))"},
        {"bond.h5", R"(
f.attrs["units"] = b"bead index"
f["bond_indices"].attrs.create("comment", "bonds".encode(), dtype=h5py.string_dtype("utf-8", 8)))"},
        {"position.h5", R"(
positions = f["position"][()]
del f["position"]
f.create_dataset("position", data=positions.astype("f8"), chunks=(1,) + positions.shape[1:],
                 compression="gzip")
f["position"].attrs["unit"] = "\u03c3")"},
    };
    for (const auto& [name, edit] : files)
      REQUIRE_SUCCESS(erwin::test::rewrite_with_h5py(QString::fromStdString(source + "/" + name),
                                                     QString::fromStdString(copy + "/" + name),
                                                     "default", edit));
    const MdTrajectory expected = load_md_trajectory(source);
    const MdTrajectory read = load_md_trajectory(copy);
    QVERIFY(torch::equal(read.node_type, expected.node_type));
    QVERIFY(torch::equal(read.bonds, expected.bonds));
    QVERIFY(torch::equal(read.positions, expected.positions));

    REQUIRE_SUCCESS(erwin::test::rewrite_with_h5py(
        QString::fromStdString(source + "/ptype.h5"), QString::fromStdString(copy + "/ptype.h5"),
        "default", R"(del f["particle_type"]; f["particle_type"] = ["A", "B"])"));
    ERWIN_EXPECT_FORMAT_ERROR(load_md_trajectory(copy), copy + "/ptype.h5", "particle_type",
                              "integer or floating");
  }

  void missingFilesAndDatasetsAreNamed() {
    const std::string root = broken_copy("missing");
    fs::remove(root + "/polymer_train/traj_0000/bond.h5");
    ERWIN_EXPECT_FORMAT_ERROR(MdPolymerDataset::open(root, "train", options_), "bond.h5",
                              "bond_indices");
    save_h5_array(root + "/polymer_train/traj_0000/bond.h5", "bonds",
                  torch::zeros({3, 2}, torch::kInt64));
    ERWIN_EXPECT_FORMAT_ERROR(MdPolymerDataset::open(root, "train", options_), "bond.h5",
                              "bond_indices", "missing");
    fs::remove(root + "/splits/test_class2.txt");
    ERWIN_EXPECT_FORMAT_ERROR(MdPolymerDataset::open(root, "test", options_), "test_class2.txt");
  }

  void wrongShapesAndDtypesAreNamed() {
    const std::string root = broken_copy("wrong");
    const std::string folder = root + "/polymer_train/traj_0001";
    const torch::Tensor types = load_h5_array(folder + "/ptype.h5", "particle_type");
    save_h5_array(folder + "/ptype.h5", "particle_type", types.to(torch::kFloat));
    ERWIN_EXPECT_FORMAT_ERROR(MdPolymerDataset::open(root, "train", options_), "ptype.h5",
                              "'particle_type'", "dtype");
    save_h5_array(folder + "/ptype.h5", "particle_type", types);
    save_h5_array(folder + "/bond.h5", "bond_indices", torch::zeros({4, 3}, torch::kInt64));
    ERWIN_EXPECT_FORMAT_ERROR(MdPolymerDataset::open(root, "train", options_), "bond.h5",
                              "'bond_indices'", "shape");
    save_h5_array(folder + "/bond.h5", "bond_indices", torch::zeros({4, 2}, torch::kInt64));
    const torch::Tensor positions = load_h5_array(folder + "/position.h5", "position");
    save_h5_array(folder + "/position.h5", "position", positions.slice(1, 1));
    ERWIN_EXPECT_FORMAT_ERROR(MdPolymerDataset::open(root, "train", options_), "position.h5",
                              "'position'", "shape");
    save_h5_array(folder + "/position.h5", "position", positions.to(torch::kInt64));
    ERWIN_EXPECT_FORMAT_ERROR(MdPolymerDataset::open(root, "train", options_), "position.h5",
                              "'position'", "dtype");
  }

  // A dataset declaring more elements than its file holds (never written, or a header edited)
  // is refused before the reader allocates for it (it asked LibTorch for terabytes before).
  void declaredSizesBeyondTheFileAreRefused() {
    const std::string root = broken_copy("huge");
    const std::string position = root + "/polymer_train/traj_0000/position.h5";
    const std::string intact = position + ".intact";
    fs::rename(position, intact);
    for (const QString& layout :
         {QString(""), QString(", chunks=(1, 1024, 3), compression=\"gzip\"")}) {
      REQUIRE_SUCCESS(erwin::test::rewrite_with_h5py(
          QString::fromStdString(intact), QString::fromStdString(position), "default",
          "del f[\"position\"]\nf.create_dataset(\"position\", shape=(1 << 20, 1 << 20, 3), "
          "dtype=\"f4\"" +
              layout + ")"));
      ERWIN_EXPECT_FORMAT_ERROR(load_h5_array(position, "position"), position, "'position'",
                                "more than the file holds");
    }
  }

  void truncatedFilesAreNamed() {
    const std::string root = broken_copy("truncated");
    erwin::test::truncate_file(root + "/polymer_test/traj_0000/position.h5", 0.5);
    ERWIN_EXPECT_FORMAT_ERROR(MdPolymerDataset::open(root, "test", options_), "position.h5",
                              "position");
    erwin::test::write_bytes(root + "/polymer_test/traj_0000/ptype.h5", "garbage");
    ERWIN_EXPECT_FORMAT_ERROR(MdPolymerDataset::open(root, "test", options_), "ptype.h5",
                              "particle_type");
  }
};

QTEST_APPLESS_MAIN(TestMd)
#include "tst_md.moc"
