#pragma once
// Training off the GUI thread: a QObject to move to a QThread. start() runs the whole training
// (erwin::Trainer) in that thread; pause(), resume() and stop() only flip thread-safe flags
// (erwin::RunControl), so call them directly from the GUI thread (or connect them with
// Qt::DirectConnection): a queued call would wait for the running start() to return.
// Signals reach GUI-thread receivers queued; progress is throttled to at most one signal per
// `progress_interval_ms` so that fast steps cannot flood the event loop. A worker trains once:
// a stop() (even one before start()) is final, so use a new worker for the next run.
#include <QObject>
#include <QString>

#include "erwin/training/run_control.h"

namespace erwin::ui {

class TrainingWorker : public QObject {
  Q_OBJECT
 public:
  explicit TrainingWorker(QObject* parent = nullptr);

  void set_progress_interval_ms(int ms) { progress_interval_ms_ = ms; }

 public Q_SLOTS:
  // Trains the run described by `run_config_json` (erwin::RunConfig JSON), resuming from
  // `resume_checkpoint` when not empty. Emits started, then progress/metrics, then finished
  // (or error). Returns when the run ends, is stopped, or fails. With `processes` > 1 the run is
  // data-parallel: this worker trains rank 0 (its signals are rank 0's) and starts the other
  // ranks as `erwin train` processes (local_ranks.h). Do not pause such a run: the other ranks
  // would wait for rank 0 and stop after the timeout.
  void start(const QString& run_config_json, const QString& resume_checkpoint = QString(),
             int processes = 1);
  void pause();   // thread-safe; takes effect after the current step
  void resume();  // thread-safe
  void stop();    // thread-safe; also ends a pause

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
  erwin::RunControl control_;
  int progress_interval_ms_ = 100;
};

}  // namespace erwin::ui
