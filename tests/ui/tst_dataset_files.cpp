// The datasets' files open in the studio like any point file: generated EAGLE, ShapeNet-Car and
// MD data (datasets/generate.h) read through load_point_set, and an EAGLE simulation drawn by
// `erwin-studio --screenshot`. The Studio's own exports (an EAGLE rollout and a ShapeNet-Car
// prediction of fresh models, as .h5 and .pvd) open again as results in the rollout player of a
// real window, judged by content; other ParaView series open as frames.
#include <vtkFloatArray.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkXMLPolyDataWriter.h>

#include <QDir>
#include <QDirIterator>
#include <QDockWidget>
#include <QFile>
#include <QImage>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>
#include <filesystem>

#include "../datasets/datasets_test_util.h"
#include "erwin/datasets/eagle.h"
#include "erwin/datasets/export.h"
#include "erwin/datasets/generate.h"
#include "erwin/datasets/inference.h"
#include "erwin/datasets/md_polymer.h"
#include "erwin/datasets/shapenet_car.h"
#include "erwin/datasets/training_tasks.h"
#include "erwin/npy.h"
#include "erwin/ui/engine/data_loader.h"
#include "erwin/ui/engine/result_import.h"
#include "erwin/ui/widgets/main_window.h"
#include "erwin/ui/widgets/rollout_player.h"
#include "image_support.h"
#include "studio_process.h"
#include "test_support.h"

using erwin::ui::InferenceResult;
using erwin::ui::load_point_set;
using erwin::ui::MainWindow;
using erwin::ui::PointSet;
using erwin::ui::read_result_file;

namespace {

QString first_file_named(const QString& root, const QString& name) {
  QDirIterator files(root, {name}, QDir::Files, QDirIterator::Subdirectories);
  return files.hasNext() ? files.next() : QString();
}

QString folder_of(const QString& file) { return QFileInfo(file).absolutePath(); }

erwin::RunConfig smoke_config(const std::string& file) {
  return erwin::RunConfig::from_json_file(erwin::test::source_dir() + "/resources/configs/" + file);
}

// Triangles [F, 3] without those repeating a node (the EAGLE format's padding).
torch::Tensor proper_triangles(const torch::Tensor& triangles) {
  const torch::Tensor a = triangles.select(1, 0), b = triangles.select(1, 1),
                      c = triangles.select(1, 2);
  return triangles.index({(a != b) & (b != c) & (a != c)});
}

// Opens `source` in `window` and waits until it is on screen; the message of load_failed, if any.
QString open_in(MainWindow& window, const QString& source) {
  QSignalSpy ready(&window, &MainWindow::scene_ready);
  QSignalSpy failed(&window, &MainWindow::load_failed);
  window.open(source);
  if (!QTest::qWaitFor([&] { return !ready.isEmpty() || !failed.isEmpty(); }, 120000))
    return "timed out";
  return failed.isEmpty() ? QString() : failed.value(0).value(0).toString();
}

// A ParaView series of `frames` clouds of points (polydata), written with VTK's writer: of
// 50 + 10 t points, or with `same_points` 50 points in every frame and a point array
// "temperature" = 100 t + i.
QString write_point_series(const QString& folder, int frames, bool same_points = false) {
  QString pvd =
      "<?xml version=\"1.0\"?>\n<VTKFile type=\"Collection\" version=\"0.1\">\n"
      "<Collection>\n";
  for (int t = 0; t < frames; ++t) {
    vtkNew<vtkPoints> points;
    const int count = same_points ? 50 : 50 + 10 * t;
    vtkNew<vtkFloatArray> temperature;
    temperature->SetName("temperature");
    for (int i = 0; i < count; ++i) {
      points->InsertNextPoint(i, (i * 7) % 13, t + i % 5);
      temperature->InsertNextValue(static_cast<float>(100 * t + i));
    }
    vtkNew<vtkPolyData> cloud;
    cloud->SetPoints(points);
    if (same_points) cloud->GetPointData()->AddArray(temperature);
    vtkNew<vtkXMLPolyDataWriter> writer;
    const QString name = QString("cloud_%1.vtp").arg(t);
    writer->SetFileName(QDir(folder).filePath(name).toStdString().c_str());
    writer->SetInputData(cloud);
    writer->Write();
    pvd += QString("<DataSet timestep=\"%1\" file=\"%2\"/>\n").arg(0.5 * t).arg(name);
  }
  pvd += "</Collection>\n</VTKFile>\n";
  QFile file(QDir(folder).filePath("clouds.pvd"));
  file.open(QIODevice::WriteOnly);
  file.write(pvd.toUtf8());
  return file.fileName();
}

}  // namespace

