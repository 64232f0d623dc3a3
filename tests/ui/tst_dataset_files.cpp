// The datasets' files open in the studio like any point file: generated EAGLE, ShapeNet-Car and
// MD data (datasets/generate.h) read through load_point_set, and an EAGLE simulation drawn by
// `erwin-studio --screenshot`.
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QImage>
#include <QTemporaryDir>
#include <QTest>
#include <filesystem>

#include "erwin/datasets/eagle.h"
#include "erwin/datasets/generate.h"
#include "erwin/datasets/md_polymer.h"
#include "erwin/npy.h"
#include "erwin/ui/data_loader.h"
#include "image_support.h"
#include "studio_process.h"
#include "test_support.h"

using erwin::ui::load_point_set;
using erwin::ui::PointSet;

namespace {

QString first_file_named(const QString& root, const QString& name) {
  QDirIterator files(root, {name}, QDir::Files, QDirIterator::Subdirectories);
  return files.hasNext() ? files.next() : QString();
}

QString folder_of(const QString& file) { return QFileInfo(file).absolutePath(); }

}  // namespace

class TestDatasetFiles : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(root_.isValid());
    try {
      generate();
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
};

QTEST_GUILESS_MAIN(TestDatasetFiles)
#include "tst_dataset_files.moc"
