#include "erwin/ui/scene_loader.h"

#include <exception>
#include <optional>

#include "erwin/ui/data_loader.h"
#include "erwin/ui/demo_scene.h"
#include "erwin/ui/result_import.h"

namespace erwin::ui {
namespace {

PointSet read_source(const QString& source) {
  if (source == kDemoKnot) return demo_knot();
  if (source == kDemoMesh2d) return demo_mesh_2d();
  return load_point_set(source.toStdString());
}

bool is_demo(const QString& source) { return source == kDemoKnot || source == kDemoMesh2d; }

}  // namespace

void SceneWorker::load(quint64 job, QString source, double angle_degrees) {
  if (!jobs_->is_current(job)) return;
  Q_EMIT progress(job, QStringLiteral("reading %1").arg(source), 10);
  try {
    std::optional<InferenceResult> result =
        is_demo(source) ? std::nullopt : read_result_file(source.toStdString());
    if (result) {
      if (jobs_->is_current(job))
        Q_EMIT result_read(job, std::make_shared<const InferenceResult>(std::move(*result)));
      return;
    }
    auto points = std::make_shared<const PointSet>(read_source(source));
    build_tree(job, points, angle_degrees);
  } catch (const std::exception& error) {
    Q_EMIT failed(job, QString::fromStdString(error.what()));
  }
}

void SceneWorker::rebuild(quint64 job, PointSetPtr points, double angle_degrees) {
  try {
    build_tree(job, std::move(points), angle_degrees);
  } catch (const std::exception& error) {
    Q_EMIT failed(job, QString::fromStdString(error.what()));
  }
}

void SceneWorker::build_tree(quint64 job, PointSetPtr points, double angle_degrees) {
  if (!jobs_->is_current(job)) return;
  Q_EMIT progress(
      job, QStringLiteral("building the ball tree of %1 points").arg(points->pos.size(0)), 50);
  auto tree = std::make_shared<const SceneTree>(build_scene_tree(points->pos, angle_degrees));
  if (!jobs_->is_current(job)) return;
  Q_EMIT finished(job, std::move(points), std::move(tree));
}

SceneLoader::SceneLoader(QObject* parent)
    : QObject(parent), jobs_(new JobThread("scene loader", this)) {
  qRegisterMetaType<PointSetPtr>();
  qRegisterMetaType<SceneTreePtr>();
  qRegisterMetaType<InferenceResultPtr>();
  auto* worker = new SceneWorker(jobs_);
  jobs_->adopt(worker);
  connect(jobs_, &JobThread::busy_changed, this, &SceneLoader::busy_changed);
  connect(this, &SceneLoader::start_load, worker, &SceneWorker::load);
  connect(this, &SceneLoader::start_rebuild, worker, &SceneWorker::rebuild);
  connect(worker, &SceneWorker::progress, this, [this](quint64 job, QString stage, int percent) {
    if (jobs_->is_current(job)) Q_EMIT progress(stage, percent);
  });
  connect(worker, &SceneWorker::finished, this,
          [this](quint64 job, PointSetPtr points, SceneTreePtr tree) {
            if (!jobs_->take_result(job)) return;
            Q_EMIT loaded(source_, std::move(points), std::move(tree));
          });
  connect(worker, &SceneWorker::result_read, this, [this](quint64 job, InferenceResultPtr result) {
    if (jobs_->take_result(job)) Q_EMIT result_loaded(source_, std::move(result));
  });
  connect(worker, &SceneWorker::failed, this, [this](quint64 job, QString message) {
    if (!jobs_->take_result(job)) return;
    Q_EMIT failed(source_, message);
  });
}

void SceneLoader::load(const QString& source, double angle_degrees) {
  source_ = source;
  Q_EMIT start_load(jobs_->start_job(), source, angle_degrees);
}

void SceneLoader::rebuild(PointSetPtr points, double angle_degrees) {
  source_ = QString::fromStdString(points->name);
  Q_EMIT start_rebuild(jobs_->start_job(), std::move(points), angle_degrees);
}

}  // namespace erwin::ui
