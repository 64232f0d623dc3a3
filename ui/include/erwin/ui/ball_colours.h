#pragma once
// Colours of balls: stable (a ball id always gets the same colour) and distinct for consecutive
// ids (siblings), which are the balls that touch most often.
#include <torch/torch.h>

#include <array>
#include <cstdint>

namespace erwin::ui {

std::array<std::uint8_t, 3> ball_colour(int64_t ball);

// rgb[3 i .. 3 i + 2] = ball_colour(order[i] >> level); order: int64 [N] slots of the points.
void colour_points_by_ball(const torch::Tensor& order, int64_t level, std::uint8_t* rgb);

}  // namespace erwin::ui
