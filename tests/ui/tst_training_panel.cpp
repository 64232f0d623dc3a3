// The Training dock on real generated data with the shipped smoke configuration: a run starts,
// reports metrics into the loss curve while the event loop keeps running, pauses, and Stop ends
// it promptly; a short run leaves a checkpoint that "Open in player" hands on; the generator
// button writes a data set in the background.
#include <QComboBox>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include "erwin/datasets/generate.h"
#include "erwin/ui/engine/training_run.h"
#include "erwin/ui/widgets/curve_plot.h"
#include "erwin/ui/widgets/training_panel.h"
#include "test_support.h"

using erwin::ui::TrainingPanel;
using erwin::ui::TrainingRun;

namespace {

QString smoke_config() {
  return QString::fromStdString(erwin::test::source_dir()) + "/resources/configs/eagle_smoke.json";
}

// Longest interval between two ticks of a 20 ms timer while `condition` is awaited.
struct TickWatch {
  QTimer timer;
  QElapsedTimer since_last;
  qint64 longest_ms = 0;
  int ticks = 0;
  TickWatch() {
    QObject::connect(&timer, &QTimer::timeout, [this] {
      if (since_last.isValid()) longest_ms = std::max(longest_ms, since_last.elapsed());
      since_last.restart();
      ++ticks;
    });
    timer.start(20);
  }
};

}  // namespace

class TestTrainingPanel : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  QString root_;

  void prepare(TrainingPanel& panel, int steps) {
    QVERIFY(panel.select_config(smoke_config()));
    panel.set_data_root(root_);
    panel.set_checkpoint_dir(dir_.filePath("checkpoints"));
    panel.steps_box()->setValue(steps);
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    root_ = dir_.filePath("eagle");
    erwin::datasets::EagleGenerateOptions options;
    options.simulations = 3;
    options.steps = 24;
    options.grid_x = 24;
    options.grid_y = 12;
    erwin::datasets::generate_eagle_like(root_.toStdString(), options);
  }

  void lists_the_shipped_configurations() {
    TrainingPanel panel;
    QVERIFY(panel.select_config(smoke_config()));
    const erwin::RunConfig config = panel.run_config();
    QCOMPARE(QString::fromStdString(config.name), QString("eagle_smoke"));
    QCOMPARE(QString::fromStdString(config.precision), QString("fp32"));
    // The precision box sets training.precision (bf16: autocast, float32 weights).
    auto* precision = panel.findChild<QComboBox*>("trainingPrecision");
    QVERIFY(precision);
    precision->setCurrentText("bf16");
    QCOMPARE(QString::fromStdString(panel.run_config().precision), QString("bf16"));
    QVERIFY(!panel.select_config("/nonexistent/config.json"));
  }

  void trains_with_live_curves_and_stops_without_hanging() {
    TrainingPanel panel;
    panel.show();
    prepare(panel, 100000);
    TrainingRun* run = panel.run();
    QSignalSpy started(run, &TrainingRun::started);
    QSignalSpy metrics(&panel, &TrainingPanel::metrics_received);
    QSignalSpy finished(run, &TrainingRun::finished);
    QSignalSpy failed(run, &TrainingRun::error);
    TickWatch watch;

    panel.findChild<QPushButton*>("startTraining")->click();
    QVERIFY(run->running());
    QTRY_VERIFY_WITH_TIMEOUT(metrics.count() >= 2 || !failed.isEmpty(), 60000);
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
    QCOMPARE(started.count(), 1);
    QVERIFY(panel.plot()->point_count(panel.train_loss_series()) >= 2);
    qInfo("%d metrics records, %d timer ticks, longest gap between ticks %lld ms",
          int(metrics.count()), watch.ticks, static_cast<long long>(watch.longest_ms));
    QVERIFY(watch.ticks > 20);
    QVERIFY(watch.longest_ms < 1500);  // the GUI thread never waited for a training step

    auto* pause = panel.findChild<QPushButton*>("pauseTraining");
    pause->click();
    QVERIFY(run->paused());
    QCOMPARE(pause->text(), QString("Resume"));
    pause->click();
    QVERIFY(!run->paused());

    QElapsedTimer stopping;
    stopping.start();
    panel.findChild<QPushButton*>("stopTraining")->click();
    QVERIFY(finished.wait(15000) || !finished.isEmpty());
    qInfo("stop -> finished in %lld ms", static_cast<long long>(stopping.elapsed()));
    QCOMPARE(finished.first().at(0).toBool(), true);  // cancelled
    QVERIFY(!run->running());
    QVERIFY(panel.findChild<QPushButton*>("startTraining")->isEnabled());
  }

  void a_finished_run_lists_its_checkpoint() {
    TrainingPanel panel;
    prepare(panel, 12);
    QSignalSpy finished(panel.run(), &TrainingRun::finished);
    QSignalSpy failed(panel.run(), &TrainingRun::error);
    panel.start();
    QVERIFY(finished.wait(60000) || !failed.isEmpty());
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
    QCOMPARE(finished.first().at(0).toBool(), false);
    QCOMPARE(finished.first().at(1).toLongLong(), qint64(12));
    const QStringList checkpoints = panel.listed_checkpoints();
    QCOMPARE(checkpoints.size(), 1);
    QVERIFY(checkpoints.first().endsWith("eagle_smoke.ckpt"));

    QSignalSpy opened(&panel, &TrainingPanel::checkpoint_opened);
    panel.findChild<QPushButton*>("openCheckpoint")->click();
    QCOMPARE(opened.count(), 1);
    QCOMPARE(opened.first().at(0).toString(), checkpoints.first());
    QCOMPARE(opened.first().at(1).toString(), root_);
  }

  void generates_synthetic_data_in_the_background() {
    TrainingPanel panel;
    prepare(panel, 10);
    const QString root = dir_.filePath("generated");
    panel.set_data_root(root);
    QSignalSpy generated(&panel, &TrainingPanel::data_generated);
    TickWatch watch;
    panel.generate_data();
    QVERIFY(generated.wait(60000));
    QVERIFY2(generated.first().at(1).toString().isEmpty(),
             qPrintable(generated.first().at(1).toString()));
    QVERIFY(QFileInfo(root + "/Splits/train.txt").isFile());
    QVERIFY(watch.ticks > 0);
  }
};

QTEST_MAIN(TestTrainingPanel)
#include "tst_training_panel.moc"
