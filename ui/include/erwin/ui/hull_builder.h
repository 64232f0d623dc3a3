#pragma once
// The convex hulls of one tree level's balls, built off the GUI thread. They are built bottom-up
// through every finer level, which takes most of a second on a million points, so the window
// asks for them and draws them when they arrive; a newer request or cancel() drops a stale one.
#include <vtkSmartPointer.h>

#include <QObject>
#include <QString>
#include <cstdint>
#include <memory>

#include "erwin/ui/job_thread.h"
#include "erwin/ui/scene_loader.h"

class vtkPolyData;

namespace erwin::ui {

// A level's hulls as VTK cells over the cloud's point ids, one colour per ball (cell scalars).
// The cells have no points of their own: the scene gives them its points.
struct BallHulls {
  SceneTreePtr tree;  // the tree whose balls they outline
  int64_t level = 0;
  vtkSmartPointer<vtkPolyData> cells;
};
using BallHullsPtr = std::shared_ptr<const BallHulls>;

BallHulls build_ball_hulls(const PointSet& points, SceneTreePtr tree, int64_t level);

// Lives in the worker thread.
class HullWorker : public QObject {
  Q_OBJECT
 public:
  explicit HullWorker(const JobThread* jobs) : jobs_(jobs) {}

 public Q_SLOTS:
  void build(quint64 job, erwin::ui::PointSetPtr points, erwin::ui::SceneTreePtr tree,
             qint64 level);

 Q_SIGNALS:
  void finished(quint64 job, erwin::ui::BallHullsPtr hulls);
  void failed(quint64 job, QString message);

 private:
  const JobThread* jobs_;
};

// Lives in the GUI thread.
class HullBuilder : public QObject {
  Q_OBJECT
 public:
  explicit HullBuilder(QObject* parent = nullptr);

  // Starts building, unless the same hulls are already being built.
  void build(PointSetPtr points, SceneTreePtr tree, int64_t level);
  void cancel();
  bool busy() const { return jobs_->busy(); }

 Q_SIGNALS:
  void finished(erwin::ui::BallHullsPtr hulls);
  void failed(QString message);
  void busy_changed(bool busy);

  // To the worker (queued).
  void start(quint64 job, erwin::ui::PointSetPtr points, erwin::ui::SceneTreePtr tree,
             qint64 level);

 private:
  JobThread* jobs_;
  SceneTreePtr pending_tree_;  // what the last job built (compared only while busy)
  int64_t pending_level_ = -1;
};

}  // namespace erwin::ui

Q_DECLARE_METATYPE(erwin::ui::BallHullsPtr)
