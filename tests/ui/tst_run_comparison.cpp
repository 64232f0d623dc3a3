// The Training dock's run comparison in a real window: run folders written by `erwin train`
// (real processes) side by side with their hyper-parameters, their curves overlaid, a running
// run re-read as it grows, the dock's own run added once it logs (after the same checks as
// `erwin train`), and `erwin-studio --runs` on screen.
#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QLabel>
#include <QProcess>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTableWidget>
#include <QTemporaryDir>
#include <QTest>

#include "erwin/datasets/generate.h"
#include "erwin/ui/engine/training_run.h"
#include "erwin/ui/widgets/curve_plot.h"
#include "erwin/ui/widgets/plot_controls.h"
#include "erwin/ui/widgets/run_comparison.h"
#include "erwin/ui/widgets/training_panel.h"
#include "image_support.h"
#include "process_support.h"
#include "run_record_support.h"
#include "studio_process.h"

using erwin::ui::RunComparison;

namespace {

// Pixels of exactly `colour` (the plot draws each run in its palette colour).
int pixels_of(const QImage& image, QColor colour) {
  int count = 0;
  for (int y = 0; y < image.height(); ++y)
    for (int x = 0; x < image.width(); ++x) count += image.pixelColor(x, y) == colour;
  return count;
}

const QColor kFirstRun(31, 119, 180), kSecondRun(255, 127, 14);

}  // namespace

