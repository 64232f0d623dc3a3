// Exports of an EAGLE rollout and a ShapeNet-Car prediction (erwin/datasets/export.h), made by
// fresh models on generated data: HDF5 read back by our reader and by h5py (from the .venv),
// files rewritten by h5py read by ours, .vtu/.pvd by VTK's own readers.
#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
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
#include "erwin/npy.h"
#include "h5py_support.h"
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

// Opens an HDF5 file with h5py and compares every dataset (dtype, shape, values) with the .npz
// `argv[2]` (members named by dataset path) and every attribute with the JSON `argv[3]`
// ({object: {name: value}}; a JSON string must read back as str, an integer as numpy.int64, a
// number as numpy.float64). Objects and attributes the JSON lacks must not exist.
const QString kCheckWithH5py = R"py(
import json
import sys

import h5py
import numpy as np

path, arrays_path, attributes_json = sys.argv[1:4]
expected_arrays = dict(np.load(arrays_path))
expected_attributes = json.loads(attributes_json)
kinds = {str: str, int: np.int64, float: np.float64}
problems, arrays, attributes = [], {}, {}

with h5py.File(path, "r") as f:
    def visit(name, obj):
        if obj.attrs:
            attributes["/" + name] = dict(obj.attrs)
        if isinstance(obj, h5py.Dataset):
            arrays[name] = obj[()]

    if f.attrs:
        attributes["/"] = dict(f.attrs)
    f.visititems(visit)

for name in sorted(set(arrays) | set(expected_arrays)):
    got, want = arrays.get(name), expected_arrays.get(name)
    if got is None or want is None:
        problems.append(f"dataset {name}: {'missing' if got is None else 'not expected'}")
    elif got.dtype.str != want.dtype.str or got.shape != want.shape:
        problems.append(f"dataset {name}: {got.dtype.str} {got.shape}, expected "
                        f"{want.dtype.str} {want.shape}")
    elif not np.array_equal(got, want):
        problems.append(f"dataset {name}: values differ")
for obj in sorted(set(attributes) | set(expected_attributes)):
    got, want = attributes.get(obj, {}), expected_attributes.get(obj, {})
    for key in sorted(set(got) | set(want)):
        if key not in got or key not in want:
            problems.append(f"{obj}@{key}: {'missing' if key not in got else 'not expected'}")
            continue
        kind = kinds[type(want[key])]
        if type(got[key]) is not kind or got[key] != want[key]:
            problems.append(f"{obj}@{key}: {got[key]!r} ({type(got[key]).__name__}), expected "
                            f"{want[key]!r} ({kind.__name__})")
if problems:
    sys.exit("\n".join(problems))
print(f"checked {len(arrays)} datasets and {sum(map(len, attributes.values()))} attributes")
)py";

// Checks `file` with kCheckWithH5py against `arrays` and `attributes`.
erwin::test::Run check_with_h5py(const std::string& file,
                                 const std::map<std::string, torch::Tensor>& arrays,
                                 const QJsonObject& attributes) {
  const std::string npz = file + ".expected.npz";
  erwin::save_npz(npz, arrays);
  return erwin::test::run_python(
      kCheckWithH5py,
      {QString::fromStdString(file), QString::fromStdString(npz),
       QString::fromUtf8(QJsonDocument(attributes).toJson(QJsonDocument::Compact))});
}

// The datasets of an EAGLE export (README, "Exported rollouts and predictions") by h5py name.
std::map<std::string, torch::Tensor> eagle_export_arrays(const EagleRollout& r) {
  const torch::Tensor predicted = r.predicted.to(torch::kFloat), truth = r.truth.to(torch::kFloat);
  std::map<std::string, torch::Tensor> arrays = {
      {"eagle/positions", r.positions.to(torch::kFloat)},
      {"eagle/node_type", r.node_type.to(torch::kInt64)},
      {"eagle/triangles", r.triangles.to(torch::kInt64)},
      {"eagle/rmse_velocity", r.rmse_velocity.to(torch::kFloat)},
      {"eagle/rmse_pressure", r.rmse_pressure.to(torch::kFloat)}};
  for (int64_t i = 0; i < kEagleStateSize; ++i) {
    const std::string state = kEagleStateNames[i];
    arrays["eagle/predicted/" + state] = predicted.select(-1, i).contiguous();
    arrays["eagle/truth/" + state] = truth.select(-1, i).contiguous();
    arrays["eagle/error/" + state] = (predicted - truth).select(-1, i).contiguous();
  }
  return arrays;
}

QJsonObject eagle_export_attributes(const EagleRollout& r) {
  return {{"/", QJsonObject{{"erwin_export_version", 1}}},
          {"/eagle", QJsonObject{{"simulation", qint64(r.simulation)},
                                 {"start", qint64(r.start)},
                                 {"steps", qint64(r.positions.size(0) - 1)},
                                 {"checkpoint", QString::fromStdString(r.checkpoint)}}}};
}

