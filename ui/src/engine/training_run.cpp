#include "erwin/ui/engine/training_run.h"

#include <limits>

#include "erwin/ui/engine/job_runner.h"
#include "erwin/ui/engine/training_job.h"

namespace erwin::ui {

TrainingRun::TrainingRun(QObject* parent)
    : QObject(parent), runner_(new JobRunner("training", this)) {
  connect(runner_, &JobRunner::failed, this, [this](const QString& message) {
    ended();
    Q_EMIT error(message);
  });
}

TrainingRun::~TrainingRun() { stop(); }  // runner_ then waits for the step in flight

void TrainingRun::start(const QString& run_config_json, const QString& resume_checkpoint,
                        int processes) {
  if (running_) return;
  running_ = true;
  paused_ = false;
  processes_ = processes;
  control_ = std::make_shared<RunControl>();
  TrainingRequest request{run_config_json.toStdString(), resume_checkpoint.toStdString(), processes,
                          progress_interval_ms_};
  // The reports run in the training thread and are posted, in order, to this one.
  runner_->start(
      [this, request, control = control_](JobContext& context) {
        TrainingReports reports;
        reports.started = [this, &context](int64_t first, int64_t total) {
          context.post([this, first, total] { Q_EMIT started(first, total); });
        };
        reports.trainer.on_step = [this, &context](const TrainingProgress& p) {
          context.post([this, p] {
            Q_EMIT progress(p.step, p.total_steps, p.loss, p.lr, p.samples_per_second,
                            p.eta_seconds);
          });
        };
        reports.trainer.on_metrics = [this, &context](const MetricsRecord& r) {
          context.post([this, r] {
            Q_EMIT metrics(r.step, r.train_loss,
                           r.val_loss.value_or(std::numeric_limits<double>::quiet_NaN()), r.lr,
                           r.samples_per_second, r.elapsed_seconds);
          });
        };
        reports.trainer.on_checkpoint = [this, &context](const std::string& path) {
          context.post(
              [this, path = QString::fromStdString(path)] { Q_EMIT checkpoint_saved(path); });
        };
        return run_training(request, *control, reports);
      },
      [this](TrainingOutcome outcome) {
        ended();
        Q_EMIT finished(outcome.cancelled, outcome.step);
      });
}

void TrainingRun::ended() {
  running_ = false;
  paused_ = false;
}

void TrainingRun::pause() {
  if (!running_ || paused_ || processes_ > 1) return;
  control_->pause();
  paused_ = true;
  Q_EMIT paused_changed(true);
}

void TrainingRun::resume() {
  if (!running_ || !paused_) return;
  control_->resume();
  paused_ = false;
  Q_EMIT paused_changed(false);
}

void TrainingRun::stop() {
  if (running_) control_->request_stop();
}

}  // namespace erwin::ui
