#pragma once
// A training run as a job (job.h): run_training trains the run described by a RunConfig JSON
// (erwin::Trainer) in the calling thread, a JobRunner's worker thread (training_run.h), until it
// ends or `control` stops it. pause/resume/stop are `control`'s thread-safe flags, checked
// between steps. With `processes` > 1 the run is data-parallel: this thread trains rank 0 (the
// reports are rank 0's) and starts the other ranks as `erwin train` processes (local_ranks.h);
// such a run must not be paused (the other ranks would wait for rank 0 and stop after the
// timeout).
#include <cstdint>
#include <functional>
#include <string>

#include "erwin/training/run_control.h"
#include "erwin/training/trainer.h"

namespace erwin::ui {

struct TrainingRequest {
  std::string run_config_json;    // erwin::RunConfig
  std::string resume_checkpoint;  // resumed from when not empty
  int processes = 1;
  // At most one on_step report per interval (and always the last step's), so that fast steps
  // cannot flood the GUI thread.
  int progress_interval_ms = 100;
};

// Called in the training thread.
struct TrainingReports {
  std::function<void(int64_t first_step, int64_t total_steps)> started;
  TrainerCallbacks trainer;
};

struct TrainingOutcome {
  bool cancelled = false;  // stopped before the last step
  int64_t step = 0;        // steps done
};

// Throws on a bad configuration or a failed step (naming what the other ranks reported).
TrainingOutcome run_training(const TrainingRequest& request, RunControl& control,
                             const TrainingReports& reports);

}  // namespace erwin::ui
