// The rollout player on real data and real (freshly initialised) model checkpoints: the rollout
// is computed off the GUI thread, the timeline changes the rendered frame, colours span the range,
// every frame is written as a PNG, ShapeNet-Car predictions show, cancel drops a result.
#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "erwin/datasets/generate.h"
#include "erwin/datasets/training_tasks.h"
#include "erwin/training/training_checkpoint.h"
#include "erwin/ui/widgets/curve_plot.h"
#include "erwin/ui/widgets/rollout_player.h"
#include "erwin/ui/widgets/vtk_viewport.h"
#include "image_support.h"
#include "studio_process.h"
#include "test_support.h"

using erwin::test::distinct_colours;
using erwin::ui::RolloutPlayer;

namespace {

constexpr int kSteps = 6;
const QSize kPixels(600, 450);

// A training checkpoint of a freshly initialised model of the shipped smoke configuration.
std::string fresh_checkpoint(const std::string& config_name, const std::string& root,
                             const std::string& path) {
  erwin::RunConfig config = erwin::RunConfig::from_json_file(erwin::test::source_dir() +
                                                             "/resources/configs/" + config_name);
  config.data.root = root;
  erwin::TrainingState state;
  state.run_config = config;
  torch::manual_seed(1);
  std::shared_ptr<torch::nn::Module> model =
      config.task == erwin::TaskKind::Eagle
          ? std::static_pointer_cast<torch::nn::Module>(
                erwin::datasets::make_eagle_model(config).ptr())
          : std::static_pointer_cast<torch::nn::Module>(
                erwin::datasets::make_shapenet_model(config).ptr());
  torch::optim::AdamW optimizer(model->parameters());
  erwin::save_training_checkpoint(path, state, *model, optimizer);
  return path;
}

int differing_pixels(const QImage& a, const QImage& b) {
  int count = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) count += a.pixel(x, y) != b.pixel(x, y);
  return count;
}

// Smallest |rgb - target| (sum of channel differences) over a region.
int closest(const QImage& image, const QRect& region, QColor target) {
  int best = 3 * 255;
  for (int y = region.top(); y <= region.bottom(); ++y)
    for (int x = region.left(); x <= region.right(); ++x) {
      const QColor c = image.pixelColor(x, y);
      best =
          std::min(best, std::abs(c.red() - target.red()) + std::abs(c.green() - target.green()) +
                             std::abs(c.blue() - target.blue()));
    }
  return best;
}

}  // namespace

