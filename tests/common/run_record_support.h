#pragma once
// Small training runs for the tests of run records: the shipped EAGLE smoke configuration with
// a small model, written where `erwin train --config` reads it, and the record it leaves.
#include <QDir>
#include <QFile>
#include <QString>
#include <cstdint>
#include <string>
#include <vector>

#include "erwin/training/run_config.h"
#include "erwin/training/run_log.h"
#include "test_support.h"

namespace erwin::test {

// eagle_smoke.json (20 warm-up steps) with a small model on generated data at `root`: 20 steps,
// a record every 5, validation (one batch) every 10, no checkpoint path.
inline RunConfig tiny_eagle_run(const std::string& root) {
  RunConfig c = RunConfig::from_json_file(source_dir() + "/resources/configs/eagle_smoke.json");
  c.data.root = root;
  c.data.window = 3;
  c.data.eval_start = 4;
  c.model.c_hidden = {16, 32};
  c.model.ball_sizes = {32, 32};
  c.model.enc_num_heads = {2, 4};
  c.model.enc_depths = {1, 1};
  c.model.dec_num_heads = {2};
  c.model.dec_depths = {1};
  c.model.strides = {2};
  c.model.mp_steps = 1;
  c.steps = 20;
  c.log_interval = 5;
  c.val_interval = 10;
  c.val_batches = 1;
  c.checkpoint_interval = 0;
  c.checkpoint_path.clear();
  return c;
}

inline QString write_run_config(const RunConfig& config, const QString& path) {
  QFile file(path);
  if (!file.open(QIODevice::WriteOnly)) qFatal("cannot write %s", qPrintable(path));
  file.write(QByteArray::fromStdString(config.to_json()));
  return path;
}

inline std::vector<LoggedMetrics> read_metrics_lines(const QString& folder) {
  return MetricsFileReader(QDir(folder).filePath(kMetricsFileName).toStdString())
      .read_new()
      .records;
}

inline std::vector<int64_t> steps_of(const std::vector<LoggedMetrics>& lines) {
  std::vector<int64_t> steps;
  for (const LoggedMetrics& l : lines) steps.push_back(l.record.step);
  return steps;
}

}  // namespace erwin::test
