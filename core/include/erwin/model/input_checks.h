#pragma once
// Argument checks for ErwinTransformer::forward. Each throws std::invalid_argument naming the
// argument and what is wrong with it.
#include <torch/torch.h>

#include "erwin/balltree.h"
#include "erwin/config.h"

namespace erwin {

struct ErwinInputs;

// node_features [N, c_in], node_positions [N, d] (both finite, floating, same dtype),
// batch_idx int64 [N] with clouds numbered 0, 1, ... in contiguous runs.
void check_inputs(const ErwinInputs& inputs, const ErwinConfig& config);

// tree_idx/tree_mask [P] covering every point once where masked, per-cloud slot counts that
// every level's stride and ball size tile, and one rotated permutation per level if rotating.
void check_tree(const BallTree& tree, const ErwinInputs& inputs, const ErwinConfig& config);

// int64 [2, E] with every entry in [0, num_nodes).
void check_edge_index(const torch::Tensor& edge_index, int64_t num_nodes);

}  // namespace erwin
