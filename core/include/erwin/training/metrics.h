#pragma once
// The history of a training run, one record per logging interval (and per validation).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace erwin {

struct MetricsRecord {
  int64_t step = 0;                // optimisation steps done when the record was taken
  double train_loss = 0;           // mean training loss over the steps since the previous record
  std::optional<double> val_loss;  // set on validation steps
  double lr = 0;                   // learning rate of the last step
  double samples_per_second = 0;   // training throughput since the previous record
  double elapsed_seconds = 0;      // active (unpaused) time since the run began, across resumes

  bool operator==(const MetricsRecord& other) const;
};

class MetricsHistory {
 public:
  void append(const MetricsRecord& record);
  const std::vector<MetricsRecord>& records() const { return records_; }
  bool empty() const { return records_.empty(); }
  const MetricsRecord& back() const { return records_.back(); }

  // A JSON array of {"step", "train_loss", "val_loss" (null when absent), "lr",
  // "samples_per_second", "elapsed_seconds"}. from_json throws std::invalid_argument naming the
  // record index and field.
  std::string to_json() const;
  static MetricsHistory from_json(const std::string& json_text);

 private:
  std::vector<MetricsRecord> records_;
};

}  // namespace erwin
