#pragma once
// One training run at a time from the GUI thread: start() runs run_training (training_job.h) as
// a job of a JobRunner (job_runner.h), whose reports reach this object's signals in the GUI
// thread; pause/resume/stop go straight to the run's thread-safe RunControl. The destructor
// stops a run and waits for the step in flight.
#include <QObject>
#include <QString>
#include <memory>

#include "erwin/training/run_control.h"

namespace erwin::ui {

class JobRunner;

class TrainingRun : public QObject {
  Q_OBJECT
 public:
  explicit TrainingRun(QObject* parent = nullptr);
  ~TrainingRun() override;

  // Ignored while a run is going. `processes` > 1: a data-parallel run (training_job.h),
  // which pause() leaves running.
  void start(const QString& run_config_json, const QString& resume_checkpoint = QString(),
             int processes = 1);
  void pause();  // takes effect after the current step
  void resume();
  void stop();  // takes effect after the current step; also ends a pause
  bool running() const { return running_; }
  bool paused() const { return paused_; }
  // At most one progress signal per interval (default 100 ms); for the next start().
  void set_progress_interval_ms(int ms) { progress_interval_ms_ = ms; }

 Q_SIGNALS:
  void started(qint64 first_step, qint64 total_steps);
  void progress(qint64 step, qint64 total_steps, double loss, double lr, double samples_per_second,
                double eta_seconds);
  // One erwin::MetricsRecord; val_loss is NaN when the record has none.
  void metrics(qint64 step, double train_loss, double val_loss, double lr,
               double samples_per_second, double elapsed_seconds);
  void checkpoint_saved(const QString& path);
  void paused_changed(bool paused);
  void finished(bool cancelled, qint64 step);
  void error(const QString& message);

 private:
  void ended();

  JobRunner* runner_;
  std::shared_ptr<RunControl> control_;  // of the current run; a stop is final
  bool running_ = false;
  bool paused_ = false;
  int processes_ = 1;
  int progress_interval_ms_ = 100;
};

}  // namespace erwin::ui
