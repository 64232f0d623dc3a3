#include "erwin/ui/inference_runner.h"

#include <QDir>
#include <exception>
#include <stdexcept>

#include "erwin/training/training_checkpoint.h"

namespace erwin::ui {
namespace {

// Thrown from a stage report of a job that is no longer current: ends its work early.
struct Abandoned : std::runtime_error {
  Abandoned() : std::runtime_error("abandoned") {}
};

RunConfig checkpoint_config(const QString& path) {
  return load_training_checkpoint(path.toStdString()).run_config;
}

InferenceResult eagle_result(const InferenceRequest& request,
                             const std::function<void(const QString&)>& stage) {
  stage("loading the EAGLE model");
  EagleModel model = datasets::load_eagle_model(request.checkpoint.toStdString());
  stage(QString("rolling out %1 steps").arg(request.steps));
  InferenceResult result;
  result.eagle = datasets::eagle_rollout(
      model, request.data_root.toStdString(), request.split.toStdString(), request.item,
      request.start, request.steps, torch::Device(request.device.toStdString()),
      [&](int64_t done, int64_t total) {
        stage(QString("rolling out: step %1 of %2").arg(done).arg(total));
      });
  result.eagle->checkpoint = request.checkpoint.toStdString();
  return result;
}

InferenceResult shapenet_result(const InferenceRequest& request,
                                const std::function<void(const QString&)>& stage) {
  stage("loading the ShapeNet-Car model");
  const std::string path = request.checkpoint.toStdString();
  ShapenetCarModel model = datasets::load_shapenet_model(path);
  datasets::ShapenetCarOptions options;
  options.knn = checkpoint_config(request.checkpoint).data.knn;
  const auto dataset = datasets::ShapenetCarDataset::open(request.data_root.toStdString(),
                                                          request.split.toStdString(), options);
  stage(QString("predicting car %1").arg(request.item));
  InferenceResult result;
  result.shapenet = datasets::predict_shapenet_car(model, dataset, request.item,
                                                   torch::Device(request.device.toStdString()));
  result.shapenet->checkpoint = path;
  return result;
}

}  // namespace

CheckpointInfo inspect_checkpoint(const QString& path) {
  const TrainingState state = load_training_checkpoint(path.toStdString());
  CheckpointInfo info;
  info.path = path;
  info.kind = state.run_config.task;
  info.run_name = QString::fromStdString(state.run_config.name);
  info.data_root = QDir::cleanPath(
      QDir::current().absoluteFilePath(QString::fromStdString(state.run_config.data.root)));
  info.step = state.step;
  return info;
}

InferenceResult run_inference(const InferenceRequest& request,
                              const std::function<void(const QString&)>& stage) {
  return checkpoint_config(request.checkpoint).task == TaskKind::Eagle
             ? eagle_result(request, stage)
             : shapenet_result(request, stage);
}

void InferenceWorker::inspect(quint64 job, QString checkpoint) {
  if (!jobs_->is_current(job)) return;
  try {
    const CheckpointInfo info = inspect_checkpoint(checkpoint);
    Q_EMIT inspected(job, info);
  } catch (const std::exception& e) {
    Q_EMIT failed(job, QString::fromStdString(e.what()));
  }
}

void InferenceWorker::run(quint64 job, InferenceRequest request) {
  if (!jobs_->is_current(job)) return;
  try {
    InferenceResult result = run_inference(request, [this, job](const QString& text) {
      if (!jobs_->is_current(job)) throw Abandoned();  // cancelled or superseded
      Q_EMIT stage(job, text);
    });
    Q_EMIT finished(job, std::make_shared<const InferenceResult>(std::move(result)));
  } catch (const std::exception& e) {
    Q_EMIT failed(job, QString::fromStdString(e.what()));
  }
}

InferenceRunner::InferenceRunner(QObject* parent)
    : QObject(parent), jobs_(new JobThread("inference", this)) {
  qRegisterMetaType<CheckpointInfo>();
  qRegisterMetaType<InferenceRequest>();
  qRegisterMetaType<InferenceResultPtr>();
  auto* worker = new InferenceWorker(jobs_);
  jobs_->adopt(worker);
  connect(jobs_, &JobThread::busy_changed, this, &InferenceRunner::busy_changed);
  connect(this, &InferenceRunner::start_inspect, worker, &InferenceWorker::inspect);
  connect(this, &InferenceRunner::start_run, worker, &InferenceWorker::run);
  connect(worker, &InferenceWorker::stage, this, [this](quint64 job, const QString& text) {
    if (jobs_->is_current(job)) Q_EMIT stage(text);
  });
  connect(worker, &InferenceWorker::inspected, this, [this](quint64 job, CheckpointInfo info) {
    if (!jobs_->take_result(job)) return;
    Q_EMIT inspected(info);
  });
  connect(worker, &InferenceWorker::finished, this, [this](quint64 job, InferenceResultPtr result) {
    if (!jobs_->take_result(job)) return;
    Q_EMIT finished(std::move(result));
  });
  connect(worker, &InferenceWorker::failed, this, [this](quint64 job, const QString& message) {
    if (!jobs_->take_result(job)) return;
    Q_EMIT failed(message);
  });
}

void InferenceRunner::inspect(const QString& checkpoint) {
  Q_EMIT start_inspect(jobs_->start_job(), checkpoint);
}

void InferenceRunner::run(const InferenceRequest& request) {
  Q_EMIT start_run(jobs_->start_job(), request);
}

}  // namespace erwin::ui
