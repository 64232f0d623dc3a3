#pragma once
// The record a training run leaves in its folder (the folder of its checkpoint):
//   metrics.jsonl   one JSON object per history record (every log_interval steps and every
//                   validation): {"step", "wall_time", "elapsed_seconds", "train_loss", "lr",
//                   "samples_per_second"} plus "val_loss" on validation records; appended and
//                   flushed as the run goes, so that a running run can be watched;
//   events.out.tfevents.*  the same scalars for TensorBoard (train/loss, train/lr,
//                   train/samples_per_second, val/loss);
//   run.json        {"checkpoint", "parameters", "run_config"}: what the run is, for comparing
//                   runs side by side.
// A resumed run rewrites metrics.jsonl and the event file to its history up to the resumed step
// (what a crashed or stopped run logged after its checkpoint is dropped), then appends, so no
// step appears twice. A fresh run replaces the folder's record.
#include <cstdint>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "erwin/training/metrics.h"
#include "erwin/training/run_config.h"

namespace erwin {

class EventFileWriter;

inline constexpr const char* kMetricsFileName = "metrics.jsonl";
inline constexpr const char* kRunFileName = "run.json";

// The folder of a checkpoint path ("." for a bare file name): where the run's record lives.
std::string run_folder_of(const std::string& checkpoint_path);

// One line of metrics.jsonl.
struct LoggedMetrics {
  MetricsRecord record;
  double wall_time = 0;  // seconds since the Unix epoch when the line was written
};

std::string metrics_json_line(const LoggedMetrics& logged);  // without the newline
// std::invalid_argument naming `context` and the field.
LoggedMetrics parse_metrics_json_line(const std::string& line, const std::string& context);

// Reads a metrics.jsonl that may still be growing: each call returns the complete lines added
// since the previous one. When the file was replaced (a resumed or restarted run rewrites it) or
// shortened, it starts over and says so. A missing file reads as no lines.
class MetricsFileReader {
 public:
  struct Update {
    bool restarted = false;  // `records` is the whole file: drop what earlier calls returned
    std::vector<LoggedMetrics> records;
  };

  explicit MetricsFileReader(std::string path) : path_(std::move(path)) {}
  // std::invalid_argument naming the file and line on a malformed line.
  Update read_new();

 private:
  std::string path_;
  uint64_t inode_ = 0;
  int64_t offset_ = 0;  // just after the last complete line read
  int64_t line_ = 0;
};

// run.json.
struct RunSummary {
  std::string checkpoint;  // the checkpoint's file name, in the same folder
  int64_t parameters = 0;  // trainable parameters of the model
  RunConfig config;
};
// std::invalid_argument naming the file when it is missing or malformed.
RunSummary read_run_summary(const std::string& folder);

class RunLog {
 public:
  // Opens the record beside `checkpoint_path` for a run whose history so far is `history`
  // (empty for a fresh run): writes run.json, metrics.jsonl holding exactly `history` (lines
  // already there keep their wall time), and a new event file with the same scalars; older
  // event files of the folder are removed. std::runtime_error naming the file on write errors.
  RunLog(const std::string& checkpoint_path, const RunConfig& config, int64_t parameters,
         const MetricsHistory& history);
  ~RunLog();

  void append(const MetricsRecord& record);  // a line and an event, both flushed
  const std::string& folder() const { return folder_; }

 private:
  void write_events(const LoggedMetrics& logged);

  std::string folder_, metrics_path_;
  std::ofstream metrics_;
  std::unique_ptr<EventFileWriter> events_;
};

}  // namespace erwin
