// Runs that leave a record and never lose what they trained, on generated EAGLE-like data:
// the trainer's record (metrics.jsonl, TensorBoard events read by the `tensorboard` package)
// equals its history; `erwin train` (real processes) prepares its folder before step 1, fits
// the warm-up to the run, continues its record on --resume without duplicate steps, and saves
// the steps done when validation fails or SIGTERM arrives.
#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <filesystem>

#include "erwin/datasets/eagle.h"
#include "erwin/datasets/generate.h"
#include "erwin/datasets/training_tasks.h"
#include "erwin/training/run_log.h"
#include "erwin/training/trainer.h"
#include "process_support.h"
#include "run_record_support.h"
#include "tensorboard_support.h"
#include "test_support.h"

namespace {

using namespace erwin;
using erwin::test::Run;
using erwin::test::run_erwin;

using erwin::test::read_metrics_lines;
using erwin::test::steps_of;
using erwin::test::tiny_eagle_run;
using erwin::test::write_run_config;

QString q(const std::string& s) { return QString::fromStdString(s); }

}  // namespace

class TestRunRecords : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  std::string root_;

  QString path(const QString& name) const { return dir_.filePath(name); }

  // `erwin train` on the tiny run written to `name`.json, with `extra` arguments.
  Run train(const RunConfig& config, const QString& name, const QStringList& extra) {
    return run_erwin(
        QStringList{"train", "--config", write_run_config(config, path(name + ".json"))} + extra);
  }

 private Q_SLOTS:
  void initTestCase() {
    torch::set_num_threads(2);
    QVERIFY(dir_.isValid());
    root_ = path("eagle").toStdString();
    datasets::EagleGenerateOptions eagle;
    eagle.simulations = 6;
    eagle.steps = 12;
    eagle.grid_x = 16;
    eagle.grid_y = 8;
    datasets::generate_eagle_like(root_, eagle);
  }

  void record_equals_the_trainers_history() {
    REQUIRE_VENV_PYTHON();
    RunConfig config = tiny_eagle_run(root_);
    config.checkpoint_path = path("inproc/run.ckpt").toStdString();
    config.schedule.warmup_steps = 5;
    Trainer trainer(config, datasets::make_training_task(config));
    QCOMPARE(trainer.run(), StopReason::Finished);

    const auto lines = read_metrics_lines(path("inproc"));
    const auto& history = trainer.history().records();
    QCOMPARE(steps_of(lines), (std::vector<int64_t>{5, 10, 15, 20}));
    QCOMPARE(lines.size(), history.size());
    for (size_t i = 0; i < lines.size(); ++i) QVERIFY(lines[i].record == history[i]);
    QVERIFY(lines[1].record.val_loss && lines[3].record.val_loss && !lines[0].record.val_loss);

    erwin::test::EventFolder events;
    REQUIRE_SUCCESS(erwin::test::read_event_folder(path("inproc"), &events));
    QCOMPARE(events.file_version, QString("brain.Event:2"));
    const auto expected = erwin::test::expected_scalars(lines);
    QCOMPARE(erwin::test::compare_scalars(events.accumulated, expected), QString());
    QCOMPARE(erwin::test::compare_scalars(events.raw, expected), QString());
    const RunSummary summary = read_run_summary(path("inproc").toStdString());
    QCOMPARE(summary.checkpoint, std::string("run.ckpt"));
    int64_t parameters = 0;
    for (const auto& p : trainer.task().model().parameters()) parameters += p.numel();
    QCOMPARE(summary.parameters, parameters);
  }

  // The new user: `--steps 10` with the config's 20 warm-up steps, into a folder that
  // does not exist yet.
  void cli_prepares_the_folder_and_fits_the_warmup() {
    const QString checkpoint = path("new/sub/run.ckpt");
    const Run run =
        train(tiny_eagle_run(root_), "fit", {"--steps", "10", "--checkpoint", checkpoint});
    REQUIRE_SUCCESS(run);
    QVERIFY2(run.err.contains("warning: the warm-up (20 steps) is longer than the run (10 steps): "
                              "shortened to 10 steps"),
             qPrintable(run.err));
    QVERIFY(QFileInfo(checkpoint).size() > 0);
    QCOMPARE(read_run_summary(path("new/sub").toStdString()).config.schedule.warmup_steps,
             int64_t(10));
    QCOMPARE(steps_of(read_metrics_lines(path("new/sub"))), (std::vector<int64_t>{5, 10}));

    const Run chosen = train(tiny_eagle_run(root_), "fit",
                             {"--steps", "10", "--warmup", "3", "--checkpoint", checkpoint});
    REQUIRE_SUCCESS(chosen);
    QVERIFY2(!chosen.err.contains("warning"), qPrintable(chosen.err));
    QCOMPARE(read_run_summary(path("new/sub").toStdString()).config.schedule.warmup_steps,
             int64_t(3));
    const Run too_long = train(tiny_eagle_run(root_), "fit",
                               {"--steps", "10", "--warmup", "11", "--checkpoint", checkpoint});
    REQUIRE_FAILURE_NAMING(too_long, "--warmup 11");
    QCOMPARE(too_long.exit_code, 2);
  }

  void cli_refuses_an_unwritable_folder_before_training() {
    const QString locked = path("locked");
    QVERIFY(QDir().mkpath(locked));
    QVERIFY(QFile::setPermissions(locked, QFile::ReadOwner | QFile::ExeOwner));
    // root writes through file modes; /sys refuses it too.
    const QString folder = QFile(locked + "/probe").open(QIODevice::WriteOnly) ? "/sys" : locked;
    const Run run = train(tiny_eagle_run(root_), "locked", {"--checkpoint", folder + "/run.ckpt"});
    QFile::setPermissions(locked, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    REQUIRE_FAILURE_NAMING(run, folder + ": the run folder is not writable");
    QVERIFY2(!run.out.contains("training"), qPrintable(run.out));  // refused before step 1
  }

  void run_without_checkpoint_path_gets_its_own_folder() {
    const QString work = path("work");
    QVERIFY(QDir().mkpath(work));
    RunConfig config = tiny_eagle_run(root_);
    config.steps = 5;
    config.schedule.warmup_steps = 2;
    QProcess process;
    process.setWorkingDirectory(work);
    process.start(ERWIN_CLI_PATH,
                  {"train", "--config", write_run_config(config, path("nopath.json"))});
    QVERIFY(process.waitForFinished(300000));
    const QString err = process.readAllStandardError();
    QVERIFY2(process.exitCode() == 0, qPrintable(err));
    QVERIFY2(err.contains("no checkpoint path configured: the run is saved in runs/eagle_smoke-"),
             qPrintable(err));
    const QStringList runs = QDir(work + "/runs").entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    QCOMPARE(runs.size(), 1);
    const QString folder = work + "/runs/" + runs.first();
    QVERIFY(QFileInfo(folder + "/eagle_smoke.ckpt").size() > 0);
    QCOMPARE(steps_of(read_metrics_lines(folder)), (std::vector<int64_t>{5}));
    QCOMPARE(QDir(folder).entryList({"events.out.tfevents.*"}).size(), 1);
  }

  // Resuming from step 10 of a run that went on to 20: the record holds each step once.
  void resumed_run_continues_its_record() {
    REQUIRE_VENV_PYTHON();
    const QString folder = path("resumed");
    const QString checkpoint = folder + "/run.ckpt", at_10 = folder + "/at10.ckpt";
    RunConfig config = tiny_eagle_run(root_);
    config.schedule.warmup_steps = 5;
    REQUIRE_SUCCESS(train(config, "resumed", {"--steps", "10", "--checkpoint", checkpoint}));
    const auto first = read_metrics_lines(folder);
    QVERIFY(QFile::copy(checkpoint, at_10));
    REQUIRE_SUCCESS(train(config, "resumed", {"--resume", checkpoint, "--checkpoint", checkpoint}));
    QCOMPARE(steps_of(read_metrics_lines(folder)), (std::vector<int64_t>{5, 10, 15, 20}));
    REQUIRE_SUCCESS(train(config, "resumed", {"--resume", at_10, "--checkpoint", checkpoint}));

    const auto lines = read_metrics_lines(folder);
    QCOMPARE(steps_of(lines), (std::vector<int64_t>{5, 10, 15, 20}));
    for (size_t i = 0; i < 2; ++i) {  // the first run's lines, as it wrote them
      QVERIFY(lines[i].record == first[i].record);
      QCOMPARE(lines[i].wall_time, first[i].wall_time);
    }
    QCOMPARE(load_training_checkpoint(checkpoint.toStdString()).history.records().size(),
             lines.size());
    erwin::test::EventFolder events;
    REQUIRE_SUCCESS(erwin::test::read_event_folder(folder, &events));
    QCOMPARE(events.files, 1);
    const auto expected = erwin::test::expected_scalars(lines);
    QCOMPARE(erwin::test::compare_scalars(events.raw, expected), QString());
    QCOMPARE(erwin::test::compare_scalars(events.accumulated, expected), QString());
  }

  // A validation simulation that cannot be read fails the run at step 4, after the steps are
  // saved.
  void failing_validation_still_saves_the_steps_done() {
    const std::string broken_root = path("broken").toStdString();
    std::filesystem::copy(root_, broken_root, std::filesystem::copy_options::recursive);
    const std::string sim =
        datasets::EagleDataset::open(broken_root, "valid").folders().front() + "/sim.npz";
    QFile file(q(sim));
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.write("not an npz archive");
    file.close();
    RunConfig config = tiny_eagle_run(broken_root);
    config.schedule.warmup_steps = 2;
    config.log_interval = 2;
    config.val_interval = 4;
    const QString checkpoint = path("failing/run.ckpt");
    const Run run = train(config, "failing", {"--steps", "8", "--checkpoint", checkpoint});
    REQUIRE_FAILURE_NAMING(run, "sim.npz");
    QVERIFY2(run.out.contains("checkpoint " + checkpoint + " (step 4)"), qPrintable(run.out));
    QCOMPARE(load_training_checkpoint(checkpoint.toStdString()).step, int64_t(4));
    QCOMPARE(steps_of(read_metrics_lines(path("failing"))), (std::vector<int64_t>{2, 4}));
  }

  void sigterm_stops_after_the_step_and_saves() {
    RunConfig config = tiny_eagle_run(root_);
    config.steps = 100000;
    config.log_interval = 1;
    config.val_interval = 0;
    const QString folder = path("terminated");
    QProcess process;
    process.start(ERWIN_CLI_PATH, {"train", "--config", write_run_config(config, path("term.json")),
                                   "--checkpoint", folder + "/run.ckpt"});
    QVERIFY(process.waitForStarted());
    QTRY_VERIFY_WITH_TIMEOUT(read_metrics_lines(folder).size() >= 3, 120000);
    process.terminate();  // SIGTERM
    QVERIFY(process.waitForFinished(60000));
    const QString out = process.readAllStandardOutput();
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(process.exitCode(), 130);
    const auto lines = read_metrics_lines(folder);
    const int64_t saved = load_training_checkpoint((folder + "/run.ckpt").toStdString()).step;
    QVERIFY2(out.contains(QString("stopped at step %1").arg(saved)), qPrintable(out));
    QCOMPARE(lines.back().record.step, saved);
    QVERIFY(saved >= 3);
  }
};

QTEST_APPLESS_MAIN(TestRunRecords)
#include "tst_run_records.moc"
