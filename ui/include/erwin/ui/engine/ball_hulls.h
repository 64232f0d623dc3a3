#pragma once
// The convex hulls of one tree level's balls, as VTK cells: a job (job.h) for a JobRunner. They
// are built bottom-up through every finer level, which takes most of a second on a million
// points, so the window asks for them and draws them when they arrive.
#include <vtkSmartPointer.h>

#include <cstdint>
#include <memory>

#include "erwin/ui/engine/scene_jobs.h"

class vtkPolyData;

namespace erwin::ui {

// A level's hulls as VTK cells over the cloud's point ids, one colour per ball (cell scalars).
// The cells have no points of their own: the scene gives them its points.
struct BallHulls {
  SceneTreePtr tree;  // the tree whose balls they outline
  int64_t level = 0;
  vtkSmartPointer<vtkPolyData> cells;
};

BallHulls build_ball_hulls(const PointSet& points, SceneTreePtr tree, int64_t level);

}  // namespace erwin::ui
