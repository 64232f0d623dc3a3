#include "erwin/ui/engine/job_runner.h"

#include <exception>
#include <utility>

#if defined(__SANITIZE_THREAD__)  // gcc
#define ERWIN_TSAN 1
#elif defined(__has_feature)  // clang
#if __has_feature(thread_sanitizer)
#define ERWIN_TSAN 1
#endif
#endif
#ifdef ERWIN_TSAN
#include <sanitizer/tsan_interface.h>
#endif

namespace erwin::ui {
namespace {

// ThreadSanitizer and Qt (scripts/sanitize.sh --thread): Qt is not built with TSan, so the
// ordering that Qt's own locks give is invisible to it, and every hand-over between the GUI thread
// and the worker would look like a race. These helpers tell TSan what Qt guarantees; without TSan
// they are nothing.
//
// handed_over(call) wraps each call this file posts to the other thread: whatever the posting
// thread did before the post happens before the call (and its destruction, also when Qt drops it
// unrun) in the receiving thread. The release follows each move, as invokeMethod moves the
// callable into the object it allocates and posts, so the last release follows the posting
// thread's last write to it.
#ifdef ERWIN_TSAN
template <class Call>
class HandedOver {
 public:
  explicit HandedOver(Call call) : call_(std::move(call)) { __tsan_release(this); }
  HandedOver(HandedOver&& other) : call_(std::move(other.call_)) { __tsan_release(this); }
  ~HandedOver() { __tsan_acquire(this); }
  void operator()() {
    __tsan_acquire(this);
    call_();
  }

 private:
  Call call_;
};

template <class Call>
HandedOver<Call> handed_over(Call call) {
  return HandedOver<Call>(std::move(call));
}
#else
template <class Call>
Call handed_over(Call call) {
  return call;
}
#endif

// The thread's end happens before its wait() returns (which returns at once, past Qt's lock only,
// when the thread has ended already): announce_end() at its start, ended() after wait().
void announce_end([[maybe_unused]] QThread& thread) {
#ifdef ERWIN_TSAN
  QObject::connect(
      &thread, &QThread::finished, &thread, [&thread] { __tsan_release(&thread); },
      Qt::DirectConnection);  // in the ending thread
#endif
}

void ended([[maybe_unused]] QThread& thread) {
#ifdef ERWIN_TSAN
  __tsan_acquire(&thread);
#endif
}

}  // namespace

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
  announce_end(thread_);
  thread_.start();
}

JobRunner::~JobRunner() {
  ++current_;  // the running job is stale now; nothing is signalled any more
  thread_.quit();
  thread_.wait();  // queued jobs are skipped, the running one returns at its next check
  ended(thread_);
}

void JobRunner::start_job(ErasedWork work, Delivery deliver) {
  const quint64 job = ++current_;
  deliver_ = std::move(deliver);
  set_busy(true);
  QMetaObject::invokeMethod(worker_,
                            handed_over([this, job, work = std::move(work)] { run(job, work); }),
                            Qt::QueuedConnection);
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
      this, handed_over([this, job, outcome, error, ok] { finish(job, outcome, error, ok); }),
      Qt::QueuedConnection);
}

void JobRunner::post(quint64 job, std::function<void()> gui_work) {
  QMetaObject::invokeMethod(this, handed_over([this, job, gui_work = std::move(gui_work)] {
                              if (current_.load() == job) gui_work();
                            }),
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
