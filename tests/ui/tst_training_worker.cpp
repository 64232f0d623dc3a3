// A training run in its worker thread (TrainingRun: run_training as a job of a JobRunner): it
// reports progress through queued signals, pauses (no steps while paused) and resumes, and stops
// promptly between two steps (the trainer checks between steps, not at epoch ends), after which
// it is not running any more.
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include "erwin/datasets/generate.h"
#include "erwin/training/run_config.h"
#include "erwin/ui/engine/training_run.h"
#include "test_support.h"

using erwin::ui::TrainingRun;

namespace {

erwin::RunConfig endless_run(const std::string& root) {
  erwin::RunConfig r;
  r.name = "worker-test";
  r.task = erwin::TaskKind::ShapenetCar;
  r.data.root = root;
  r.data.val_split = "train";
  r.model.c_in = 8;
  r.model.c_hidden = {8, 16};
  r.model.ball_sizes = {16, 16};
  r.model.enc_num_heads = {1, 2};
  r.model.enc_depths = {1, 1};
  r.model.dec_num_heads = {1};
  r.model.dec_depths = {1};
  r.model.strides = {2};
  r.model.mp_steps = 0;
  r.batch_size = 2;
  r.steps = 1000000;  // only a stop ends it
  r.log_interval = 2;
  r.val_interval = 0;
  r.checkpoint_interval = 0;
  return r;
}

}  // namespace

class TestTrainingRun : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  std::string root_;

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    root_ = dir_.filePath("cars").toStdString();
    erwin::datasets::ShapenetGenerateOptions options;
    options.cars = 8;
    options.points = 64;
    erwin::datasets::generate_shapenet_like(root_, options);
  }

  void pauses_resumes_and_stops_mid_epoch() {
    TrainingRun run;
    run.set_progress_interval_ms(0);
    QSignalSpy started(&run, &TrainingRun::started);
    QSignalSpy progress(&run, &TrainingRun::progress);
    QSignalSpy metrics(&run, &TrainingRun::metrics);
    QSignalSpy finished(&run, &TrainingRun::finished);
    QSignalSpy failed(&run, &TrainingRun::error);
    run.start(QString::fromStdString(endless_run(root_).to_json()));

    QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 3 || !failed.isEmpty(), 60000);
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
    QCOMPARE(started.count(), 1);
    QCOMPARE(progress.last().at(0).toLongLong(), qint64(progress.count()));  // one per step

    run.pause();
    QTest::qWait(1000);  // the step in flight ends
    const int while_paused = progress.count();
    QTest::qWait(700);
    QCOMPARE(progress.count(), while_paused);

    run.resume();
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= while_paused + 2, 30000);
    QVERIFY(!metrics.isEmpty());

    QElapsedTimer stopping;
    stopping.start();
    run.stop();
    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 5000);
    QCOMPARE(finished.first().at(0).toBool(), true);  // cancelled
    qInfo("stop -> run finished in %lld ms", static_cast<long long>(stopping.elapsed()));
    QVERIFY(stopping.elapsed() < 5000);
    QVERIFY(!run.running());
  }

  void stop_while_paused_ends_the_run() {
    TrainingRun run;
    QSignalSpy started(&run, &TrainingRun::started);
    QSignalSpy finished(&run, &TrainingRun::finished);
    QSignalSpy failed(&run, &TrainingRun::error);
    run.start(QString::fromStdString(endless_run(root_).to_json()));
    run.pause();  // the trainer checks before its first step, long after this
    QTRY_VERIFY_WITH_TIMEOUT(!started.isEmpty(), 60000);
    QTest::qWait(200);
    QVERIFY(finished.isEmpty());
    run.stop();
    QTRY_VERIFY2_WITH_TIMEOUT(!finished.isEmpty(), qPrintable(failed.value(0).value(0).toString()),
                              5000);
    QCOMPARE(finished.first().at(1).toLongLong(), qint64(0));  // paused before the first step
    QVERIFY(!run.running());
  }

  void bad_config_reports_an_error() {
    TrainingRun run;
    QSignalSpy failed(&run, &TrainingRun::error);
    QSignalSpy finished(&run, &TrainingRun::finished);
    run.start(R"({"task": "eagle", "bogus": 1})");
    QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), 10000);
    QVERIFY(failed.first().at(0).toString().contains("bogus"));
    QVERIFY(finished.isEmpty());
    QVERIFY(!run.running());
  }
};

QTEST_GUILESS_MAIN(TestTrainingRun)
#include "tst_training_worker.moc"