class TestRolloutPlayer : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  QString eagle_root_, eagle_checkpoint_, cars_root_, cars_checkpoint_;
  erwin::ui::VtkViewport* viewport_ = nullptr;
  RolloutPlayer* player_ = nullptr;

  void open_and_compute(const QString& checkpoint, const QString& root, int item) {
    QSignalSpy inspected(player_, &RolloutPlayer::inspected);
    player_->open_checkpoint(checkpoint, root);
    QVERIFY(inspected.wait(30000));
    player_->set_selection("test", item, 0, kSteps);
    QSignalSpy ready(player_, &RolloutPlayer::result_ready);
    QSignalSpy failed(player_, &RolloutPlayer::failed);
    player_->compute();
    QVERIFY(ready.wait(60000) || !failed.isEmpty());
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
  }

  QImage grab() { return viewport_->render_image(kPixels, false); }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    eagle_root_ = dir_.filePath("eagle");
    erwin::datasets::EagleGenerateOptions eagle;
    eagle.simulations = 3;
    eagle.steps = 12;
    eagle.grid_x = 28;
    eagle.grid_y = 14;
    erwin::datasets::generate_eagle_like(eagle_root_.toStdString(), eagle);
    eagle_checkpoint_ = QString::fromStdString(fresh_checkpoint(
        "eagle_smoke.json", eagle_root_.toStdString(), dir_.filePath("eagle.ckpt").toStdString()));
    cars_root_ = dir_.filePath("cars");
    erwin::datasets::ShapenetGenerateOptions cars;
    cars.cars = 6;
    cars.points = 256;
    erwin::datasets::generate_shapenet_like(cars_root_.toStdString(), cars);
    cars_checkpoint_ =
        QString::fromStdString(fresh_checkpoint("shapenet_car_smoke.json", cars_root_.toStdString(),
                                                dir_.filePath("cars.ckpt").toStdString()));

    viewport_ = new erwin::ui::VtkViewport;
    viewport_->resize(kPixels);
    viewport_->show();
    QVERIFY(QTest::qWaitForWindowExposed(viewport_));
    player_ = new RolloutPlayer(viewport_);
  }

  void cleanupTestCase() {
    delete player_;
    delete viewport_;
  }

  void computes_the_rollout_in_the_background() {
    QSignalSpy inspected(player_, &RolloutPlayer::inspected);
    player_->open_checkpoint(eagle_checkpoint_, eagle_root_);
    QVERIFY(inspected.wait(30000));
    QCOMPARE(inspected.first().at(0).value<erwin::ui::CheckpointInfo>().kind,
             erwin::TaskKind::Eagle);
    player_->set_selection("test", 0, 0, kSteps);

    QSignalSpy ready(player_, &RolloutPlayer::result_ready);
    QSignalSpy failed(player_, &RolloutPlayer::failed);
    int ticks = 0;
    QTimer ticker;
    connect(&ticker, &QTimer::timeout, this, [&] { ++ticks; });
    ticker.start(10);
    QElapsedTimer clock;
    clock.start();
    player_->compute();
    const qint64 call_ms = clock.elapsed();
    QVERIFY(player_->busy());
    QVERIFY(ready.wait(60000) || !failed.isEmpty());
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
    qInfo("compute() returned after %lld ms; rollout ready after %lld ms, %d timer ticks meanwhile",
          static_cast<long long>(call_ms), static_cast<long long>(clock.elapsed()), ticks);
    QVERIFY(call_ms < 200);
    QVERIFY(ticks >= 3);  // the event loop ran while the model rolled out
    QVERIFY(!player_->busy());
    QCOMPARE(player_->frame_count(), kSteps + 1);
    QVERIFY(player_->shown());
    QVERIFY(player_->result()->eagle->triangles.defined());
    QCOMPARE(player_->error_plot()->point_count(0), kSteps + 1);  // RMSE per step
  }

  void timeline_changes_the_rendered_frame() {
    QVERIFY(player_->result());
    player_->set_frame(0);
    const QImage first = grab();
    player_->set_frame(kSteps);
    QCOMPARE(player_->frame(), kSteps);
    const QImage last = grab();
    QCOMPARE(first.size(), kPixels);
    QVERIFY(distinct_colours(first) > 50);
    const int changed = differing_pixels(first, last);
    qInfo("frame 0 vs frame %d: %d of %d pixels differ", kSteps, changed,
          kPixels.width() * kPixels.height());
    QVERIFY(changed > kPixels.width() * kPixels.height() / 50);
    player_->set_frame(0);
    QCOMPARE(differing_pixels(first, grab()), 0);  // back to the same picture
  }

  void colours_span_the_range() {
    // Fixed range = this frame's min..max of the predicted field: the predicted panel (top row,
    // left of the colour bars) must show both ends of viridis.
    const int t = 3;
    player_->set_frame(t);
    player_->set_colour_map(erwin::ui::ColourMap::Viridis);
    const torch::Tensor values = erwin::ui::field_frames(*player_->result(), 0).predicted[t];
    player_->set_fixed_range(values.min().item<double>(), values.max().item<double>());
    const QImage image = grab();
    const QRect predicted(0, kPixels.height() / 12, int(kPixels.width() * 0.85),
                          kPixels.height() / 3 - kPixels.height() / 12);
    const int low = closest(image, predicted, QColor(68, 1, 84));
    const int high = closest(image, predicted, QColor(253, 231, 37));
    qInfo("closest to viridis' ends: %d and %d", low, high);
    QVERIFY(low < 30);
    QVERIFY(high < 30);
    player_->set_auto_range();
  }

  void writes_every_frame_as_png() {
    const QString folder = dir_.filePath("frames");
    QSignalSpy exported(player_, &RolloutPlayer::frames_exported);
    player_->export_frames(folder, QSize(320, 200));
    QVERIFY(exported.wait(60000));
    QCOMPARE(exported.first().at(0).toInt(), kSteps + 1);
    QVERIFY(exported.first().at(1).toString().isEmpty());
    const QStringList files = QDir(folder).entryList({"frame_*.png"}, QDir::Files, QDir::Name);
    QCOMPARE(files.size(), kSteps + 1);
    QImage previous;
    for (const QString& file : files) {
      const QImage image(QDir(folder).filePath(file));
      QCOMPARE(image.size(), QSize(320, 200));
      QVERIFY2(distinct_colours(image) > 30, qPrintable(file));
      if (!previous.isNull()) QVERIFY(differing_pixels(previous, image) > 0);
      previous = image;
    }
  }

  // erwin-studio refuses a --field the rollout does not have, naming the fields it has.
  void studio_refuses_a_field_outside_the_rollout() {
    const QString png = dir_.filePath("field.png");
    QString output;
    const int code = erwin::test::run_studio({"--rollout", eagle_checkpoint_, "--data", eagle_root_,
                                              "--steps", "2", "--field", "99", "--screenshot", png},
                                             &output);
    QVERIFY2(code > 0, qPrintable(output));
    QVERIFY2(output.contains("--field 99: this rollout's fields are 0..") &&
                 output.contains("velocity magnitude"),
             qPrintable(output));
    QVERIFY(!QFile::exists(png));
  }

  void exports_hdf5_and_paraview_files() {
    for (const QString name : {"rollout.h5", "rollout.pvd"}) {
      QSignalSpy exported(player_, &RolloutPlayer::exported);
      player_->export_result(dir_.filePath(name));
      QVERIFY(exported.wait(30000));
      QVERIFY2(exported.first().at(1).toString().isEmpty(),
               qPrintable(exported.first().at(1).toString()));
      QVERIFY(QFileInfo(dir_.filePath(name)).size() > 100);
    }
    QVERIFY(QFileInfo(dir_.filePath("rollout.h5")).size() > 10000);
    QCOMPARE(QDir(dir_.path()).entryList({"rollout_*.vtu"}).size(), kSteps + 1);
  }

  void cancel_drops_the_result() {
    QSignalSpy ready(player_, &RolloutPlayer::result_ready);
    player_->compute();
    QVERIFY(player_->busy());
    player_->cancel();
    QVERIFY(!player_->busy());
    QTest::qWait(3000);
    QCOMPARE(ready.count(), 0);
  }

  void shows_a_shapenet_car_prediction() {
    open_and_compute(cars_checkpoint_, cars_root_, 0);
    QVERIFY(player_->result()->shapenet.has_value());
    QCOMPARE(player_->frame_count(), 1);
    QVERIFY(std::isfinite(player_->result()->shapenet->mse));
    const QImage image = grab();
    QVERIFY(distinct_colours(image) > 50);
  }
};

QTEST_MAIN(TestRolloutPlayer)
#include "tst_rollout_player.moc"
