#pragma once
// Convex hulls of point subsets, and of every ball of a ball-tree level (what the Studio draws
// around the balls).
#include <torch/torch.h>

#include <array>
#include <cstdint>
#include <vector>

namespace erwin {

struct ConvexHull {
  // Indices (rows of the positions) of the hull's corners. In 2D they run counter-clockwise
  // around the polygon; in 3D they are unordered.
  std::vector<int64_t> vertices;
  // 3D only: the boundary triangles, outward-facing (counter-clockwise seen from outside), as
  // position rows. Empty for a flat or thinner set, whose hull is then its 2D polygon in the
  // plane (vertices in order) or a segment (2 vertices).
  std::vector<std::array<int64_t, 3>> triangles;
};

// Hull of the rows `points` of `pos` (float32 [N, d], d = 2 or 3, CPU, contiguous). Repeated
// rows are allowed; points closer than a tolerance relative to the set's extent count as one.
ConvexHull convex_hull(const torch::Tensor& pos, const std::vector<int64_t>& points);

// Hulls of the 2^level-slot balls of `tree_idx` (a ball tree's slots, SPEC §1), in ball order.
// Built bottom-up: a ball's hull is the hull of its two children's hull corners, so each level
// costs little more than its number of balls.
std::vector<ConvexHull> ball_hulls(const torch::Tensor& pos, const torch::Tensor& tree_idx,
                                   int64_t level);

}  // namespace erwin