std::map<std::string, torch::Tensor> shapenet_export_arrays(const ShapenetPrediction& p) {
  const torch::Tensor predicted = p.predicted.to(torch::kFloat), truth = p.truth.to(torch::kFloat);
  return {{"shapenet/positions", p.positions.to(torch::kFloat)},
          {"shapenet/predicted", predicted},
          {"shapenet/truth", truth},
          {"shapenet/error", predicted - truth}};
}

QJsonObject shapenet_export_attributes(const ShapenetPrediction& p) {
  return {{"/", QJsonObject{{"erwin_export_version", 1}}},
          {"/shapenet", QJsonObject{{"car", qint64(p.car)},
                                    {"mse", p.mse},
                                    {"checkpoint", QString::fromStdString(p.checkpoint)}}}};
}

void require_same_rollout(const EagleRollout& read, const EagleRollout& expected) {
  QCOMPARE(read.simulation, expected.simulation);
  QCOMPARE(read.start, expected.start);
  QCOMPARE(read.checkpoint, expected.checkpoint);
  for (const auto& [got, want] :
       {std::pair{read.positions, expected.positions},
        std::pair{read.node_type, expected.node_type},
        std::pair{read.triangles, expected.triangles},
        std::pair{read.predicted, expected.predicted}, std::pair{read.truth, expected.truth},
        std::pair{read.rmse_velocity, expected.rmse_velocity},
        std::pair{read.rmse_pressure, expected.rmse_pressure}}) {
    QCOMPARE(got.scalar_type(), want.scalar_type());
    QVERIFY(torch::equal(got, want));
  }
}

