#pragma once
// Colours of balls: stable (a ball id always gets the same colour) and distinct for consecutive
// ids (siblings), which are the balls that touch most often.
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <vector>

namespace erwin::ui {

using Rgb = std::array<std::uint8_t, 3>;

Rgb ball_colour(int64_t ball);

// rgb[3 i .. 3 i + 2] = ball_colour(order[i] >> level); order: int64 [N] slots of the points.
void colour_points_by_ball(const torch::Tensor& order, int64_t level, std::uint8_t* rgb);

// rgb[3 i .. 3 i + 2] = table[order[i] >> level]: a colour per ball (e.g. by its place in the
// tree's order); the table holds a colour for every ball of the level.
void colour_points_by_table(const torch::Tensor& order, int64_t level,
                            const std::vector<Rgb>& table, std::uint8_t* rgb);

}  // namespace erwin::ui
