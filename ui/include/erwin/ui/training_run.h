#pragma once
// One training run at a time from the GUI thread: start() gives a fresh TrainingWorker its own
// QThread and forwards the worker's signals (queued, so they arrive in the GUI thread);
// pause/resume/stop go straight to the worker's thread-safe flags. When the run ends (finished
// or error) the thread quits and deletes the worker. The destructor stops a run and joins.
#include <QObject>
#include <QPointer>
#include <QString>

class QThread;

namespace erwin::ui {

class TrainingWorker;

class TrainingRun : public QObject {
  Q_OBJECT
 public:
  explicit TrainingRun(QObject* parent = nullptr);
  ~TrainingRun() override;

  // Ignored while a run is going. `processes` > 1: a data-parallel run (TrainingWorker::start),
  // which pause() leaves running.
  void start(const QString& run_config_json, const QString& resume_checkpoint = QString(),
             int processes = 1);
  void pause();
  void resume();
  void stop();
  bool running() const { return running_; }
  bool paused() const { return paused_; }

 Q_SIGNALS:
  void started(qint64 first_step, qint64 total_steps);
  void progress(qint64 step, qint64 total_steps, double loss, double lr, double samples_per_second,
                double eta_seconds);
  void metrics(qint64 step, double train_loss, double val_loss, double lr,
               double samples_per_second, double elapsed_seconds);
  void checkpoint_saved(const QString& path);
  void paused_changed(bool paused);
  void finished(bool cancelled, qint64 step);
  void error(const QString& message);

 private:
  void ended();

  QPointer<QThread> thread_;
  QPointer<TrainingWorker> worker_;
  bool running_ = false;
  bool paused_ = false;
  int processes_ = 1;
};

}  // namespace erwin::ui
