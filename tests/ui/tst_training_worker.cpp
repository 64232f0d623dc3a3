// The training worker in its own QThread: it reports progress through queued signals, pauses
// (no steps while paused) and resumes, and stops promptly between two steps (the trainer checks
// between steps, not at epoch ends), after which its thread ends
// and the worker is deleted.
#include <QElapsedTimer>
#include <QPointer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include "erwin/datasets/generate.h"
#include "erwin/training/run_config.h"
#include "erwin/ui/training_worker.h"
#include "test_support.h"

using erwin::ui::TrainingWorker;

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

class TestTrainingWorker : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  std::string root_;

  void start(TrainingWorker* worker, const std::string& json) {
    QMetaObject::invokeMethod(worker, "start", Qt::QueuedConnection,
                              Q_ARG(QString, QString::fromStdString(json)),
                              Q_ARG(QString, QString()));
  }

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
    QThread thread;
    QPointer<TrainingWorker> worker = new TrainingWorker;
    worker->set_progress_interval_ms(0);
    worker->moveToThread(&thread);
    connect(&thread, &QThread::finished, worker.data(), &QObject::deleteLater);
    QSignalSpy started(worker.data(), &TrainingWorker::started);
    QSignalSpy progress(worker.data(), &TrainingWorker::progress);
    QSignalSpy metrics(worker.data(), &TrainingWorker::metrics);
    QSignalSpy finished(worker.data(), &TrainingWorker::finished);
    QSignalSpy failed(worker.data(), &TrainingWorker::error);
    thread.start();
    start(worker, endless_run(root_).to_json());

    QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= 3 || !failed.isEmpty(), 60000);
    QVERIFY2(failed.isEmpty(), qPrintable(failed.value(0).value(0).toString()));
    QCOMPARE(started.count(), 1);
    QCOMPARE(progress.last().at(0).toLongLong(), qint64(progress.count()));  // one per step

    worker->pause();
    QTest::qWait(1000);  // the step in flight ends
    const int while_paused = progress.count();
    QTest::qWait(700);
    QCOMPARE(progress.count(), while_paused);

    worker->resume();
    QTRY_VERIFY_WITH_TIMEOUT(progress.count() >= while_paused + 2, 30000);
    QVERIFY(!metrics.isEmpty());

    QElapsedTimer stopping;
    stopping.start();
    worker->stop();
    QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), 5000);
    QCOMPARE(finished.first().at(0).toBool(), true);  // cancelled
    thread.quit();
    QVERIFY(thread.wait(5000));
    qInfo("stop -> thread finished in %lld ms", static_cast<long long>(stopping.elapsed()));
    QVERIFY(stopping.elapsed() < 5000);
    QTRY_VERIFY_WITH_TIMEOUT(worker.isNull(), 2000);  // deleted with the thread: no leak
  }

  void stop_while_paused_ends_the_run() {
    QThread thread;
    QPointer<TrainingWorker> worker = new TrainingWorker;
    worker->moveToThread(&thread);
    connect(&thread, &QThread::finished, worker.data(), &QObject::deleteLater);
    QSignalSpy started(worker.data(), &TrainingWorker::started);
    QSignalSpy finished(worker.data(), &TrainingWorker::finished);
    QSignalSpy failed(worker.data(), &TrainingWorker::error);
    thread.start();
    worker->pause();
    start(worker, endless_run(root_).to_json());
    // The worker emits from its own thread: a signal that comes before QSignalSpy::wait reads
    // its count would be missed, so poll the spies instead.
    QTRY_VERIFY_WITH_TIMEOUT(!started.isEmpty(), 60000);
    QTest::qWait(200);
    QVERIFY(finished.isEmpty());
    worker->stop();
    QTRY_VERIFY2_WITH_TIMEOUT(!finished.isEmpty(), qPrintable(failed.value(0).value(0).toString()),
                              5000);
    QCOMPARE(finished.first().at(1).toLongLong(), qint64(0));  // paused before the first step
    thread.quit();
    QVERIFY(thread.wait(5000));
  }

  void bad_config_reports_an_error() {
    QThread thread;
    QPointer<TrainingWorker> worker = new TrainingWorker;
    worker->moveToThread(&thread);
    connect(&thread, &QThread::finished, worker.data(), &QObject::deleteLater);
    QSignalSpy failed(worker.data(), &TrainingWorker::error);
    QSignalSpy finished(worker.data(), &TrainingWorker::finished);
    thread.start();
    start(worker, R"({"task": "eagle", "bogus": 1})");
    QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), 10000);
    QVERIFY(failed.first().at(0).toString().contains("bogus"));
    QVERIFY(finished.isEmpty());
    thread.quit();
    QVERIFY(thread.wait(5000));
  }
};

QTEST_GUILESS_MAIN(TestTrainingWorker)
#include "tst_training_worker.moc"
