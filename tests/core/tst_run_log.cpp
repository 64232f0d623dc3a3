// The record a training run leaves beside its checkpoint (erwin/training/run_log.h): CRC32C
// framing, metrics.jsonl lines, reading a growing file, the rewrite on resume, TensorBoard event
// files read by the `tensorboard` package of the .venv, and the checks before a run
// (erwin/training/run_preparation.h).
#include <sys/stat.h>

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <filesystem>
#include <fstream>

#include "erwin/atomic_file.h"
#include "erwin/training/run_log.h"
#include "erwin/training/run_preparation.h"
#include "erwin/training/tensorboard_writer.h"
#include "tensorboard_support.h"
#include "test_support.h"

using namespace erwin;

namespace {

RunConfig shipped_config() {
  return RunConfig::from_json_file(erwin::test::source_dir() +
                                   "/resources/configs/eagle_smoke.json");
}

MetricsRecord record_at(int64_t step, bool validated) {
  MetricsRecord r;
  r.step = step;
  r.train_loss = 1.0 / static_cast<double>(step) + 0.123456789;
  if (validated) r.val_loss = 2.0 / static_cast<double>(step) + 1e-9;
  r.lr = 1e-3 * static_cast<double>(step) / 7.0;
  r.samples_per_second = 12.5 + static_cast<double>(step);
  r.elapsed_seconds = 0.25 * static_cast<double>(step);
  return r;
}

MetricsHistory history_of(std::initializer_list<int64_t> steps) {
  MetricsHistory history;
  for (int64_t step : steps) history.append(record_at(step, step % 10 == 0));
  return history;
}

std::vector<LoggedMetrics> read_lines(const std::string& folder) {
  return MetricsFileReader(folder + "/" + kMetricsFileName).read_new().records;
}

void append_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app | std::ios::binary) << text;
}

int event_file_count(const QString& folder) {
  return QDir(folder).entryList({"events.out.tfevents.*"}, QDir::Files).size();
}

}  // namespace

