#pragma once
// What the ImGui overlay shows: the hovered point (index, coordinates, ball and radius per level)
// and the tree's node counts per level. Plain data in, ImGui calls out.
#include <cstdint>
#include <string>
#include <vector>

#include "erwin/ui/engine/ball_colours.h"
#include "erwin/ui/engine/studio_state.h"

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

  // The legend: what the colours and marks of the picture mean.
  bool legend = false;
  Colouring colouring = Colouring::Ball;
  // Colouring::BallOrder and ::Field: the colour map from its low end to its high end.
  std::vector<Rgb> map_colours;
  std::string field;  // Colouring::Field: its name and the range the map spans
  double field_low = 0.0, field_high = 1.0;
  std::vector<std::string> hovered_fields;  // "pressure = -0.31" for the hovered point
  bool spheres = false, centres = false, padding = false;
  bool receptive_field = false;  // points coloured by receptive field instead (its panel explains)
  // Overlay view: the rotated ball shown bright over the original tree's colours, or -1.
  int64_t straddle_ball = -1, straddle_ball_points = 0;
  // Side by side: the halves are labelled (the right one with the rotation angle).
  bool side_by_side = false;
  double angle_degrees = 0.0;
  // Scale bar: the world height the view shows at the focal point; 0 draws none.
  double visible_height = 0.0;
};

// The scale bar's length: the largest 1, 2 or 5 times a power of ten not above `at_most` (> 0).
double scale_bar_length(double at_most);

// Issues the ImGui windows of one frame (call between NewFrame and Render).
void draw_overlay_panels(const OverlayState& state);

}  // namespace erwin::ui
