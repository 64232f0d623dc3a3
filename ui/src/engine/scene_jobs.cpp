#include "erwin/ui/engine/scene_jobs.h"

#include <optional>

#include "erwin/ui/engine/data_loader.h"
#include "erwin/ui/engine/demo_scene.h"
#include "erwin/ui/engine/result_import.h"

namespace erwin::ui {
namespace {

PointSet read_source(const std::string& source) {
  if (source == kDemoKnot) return demo_knot();
  if (source == kDemoMesh2d) return demo_mesh_2d();
  return load_point_set(source);
}

bool is_demo(const std::string& source) { return source == kDemoKnot || source == kDemoMesh2d; }

}  // namespace

LoadedScene load_scene(const std::string& source, double angle_degrees, JobContext& context) {
  context.progress(0.1, "reading " + source);
  std::optional<InferenceResult> result = is_demo(source) ? std::nullopt : read_result_file(source);
  if (result)
    return {nullptr, nullptr, std::make_shared<const InferenceResult>(std::move(*result))};
  auto points = std::make_shared<const PointSet>(read_source(source));
  return build_scene(std::move(points), angle_degrees, context);
}

LoadedScene build_scene(PointSetPtr points, double angle_degrees, JobContext& context) {
  context.throw_if_cancelled();
  context.progress(0.5,
                   "building the ball tree of " + std::to_string(points->pos.size(0)) + " points");
  auto tree = std::make_shared<const SceneTree>(build_scene_tree(points->pos, angle_degrees));
  return {std::move(points), std::move(tree), nullptr};
}

}  // namespace erwin::ui
