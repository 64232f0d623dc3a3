#include "erwin/ui/training_worker.h"

#include <QElapsedTimer>
#include <cmath>
#include <exception>
#include <limits>

#include "erwin/datasets/training_tasks.h"
#include "erwin/training/trainer.h"

namespace erwin::ui {

TrainingWorker::TrainingWorker(QObject* parent) : QObject(parent) {}

void TrainingWorker::start(const QString& run_config_json, const QString& resume_checkpoint) {
  try {
    const RunConfig config = RunConfig::from_json(run_config_json.toStdString());
    Trainer trainer(config, datasets::make_training_task(config));
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
    const StopReason reason = trainer.run(&control_, callbacks);
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
