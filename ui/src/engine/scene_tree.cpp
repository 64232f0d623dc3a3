#include "erwin/ui/engine/scene_tree.h"

namespace erwin::ui {

int64_t SceneTree::ball_of(int64_t point, int64_t level, bool rotated) const {
  const torch::Tensor& order = rotated ? rotated_slots : slots;
  return order.data_ptr<int64_t>()[point] >> level;
}

SceneTree build_scene_tree(const torch::Tensor& pos, double angle_degrees) {
  const torch::Tensor batch_idx = torch::zeros({pos.size(0)}, torch::kInt64);
  SceneTree result;
  result.angle_degrees = angle_degrees;
  // Ball size 2 at level 0: the rotated partition goes down to pairs, so groups of any 2^k
  // consecutive rotated slots are balls of the rotated tree.
  RotationOptions options{{}, {2}, angle_degrees};
  result.tree = build_balltree_with_rotations(pos, batch_idx, options);
  result.slots = point_slots(result.tree).contiguous();
  result.max_level = max_ball_level(result.tree);
  result.geometry = ball_geometry_all_levels(result.tree, pos);
  result.padding_slots = result.tree.tree_mask.numel() - pos.size(0);
  if (!result.tree.tree_idx_rot.empty()) {
    const torch::Tensor rotated_place_of_slot = inverse_permutation(result.tree.tree_idx_rot[0]);
    result.rotated_slots = rotated_place_of_slot.index_select(0, result.slots).contiguous();
  }
  return result;
}

}  // namespace erwin::ui
