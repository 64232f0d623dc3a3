#pragma once
// Balanced ball trees over a ragged batch of point clouds (SPEC §1) and the rotated trees used
// for cross-ball attention (SPEC §2).
#include <torch/torch.h>

#include <vector>

namespace erwin {

struct BallTree {
  torch::Tensor tree_idx;                  // int64 [P]: global point index of every slot
  torch::Tensor tree_mask;                 // bool [P]: false on padding slots (copies)
  std::vector<torch::Tensor> tree_idx_rot; // int64 [P_L] per level L, when rotations were built
};

struct RotationOptions {
  std::vector<int64_t> strides;    // pooling stride after each level (len = levels - 1)
  std::vector<int64_t> ball_sizes; // ball size per level
  double angle_degrees = 0.0;      // 0 disables rotated trees
};

// pos: float32 [N, d] (d = 2 or 3), batch_idx: int64 [N], contiguous, non-decreasing.
// Throws std::invalid_argument naming the argument on bad input.
BallTree build_balltree(const torch::Tensor& pos, const torch::Tensor& batch_idx);

// Tree plus rotated trees per level (SPEC §2). With angle 0, tree_idx_rot is empty.
BallTree build_balltree_with_rotations(const torch::Tensor& pos, const torch::Tensor& batch_idx,
                                       const RotationOptions& options);

// inverse[perm[i]] = i.
torch::Tensor inverse_permutation(const torch::Tensor& perm);

}  // namespace erwin