void require_same_prediction(const ShapenetPrediction& read, const ShapenetPrediction& expected) {
  QCOMPARE(read.car, expected.car);
  QCOMPARE(read.mse, expected.mse);
  QCOMPARE(read.checkpoint, expected.checkpoint);
  QVERIFY(torch::equal(read.positions, expected.positions));
  QVERIFY(torch::equal(read.predicted, expected.predicted));
  QVERIFY(torch::equal(read.truth, expected.truth));
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
    QCOMPARE(read.start, int64_t{2});
    require_same_rollout(read, rollout_);
    if (QTest::currentTestFailed()) return;
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
    require_same_prediction(read, prediction_);
    if (QTest::currentTestFailed()) return;
    QVERIFY(torch::equal(load_h5_array(file, "/shapenet/error"),
                         prediction_.predicted - prediction_.truth));
  }

  void exports_open_in_h5py() {
    REQUIRE_VENV_PYTHON();
    EagleRollout rollout = rollout_;
    rollout.checkpoint = "runs/b\u00f6se L\u00e4ufe/step 100.ckpt";  // UTF-8 travels as str
    write_eagle_rollout_h5(path("h5py_rollout.h5"), rollout);
    erwin::test::Run run = check_with_h5py(path("h5py_rollout.h5"), eagle_export_arrays(rollout),
                                           eagle_export_attributes(rollout));
    REQUIRE_SUCCESS(run);
    QVERIFY2(run.out.contains("checked 17 datasets and 5 attributes"), qPrintable(run.out));

    ShapenetPrediction prediction = prediction_;
    prediction.checkpoint.clear();  // "may be empty": still a str
    write_shapenet_prediction_h5(path("h5py_car.h5"), prediction);
    run = check_with_h5py(path("h5py_car.h5"), shapenet_export_arrays(prediction),
                          shapenet_export_attributes(prediction));
    REQUIRE_SUCCESS(run);
    QVERIFY2(run.out.contains("checked 4 datasets and 4 attributes"), qPrintable(run.out));
  }

  void h5py_check_fails_on_a_wrong_attribute() {
    // The h5py check itself can fail: a wrong expectation is reported, naming the attribute.
    REQUIRE_VENV_PYTHON();
    write_shapenet_prediction_h5(path("h5py_car_wrong.h5"), prediction_);
    ShapenetPrediction other = prediction_;
    other.car = 2;
    const erwin::test::Run run =
        check_with_h5py(path("h5py_car_wrong.h5"), shapenet_export_arrays(prediction_),
                        shapenet_export_attributes(other));
    REQUIRE_FAILURE_NAMING(run, "/shapenet@car");
  }

  void exports_rewritten_by_h5py_are_read_data() {
    QTest::addColumn<QString>("strings");
    QTest::addColumn<QString>("checkpoint");
    const QString ascii = "runs/eagle run/step 100.ckpt";
    const QString utf8 = QString::fromUtf8("runs/b\u00f6se L\u00e4ufe/step 100.ckpt");
    for (const QString& kind : erwin::test::kH5pyStringKinds) {
      const bool ascii_only = kind == "vlen-ascii" || kind == "fixed-ascii";
      QTest::newRow(qPrintable(kind)) << kind << (ascii_only ? ascii : utf8);
    }
    QTest::newRow("default, empty") << "default" << QString();
  }

  void exports_rewritten_by_h5py_are_read() {
    REQUIRE_VENV_PYTHON();
    QFETCH(QString, strings);
    QFETCH(QString, checkpoint);
    EagleRollout rollout = rollout_;
    rollout.checkpoint = checkpoint.toStdString();
    ShapenetPrediction prediction = prediction_;
    prediction.checkpoint = checkpoint.toStdString();
    const std::string stem =
        path("rewritten_" + QString(QTest::currentDataTag()).replace(", ", "_").toStdString());
    write_eagle_rollout_h5(stem + "_ours.h5", rollout);
    write_shapenet_prediction_h5(stem + "_car_ours.h5", prediction);
    const QString from_rollout = QString::fromStdString(stem + "_ours.h5");
    const QString from_car = QString::fromStdString(stem + "_car_ours.h5");
    const QString rollout_file = QString::fromStdString(stem + ".h5");
    const QString car_file = QString::fromStdString(stem + "_car.h5");
    REQUIRE_SUCCESS(erwin::test::rewrite_with_h5py(from_rollout, rollout_file, strings));
    REQUIRE_SUCCESS(erwin::test::rewrite_with_h5py(from_car, car_file, strings));
    require_same_rollout(read_eagle_rollout_h5(rollout_file.toStdString()), rollout);
    require_same_prediction(read_shapenet_prediction_h5(car_file.toStdString()), prediction);
  }

  void bad_attributes_written_by_h5py_are_named_data() {
    QTest::addColumn<QString>("edit");
    QTest::addColumn<QString>("attribute");
    QTest::addColumn<QString>("problem");
    QTest::newRow("integer checkpoint") << R"(f["eagle"].attrs["checkpoint"] = 7)"
                                        << "/eagle@checkpoint"
                                        << "single string";
    QTest::newRow("two checkpoints") << R"(f["eagle"].attrs["checkpoint"] = ["a", "b"])"
                                     << "/eagle@checkpoint"
                                     << "single string";
    QTest::newRow("text simulation") << R"(f["eagle"].attrs["simulation"] = "3")"
                                     << "/eagle@simulation"
                                     << "single integer";
    QTest::newRow("no checkpoint") << R"(del f["eagle"].attrs["checkpoint"])"
                                   << "/eagle@checkpoint"
                                   << "missing";
    QTest::newRow("no version") << R"(del f.attrs["erwin_export_version"])"
                                << "/@erwin_export_version"
                                << "missing";
  }

  void bad_attributes_written_by_h5py_are_named() {
    REQUIRE_VENV_PYTHON();
    QFETCH(QString, edit);
    QFETCH(QString, attribute);
    QFETCH(QString, problem);
    write_eagle_rollout_h5(path("bad_source.h5"), rollout_);
    const std::string file = path("bad_attribute.h5");
    REQUIRE_SUCCESS(erwin::test::rewrite_with_h5py(QString::fromStdString(path("bad_source.h5")),
                                                   QString::fromStdString(file), "default", edit));
    ERWIN_EXPECT_FORMAT_ERROR(read_eagle_rollout_h5(file), file, attribute.toStdString(),
                              problem.toStdString());
  }

  void export_kind_is_judged_by_content() {
    const std::string rollout = path("kind_rollout.dat"), car = path("kind_car.bin");
    write_eagle_rollout_h5(rollout, rollout_);
    write_shapenet_prediction_h5(car, prediction_);
    QVERIFY(hdf5_export_kind(rollout) == ExportKind::EagleRollout);
    QVERIFY(hdf5_export_kind(car) == ExportKind::ShapenetPrediction);
    const std::string md = path("kind_position.h5"), text = path("kind_notes.h5");
    save_h5_array(md, "position", torch::zeros({4, 3, 3}));
    erwin::test::write_bytes(text, "not an HDF5 file\n");
    QVERIFY(!hdf5_export_kind(md));
    QVERIFY(!hdf5_export_kind(text));
    QVERIFY(!hdf5_export_kind(path("kind_missing.h5")));
    erwin::test::truncate_file(rollout, 0.5);
    ERWIN_EXPECT_FORMAT_ERROR(hdf5_export_kind(rollout), rollout, "truncated");
  }

  void export_without_its_group_is_named() {
    REQUIRE_VENV_PYTHON();
    write_eagle_rollout_h5(path("groupless_source.h5"), rollout_);
    const std::string file = path("groupless.h5");
    REQUIRE_SUCCESS(erwin::test::rewrite_with_h5py(
        QString::fromStdString(path("groupless_source.h5")), QString::fromStdString(file),
        "default", R"(del f["eagle"])"));
    ERWIN_EXPECT_FORMAT_ERROR(hdf5_export_kind(file), file, "/eagle", "/shapenet");
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

  // Found by fuzzing (the committed input below): a compact dataset declaring more elements than
  // it stores made libhdf5 read past its own buffer; the reader now refuses it before reading.
  void compactDataShorterThanItsShapeIsRefused() {
    const std::string file = std::string(ERWIN_SOURCE_DIR) +
                             "/tests/fuzz/corpus/h5_export/compact_shorter_than_shape.h5";
    ERWIN_EXPECT_FORMAT_ERROR(read_eagle_rollout_h5(file), file, "/eagle/triangles",
                              "more than the file holds");
  }
};

QTEST_APPLESS_MAIN(TestExport)
#include "tst_export.moc"
