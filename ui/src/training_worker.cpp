#include "erwin/ui/training_worker.h"

#include <QElapsedTimer>
#include <cmath>
#include <exception>
#include <limits>

#include "erwin/datasets/training_tasks.h"
#include "erwin/training/trainer.h"
#include "erwin/ui/local_ranks.h"

namespace erwin::ui {

TrainingWorker::TrainingWorker(QObject* parent) : QObject(parent) {}

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

}  // namespace

void TrainingWorker::start(const QString& run_config_json, const QString& resume_checkpoint,
                           int processes) {
  try {
    RunConfig config = RunConfig::from_json(run_config_json.toStdString());
    std::unique_ptr<LocalRanks> ranks;
    std::shared_ptr<DataParallel> group;
    if (processes > 1) {
      ranks = std::make_unique<LocalRanks>(config, resume_checkpoint, processes,
                                           kDefaultDistributedTimeout);
      group = ranks->join(config);
    }
    Trainer trainer(config, datasets::make_training_task(config));
    if (group) trainer.set_data_parallel(group);
    if (!resume_checkpoint.isEmpty()) trainer.resume_from(resume_checkpoint.toStdString());
    Q_EMIT started(trainer.step(), config.steps);

    QElapsedTimer since_progress;
    since_progress.start();
    TrainerCallbacks callbacks;
    callbacks.on_step = [&](const TrainingProgress& p) {
      if (p.step != p.total_steps && since_progress.elapsed() < progress_interval_ms_) return;
      since_progress.restart();
      Q_EMIT progress(p.step, p.total_steps, p.loss, p.lr, p.samples_per_second, p.eta_seconds);
    };
    callbacks.on_metrics = [&](const MetricsRecord& r) {
      Q_EMIT metrics(r.step, r.train_loss,
                     r.val_loss ? *r.val_loss : std::numeric_limits<double>::quiet_NaN(), r.lr,
                     r.samples_per_second, r.elapsed_seconds);
    };
    callbacks.on_checkpoint = [&](const std::string& path) {
      Q_EMIT checkpoint_saved(QString::fromStdString(path));
    };
    const StopReason reason = run_rank(trainer, control_, callbacks, ranks.get());
    Q_EMIT finished(reason == StopReason::Cancelled, trainer.step());
  } catch (const std::exception& e) {
    Q_EMIT error(QString::fromStdString(e.what()));
  }
}

void TrainingWorker::pause() {
  control_.pause();
  Q_EMIT paused_changed(true);
}

void TrainingWorker::resume() {
  control_.resume();
  Q_EMIT paused_changed(false);
}

void TrainingWorker::stop() { control_.request_stop(); }

}  // namespace erwin::ui
