// Exports of an EAGLE rollout and a ShapeNet-Car prediction (erwin/datasets/export.h), made by
// fresh models on generated data: HDF5 read back by our reader, .vtu/.pvd by VTK's own readers.
#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>
#include <algorithm>
#include <filesystem>

#include "datasets_test_util.h"
#include "erwin/datasets/export.h"
#include "erwin/datasets/generate.h"
#include "erwin/datasets/md_polymer.h"
#include "erwin/datasets/training_tasks.h"
#include "test_support.h"

#ifdef ERWIN_TEST_WITH_VTK
#include <vtkCellArray.h>
#include <vtkDataArray.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkUnstructuredGrid.h>
#include <vtkXMLUnstructuredGridReader.h>
#endif

namespace {

using namespace erwin;
using namespace erwin::datasets;

RunConfig smoke_config(const std::string& file) {
  return RunConfig::from_json_file(erwin::test::source_dir() + "/resources/configs/" + file);
}

std::vector<std::string> directory_entries(const std::string& directory) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(directory))
    names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// The message of the std::exception that `action` throws ("<no exception>" otherwise).
std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const std::exception& error) {
    return error.what();
  }
  return "<no exception>";
}

#ifdef ERWIN_TEST_WITH_VTK
struct PvdEntry {
  double timestep;
  QString file;
};

std::vector<PvdEntry> read_pvd(const std::string& path) {
  QFile file(QString::fromStdString(path));
  if (!file.open(QIODevice::ReadOnly)) return {};
  QXmlStreamReader xml(&file);
  std::vector<PvdEntry> entries;
  while (!xml.atEnd())
    if (xml.readNext() == QXmlStreamReader::StartElement && xml.name() == QLatin1String("DataSet"))
      entries.push_back({xml.attributes().value("timestep").toDouble(),
                         xml.attributes().value("file").toString()});
  if (xml.hasError()) return {};
  return entries;
}

vtkSmartPointer<vtkUnstructuredGrid> read_vtu(const std::string& path) {
  vtkNew<vtkXMLUnstructuredGridReader> reader;
  reader->SetFileName(path.c_str());
  reader->Update();
  if (reader->GetErrorCode() != 0) return nullptr;
  return reader->GetOutput();
}

// A point-data array of `grid` as a float64 tensor [P] (empty when absent).
torch::Tensor point_array(vtkUnstructuredGrid* grid, const char* name) {
  vtkDataArray* array = grid->GetPointData()->GetArray(name);
  if (!array || array->GetNumberOfComponents() != 1) return {};
  torch::Tensor values = torch::empty({array->GetNumberOfTuples()}, torch::kDouble);
  for (vtkIdType i = 0; i < array->GetNumberOfTuples(); ++i) values[i] = array->GetTuple1(i);
  return values;
}

std::vector<std::string> point_array_names(vtkUnstructuredGrid* grid) {
  std::vector<std::string> names;
  for (int i = 0; i < grid->GetPointData()->GetNumberOfArrays(); ++i)
    names.push_back(grid->GetPointData()->GetArrayName(i));
  std::sort(names.begin(), names.end());
  return names;
}

torch::Tensor grid_points(vtkUnstructuredGrid* grid) {
  torch::Tensor points = torch::empty({grid->GetNumberOfPoints(), 3}, torch::kDouble);
  for (vtkIdType i = 0; i < grid->GetNumberOfPoints(); ++i) {
    double p[3];
    grid->GetPoint(i, p);
    for (int k = 0; k < 3; ++k) points[i][k] = p[k];
  }
  return points;
}

// Cells as [C, size] node indices; empty unless every cell has type `type` and `size` points.
torch::Tensor grid_cells(vtkUnstructuredGrid* grid, int type, int64_t size) {
  torch::Tensor cells = torch::empty({grid->GetNumberOfCells(), size}, torch::kInt64);
  for (vtkIdType c = 0; c < grid->GetNumberOfCells(); ++c) {
    if (grid->GetCellType(c) != type) return {};
    vtkIdList* ids = grid->GetCell(c)->GetPointIds();
    if (ids->GetNumberOfIds() != size) return {};
    for (int64_t k = 0; k < size; ++k) cells[c][k] = ids->GetId(k);
  }
  return cells;
}

bool same_values(const torch::Tensor& read, const torch::Tensor& expected) {
  return read.defined() && torch::equal(read, expected.to(torch::kDouble));
}
#endif

}  // namespace

