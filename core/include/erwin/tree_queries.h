#pragma once
// Questions about a built ball tree (erwin/balltree.h) that the studio and the CLI ask: which ball
// holds a point, where the balls are and how large, and where the model's pooled nodes sit.
//
// Level k of a tree groups consecutive runs of 2^k slots into balls, numbered over the whole
// batch (ball b of level k covers slots [b * 2^k, (b + 1) * 2^k)). Levels up to max_ball_level()
// keep every ball inside one cloud.
//
// `pos` is always the builder's input: float32 [N, d]. Results are CPU tensors. Bad arguments
// throw std::invalid_argument naming the argument. Work is spread over torch's intra-op threads.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "erwin/balltree.h"

namespace erwin {

// Slot of each point (its entry with mask true): int64 [N], the inverse of tree_idx[tree_mask].
torch::Tensor point_slots(const BallTree& tree);

// Ball of each point at `level`: int64 [N] (= point_slots >> level).
torch::Tensor point_balls(const BallTree& tree, int64_t level);

// Level whose balls hold `ball_size` slots (a power of two, checked).
int64_t level_of_ball_size(int64_t ball_size);

// The deepest level whose balls lie inside single clouds: log2 of the smallest cloud's slot
// count (tree.cloud_slots), or of the largest power of two dividing P when that is unknown.
int64_t max_ball_level(const BallTree& tree);

struct BallGeometry {
  torch::Tensor centres;  // float32 [P >> level, d]: mean of the ball's slot positions
  torch::Tensor radii;    // float32 [P >> level]: largest distance of its points to the centre
};

// Every ball at `level` (0 ... max_ball_level). The centre averages all slots, padding copies
// included, as the model's pooling and attention do.
BallGeometry ball_geometry(const BallTree& tree, const torch::Tensor& pos, int64_t level);

// ball_geometry for levels 0 ... max_ball_level(tree), index = level.
std::vector<BallGeometry> ball_geometry_all_levels(const BallTree& tree, const torch::Tensor& pos);

// Node positions per level as the model computes them (SPEC §3 Pooling): [0] = pos[tree_idx]
// (float32 [P, d]), [i + 1] = means of strides[i] consecutive nodes of [i]. Each stride must
// divide every cloud's node count at its level.
std::vector<torch::Tensor> coarsened_positions(const BallTree& tree, const torch::Tensor& pos,
                                               const std::vector<int64_t>& strides);

}  // namespace erwin
