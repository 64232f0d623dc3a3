// The Training dock's data-parallel runs (TrainingRun with processes > 1): the Studio trains
// rank 0 and starts rank 1 as an `erwin train` process over 127.0.0.1. The metrics it shows are
// rank 0's, which are the whole batch's: they equal those of the same run in one process.
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <cmath>

#include "erwin/datasets/generate.h"
#include "erwin/training/run_config.h"
#include "erwin/ui/engine/training_run.h"

namespace {

erwin::RunConfig small_run(const std::string& root, const std::string& checkpoint) {
  erwin::RunConfig r;
  r.name = "ranks";
  r.task = erwin::TaskKind::ShapenetCar;
  r.data.root = root;
  r.data.val_split = "train";
  // One level: no pooling or unpooling, so no BatchNorm, and 2 ranks equal 1 process.
  r.model.c_in = 8;
  r.model.c_hidden = {8};
  r.model.ball_sizes = {16};
  r.model.enc_num_heads = {1};
  r.model.enc_depths = {1};
  r.model.dec_num_heads = {};
  r.model.dec_depths = {};
  r.model.strides = {};
  r.model.mp_steps = 0;
  r.batch_size = 4;
  r.steps = 4;
  r.log_interval = 1;
  r.val_interval = 2;
  r.checkpoint_interval = 0;
  r.checkpoint_path = checkpoint;
  return r;
}

struct Shown {
  std::vector<double> train_loss, val_loss;
  QString error;
};

Shown train(const erwin::RunConfig& config, int processes) {
  erwin::ui::TrainingRun run;
  QSignalSpy metrics(&run, &erwin::ui::TrainingRun::metrics);
  QSignalSpy finished(&run, &erwin::ui::TrainingRun::finished);
  QSignalSpy error(&run, &erwin::ui::TrainingRun::error);
  run.start(QString::fromStdString(config.to_json()), QString(), processes);
  Shown shown;
  if (!QTest::qWaitFor([&] { return finished.count() + error.count() > 0; }, 300000)) {
    shown.error = "the run did not end within 300 s";
    return shown;
  }
  if (error.count() > 0) shown.error = error.front().front().toString();
  for (const auto& record : metrics) {
    shown.train_loss.push_back(record.at(1).toDouble());
    if (!std::isnan(record.at(2).toDouble())) shown.val_loss.push_back(record.at(2).toDouble());
  }
  return shown;
}

void require_close(const std::vector<double>& a, const std::vector<double>& b, const char* what) {
  QCOMPARE(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i)
    QVERIFY2(std::abs(a[i] - b[i]) <= 1e-5 * std::abs(a[i]),
             qPrintable(QString("%1 %2: %3 vs %4").arg(what).arg(i).arg(a[i]).arg(b[i])));
}

}  // namespace

class TestTrainingRanks : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  std::string root_;

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    qputenv("ERWIN_CLI", ERWIN_CLI_PATH);
    qputenv("OMP_NUM_THREADS", "1");
    root_ = dir_.filePath("shapenet").toStdString();
    erwin::datasets::ShapenetGenerateOptions options;
    options.cars = 8;
    options.points = 128;
    erwin::datasets::generate_shapenet_like(root_, options);
  }

  void two_processes_show_the_whole_batch_metrics() {
    const Shown one = train(small_run(root_, dir_.filePath("one/ranks.ckpt").toStdString()), 1);
    QVERIFY2(one.error.isEmpty(), qPrintable(one.error));
    const Shown two = train(small_run(root_, dir_.filePath("two/ranks.ckpt").toStdString()), 2);
    QVERIFY2(two.error.isEmpty(), qPrintable(two.error));
    QCOMPARE(one.train_loss.size(), size_t{4});
    QCOMPARE(one.val_loss.size(), size_t{2});
    require_close(one.train_loss, two.train_loss, "train loss of record");
    require_close(one.val_loss, two.val_loss, "validation loss of record");
    QVERIFY(QFile::exists(dir_.filePath("two/ranks.ckpt")));
  }
};

QTEST_MAIN(TestTrainingRanks)
#include "tst_training_ranks.moc"
