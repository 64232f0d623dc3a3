#pragma once
// Loading data and building its tree off the GUI thread: a worker QObject lives in a JobThread
// and reports through queued signals; stale results (after cancel or a newer job) are dropped.
// A file holding a model result (an export, result_import.h) is read as that result instead, for
// the rollout player.
#include <QObject>
#include <QString>
#include <memory>

#include "erwin/ui/inference_runner.h"
#include "erwin/ui/job_thread.h"
#include "erwin/ui/point_set.h"
#include "erwin/ui/scene_tree.h"

namespace erwin::ui {

using PointSetPtr = std::shared_ptr<const PointSet>;
using SceneTreePtr = std::shared_ptr<const SceneTree>;

// Sources that are not files.
inline const QString kDemoKnot = QStringLiteral("demo:knot");
inline const QString kDemoMesh2d = QStringLiteral("demo:mesh2d");

// Lives in the worker thread.
class SceneWorker : public QObject {
  Q_OBJECT
 public:
  explicit SceneWorker(const JobThread* jobs) : jobs_(jobs) {}

 public Q_SLOTS:
  void load(quint64 job, QString source, double angle_degrees);
  void rebuild(quint64 job, erwin::ui::PointSetPtr points, double angle_degrees);

 Q_SIGNALS:
  void progress(quint64 job, QString stage, int percent);
  void finished(quint64 job, erwin::ui::PointSetPtr points, erwin::ui::SceneTreePtr tree);
  void result_read(quint64 job, erwin::ui::InferenceResultPtr result);
  void failed(quint64 job, QString message);

 private:
  void build_tree(quint64 job, PointSetPtr points, double angle_degrees);
  const JobThread* jobs_;
};

// Lives in the GUI thread.
class SceneLoader : public QObject {
  Q_OBJECT
 public:
  explicit SceneLoader(QObject* parent = nullptr);

  // `source`: a file path, kDemoKnot or kDemoMesh2d.
  void load(const QString& source, double angle_degrees);
  // Same points, new tree (e.g. another rotation angle).
  void rebuild(PointSetPtr points, double angle_degrees);
  void cancel() { jobs_->cancel(); }
  bool busy() const { return jobs_->busy(); }

 Q_SIGNALS:
  void progress(QString stage, int percent);
  void loaded(QString source, erwin::ui::PointSetPtr points, erwin::ui::SceneTreePtr tree);
  // `source` holds a model result (an .h5 export, or a .pvd series of one), not points.
  void result_loaded(QString source, erwin::ui::InferenceResultPtr result);
  void failed(QString source, QString message);
  void busy_changed(bool busy);

  // To the worker (queued).
  void start_load(quint64 job, QString source, double angle_degrees);
  void start_rebuild(quint64 job, erwin::ui::PointSetPtr points, double angle_degrees);

 private:
  JobThread* jobs_;
  QString source_;
};

}  // namespace erwin::ui

Q_DECLARE_METATYPE(erwin::ui::PointSetPtr)
Q_DECLARE_METATYPE(erwin::ui::SceneTreePtr)
