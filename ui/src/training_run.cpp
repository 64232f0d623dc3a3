#include "erwin/ui/training_run.h"

#include <QThread>

#include "erwin/ui/training_worker.h"

namespace erwin::ui {

TrainingRun::TrainingRun(QObject* parent) : QObject(parent) {}

TrainingRun::~TrainingRun() {
  stop();
  if (thread_) {
    thread_->quit();
    thread_->wait();  // the step in flight ends, then the trainer sees the stop
  }
}

void TrainingRun::start(const QString& run_config_json, const QString& resume_checkpoint,
                        int processes) {
  if (running_) return;
  running_ = true;
  paused_ = false;
  processes_ = processes;
  auto* thread = new QThread(this);
  thread->setObjectName("training");
  auto* worker = new TrainingWorker;
  worker->moveToThread(thread);
  connect(thread, &QThread::finished, worker, &QObject::deleteLater);
  connect(thread, &QThread::finished, thread, &QObject::deleteLater);
  connect(worker, &TrainingWorker::started, this, &TrainingRun::started);
  connect(worker, &TrainingWorker::progress, this, &TrainingRun::progress);
  connect(worker, &TrainingWorker::metrics, this, &TrainingRun::metrics);
  connect(worker, &TrainingWorker::checkpoint_saved, this, &TrainingRun::checkpoint_saved);
  connect(worker, &TrainingWorker::finished, this, [this](bool cancelled, qint64 step) {
    ended();
    Q_EMIT finished(cancelled, step);
  });
  connect(worker, &TrainingWorker::error, this, [this](const QString& message) {
    ended();
    Q_EMIT error(message);
  });
  thread_ = thread;
  worker_ = worker;
  thread->start();
  QMetaObject::invokeMethod(worker, "start", Qt::QueuedConnection, Q_ARG(QString, run_config_json),
                            Q_ARG(QString, resume_checkpoint), Q_ARG(int, processes));
}

void TrainingRun::ended() {
  running_ = false;
  paused_ = false;
  worker_ = nullptr;
  if (thread_) thread_->quit();
}

void TrainingRun::pause() {
  if (!worker_ || paused_ || processes_ > 1) return;
  worker_->pause();
  paused_ = true;
  Q_EMIT paused_changed(true);
}

void TrainingRun::resume() {
  if (!worker_ || !paused_) return;
  worker_->resume();
  paused_ = false;
  Q_EMIT paused_changed(false);
}

void TrainingRun::stop() {
  if (worker_) worker_->stop();
}

}  // namespace erwin::ui