class TestRunComparison : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  std::string root_;
  QString run_a_, run_b_;

  QString path(const QString& name) const { return dir_.filePath(name); }

  erwin::RunConfig tiny_run() const {
    erwin::RunConfig config = erwin::test::tiny_eagle_run(root_);
    config.schedule.warmup_steps = 5;
    return config;
  }

  QString train(erwin::RunConfig config, const QString& name) {
    config.checkpoint_path = path(name + "/" + name + ".ckpt").toStdString();
    const auto run = erwin::test::run_erwin(
        {"train", "--config", erwin::test::write_run_config(config, path(name + ".json"))});
    if (run.exit_code != 0) qFatal("%s", qPrintable(erwin::test::describe(run)));
    return path(name);
  }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    root_ = path("eagle").toStdString();
    erwin::datasets::EagleGenerateOptions eagle;
    eagle.simulations = 6;
    eagle.steps = 12;
    eagle.grid_x = 16;
    eagle.grid_y = 8;
    erwin::datasets::generate_eagle_like(root_, eagle);
    erwin::RunConfig slow = tiny_run();
    slow.optimizer.lr = 1e-4;
    slow.schedule.min_lr = 1e-6;
    run_a_ = train(slow, "lr_1e-4");
    erwin::RunConfig fast = tiny_run();
    fast.optimizer.lr = 3e-3;
    fast.batch_size = 3;
    run_b_ = train(fast, "lr_3e-3");
  }

  void compares_runs_side_by_side() {
    RunComparison comparison;
    comparison.resize(900, 600);
    comparison.show();
    QVERIFY(QTest::qWaitForWindowExposed(&comparison));
    QCOMPARE(comparison.add_run(run_a_), QString());
    QCOMPARE(comparison.add_run(run_b_), QString());
    QCOMPARE(comparison.add_run(run_a_), QString());  // already open: re-read, not doubled
    QTableWidget* table = comparison.table();
    QCOMPARE(table->columnCount(), 2);  // a column per run
    const auto cell = [table](int run, const QString& field) {
      for (int r = 0; r < table->rowCount(); ++r)
        if (table->verticalHeaderItem(r)->text() == field) return table->item(r, run)->text();
      return QString("no row " + field);
    };
    QCOMPARE(table->horizontalHeaderItem(0)->text(), QString("lr_1e-4"));
    QCOMPARE(cell(0, "lr"), QString("0.0001"));
    QCOMPARE(cell(1, "lr"), QString("0.003"));
    QCOMPARE(cell(0, "batch"), QString("2"));
    QCOMPARE(cell(1, "batch"), QString("3"));
    QCOMPARE(cell(1, "warm-up"), QString("5"));
    QCOMPARE(cell(1, "steps"), QString("20 / 20"));
    QVERIFY(cell(1, "parameters").endsWith(" k"));

    erwin::ui::CurvePlot* plot = comparison.plot();
    QCOMPARE(plot->series_count(), 2);
    for (int run = 0; run < 2; ++run) {
      const auto lines = erwin::test::read_metrics_lines(comparison.run_folders()[run]);
      QCOMPARE(comparison.record_count(run), static_cast<int>(lines.size()));
      QCOMPARE(plot->point_count(run), 4);  // train loss at 5, 10, 15, 20
      QCOMPARE(cell(run, "train loss"), QString::number(lines.back().record.train_loss, 'g', 4));
    }
    const QImage curves = plot->grab().toImage();
    QVERIFY2(pixels_of(curves, kFirstRun) > 20, "the first run's curve is not drawn");
    QVERIFY2(pixels_of(curves, kSecondRun) > 20, "the second run's curve is not drawn");

    comparison.set_metric(RunComparison::Metric::ValidationLoss);
    QCOMPARE(plot->point_count(0), 2);  // validation at 10 and 20
    comparison.set_metric(RunComparison::Metric::LearningRate);
    QCOMPARE(plot->point_count(1), 4);

    QVERIFY(comparison.add_run(path("eagle")).contains("not a run folder"));
    QCOMPARE(table->columnCount(), 2);
    comparison.remove_run(0);
    QCOMPARE(table->columnCount(), 1);
    QCOMPARE(table->horizontalHeaderItem(0)->text(), QString("lr_3e-3"));
    QCOMPARE(comparison.run_folders(), QStringList{QFileInfo(run_b_).canonicalFilePath()});
    QCOMPARE(plot->series_count(), 1);
  }

  // The plot's scale follows the metric (throughput is linear) but not runs opened later, nor does
  // the smoothing; runs of the same folder name are told apart by their parent folder.
  void plot_controls_and_run_names() {
    RunComparison comparison;
    QCOMPARE(comparison.add_run(run_a_), QString());
    erwin::ui::CurvePlot* plot = comparison.plot();
    erwin::ui::PlotControls* controls = comparison.plot_controls();
    QVERIFY(plot->log_y());
    QCOMPARE(plot->smoothing(), erwin::ui::kDefaultSmoothing);
    comparison.set_metric(RunComparison::Metric::SamplesPerSecond);
    QVERIFY(!plot->log_y());
    QVERIFY(!controls->log_box()->isChecked());
    comparison.set_metric(RunComparison::Metric::TrainLoss);
    QVERIFY(plot->log_y());
    controls->log_box()->setChecked(false);
    controls->smoothing_box()->setValue(0.9);

    const QString copy = path("copies/lr_1e-4");
    QVERIFY(QDir().mkpath(copy));
    for (const char* file : {erwin::kMetricsFileName, erwin::kRunFileName})
      QVERIFY(QFile::copy(QDir(run_a_).filePath(file), QDir(copy).filePath(file)));
    QCOMPARE(comparison.add_run(copy), QString());
    QVERIFY2(!plot->log_y(), "opening a run reset the chosen scale");
    QCOMPARE(plot->smoothing(), 0.9);
    QTableWidget* table = comparison.table();
    QCOMPARE(table->horizontalHeaderItem(0)->text(), QDir(dir_.path()).dirName() + "/lr_1e-4");
    QCOMPARE(table->horizontalHeaderItem(1)->text(), QString("copies/lr_1e-4"));
    QCOMPARE(plot->series_count(), 2);
    comparison.remove_run(1);
    QCOMPARE(table->horizontalHeaderItem(0)->text(), QString("lr_1e-4"));
  }

  // A run still training: its curve grows while the event loop runs.
  void follows_a_running_run() {
    erwin::RunConfig config = tiny_run();
    config.steps = 100000;
    config.log_interval = 1;
    config.val_interval = 0;
    const QString folder = path("running");
    QProcess process;
    process.start(ERWIN_CLI_PATH,
                  {"train", "--config", erwin::test::write_run_config(config, path("running.json")),
                   "--checkpoint", folder + "/run.ckpt"});
    QVERIFY(process.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(!erwin::test::read_metrics_lines(folder).empty(), 120000);
    RunComparison comparison;
    comparison.show();
    QCOMPARE(comparison.add_run(folder), QString());
    const int first = comparison.record_count(0);
    QTRY_VERIFY_WITH_TIMEOUT(comparison.record_count(0) >= first + 3, 60000);
    QCOMPARE(comparison.plot()->point_count(0), comparison.record_count(0));
    process.terminate();
    QVERIFY(process.waitForFinished(60000));
    QCOMPARE(process.exitCode(), 130);
  }

  // The dock's own run: shortened warm-up shown, run folder compared once it logs.
  void the_docks_run_joins_the_comparison() {
    erwin::ui::TrainingPanel panel;
    panel.show();
    QVERIFY(panel.select_config(QString::fromStdString(erwin::test::source_dir()) +
                                "/resources/configs/eagle_smoke.json"));
    panel.set_data_root(QString::fromStdString(root_));
    panel.set_checkpoint_dir(path("dock"));
    panel.steps_box()->setValue(12);  // the configuration's warm-up is 20
    QSignalSpy finished(panel.run(), &erwin::ui::TrainingRun::finished);
    QSignalSpy failed(panel.run(), &erwin::ui::TrainingRun::error);
    panel.start();
    QVERIFY2(panel.findChild<QLabel*>("trainingStatus")->text().contains("shortened to 12 steps"),
             qPrintable(panel.findChild<QLabel*>("trainingStatus")->text()));
    QVERIFY(finished.wait(120000) || !failed.isEmpty());
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
    QCOMPARE(panel.comparison()->run_folders(),
             QStringList{QFileInfo(path("dock")).canonicalFilePath()});
    QTRY_COMPARE(panel.comparison()->record_count(0), 2);  // steps 10 and 12
    QCOMPARE(erwin::read_run_summary(path("dock").toStdString()).config.schedule.warmup_steps,
             int64_t(12));
  }

  void studio_shows_runs_from_the_command_line() {
    const QString png = path("runs.png");
    QString output;
    const int code = erwin::test::run_studio(
        {"--runs", run_a_ + "," + run_b_, "--window", "--size", "1400x900", "--screenshot", png},
        &output);
    QVERIFY2(code == 0, qPrintable(output));
    const QImage image(png);
    QCOMPARE(image.size(), QSize(1400, 900));
    QVERIFY2(pixels_of(image, kFirstRun) > 100 && pixels_of(image, kSecondRun) > 100,
             "the runs' colours are not on screen");

    const int bad =
        erwin::test::run_studio({"--runs", path("eagle"), "--screenshot", png}, &output);
    QVERIFY(bad != 0);
    QVERIFY2(output.contains("not a run folder"), qPrintable(output));
  }
};

QTEST_MAIN(TestRunComparison)
#include "tst_run_comparison.moc"
