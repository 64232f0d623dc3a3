#pragma once
// Runs compute_receptive_field (receptive_field_job.h) off the GUI thread with progress and
// cancellation; a newer request replaces a running one.
#include <QObject>
#include <QString>
#include <memory>

#include "erwin/ui/job_thread.h"
#include "erwin/ui/receptive_field_job.h"

namespace erwin::ui {

using ReceptiveFieldResultPtr = std::shared_ptr<const ReceptiveFieldResult>;

// Lives in the worker thread.
class ReceptiveFieldWorker : public QObject {
  Q_OBJECT
 public:
  explicit ReceptiveFieldWorker(const JobThread* jobs) : jobs_(jobs) {}

 public Q_SLOTS:
  void run(quint64 job, erwin::ui::ReceptiveFieldRequest request);

 Q_SIGNALS:
  void progress(quint64 job, int percent);
  void finished(quint64 job, erwin::ui::ReceptiveFieldResultPtr result);
  void failed(quint64 job, QString message);

 private:
  const JobThread* jobs_;
};

// Lives in the GUI thread.
class ReceptiveFieldRunner : public QObject {
  Q_OBJECT
 public:
  explicit ReceptiveFieldRunner(QObject* parent = nullptr);

  void start(const ReceptiveFieldRequest& request);
  void cancel() { jobs_->cancel(); }
  bool busy() const { return jobs_->busy(); }

 Q_SIGNALS:
  void progress(int percent);
  void finished(erwin::ui::ReceptiveFieldResultPtr result);
  void failed(QString message);
  void busy_changed(bool busy);

  void start_run(quint64 job, erwin::ui::ReceptiveFieldRequest request);  // to the worker

 private:
  JobThread* jobs_;
};

}  // namespace erwin::ui

Q_DECLARE_METATYPE(erwin::ui::ReceptiveFieldRequest)
Q_DECLARE_METATYPE(erwin::ui::ReceptiveFieldResultPtr)
