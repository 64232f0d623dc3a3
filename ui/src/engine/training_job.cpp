#include "erwin/ui/engine/training_job.h"

#include <QString>
#include <chrono>
#include <memory>
#include <stdexcept>

#include "erwin/datasets/training_tasks.h"
#include "erwin/ui/engine/local_ranks.h"

namespace erwin::ui {
namespace {

// Trains rank 0 (or the only process); with other ranks, a failure names what they reported.
StopReason run_rank(Trainer& trainer, RunControl& control, const TrainerCallbacks& callbacks,
                    LocalRanks* ranks) {
  if (!ranks) return trainer.run(&control, callbacks);
  StopReason reason;
  try {
    reason = trainer.run(&control, callbacks);
  } catch (const std::exception& e) {
    throw std::runtime_error(e.what() + ranks->errors().toStdString());
  }
  const QString failed = ranks->finish();
  if (!failed.isEmpty()) throw std::runtime_error(failed.toStdString());
  return reason;
}

// reports.trainer with on_step passed on at most once per interval, and for the last step.
TrainerCallbacks throttled(const TrainingReports& reports, int interval_ms) {
  TrainerCallbacks callbacks = reports.trainer;
  if (!callbacks.on_step) return callbacks;
  using Clock = std::chrono::steady_clock;
  auto last = std::make_shared<Clock::time_point>(Clock::now());
  callbacks.on_step = [on_step = reports.trainer.on_step, last,
                       interval =
                           std::chrono::milliseconds(interval_ms)](const TrainingProgress& p) {
    if (p.step != p.total_steps && Clock::now() - *last < interval) return;
    *last = Clock::now();
    on_step(p);
  };
  return callbacks;
}

}  // namespace

TrainingOutcome run_training(const TrainingRequest& request, RunControl& control,
                             const TrainingReports& reports) {
  RunConfig config = RunConfig::from_json(request.run_config_json);
  const QString resume = QString::fromStdString(request.resume_checkpoint);
  std::unique_ptr<LocalRanks> ranks;
  std::shared_ptr<DataParallel> group;
  if (request.processes > 1) {
    ranks =
        std::make_unique<LocalRanks>(config, resume, request.processes, kDefaultDistributedTimeout);
    group = ranks->join(config);
  }
  Trainer trainer(config, datasets::make_training_task(config));
  if (group) trainer.set_data_parallel(group);
  if (!request.resume_checkpoint.empty()) trainer.resume_from(request.resume_checkpoint);
  if (reports.started) reports.started(trainer.step(), config.steps);
  const TrainerCallbacks callbacks = throttled(reports, request.progress_interval_ms);
  const StopReason reason = run_rank(trainer, control, callbacks, ranks.get());
  return {reason == StopReason::Cancelled, trainer.step()};
}

}  // namespace erwin::ui
