#include "erwin/ui/job_thread.h"

namespace erwin::ui {

JobThread::JobThread(const QString& name, QObject* parent) : QObject(parent) {
  thread_.setObjectName(name);
  thread_.start();
}

JobThread::~JobThread() {
  cancel();
  thread_.quit();
  thread_.wait();
}

void JobThread::adopt(QObject* worker) {
  worker->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker, &QObject::deleteLater);
}

quint64 JobThread::start_job() {
  set_busy(true);
  return ++current_;
}

bool JobThread::take_result(quint64 job) {
  if (!is_current(job)) return false;
  set_busy(false);
  return true;
}

void JobThread::cancel() {
  ++current_;
  set_busy(false);
}

void JobThread::set_busy(bool busy) {
  if (busy_ == busy) return;
  busy_ = busy;
  Q_EMIT busy_changed(busy);
}

}  // namespace erwin::ui
