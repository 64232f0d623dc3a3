// ShapeNet-Car reader on generated data: folder numbering and the published split, SPEC §4
// normalisation, torch.save files, the k-NN graph of a batch, and errors for broken files.
#include <QTemporaryDir>
#include <QTest>
#include <filesystem>
#include <fstream>
#include <set>

#include "datasets_test_util.h"
#include "erwin/datasets/generate.h"
#include "erwin/datasets/shapenet_car.h"
#include "test_support.h"

using namespace erwin::datasets;
namespace fs = std::filesystem;

class TestShapenet : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string root_;
  ShapenetGenerateOptions generate_;

  std::string broken_copy(const std::string& name) {
    const std::string copy = dir_.path().toStdString() + "/" + name;
    fs::copy(root_, copy, fs::copy_options::recursive);
    return copy;
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    root_ = dir_.path().toStdString() + "/shapenet";
    generate_.cars = 24;
    generate_.points = 300;
    generate_.seed = 3;
    generate_shapenet_like(root_, generate_);
  }

  void publishedSplitIs700TrainAnd189Test() {
    const auto train = shapenet_car_split_indices(kShapenetCarCount, Split::Train);
    const auto test = shapenet_car_split_indices(kShapenetCarCount, Split::Test);
    QCOMPARE(train.size(), size_t(700));
    QCOMPARE(test.size(), size_t(189));
    std::set<int64_t> all(train.begin(), train.end());
    all.insert(test.begin(), test.end());
    QCOMPARE(all.size(), size_t(kShapenetCarCount));
    QCOMPARE(*all.rbegin(), kShapenetCarCount - 1);
  }

  void testIndicesEqualTheSharedList() {
    const std::string path =
        erwin::test::reference_dir() + "/../datasets/shapenet_car_test_indices.txt";
    ERWIN_REQUIRE_FIXTURE(path);
    std::ifstream in(path);
    std::vector<int64_t> listed;
    std::string line;
    while (std::getline(in, line))
      if (!line.empty() && line[0] != '#') listed.push_back(std::stoll(line));
    std::sort(listed.begin(), listed.end());
    QVERIFY(listed == shapenet_car_test_indices());
  }

  void foldersAreNumberedParamByParamSortedByName() {
    const auto cars = shapenet_car_folders(root_);
    QCOMPARE(int64_t(cars.size()), generate_.cars);
    for (size_t i = 1; i < cars.size(); ++i) QVERIFY(cars[i - 1] < cars[i]);
    QVERIFY(cars.front().find("/param0/") != std::string::npos);
    QVERIFY(cars.back().find("/param8/") != std::string::npos);
    // A name that sorts first inside a later param folder still comes after earlier params.
    fs::create_directories(root_ + "/param1/aaa");
    const auto with_extra = shapenet_car_folders(root_);
    fs::remove(root_ + "/param1/aaa");
    QCOMPARE(with_extra.size(), cars.size() + 1);
    const auto extra = std::find(with_extra.begin(), with_extra.end(), root_ + "/param1/aaa");
    QVERIFY(extra != with_extra.end());
    QVERIFY((extra - 1)->find("/param0/") != std::string::npos);
  }

  void smallSetsUseThePublishedIndicesBelowTheirSize() {
    const auto train = ShapenetCarDataset::open(root_, "train");
    const auto test = ShapenetCarDataset::open(root_, "test");
    const auto cars = shapenet_car_folders(root_);
    std::vector<std::string> expected_test;
    for (int64_t index : shapenet_car_test_indices())
      if (index < generate_.cars) expected_test.push_back(cars[index]);
    QVERIFY(test.cars() == expected_test);
    QCOMPARE(train.size() + test.size(), generate_.cars);
    for (const std::string& car : train.cars())
      QVERIFY(std::find(expected_test.begin(), expected_test.end(), car) == expected_test.end());
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, ShapenetCarDataset::open(root_, "valid"));
  }

  void samplesAreNormalisedPerSpec() {
    const auto test = ShapenetCarDataset::open(root_, "test");
    const Sample sample = test.get(2);
    const torch::Tensor points = load_torch_file(test.cars()[2] + "/mesh_points.th", "mesh_points");
    const torch::Tensor pressure = load_torch_file(test.cars()[2] + "/pressure.th", "pressure");
    QCOMPARE(points.sizes().vec(), (std::vector<int64_t>{generate_.points, 3}));
    QCOMPARE(pressure.sizes().vec(), (std::vector<int64_t>{generate_.points}));
    QCOMPARE(points.scalar_type(), torch::kFloat);
    const torch::Tensor low = torch::tensor({-2.0f, -1.0f, -4.5f});
    const torch::Tensor high = torch::tensor({2.0f, 4.5f, 6.0f});
    const torch::Tensor expected = ((points - low) / (high - low) - 0.4063) / 0.1531;
    QVERIFY(torch::allclose(sample.node_positions, expected, 1e-5, 1e-5));
    QVERIFY(torch::equal(sample.node_features, sample.node_positions));
    QVERIFY(torch::allclose(sample.targets.squeeze(1), (pressure + 36.3099) / 48.5743, 1e-5, 1e-6));
    QVERIFY(torch::allclose(shapenet_denormalise_pressure(sample.targets.squeeze(1)), pressure,
                            1e-4, 1e-3));
    // The car lies inside the published domain.
    QVERIFY((points >= low).all().item<bool>() && (points <= high).all().item<bool>());
  }

  void pressureIsHighInFrontAndVaries() {
    const auto train = ShapenetCarDataset::open(root_, "train");
    const torch::Tensor points =
        load_torch_file(train.cars()[0] + "/mesh_points.th", "mesh_points");
    const torch::Tensor pressure = load_torch_file(train.cars()[0] + "/pressure.th", "pressure");
    // The stream comes from -z: the stagnation region is the front of the car.
    const int64_t front = points.select(1, 2).argmin().item<int64_t>();
    QVERIFY(pressure[front].item<float>() > pressure.quantile(0.9).item<float>() - 1e-3);
    QVERIFY(pressure.std().item<float>() > 5);
  }

  void collateBuildsAKnnGraphPerCar() {
    const auto train = ShapenetCarDataset::open(root_, "train");
    const Batch batch = train.collate({train.get(0), train.get(1)});
    const int64_t n = generate_.points;
    QCOMPARE(batch.node_positions.size(0), 2 * n);
    QCOMPARE(batch.targets.sizes().vec(), (std::vector<int64_t>{2 * n, 1}));
    QCOMPARE(batch.edge_index.size(0), 2);
    QCOMPARE(batch.edge_index.size(1), 2 * n * 8);
    const torch::Tensor source_car = batch.batch_idx.index_select(0, batch.edge_index[0]);
    const torch::Tensor target_car = batch.batch_idx.index_select(0, batch.edge_index[1]);
    QVERIFY(torch::equal(source_car, target_car));
    QCOMPARE(torch::bincount(batch.edge_index[1]).min().item<int64_t>(), 8);
    QCOMPARE((batch.edge_index[0] == batch.edge_index[1]).sum().item<int64_t>(), 2 * n);
  }

  void torchFilesRoundTrip() {
    const std::string path = dir_.path().toStdString() + "/roundtrip.th";
    const torch::Tensor tensor = torch::randn({5, 3});
    save_torch_file(path, tensor);
    QVERIFY(torch::equal(load_torch_file(path, "mesh_points"), tensor));
  }

  void missingFilesAreNamed() {
    const std::string root = broken_copy("missing");
    const auto cars = shapenet_car_folders(root);
    fs::remove(cars[0] + "/pressure.th");
    const auto train = ShapenetCarDataset::open(root, "train");
    ERWIN_EXPECT_FORMAT_ERROR(train.get(0), "pressure.th", "pressure");
    fs::remove_all(root + "/param3");
    ERWIN_EXPECT_FORMAT_ERROR(ShapenetCarDataset::open(root, "train"), "param3", "param folder");
  }

  void corruptFilesAreNamed() {
    const std::string root = broken_copy("corrupt");
    const auto train = ShapenetCarDataset::open(root, "train");
    const std::string points = train.cars()[0] + "/mesh_points.th";
    erwin::test::truncate_file(points, 0.5);
    ERWIN_EXPECT_FORMAT_ERROR(train.get(0), "mesh_points.th", "mesh_points");
    erwin::test::write_bytes(points, "this is not a torch file");
    ERWIN_EXPECT_FORMAT_ERROR(train.get(0), "mesh_points.th", "mesh_points");
  }

  void wrongShapesAndDtypesAreNamed() {
    const std::string root = broken_copy("wrong");
    const auto train = ShapenetCarDataset::open(root, "train");
    const std::string points = train.cars()[1] + "/mesh_points.th";
    const std::string pressure = train.cars()[1] + "/pressure.th";
    save_torch_file(points, torch::zeros({generate_.points, 2}));
    ERWIN_EXPECT_FORMAT_ERROR(train.get(1), "mesh_points.th", "'mesh_points'", "shape");
    save_torch_file(points, torch::zeros({generate_.points, 3}));
    save_torch_file(pressure, torch::zeros({generate_.points - 1}));
    ERWIN_EXPECT_FORMAT_ERROR(train.get(1), "pressure.th", "'pressure'", "shape");
    save_torch_file(pressure, torch::zeros({generate_.points}, torch::kInt64));
    ERWIN_EXPECT_FORMAT_ERROR(train.get(1), "pressure.th", "'pressure'", "dtype");
    save_torch_file(points, torch::zeros({generate_.points, 3}, torch::kInt32));
    ERWIN_EXPECT_FORMAT_ERROR(train.get(1), "mesh_points.th", "'mesh_points'", "dtype");
  }
};

QTEST_APPLESS_MAIN(TestShapenet)
#include "tst_shapenet.moc"
