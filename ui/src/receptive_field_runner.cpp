#include "erwin/ui/receptive_field_runner.h"

#include <exception>

namespace erwin::ui {

void ReceptiveFieldWorker::run(quint64 job, ReceptiveFieldRequest request) {
  if (!jobs_->is_current(job)) return;
  try {
    // The callback runs in this thread; returning false (stale job) cancels the computation.
    const auto report = [this, job](double fraction) {
      Q_EMIT progress(job, static_cast<int>(100 * fraction));
      return jobs_->is_current(job);
    };
    std::optional<ReceptiveFieldResult> result = compute_receptive_field(request, report);
    if (result && jobs_->is_current(job))
      Q_EMIT finished(job, std::make_shared<const ReceptiveFieldResult>(std::move(*result)));
  } catch (const std::exception& error) {
    Q_EMIT failed(job, QString::fromStdString(error.what()));
  }
}

ReceptiveFieldRunner::ReceptiveFieldRunner(QObject* parent)
    : QObject(parent), jobs_(new JobThread("receptive field", this)) {
  qRegisterMetaType<ReceptiveFieldRequest>();
  qRegisterMetaType<ReceptiveFieldResultPtr>();
  auto* worker = new ReceptiveFieldWorker(jobs_);
  jobs_->adopt(worker);
  connect(jobs_, &JobThread::busy_changed, this, &ReceptiveFieldRunner::busy_changed);
  connect(this, &ReceptiveFieldRunner::start_run, worker, &ReceptiveFieldWorker::run);
  connect(worker, &ReceptiveFieldWorker::progress, this, [this](quint64 job, int percent) {
    if (jobs_->is_current(job)) Q_EMIT progress(percent);
  });
  connect(worker, &ReceptiveFieldWorker::finished, this,
          [this](quint64 job, ReceptiveFieldResultPtr result) {
            if (!jobs_->take_result(job)) return;
            Q_EMIT finished(std::move(result));
          });
  connect(worker, &ReceptiveFieldWorker::failed, this, [this](quint64 job, QString message) {
    if (!jobs_->take_result(job)) return;
    Q_EMIT failed(message);
  });
}

void ReceptiveFieldRunner::start(const ReceptiveFieldRequest& request) {
  Q_EMIT start_run(jobs_->start_job(), request);
}

}  // namespace erwin::ui
