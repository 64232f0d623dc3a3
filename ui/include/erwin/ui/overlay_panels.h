#pragma once
// What the ImGui overlay shows: the hovered point (index, coordinates, ball and radius per level)
// and the tree's node counts per level. Plain data in, ImGui calls out.
#include <cstdint>
#include <string>

namespace erwin::ui {

struct SceneTree;

struct OverlayState {
  const SceneTree* tree = nullptr;
  const float* positions = nullptr;  // float [N, dim] of the shown points
  int64_t dimension = 3;
  std::string data_name;
  int64_t level = 0;
  int64_t hovered_point = -1;
  bool rotated_view = false;
  double frame_ms = 0.0;
  std::string busy_text;  // what a background job is doing, empty when idle
};

// Issues the ImGui windows of one frame (call between NewFrame and Render).
void draw_overlay_panels(const OverlayState& state);

}  // namespace erwin::ui
