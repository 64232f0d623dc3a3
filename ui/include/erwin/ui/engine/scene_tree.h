#pragma once
// The ball tree of the shown points and everything the views ask of it, built once per data set
// (off the GUI thread) so that changing level only recolours.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "erwin/balltree.h"
#include "erwin/tree_queries.h"

namespace erwin::ui {

struct SceneTree {
  BallTree tree;                       // one cloud; tree_idx_rot[0] when angle != 0
  torch::Tensor slots;                 // int64 [N]: slot of each point in the tree
  torch::Tensor rotated_slots;         // int64 [N]: its place in the rotated order (or empty)
  std::vector<BallGeometry> geometry;  // per level 0 ... max_level
  int64_t max_level = 0;
  int64_t padding_slots = 0;
  double angle_degrees = 0.0;

  bool has_rotation() const { return rotated_slots.defined(); }
  int64_t ball_count(int64_t level) const { return tree.tree_idx.size(0) >> level; }
  // Ball of point `point` at `level` in the original or the rotated tree.
  int64_t ball_of(int64_t point, int64_t level, bool rotated = false) const;
};

// Builds the tree of `pos` (float32 [N, d]) as one cloud; with angle != 0 also the rotated tree
// whose balls of every size >= 2 are exact (SPEC §2 with ball_sizes = {2}).
SceneTree build_scene_tree(const torch::Tensor& pos, double angle_degrees);

}  // namespace erwin::ui
