#pragma once
// The training loop: AdamW with gradient clipping and a warm-up + cosine schedule, periodic
// validation, metrics history, checkpoints, progress callbacks, and cancel/pause between steps.
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "erwin/training/lr_schedule.h"
#include "erwin/training/metrics.h"
#include "erwin/training/run_config.h"
#include "erwin/training/run_control.h"
#include "erwin/training/task.h"
#include "erwin/training/training_checkpoint.h"

namespace erwin {

struct TrainingProgress {
  int64_t step = 0;         // steps done
  int64_t total_steps = 0;  // RunConfig::steps
  double loss = 0;          // loss of the step just taken
  double lr = 0;
  double samples_per_second = 0;  // over the current logging interval
  double elapsed_seconds = 0;
  double eta_seconds = 0;
};

struct TrainerCallbacks {
  std::function<void(const TrainingProgress&)> on_step;  // after every step
  std::function<void(const MetricsRecord&)> on_metrics;  // after every history record
  std::function<void(const std::string& path)> on_checkpoint;
};

enum class StopReason { Finished, Cancelled };

class RunLog;        // erwin/training/run_log.h
class DataParallel;  // erwin/training/data_parallel.h

class Trainer {
 public:
  // Validates `config`, moves the task's model to config.device and builds the optimiser. Seed
  // the model's initialisation before building the task (make_training_task does).
  Trainer(RunConfig config, std::unique_ptr<TrainingTask> task);

  // Makes this trainer one rank of a data-parallel run: rank 0's weights are copied to every
  // rank now; each step trains on this rank's shard of the step's batch (rank_shard in
  // data_order.h), with rank 0's BatchNorm buffers, and sums the ranks' gradients weighted by
  // their shares of the batch before clipping; validation batches are shared out and their loss
  // reduced; only rank 0 locks and writes the checkpoint and the run's record. Call it before
  // resume_from. std::invalid_argument when a step's batch has fewer samples than the group has
  // ranks.
  void set_data_parallel(std::shared_ptr<DataParallel> group);

  // Restores weights, optimiser moments, step, history and elapsed time. The checkpoint's model
  // configuration must equal this run's (std::invalid_argument naming the checkpoint otherwise).
  void resume_from(const std::string& checkpoint_path);

  // Trains until config().steps, validating, recording and checkpointing at the configured
  // intervals (and a final checkpoint), or until `control` asks to stop (then it checkpoints
  // too when a checkpoint path is configured). Pausing blocks between steps. With a checkpoint
  // path, the run's record (metrics.jsonl, TensorBoard events, run.json: run_log.h) is kept in
  // the checkpoint's folder, and an exception during the run still saves the steps done before
  // it is rethrown.
  StopReason run(RunControl* control = nullptr, const TrainerCallbacks& callbacks = {});

  double train_step();  // one optimisation step at the current step's lr; returns its loss
  double validate();    // mean validation loss (weighted by batch size); restores train mode

  void save_checkpoint(const std::string& path) const;  // atomic
  TrainingState state() const;

  int64_t step() const { return step_; }
  double current_lr() const { return schedule_.lr_at(step_); }
  const MetricsHistory& history() const { return history_; }
  const RunConfig& config() const { return config_; }
  TrainingTask& task() { return *task_; }
  torch::optim::AdamW& optimizer() { return *optimizer_; }

 private:
  StopReason run_steps(RunControl* control, const TrainerCallbacks& callbacks);
  void save_run_checkpoint(const TrainerCallbacks& callbacks);
  void record(std::optional<double> val_loss);  // and appends it to log_
  bool due(int64_t interval) const;
  bool writes_record() const;  // rank 0, or a run of one process

  RunConfig config_;
  std::unique_ptr<TrainingTask> task_;
  torch::Device device_;
  WarmupCosineSchedule schedule_;
  std::unique_ptr<torch::optim::AdamW> optimizer_;
  int64_t step_ = 0;
  double elapsed_seconds_ = 0;
  MetricsHistory history_;
  // Since the last history record:
  double interval_loss_sum_ = 0;
  int64_t interval_steps_ = 0;
  int64_t interval_samples_ = 0;
  double interval_seconds_ = 0;
  double last_lr_ = 0;
  RunLog* log_ = nullptr;                        // the run's record while run() runs
  std::shared_ptr<DataParallel> data_parallel_;  // null: one process
};

}  // namespace erwin