class TestRunLog : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  // RFC 3720's check values and the usual "123456789".
  void crc32c_matches_known_values() {
    QCOMPARE(crc32c("123456789", 9), 0xE3069283u);
    const std::string zeros(32, '\0'), ones(32, '\xFF');
    QCOMPARE(crc32c(zeros.data(), zeros.size()), 0x8A9136AAu);
    QCOMPARE(crc32c(ones.data(), ones.size()), 0x62A8AB43u);
    const uint32_t crc = 0xE3069283u;
    QCOMPARE(masked_crc32c("123456789", 9), ((crc >> 15) | (crc << 17)) + 0xA282EAD8u);
  }

  void metrics_lines_round_trip() {
    for (const bool validated : {false, true}) {
      const LoggedMetrics logged{record_at(30, validated), 1700000000.123456};
      const std::string line = metrics_json_line(logged);
      QVERIFY(line.find('\n') == std::string::npos);
      QCOMPARE(line.find("val_loss") != std::string::npos, validated);
      const LoggedMetrics back = parse_metrics_json_line(line, "x");
      QVERIFY(back.record == logged.record);
      QCOMPARE(back.wall_time, logged.wall_time);
    }
    erwin::test::expect_invalid_argument(
        [] { parse_metrics_json_line(R"({"step": 1, "train_loss": 1, "lr": 0})", "m.jsonl: 3"); },
        "m.jsonl: 3.wall_time: missing");
    erwin::test::expect_invalid_argument(
        [] {
          parse_metrics_json_line(R"({"step": "one", "wall_time": 0, "train_loss": 1, "lr": 0})",
                                  "m.jsonl: 3");
        },
        "m.jsonl: 3.step: wrong type");
  }

  // A growing file gives its new complete lines; a replaced one starts over.
  void reader_follows_a_growing_file() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("metrics.jsonl").toStdString();
    MetricsFileReader reader(path);
    QVERIFY(reader.read_new().records.empty());  // not written yet
    const std::string first = metrics_json_line({record_at(5, false), 1.0});
    const std::string second = metrics_json_line({record_at(10, true), 2.0});
    append_text(path, first + "\n" + second.substr(0, 20));  // the second is being written
    auto update = reader.read_new();
    QCOMPARE(update.records.size(), size_t(1));
    QCOMPARE(update.records[0].record.step, int64_t(5));
    QVERIFY(reader.read_new().records.empty());
    append_text(path, second.substr(20) + "\n");
    update = reader.read_new();
    QVERIFY(!update.restarted);
    QCOMPARE(update.records.size(), size_t(1));
    QVERIFY(update.records[0].record == record_at(10, true));

    write_file_atomically(path, second + "\n");  // a resumed run rewrites the file
    update = reader.read_new();
    QVERIFY(update.restarted);
    QCOMPARE(update.records.size(), size_t(1));
    QCOMPARE(update.records[0].record.step, int64_t(10));

    append_text(path, "{not json\n");
    erwin::test::expect_invalid_argument([&] { reader.read_new(); }, path + ": line 2");
  }

  // The file is read in 16 MiB pieces: lines across a piece's end are whole, and a damaged tail
  // (a crash left zeros, or no line end for more than 1 MiB) is named with its line.
  void reader_reads_large_and_damaged_files_in_bounded_pieces() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("metrics.jsonl").toStdString();
    std::string text;
    const int64_t lines = 120000;  // about 20 MB
    for (int64_t step = 1; step <= lines; ++step)
      text += metrics_json_line({record_at(step, step % 10 == 0), 1.0}) + "\n";
    QVERIFY(text.size() > (size_t{16} << 20));
    append_text(path, text);
    MetricsFileReader reader(path);
    const auto update = reader.read_new();
    QCOMPARE(int64_t(update.records.size()), lines);
    for (int64_t step = 1; step <= lines; ++step)
      QVERIFY(update.records[step - 1].record == record_at(step, step % 10 == 0));

    append_text(path, std::string((size_t{1} << 20) + 1, '\0'));  // zeros, no line end
    erwin::test::expect_invalid_argument(
        [&] { reader.read_new(); },
        path + ": line " + std::to_string(lines + 1) + ": more than 1 MiB without a line end");
    const std::string fifo = dir.filePath("fifo.jsonl").toStdString();
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    erwin::test::expect_invalid_argument([&] { MetricsFileReader(fifo).read_new(); },
                                         fifo + ": not a regular file");
  }

  void records_a_run_for_tensorboard() {
    REQUIRE_VENV_PYTHON();
    QTemporaryDir dir;
    const std::string folder = dir.filePath("run").toStdString();
    {
      RunLog log(folder + "/smoke.ckpt", shipped_config(), 1234, {});
      for (int64_t step : {5, 10, 15, 20}) log.append(record_at(step, step % 10 == 0));
    }
    const auto lines = read_lines(folder);
    QCOMPARE(lines.size(), size_t(4));
    QCOMPARE(lines[1].record.val_loss.value(), record_at(10, true).val_loss.value());

    const RunSummary summary = read_run_summary(folder);
    QCOMPARE(summary.checkpoint, std::string("smoke.ckpt"));
    QCOMPARE(summary.parameters, int64_t(1234));
    QCOMPARE(summary.config.to_json(), shipped_config().to_json());

    erwin::test::EventFolder events;
    REQUIRE_SUCCESS(erwin::test::read_event_folder(QString::fromStdString(folder), &events));
    QCOMPARE(events.files, 1);
    QCOMPARE(events.file_version, QString("brain.Event:2"));
    const auto expected = erwin::test::expected_scalars(lines);
    QCOMPARE(expected["val/loss"].size(), 2);
    QCOMPARE(erwin::test::compare_scalars(events.raw, expected), QString());
    QCOMPARE(erwin::test::compare_scalars(events.accumulated, expected), QString());
  }

  // A run resumed from step 10 after it logged up to 20 (a crash or a stop after its last
  // checkpoint) keeps the lines up to 10 with their times, drops the rest, and continues.
  void resumed_record_has_no_duplicate_steps() {
    REQUIRE_VENV_PYTHON();
    QTemporaryDir dir;
    const std::string folder = dir.filePath("run").toStdString();
    const std::string checkpoint = folder + "/smoke.ckpt";
    {
      RunLog log(checkpoint, shipped_config(), 1, {});
      for (int64_t step : {5, 10, 15, 20}) log.append(record_at(step, step % 10 == 0));
    }
    const auto before = read_lines(folder);
    {
      RunLog log(checkpoint, shipped_config(), 1, history_of({5, 10}));
      MetricsRecord changed = record_at(15, false);
      changed.train_loss = 0.5;  // the resumed run takes other steps than the lost ones
      log.append(changed);
    }
    const auto after = read_lines(folder);
    QCOMPARE(after.size(), size_t(3));
    for (size_t i = 0; i < 2; ++i) {
      QVERIFY(after[i].record == before[i].record);
      QCOMPARE(after[i].wall_time, before[i].wall_time);
    }
    QCOMPARE(after[2].record.train_loss, 0.5);
    QCOMPARE(event_file_count(QString::fromStdString(folder)), 1);
    erwin::test::EventFolder events;
    REQUIRE_SUCCESS(erwin::test::read_event_folder(QString::fromStdString(folder), &events));
    const auto expected = erwin::test::expected_scalars(after);
    QCOMPARE(erwin::test::compare_scalars(events.raw, expected), QString());
    QCOMPARE(erwin::test::compare_scalars(events.accumulated, expected), QString());

    // A fresh run in the folder replaces the record.
    { RunLog log(checkpoint, shipped_config(), 1, {}); }
    QVERIFY(read_lines(folder).empty());
    QCOMPARE(event_file_count(QString::fromStdString(folder)), 1);
  }

  void prepare_fits_the_warmup_to_the_run() {
    QTemporaryDir dir;
    RunConfig config = shipped_config();  // 20 warm-up steps
    config.checkpoint_path = dir.filePath("a/b/smoke.ckpt").toStdString();
    config.steps = 10;
    const auto warnings = prepare_run(config, "unused");
    QCOMPARE(config.schedule.warmup_steps, int64_t(10));
    QCOMPARE(warnings.size(), size_t(1));
    QVERIFY2(warnings[0].find("shortened to 10 steps") != std::string::npos, warnings[0].c_str());
    QVERIFY(QFileInfo(dir.filePath("a/b")).isDir());  // created before the run

    config.steps = 30;
    QVERIFY(prepare_run(config, "unused").empty());
    QCOMPARE(config.schedule.warmup_steps, int64_t(10));
  }

  void prepare_gives_a_run_without_checkpoint_path_its_folder() {
    QTemporaryDir dir;
    RunConfig config = shipped_config();
    config.checkpoint_path.clear();
    const auto warnings = prepare_run(config, dir.filePath("runs").toStdString());
    const QFileInfo checkpoint(QString::fromStdString(config.checkpoint_path));
    QCOMPARE(checkpoint.fileName(), QString("eagle_smoke.ckpt"));
    QVERIFY(checkpoint.absolutePath().startsWith(dir.filePath("runs/eagle_smoke-")));
    QVERIFY(checkpoint.dir().exists());
    QCOMPARE(warnings.size(), size_t(1));
    QVERIFY(warnings[0].find(checkpoint.absolutePath().toStdString()) != std::string::npos);
  }

  void prepare_names_a_folder_it_cannot_use() {
    QTemporaryDir dir;
    QFile file(dir.filePath("plain"));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.close();
    RunConfig config = shipped_config();
    config.checkpoint_path = dir.filePath("plain/sub/x.ckpt").toStdString();
    erwin::test::expect_invalid_argument(
        [&] { prepare_run(config, "unused"); },
        dir.filePath("plain/sub").toStdString() + ": cannot create the run folder");
    config.checkpoint_path = dir.path().toStdString();
    erwin::test::expect_invalid_argument([&] { prepare_run(config, "unused"); },
                                         "the checkpoint path is a folder");
    // A folder where files cannot be created (root writes through file modes: /sys refuses).
    const QString locked = dir.filePath("locked");
    QVERIFY(QDir().mkpath(locked));
    QVERIFY(QFile::setPermissions(locked, QFile::ReadOwner | QFile::ExeOwner));
    const QString unwritable =
        QFile(locked + "/probe").open(QIODevice::WriteOnly) ? "/sys" : locked;
    config.checkpoint_path = (unwritable + "/x.ckpt").toStdString();
    erwin::test::expect_invalid_argument(
        [&] { prepare_run(config, "unused"); },
        unwritable.toStdString() + ": the run folder is not writable");
    QFile::setPermissions(locked, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
  }

  void prepare_names_the_record_it_replaces() {
    QTemporaryDir dir;
    const std::string folder = dir.filePath("shared").toStdString();
    { RunLog log(folder + "/other.ckpt", shipped_config(), 1, {}); }
    RunConfig config = shipped_config();
    config.checkpoint_path = folder + "/other.ckpt";
    QVERIFY(prepare_run(config, "unused").empty());  // the same run again
    config.checkpoint_path = folder + "/mine.ckpt";
    const auto warnings = prepare_run(config, "unused");
    QCOMPARE(warnings.size(), size_t(1));
    QVERIFY2(warnings[0].find("held the record of other.ckpt") != std::string::npos,
             warnings[0].c_str());
  }

  // A damaged record (here run.json is a folder: read_regular_file refuses it with a FormatError)
  // is replaced with a warning that names it, like an unparsable one, instead of stopping the run.
  void prepare_replaces_an_unreadable_record() {
    QTemporaryDir dir;
    QVERIFY(QDir().mkpath(dir.filePath("shared/run.json")));
    RunConfig config = shipped_config();
    config.checkpoint_path = dir.filePath("shared/mine.ckpt").toStdString();
    const auto warnings = prepare_run(config, "unused");
    QCOMPARE(warnings.size(), size_t(1));
    QVERIFY2(warnings[0].find("run.json") != std::string::npos, warnings[0].c_str());
    QVERIFY2(warnings[0].find("this run replaces it") != std::string::npos, warnings[0].c_str());
  }
};

QTEST_APPLESS_MAIN(TestRunLog)
#include "tst_run_log.moc"
