#pragma once
// The Studio's one job mechanism: everything that runs off the GUI thread (loading, trees,
// hulls, receptive fields, inference, exports, data generation, training) is a job started here.
// A JobRunner owns one worker thread and runs one kind of job at a time:
//   runner->start([request](JobContext& context) { return job(request, context); },
//                 [this](Result result) { show(result); });
// The job runs in the worker thread (job.h); its progress, intermediate posts and then its
// result reach the GUI thread in order, through queued calls. Starting a newer job or cancel()
// makes the running one stale: it sees is_cancelled(), and whatever it still reports or returns
// is dropped here, in one place. An exception becomes failed(message). Destroying the runner
// cancels the running job and waits for it to return (jobs check is_cancelled() between
// stages), and delivers nothing more.
#include <QObject>
#include <QString>
#include <QThread>
#include <atomic>
#include <functional>
#include <memory>
#include <type_traits>
#include <utility>

#include "erwin/ui/engine/job.h"

namespace erwin::ui {

class JobRunner : public QObject {
  Q_OBJECT
 public:
  // `name` names the worker thread (debuggers, profilers).
  explicit JobRunner(const QString& name, QObject* parent = nullptr);
  ~JobRunner() override;

  // Supersedes the running job (if any) with `work`, a callable `Result(JobContext&)`. Unless
  // superseded or cancelled in turn, `done(Result)` (or `done()` for a void Result) runs in the
  // GUI thread when `work` returns.
  template <class Work, class Done>
  void start(Work work, Done done);
  void cancel();                       // the running job's result will not be delivered
  bool busy() const { return busy_; }  // a job was started and has not delivered or failed yet

 Q_SIGNALS:
  // Of the current job (JobContext::progress).
  void progress(double fraction, const QString& text);
  void failed(const QString& message);
  void busy_changed(bool busy);

 private:
  class Context;
  using Outcome = std::shared_ptr<void>;  // the result, type-erased; empty for void
  using ErasedWork = std::function<Outcome(JobContext&)>;
  using Delivery = std::function<void(const Outcome&)>;

  void start_job(ErasedWork work, Delivery deliver);
  void run(quint64 job, const ErasedWork& work);  // in the worker thread
  // In the GUI thread: `gui_work` runs if `job` is still the current one.
  void post(quint64 job, std::function<void()> gui_work);
  void finish(quint64 job, const Outcome& outcome, const QString& error, bool ok);
  void set_busy(bool busy);

  QThread thread_;
  QObject* worker_;  // lives in thread_ and receives the jobs; deleted when thread_ ends
  std::atomic<quint64> current_{0};
  Delivery deliver_;  // the current job's `done`; only ever used in the GUI thread
  bool busy_ = false;
};

template <class Work, class Done>
void JobRunner::start(Work work, Done done) {
  using Result = std::invoke_result_t<Work&, JobContext&>;
  if constexpr (std::is_void_v<Result>) {
    start_job(
        [work = std::move(work)](JobContext& context) mutable {
          work(context);
          return Outcome();
        },
        [done = std::move(done)](const Outcome&) mutable { done(); });
  } else {
    start_job(
        [work = std::move(work)](JobContext& context) mutable -> Outcome {
          return std::make_shared<Result>(work(context));
        },
        [done = std::move(done)](const Outcome& outcome) mutable {
          done(std::move(*static_cast<Result*>(outcome.get())));
        });
  }
}

}  // namespace erwin::ui