class TestExport : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  EagleRollout rollout_;
  ShapenetPrediction prediction_;

  std::string path(const std::string& name) const {
    return dir_.filePath(name.c_str()).toStdString();
  }

 private Q_SLOTS:
  void initTestCase() {
    torch::set_num_threads(2);
    QVERIFY(dir_.isValid());
    EagleGenerateOptions eagle;
    eagle.simulations = 6;
    eagle.steps = 10;
    eagle.grid_x = 16;
    eagle.grid_y = 8;
    generate_eagle_like(path("eagle"), eagle);
    ShapenetGenerateOptions shapenet;
    shapenet.cars = 6;
    shapenet.points = 200;
    generate_shapenet_like(path("shapenet"), shapenet);

    torch::manual_seed(0);
    EagleModel eagle_model = make_eagle_model(smoke_config("eagle_smoke.json"));
    rollout_ = eagle_rollout(eagle_model, path("eagle"), "test", 0, 2, 4);
    rollout_.checkpoint = "fresh eagle model";
    ShapenetCarModel car_model = make_shapenet_model(smoke_config("shapenet_car_smoke.json"));
    prediction_ =
        predict_shapenet_car(car_model, ShapenetCarDataset::open(path("shapenet"), "train"), 1);
    prediction_.checkpoint = "fresh car model";
  }

  void rollout_carries_the_mesh_of_each_frame() {
    const EagleSimulation sim =
        load_eagle_simulation(EagleDataset::open(path("eagle"), "test").folders()[0]);
    QVERIFY(torch::equal(rollout_.triangles, sim.triangles.slice(0, 2, 7)));
  }

  void eagle_hdf5_round_trip() {
    const std::string file = path("rollout.h5");
    write_eagle_rollout_h5(file, rollout_);
    const EagleRollout read = read_eagle_rollout_h5(file);
    QCOMPARE(read.simulation, rollout_.simulation);
    QCOMPARE(read.start, int64_t{2});
    QCOMPARE(read.checkpoint, rollout_.checkpoint);
    for (const auto& [got, expected] :
         {std::pair{read.positions, rollout_.positions},
          std::pair{read.node_type, rollout_.node_type},
          std::pair{read.triangles, rollout_.triangles},
          std::pair{read.predicted, rollout_.predicted}, std::pair{read.truth, rollout_.truth},
          std::pair{read.rmse_velocity, rollout_.rmse_velocity},
          std::pair{read.rmse_pressure, rollout_.rmse_pressure}}) {
      QCOMPARE(got.scalar_type(), expected.scalar_type());
      QVERIFY(torch::equal(got, expected));
    }
    for (int64_t i = 0; i < kEagleStateSize; ++i) {
      const std::string name = std::string("/eagle/error/") + kEagleStateNames[i];
      QVERIFY(torch::equal(load_h5_array(file, name),
                           rollout_.predicted.select(-1, i) - rollout_.truth.select(-1, i)));
    }
    QVERIFY(!std::filesystem::exists(file + ".tmp." + std::to_string(::getpid())));
  }

  void shapenet_hdf5_round_trip() {
    const std::string file = path("car.h5");
    write_shapenet_prediction_h5(file, prediction_);
    const ShapenetPrediction read = read_shapenet_prediction_h5(file);
    QCOMPARE(read.car, int64_t{1});
    QCOMPARE(read.mse, prediction_.mse);
    QCOMPARE(read.checkpoint, prediction_.checkpoint);
    QVERIFY(torch::equal(read.positions, prediction_.positions));
    QVERIFY(torch::equal(read.predicted, prediction_.predicted));
    QVERIFY(torch::equal(read.truth, prediction_.truth));
    QVERIFY(torch::equal(load_h5_array(file, "/shapenet/error"),
                         prediction_.predicted - prediction_.truth));
  }

  void eagle_paraview_read_by_vtk() {
#ifndef ERWIN_TEST_WITH_VTK
    QSKIP("built without VTK");
#else
    QDir().mkpath(dir_.filePath("pv"));
    const std::string pvd = path("pv/rollout.pvd");
    // A node disabled in frame 3 collapses a triangle there (the format's padding), which the
    // .vtu must leave out.
    EagleRollout rollout = rollout_;
    rollout.triangles = rollout.triangles.clone();
    rollout.triangles[3][0].fill_(rollout.triangles[3][0][1].item<int64_t>());
    int64_t reported = 0;
    const auto files = write_eagle_rollout_pvd(pvd, rollout, [&](int64_t done, int64_t total) {
      QCOMPARE(total, int64_t{5});
      reported = done;
    });
    QCOMPARE(reported, int64_t{5});
    const std::vector<PvdEntry> entries = read_pvd(pvd);
    QCOMPARE(entries.size(), size_t{5});
    const int64_t nodes = rollout_.positions.size(1);
    const std::vector<std::string> expected_names = [] {
      std::vector<std::string> names = {"node_type", "velocity_error_magnitude",
                                        "velocity_magnitude_predicted", "velocity_magnitude_truth"};
      for (const char* state : kEagleStateNames)
        for (const char* kind : {"_error", "_predicted", "_truth"})
          names.push_back(std::string(state) + kind);
      std::sort(names.begin(), names.end());
      return names;
    }();
    for (int64_t t = 0; t < 5; ++t) {
      QCOMPARE(entries[t].timestep, double(2 + t));
      QCOMPARE(entries[t].file, QString("rollout_%1.vtu").arg(2 + t, 4, 10, QChar('0')));
      QCOMPARE(files[t], path("pv/" + entries[t].file.toStdString()));
      const auto grid = read_vtu(files[t]);
      QVERIFY2(grid, files[t].c_str());
      QCOMPARE(grid->GetNumberOfPoints(), vtkIdType(nodes));
      QVERIFY(point_array_names(grid) == expected_names);

      const torch::Tensor points = grid_points(grid);
      QVERIFY(same_values(points.slice(1, 0, 2), rollout_.positions[t]));
      QVERIFY(torch::all(points.select(1, 2) == 0).item<bool>());
      const torch::Tensor tri = rollout.triangles[t];
      const torch::Tensor proper = (tri.select(1, 0) != tri.select(1, 1)) &
                                   (tri.select(1, 1) != tri.select(1, 2)) &
                                   (tri.select(1, 0) != tri.select(1, 2));
      const torch::Tensor cells = grid_cells(grid, /*VTK_TRIANGLE*/ 5, 3);
      QVERIFY(torch::equal(cells, tri.index({proper})));
      if (t == 3) QVERIFY(cells.size(0) < tri.size(0));

      const torch::Tensor predicted = rollout_.predicted[t], truth = rollout_.truth[t];
      for (int64_t i = 0; i < kEagleStateSize; ++i) {
        const std::string state = kEagleStateNames[i];
        QVERIFY(
            same_values(point_array(grid, (state + "_predicted").c_str()), predicted.select(1, i)));
        QVERIFY(same_values(point_array(grid, (state + "_truth").c_str()), truth.select(1, i)));
        QVERIFY(same_values(point_array(grid, (state + "_error").c_str()),
                            predicted.select(1, i) - truth.select(1, i)));
      }
      const torch::Tensor speed_error =
          (predicted.slice(1, 0, 2) - truth.slice(1, 0, 2)).norm(2, 1).to(torch::kDouble);
      QVERIFY(torch::allclose(point_array(grid, "velocity_error_magnitude"), speed_error));
      QVERIFY(torch::allclose(point_array(grid, "velocity_magnitude_truth"),
                              truth.slice(1, 0, 2).norm(2, 1).to(torch::kDouble)));
      QVERIFY(same_values(point_array(grid, "node_type"), rollout_.node_type[t]));
    }
    // Frame 0 is the true state: no error there, but some after a step of a fresh model.
    QVERIFY(
        torch::all(point_array(read_vtu(files[0]), "velocity_error_magnitude") == 0).item<bool>());
    QVERIFY(
        torch::any(point_array(read_vtu(files[4]), "velocity_error_magnitude") > 0).item<bool>());
#endif
  }

  void shapenet_paraview_read_by_vtk() {
#ifndef ERWIN_TEST_WITH_VTK
    QSKIP("built without VTK");
#else
    const std::string pvd = path("car.pvd");
    const auto files = write_shapenet_prediction_pvd(pvd, prediction_);
    QCOMPARE(files.size(), size_t{1});
    const std::vector<PvdEntry> entries = read_pvd(pvd);
    QCOMPARE(entries.size(), size_t{1});
    QCOMPARE(entries[0].file, QString("car_0000.vtu"));
    const auto grid = read_vtu(files[0]);
    QVERIFY(grid);
    const int64_t points = prediction_.positions.size(0);
    QCOMPARE(grid->GetNumberOfPoints(), vtkIdType(points));
    QVERIFY((point_array_names(grid) ==
             std::vector<std::string>{"pressure_error", "pressure_predicted", "pressure_truth"}));
    QVERIFY(same_values(grid_points(grid), prediction_.positions));
    QVERIFY(torch::equal(grid_cells(grid, /*VTK_VERTEX*/ 1, 1),
                         torch::arange(points, torch::kInt64).unsqueeze(1)));
    QVERIFY(same_values(point_array(grid, "pressure_predicted"), prediction_.predicted));
    QVERIFY(same_values(point_array(grid, "pressure_truth"), prediction_.truth));
    QVERIFY(same_values(point_array(grid, "pressure_error"),
                        prediction_.predicted - prediction_.truth));
#endif
  }

  void wrong_hdf5_files_are_rejected() {
    const std::string rollout = path("bad_rollout.h5"), car = path("bad_car.h5");
    write_eagle_rollout_h5(rollout, rollout_);
    write_shapenet_prediction_h5(car, prediction_);
    ERWIN_EXPECT_FORMAT_ERROR(read_shapenet_prediction_h5(rollout), rollout, "/shapenet");
    ERWIN_EXPECT_FORMAT_ERROR(read_eagle_rollout_h5(car), car, "/eagle");

    const std::string foreign = path("position.h5");
    save_h5_array(foreign, "position", torch::zeros({4, 3, 3}));
    ERWIN_EXPECT_FORMAT_ERROR(read_eagle_rollout_h5(foreign), foreign, "/eagle", "group missing");

    const std::string text = path("notes.h5");
    erwin::test::write_bytes(text, "not an HDF5 file\n");
    ERWIN_EXPECT_FORMAT_ERROR(read_eagle_rollout_h5(text), text, "not a readable HDF5 file");
    ERWIN_EXPECT_FORMAT_ERROR(read_eagle_rollout_h5(path("missing.h5")), "missing.h5");

    erwin::test::truncate_file(rollout, 0.5);
    ERWIN_EXPECT_FORMAT_ERROR(read_eagle_rollout_h5(rollout), rollout);
  }

  void inconsistent_results_are_not_exported() {
    EagleRollout broken = rollout_;
    broken.triangles = torch::Tensor();
    const std::string file = path("broken.h5");
    erwin::test::expect_invalid_argument([&] { write_eagle_rollout_h5(file, broken); },
                                         "triangles");
    broken = rollout_;
    broken.truth = broken.truth.slice(1, 1);
    erwin::test::expect_invalid_argument([&] { write_eagle_rollout_pvd(path("b.pvd"), broken); },
                                         "truth");
    erwin::test::expect_invalid_argument(
        [&] { write_shapenet_prediction_pvd(path("car.vtu"), prediction_); }, ".pvd");
    QVERIFY(!std::filesystem::exists(file));
  }

  void unwritable_outputs_leave_no_files() {
    QTemporaryDir out;
    const std::string root = out.path().toStdString();
    // A regular file where a directory should be: fails even for root.
    erwin::test::write_bytes(root + "/plain", "x");
    const std::string h5 = root + "/plain/rollout.h5";
    std::string message = error_of([&] { write_eagle_rollout_h5(h5, rollout_); });
    QVERIFY2(message.find(h5) != std::string::npos, message.c_str());
    message = error_of([&] { write_shapenet_prediction_h5(root + "/none/car.h5", prediction_); });
    QVERIFY2(message.find(root + "/none/car.h5") != std::string::npos, message.c_str());
    message = error_of([&] { write_eagle_rollout_pvd(root + "/none/r.pvd", rollout_); });
    QVERIFY2(message.find("does not exist") != std::string::npos, message.c_str());
    QVERIFY(directory_entries(root) == std::vector<std::string>{"plain"});

    // The fourth frame's file cannot replace a directory: the three written before are removed.
    std::filesystem::create_directory(root + "/r_0005.vtu");
    message = error_of([&] { write_eagle_rollout_pvd(root + "/r.pvd", rollout_); });
    QVERIFY2(message.find("r.pvd") != std::string::npos &&
                 message.find("r_0005.vtu") != std::string::npos,
             message.c_str());
    QVERIFY((directory_entries(root) == std::vector<std::string>{"plain", "r_0005.vtu"}));
  }
};

QTEST_APPLESS_MAIN(TestExport)
#include "tst_export.moc"
