#include "erwin/ui/engine/job_runner.h"

#include <exception>

namespace erwin::ui {

class JobRunner::Context final : public JobContext {
 public:
  Context(JobRunner* runner, quint64 job) : runner_(runner), job_(job) {}

  bool is_cancelled() const override { return runner_->current_.load() != job_; }
  void progress(double fraction, const std::string& text) override {
    post([runner = runner_, fraction, text = QString::fromStdString(text)] {
      Q_EMIT runner->progress(fraction, text);
    });
  }
  void post(std::function<void()> gui_work) override { runner_->post(job_, std::move(gui_work)); }

 private:
  JobRunner* runner_;
  quint64 job_;
};

JobRunner::JobRunner(const QString& name, QObject* parent) : QObject(parent), worker_(new QObject) {
  thread_.setObjectName(name);
  worker_->moveToThread(&thread_);
  connect(&thread_, &QThread::finished, worker_, &QObject::deleteLater);
  thread_.start();
}

JobRunner::~JobRunner() {
  ++current_;  // the running job is stale now; nothing is signalled any more
  thread_.quit();
  thread_.wait();  // queued jobs are skipped, the running one returns at its next check
}

void JobRunner::start_job(ErasedWork work, Delivery deliver) {
  const quint64 job = ++current_;
  deliver_ = std::move(deliver);
  set_busy(true);
  QMetaObject::invokeMethod(
      worker_, [this, job, work = std::move(work)] { run(job, work); }, Qt::QueuedConnection);
}

void JobRunner::cancel() {
  ++current_;
  deliver_ = nullptr;
  set_busy(false);
}

void JobRunner::run(quint64 job, const ErasedWork& work) {
  Context context(this, job);
  if (context.is_cancelled()) return;  // superseded before it began
  Outcome outcome;
  QString error;
  bool ok = true;
  try {
    outcome = work(context);
  } catch (const JobCancelled&) {
    return;
  } catch (const std::exception& e) {
    ok = false;
    error = QString::fromStdString(e.what());
  } catch (...) {
    ok = false;
    error = QStringLiteral("unknown error in %1").arg(thread_.objectName());
  }
  QMetaObject::invokeMethod(
      this, [this, job, outcome, error, ok] { finish(job, outcome, error, ok); },
      Qt::QueuedConnection);
}

void JobRunner::post(quint64 job, std::function<void()> gui_work) {
  QMetaObject::invokeMethod(
      this,
      [this, job, gui_work = std::move(gui_work)] {
        if (current_.load() == job) gui_work();
      },
      Qt::QueuedConnection);
}

void JobRunner::finish(quint64 job, const Outcome& outcome, const QString& error, bool ok) {
  if (current_.load() != job) return;  // superseded or cancelled
  const Delivery deliver = std::move(deliver_);
  deliver_ = nullptr;
  set_busy(false);
  if (ok)
    deliver(outcome);
  else
    Q_EMIT failed(error);
}

void JobRunner::set_busy(bool busy) {
  if (busy_ == busy) return;
  busy_ = busy;
  Q_EMIT busy_changed(busy);
}

}  // namespace erwin::ui
