#pragma once
// Balanced ball trees over a ragged batch of point clouds (SPEC §1) and the rotated trees used
// for cross-ball attention (SPEC §2).
//
// Inputs: pos float32 [N, d] (d = 2 or 3, finite), batch_idx int64 [N] with cloud ids
// 0, 1, 2, ... in order (non-decreasing, no gaps, starting at 0). Each cloud of n points gets
// next_pow2(n) slots, clouds in batch order. A cloud of a single point gets 2 slots (the point
// twice, mask true/false), exactly like a 2-slot leaf holding one point in SPEC §1, so that every
// cloud can take part in attention with balls of 2.
//
// Any bad input throws std::invalid_argument whose message names the argument.
// The results live on the device of `pos`; the work is done on the CPU with all hardware
// threads (ball membership is identical to the published single-threaded algorithm).
#include <torch/torch.h>

#include <vector>

namespace erwin {

struct BallTree {
  torch::Tensor tree_idx;                   // int64 [P]: global point index of every slot
  torch::Tensor tree_mask;                  // bool [P]: false on padding slots (copies)
  std::vector<torch::Tensor> tree_idx_rot;  // int64 [P_L] per level L, when rotations were built
  // Slots per cloud in batch order (powers of two), filled by the builders; empty for a tree
  // assembled from someone else's tensors (e.g. a fixture).
  std::vector<int64_t> cloud_slots;
};

struct RotationOptions {
  std::vector<int64_t> strides;      // pooling stride after each level (len = levels - 1)
  std::vector<int64_t> ball_sizes;   // ball size per level
  double angle_degrees = 0.0;        // 0 disables rotated trees
  bool balls_across_clouds = false;  // see validate_ball_tiling
};

// Balls are runs of ball_sizes[L] consecutive nodes of level L, pooling groups runs of
// strides[L] (SPEC §2-3). Every stride must divide every cloud's node count at its level, and
// every ball must lie inside one cloud, or, with `balls_across_clouds`, may hold several whole
// clouds. That is what the published code does when a cloud has fewer nodes than a ball (its
// README benchmark: 1024 points per cloud, balls of 128 at the 16x coarser bottleneck); those
// clouds then attend to each other. Throws std::invalid_argument naming strides[L] or
// ball_sizes[L] and the cloud. cloud_slots: padded size of each cloud, in batch order.
void validate_ball_tiling(const std::vector<int64_t>& cloud_slots,
                          const std::vector<int64_t>& strides,
                          const std::vector<int64_t>& ball_sizes, bool balls_across_clouds);

BallTree build_balltree(const torch::Tensor& pos, const torch::Tensor& batch_idx);

// Tree plus rotated trees per level (SPEC §2). With angle 0, tree_idx_rot is empty. The balls of
// every rotated level are the published ones; the order of the nodes inside a ball is unspecified
// (the published algorithm splits further than the balls, which only reorders them).
// The options are validated in both cases (validate_ball_tiling).
BallTree build_balltree_with_rotations(const torch::Tensor& pos, const torch::Tensor& batch_idx,
                                       const RotationOptions& options);

// The published builder's trees slot for slot: the same balls as build_balltree_with_rotations,
// and also the published order inside them, which std::nth_element's arrangement decides
// (including where equal coordinates and padding copies go). Order matters to the model: pooling
// concatenates the nodes of a group in slot order, and a padding copy may sit in another rotated
// ball than its point. So the model builds its trees this way, and its outputs match the published
// model's on the same inputs. It runs the published recursion with clouds, and the subtrees of
// large clouds, in parallel: 2 to 3.5 times slower than build_balltree_with_rotations.
BallTree build_balltree_published_order(const torch::Tensor& pos, const torch::Tensor& batch_idx,
                                        const RotationOptions& options);

// inverse[perm[i]] = i. perm: int64 [n], a permutation of 0..n-1 (checked).
torch::Tensor inverse_permutation(const torch::Tensor& perm);

namespace reference {
// The published algorithm, kept as the baseline for tests and benchmarks: single-threaded,
// recursive std::nth_element over an index array, comparing pos[index] in double precision.
// Same validation and the same ball membership as the functions above.
BallTree build_balltree_recursive(const torch::Tensor& pos, const torch::Tensor& batch_idx);
BallTree build_balltree_with_rotations_recursive(const torch::Tensor& pos,
                                                 const torch::Tensor& batch_idx,
                                                 const RotationOptions& options);
}  // namespace reference

}  // namespace erwin
