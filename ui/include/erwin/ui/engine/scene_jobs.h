#pragma once
// The jobs behind opening data (job.h, run by a JobRunner): reading a file or demo and building
// its ball tree, or building the tree of points already read (another rotation angle, another
// cloud of the file). A file holding a model result (an export, result_import.h) is read as that
// result instead, for the rollout player.
#include <memory>
#include <string>

#include "erwin/ui/engine/inference_result.h"
#include "erwin/ui/engine/job.h"
#include "erwin/ui/engine/point_set.h"
#include "erwin/ui/engine/scene_tree.h"

namespace erwin::ui {

using PointSetPtr = std::shared_ptr<const PointSet>;
using SceneTreePtr = std::shared_ptr<const SceneTree>;

// Sources that are not files.
inline constexpr char kDemoKnot[] = "demo:knot";
inline constexpr char kDemoMesh2d[] = "demo:mesh2d";

// Points and their tree, or (result set) a model result.
struct LoadedScene {
  PointSetPtr points;
  SceneTreePtr tree;
  InferenceResultPtr result;
};

// `source`: a file path, kDemoKnot or kDemoMesh2d. Throws on unreadable data.
LoadedScene load_scene(const std::string& source, double angle_degrees, JobContext& context);
LoadedScene build_scene(PointSetPtr points, double angle_degrees, JobContext& context);

}  // namespace erwin::ui