class TestDatasetFiles : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(root_.isValid());
    try {
      generate();
      export_results();
    } catch (const std::exception& error) {
      QFAIL(error.what());
    }
  }

  void eagle_simulation_opens_with_its_mesh() {
    const QString file = first_file_named(root_.filePath("eagle"), "sim.npz");
    QVERIFY(!file.isEmpty());
    const PointSet set = load_point_set(file.toStdString());
    const auto sim = erwin::datasets::load_eagle_simulation(folder_of(file).toStdString());
    QCOMPARE(set.pos.sizes(), sim.positions[0].sizes());
    QVERIFY(torch::equal(set.pos, sim.positions[0]));
    QVERIFY(set.surface);
    QCOMPARE(set.surface->GetNumberOfPolys(), sim.triangles.size(1));
    QVERIFY2(QString::fromStdString(set.name).startsWith("EAGLE "), set.name.c_str());
    QVERIFY2(QString::fromStdString(set.name).endsWith("step 1 of 4"), set.name.c_str());
  }

  // Every step of the simulation, with its flow as fields (velocity, the two pressure channels,
  // the node type).
  void eagle_simulation_opens_as_a_time_series_with_its_fields() {
    const QString file = first_file_named(root_.filePath("eagle"), "sim.npz");
    const PointSet set = load_point_set(file.toStdString());
    const auto sim = erwin::datasets::load_eagle_simulation(folder_of(file).toStdString());
    QCOMPARE(set.frame_count(), sim.positions.size(0));
    QCOMPARE(erwin::ui::colourable_fields(set),
             (std::vector<std::string>{"velocity", "velocity:x", "velocity:y", "PS", "PG",
                                       "node type"}));
    QVERIFY(torch::equal(erwin::ui::field_values(set, "PS"), sim.state[0].select(1, 2)));
    QVERIFY(torch::allclose(erwin::ui::field_values(set, "velocity"),
                            sim.state[0].slice(1, 0, 2).norm(2, 1)));
    const PointSet step = erwin::ui::select_frame(set, 2);
    QVERIFY(torch::equal(step.pos, sim.positions[2]));
    QVERIFY(torch::equal(erwin::ui::field_values(step, "velocity:y"), sim.state[2].select(1, 1)));
    QVERIFY2(QString::fromStdString(step.name).endsWith("step 3 of 4"), step.name.c_str());
    QVERIFY_THROWS_EXCEPTION(std::invalid_argument, erwin::ui::field_values(set, "speed"));
  }

  void other_npz_files_stay_point_files() {
    // A sim.npz without triangles.npy beside it is no EAGLE simulation.
    QTemporaryDir dir;
    const std::string path = dir.filePath("sim.npz").toStdString();
    erwin::save_npz(path, {{"pos", torch::rand({40, 3})}});
    QCOMPARE(load_point_set(path).pos.size(0), 40);
  }

  void shapenet_car_opens_from_either_file() {
    const QString points = first_file_named(root_.filePath("shapenet"), "mesh_points.th");
    QVERIFY(!points.isEmpty());
    const PointSet from_points = load_point_set(points.toStdString());
    QCOMPARE(from_points.pos.size(0), 3586);
    QCOMPARE(from_points.pos.size(1), 3);
    QVERIFY(!from_points.surface);
    QVERIFY(QString::fromStdString(from_points.name).startsWith("ShapeNet-Car "));
    const PointSet from_pressure =
        load_point_set(QDir(folder_of(points)).filePath("pressure.th").toStdString());
    QVERIFY(torch::equal(from_pressure.pos, from_points.pos));
    // The car's surface pressure is a field of its points.
    const torch::Tensor pressure = erwin::datasets::load_torch_file(
        QDir(folder_of(points)).filePath("pressure.th").toStdString(), "pressure");
    QVERIFY(torch::equal(erwin::ui::field_values(from_points, "pressure"), pressure.flatten()));
  }

  void md_trajectory_opens_with_its_bonds() {
    const QString file = first_file_named(root_.filePath("md"), "position.h5");
    QVERIFY(!file.isEmpty());
    const auto md = erwin::datasets::load_md_trajectory(folder_of(file).toStdString());
    for (const char* name : {"position.h5", "bond.h5", "ptype.h5"}) {
      const PointSet set = load_point_set(QDir(folder_of(file)).filePath(name).toStdString());
      QVERIFY(torch::allclose(set.pos, md.positions[0]));
      QVERIFY(set.surface);
      QCOMPARE(set.surface->GetNumberOfLines(), md.bonds.size(0));
      QCOMPARE(set.surface->GetNumberOfVerts(), md.positions.size(1));
      QVERIFY2(QString::fromStdString(set.name).endsWith("frame 1 of 5"), set.name.c_str());
      QCOMPARE(set.frame_count(), md.positions.size(0));
      QVERIFY(torch::allclose(erwin::ui::select_frame(set, 3).pos, md.positions[3]));
      QVERIFY(torch::equal(erwin::ui::field_values(set, "bead type"),
                           md.node_type.to(torch::kFloat32)));
    }
  }

  void studio_draws_an_eagle_simulation() {
    const QString file = first_file_named(root_.filePath("eagle"), "sim.npz");
    const QString png = root_.filePath("eagle.png");
    QString output;
    QVERIFY2(erwin::test::run_studio(
                 {file, "--screenshot", png, "--size", "480x320", "--level", "5"}, &output) == 0,
             qPrintable(output));
    const QImage image(png);
    QCOMPARE(image.size(), QSize(480, 320));
    const int colours = erwin::test::distinct_colours(image, 1);
    QVERIFY2(colours > 40, qPrintable(QString::number(colours)));
  }

  void exports_read_back_as_results() {
    // HDF5: as written. Judged by content: the same file under another extension too.
    const std::string copy = root_.filePath("rollout_copy.dat").toStdString();
    std::filesystem::copy_file(file("rollout.h5"), copy);
    for (const std::string& path : {file("rollout.h5"), copy}) {
      const std::optional<InferenceResult> read = read_result_file(path);
      QVERIFY2(read && read->eagle, path.c_str());
      QVERIFY(torch::equal(read->eagle->predicted, rollout_.predicted));
      QVERIFY(torch::equal(read->eagle->truth, rollout_.truth));
      QVERIFY(torch::equal(read->eagle->triangles, rollout_.triangles));
      QCOMPARE(read->eagle->simulation, rollout_.simulation);
      QCOMPARE(read->eagle->checkpoint, rollout_.checkpoint);
    }
    const std::optional<InferenceResult> car = read_result_file(file("car.h5"));
    QVERIFY(car && car->shapenet);
    QVERIFY(torch::equal(car->shapenet->predicted, prediction_.predicted));
    QCOMPARE(car->shapenet->car, prediction_.car);

    // What is not a result: an MD trajectory's file, a point file.
    const QString md = first_file_named(root_.filePath("md"), "position.h5");
    QVERIFY(!read_result_file(md.toStdString()));
    QVERIFY(!read_result_file(first_file_named(root_.filePath("eagle"), "sim.npz").toStdString()));
  }

  void pvd_exports_read_back_as_results() {
    const std::optional<InferenceResult> read = read_result_file(file("pv/rollout.pvd"));
    QVERIFY(read && read->eagle);
    const erwin::datasets::EagleRollout& r = *read->eagle;
    QCOMPARE(r.start, rollout_.start);
    QCOMPARE(r.simulation, int64_t{-1});  // not in a .pvd
    QVERIFY(torch::equal(r.positions, rollout_.positions));
    QVERIFY(torch::equal(r.node_type, rollout_.node_type));
    QVERIFY(torch::equal(r.predicted, rollout_.predicted));
    QVERIFY(torch::equal(r.truth, rollout_.truth));
    QCOMPARE(r.triangles.size(0), rollout_.triangles.size(0));
    for (int64_t t = 0; t < r.triangles.size(0); ++t)
      QVERIFY(
          torch::equal(proper_triangles(r.triangles[t]), proper_triangles(rollout_.triangles[t])));
    QVERIFY(torch::allclose(r.rmse_velocity, rollout_.rmse_velocity, 1e-6, 1e-7));
    QVERIFY(torch::allclose(r.rmse_pressure, rollout_.rmse_pressure, 1e-6, 1e-7));
    QVERIFY(r.rmse_velocity[-1].item<double>() > 0);

    const std::optional<InferenceResult> car = read_result_file(file("pv/car.pvd"));
    QVERIFY(car && car->shapenet);
    QVERIFY(torch::equal(car->shapenet->positions, prediction_.positions));
    QVERIFY(torch::equal(car->shapenet->predicted, prediction_.predicted));
    QVERIFY(torch::equal(car->shapenet->truth, prediction_.truth));
    QVERIFY(std::abs(car->shapenet->mse - prediction_.mse) <= 1e-6 * prediction_.mse);
  }

  void other_paraview_series_open_as_frames() {
    QTemporaryDir dir;
    const std::string pvd = write_point_series(dir.path(), 3).toStdString();
    QVERIFY(!read_result_file(pvd));
    const PointSet set = load_point_set(pvd);
    QCOMPARE(set.cloud_count(), int64_t{3});
    QCOMPARE(set.pos.size(0), 50);
    QCOMPARE(erwin::ui::select_cloud(set, 2).pos.size(0), 70);
    QCOMPARE(erwin::ui::select_cloud(set, 2).pos[1][2].item<float>(), 3.0f);
  }

  // Frames of equal point counts are a time series, with the point arrays all frames have.
  void paraview_series_of_equal_frames_is_a_time_series() {
    QTemporaryDir dir;
    const PointSet set = load_point_set(write_point_series(dir.path(), 3, true).toStdString());
    QCOMPARE(set.frame_count(), int64_t{3});
    QCOMPARE(set.cloud_count(), int64_t{1});
    QCOMPARE(erwin::ui::field_values(set, "temperature")[7].item<float>(), 7.0f);
    const PointSet last = erwin::ui::select_frame(set, 2);
    QCOMPARE(last.pos[1][2].item<float>(), 3.0f);
    QCOMPARE(erwin::ui::field_values(last, "temperature")[7].item<float>(), 207.0f);
  }

  // In the window: colour by a field (a signed one gets the symmetric range and the diverging
  // map), step through time (each step's tree built in the background) and play.
  void studio_colours_by_field_and_steps_through_time() {
    const QString file = first_file_named(root_.filePath("eagle"), "sim.npz");
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QCOMPARE(open_in(window, file), QString());
    erwin::ui::StudioState& state = window.state();
    QCOMPARE(state.limits().frame_count, int64_t{4});
    state.set_legend(false);
    const QImage by_ball = window.screenshot(QSize(480, 320));
    state.set("colour-by", "velocity:x");
    QCOMPARE(state.colouring(), erwin::ui::Colouring::Field);
    QCOMPARE(state.range_mode(), erwin::ui::RangeMode::Symmetric);
    QCOMPARE(state.colour_map(), erwin::ui::ColourMap::CoolWarm);
    const auto [low, high] = window.scene().field_range();
    QCOMPARE(low, -high);
    const QImage by_field = window.screenshot(QSize(480, 320));
    QVERIFY(by_field != by_ball);
    state.set("range", "percentile");
    const auto percentile = window.scene().field_range();
    QVERIFY(percentile.first >= low && percentile.second <= high);

    QSignalSpy ready(&window, &MainWindow::scene_ready);
    state.set_time(2);
    QVERIFY(ready.wait(60000));
    QCOMPARE(window.scene().points().frame, int64_t{2});
    QCOMPARE(state.colouring(), erwin::ui::Colouring::Field);  // the field stays
    const auto sim = erwin::datasets::load_eagle_simulation(folder_of(file).toStdString());
    QVERIFY(torch::equal(window.scene().points().pos, sim.positions[2]));

    state.set_playing(true);
    QVERIFY(QTest::qWaitFor([&] { return window.scene().points().frame == 3; }, 60000));
    QVERIFY(QTest::qWaitFor([&] { return window.scene().points().frame == 0; }, 60000));
    state.set_playing(false);
  }

  void broken_results_name_the_file() {
    QTemporaryDir dir;
    // A frame of the series missing.
    const QString pv = dir.filePath("pv");
    QDir().mkpath(pv);
    for (const QString& name : QDir(root_.filePath("pv")).entryList({"rollout*"}))
      QFile::copy(QDir(root_.filePath("pv")).filePath(name), QDir(pv).filePath(name));
    QFile::remove(QDir(pv).filePath("rollout_0002.vtu"));
    const std::string pvd = QDir(pv).filePath("rollout.pvd").toStdString();
    ERWIN_EXPECT_FORMAT_ERROR(read_result_file(pvd), pvd, "frame 2", "rollout_0002.vtu");
    // Not a collection.
    const std::string text = dir.filePath("notes.pvd").toStdString();
    erwin::test::write_bytes(text, "<VTKFile type=\"Collection\"><Collection>");
    ERWIN_EXPECT_FORMAT_ERROR(read_result_file(text), text, "not a ParaView collection");
    // An HDF5 file that is neither an export nor an MD trajectory's.
    const std::string other = dir.filePath("numbers.h5").toStdString();
    erwin::datasets::save_h5_array(other, "values", torch::zeros({3}));
    ERWIN_EXPECT_FORMAT_ERROR(load_point_set(other), other, "neither an Erwin export");
  }

  void load_point_set_gives_an_exports_first_frame() {
    const PointSet set = load_point_set(file("rollout.h5"));
    QVERIFY(torch::equal(set.pos, rollout_.positions[0]));
    QVERIFY(set.surface);
    QCOMPARE(set.surface->GetNumberOfPolys(), rollout_.triangles.size(1));
    QVERIFY2(QString::fromStdString(set.name).endsWith("frame 1 of 4"), set.name.c_str());
  }

  void studio_plays_its_own_exports() {
    MainWindow window;
    window.set_error_dialogs(false);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    erwin::ui::RolloutPlayer* player = window.rollout_player();
    for (const std::string& path : {file("rollout.h5"), file("pv/rollout.pvd")}) {
      const QString source = QString::fromStdString(path);
      const QString error = open_in(window, source);
      QVERIFY2(error.isEmpty(), qPrintable(error));
      QVERIFY2(player->shown(), qPrintable(source));  // predicted / true / error panels
      QVERIFY(player->result() && player->result()->eagle);
      QVERIFY(torch::equal(player->result()->eagle->predicted, rollout_.predicted));
      QCOMPARE(player->frame_count(), 4);
      QVERIFY(window.windowTitle().endsWith(QFileInfo(source).fileName()));
      QCOMPARE(window.current_source(), source);
      // Every frame is reachable: the last one shows errors the first (the true state) has not.
      const QImage first = window.screenshot(QSize(600, 300), false);
      player->set_frame(3);
      QCOMPARE(player->frame(), 3);
      const QImage last = window.screenshot(QSize(600, 300), false);
      QVERIFY2(erwin::test::distinct_colours(last) > 40,
               qPrintable(QString::number(erwin::test::distinct_colours(last))));
      QVERIFY(first != last);
    }
    QVERIFY(open_in(window, QString::fromStdString(file("car.h5"))).isEmpty());
    QVERIFY(player->result()->shapenet);
    QCOMPARE(player->frame_count(), 1);
    // A point file takes the viewport back for the tree views.
    QVERIFY(open_in(window, erwin::ui::kDemoMesh2d).isEmpty());
    QVERIFY(!player->shown());
    QVERIFY(window.scene().has_data());
  }

  void studio_names_a_broken_export() {
    MainWindow window;
    window.set_error_dialogs(false);
    const std::string broken = root_.filePath("broken.h5").toStdString();
    std::filesystem::copy_file(file("rollout.h5"), broken);
    erwin::test::truncate_file(broken, 0.5);
    const QString error = open_in(window, QString::fromStdString(broken));
    QVERIFY2(error.contains("broken.h5"), qPrintable(error));
    QVERIFY(!window.rollout_player()->result());
  }

  void studio_screenshots_an_export() {
    for (const std::string& path : {file("rollout.h5"), file("pv/rollout.pvd"), file("car.h5")}) {
      const QString png = QString::fromStdString(path + ".png");
      QString output;
      QVERIFY2(erwin::test::run_studio(
                   {QString::fromStdString(path), "--screenshot", png, "--size", "720x300"},
                   &output) == 0,
               qPrintable(output));
      const QImage image(png);
      QCOMPARE(image.size(), QSize(720, 300));
      const int colours = erwin::test::distinct_colours(image, 1);
      QVERIFY2(colours > 40, qPrintable(QString::number(colours)));
    }
  }

  void truncated_dataset_file_names_the_file() {
    const QString file = first_file_named(root_.filePath("eagle"), "sim.npz");
    QFile sim(file);
    QVERIFY(sim.open(QIODevice::ReadWrite));
    QVERIFY(sim.resize(sim.size() / 2));
    sim.close();
    try {
      load_point_set(file.toStdString());
      QFAIL("a truncated sim.npz was read");
    } catch (const erwin::FormatError& error) {
      QVERIFY2(QString(error.what()).contains("sim.npz"), error.what());
    }
  }

 private:
  std::string file(const std::string& name) const {
    return root_.filePath(QString::fromStdString(name)).toStdString();
  }

  // An EAGLE rollout and a ShapeNet-Car prediction of fresh smoke models, exported as the Studio
  // and `erwin rollout` / `erwin predict` export them.
  void export_results() {
    using namespace erwin::datasets;
    torch::manual_seed(0);
    erwin::EagleModel eagle_model = make_eagle_model(smoke_config("eagle_smoke.json"));
    rollout_ = eagle_rollout(eagle_model, file("eagle"), "test", 0, 0, 3);
    rollout_.checkpoint = "runs/eagle/step_100.ckpt";
    erwin::ShapenetCarModel car_model =
        make_shapenet_model(smoke_config("shapenet_car_smoke.json"));
    prediction_ =
        predict_shapenet_car(car_model, ShapenetCarDataset::open(file("shapenet"), "test"), 0);
    write_eagle_rollout_h5(file("rollout.h5"), rollout_);
    write_shapenet_prediction_h5(file("car.h5"), prediction_);
    QDir().mkpath(root_.filePath("pv"));
    write_eagle_rollout_pvd(file("pv/rollout.pvd"), rollout_);
    write_shapenet_prediction_pvd(file("pv/car.pvd"), prediction_);
  }

  void generate() {
    erwin::datasets::EagleGenerateOptions eagle;
    eagle.simulations = 3;
    eagle.steps = 4;
    erwin::datasets::generate_eagle_like(root_.filePath("eagle").toStdString(), eagle);
    erwin::datasets::ShapenetGenerateOptions cars;
    cars.cars = 6;
    erwin::datasets::generate_shapenet_like(root_.filePath("shapenet").toStdString(), cars);
    erwin::datasets::MdGenerateOptions md;
    md.train_trajectories = md.valid_trajectories = md.test_trajectories = 1;
    md.frames = md.test_frames = 5;
    erwin::datasets::generate_md_like(root_.filePath("md").toStdString(), md);
  }

  QTemporaryDir root_;
  erwin::datasets::EagleRollout rollout_;
  erwin::datasets::ShapenetPrediction prediction_;
};

QTEST_MAIN(TestDatasetFiles)
#include "tst_dataset_files.moc"
