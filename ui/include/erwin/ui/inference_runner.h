#pragma once
// The rollout player's background work on a JobThread: reading what a training checkpoint is
// (inspect), and computing an EAGLE rollout or a ShapeNet-Car prediction from it (run). A newer
// request or cancel() makes the running one stale: its result is dropped when it arrives (the
// model call itself runs to its end in the worker thread).
#include <QObject>
#include <QString>
#include <functional>
#include <string>

#include "erwin/training/run_config.h"
#include "erwin/ui/inference_result.h"
#include "erwin/ui/job_thread.h"

namespace erwin::ui {

struct CheckpointInfo {
  QString path;
  TaskKind kind = TaskKind::Eagle;
  QString run_name;
  QString data_root;  // of the run configuration, absolute
  qint64 step = 0;
};

struct InferenceRequest {
  QString checkpoint;
  QString data_root;
  QString split = "test";
  int64_t item = 0;   // EAGLE: simulation; ShapeNet-Car: car
  int64_t start = 0;  // EAGLE: first frame
  int64_t steps = 20;
  QString device = "cpu";
};

CheckpointInfo inspect_checkpoint(const QString& path);
// Stages are reported through `stage` ("loading the model", ...).
InferenceResult run_inference(const InferenceRequest& request,
                              const std::function<void(const QString&)>& stage);

// Lives in the worker thread.
class InferenceWorker : public QObject {
  Q_OBJECT
 public:
  explicit InferenceWorker(const JobThread* jobs) : jobs_(jobs) {}

 public Q_SLOTS:
  void inspect(quint64 job, QString checkpoint);
  void run(quint64 job, erwin::ui::InferenceRequest request);

 Q_SIGNALS:
  void stage(quint64 job, QString text);
  void inspected(quint64 job, erwin::ui::CheckpointInfo info);
  void finished(quint64 job, erwin::ui::InferenceResultPtr result);
  void failed(quint64 job, QString message);

 private:
  const JobThread* jobs_;
};

// Lives in the GUI thread.
class InferenceRunner : public QObject {
  Q_OBJECT
 public:
  explicit InferenceRunner(QObject* parent = nullptr);

  void inspect(const QString& checkpoint);
  void run(const InferenceRequest& request);
  void cancel() { jobs_->cancel(); }
  bool busy() const { return jobs_->busy(); }

 Q_SIGNALS:
  void stage(QString text);
  void inspected(erwin::ui::CheckpointInfo info);
  void finished(erwin::ui::InferenceResultPtr result);
  void failed(QString message);
  void busy_changed(bool busy);

  void start_inspect(quint64 job, QString checkpoint);               // to the worker
  void start_run(quint64 job, erwin::ui::InferenceRequest request);  // to the worker

 private:
  JobThread* jobs_;
};

}  // namespace erwin::ui

Q_DECLARE_METATYPE(erwin::ui::CheckpointInfo)
Q_DECLARE_METATYPE(erwin::ui::InferenceRequest)
Q_DECLARE_METATYPE(erwin::ui::InferenceResultPtr)
