#pragma once
// ErwinTransformer (SPEC §3) as LibTorch modules; parameter names equal the reference
// state_dict keys. Submodules live in erwin/model/*.h.
#include <torch/torch.h>

#include <optional>

#include "erwin/balltree.h"
#include "erwin/config.h"

namespace erwin {

struct ErwinInputs {
  torch::Tensor node_features;   // float [N, c_in]
  torch::Tensor node_positions;  // float [N, d]
  torch::Tensor batch_idx;       // int64 [N], contiguous
  std::optional<torch::Tensor> edge_index;  // int64 [2, E] (row 0 source j, row 1 target i)
  std::optional<double> radius;             // radius graph built in C++ when no edges given
  std::optional<BallTree> tree;             // precomputed tree (with rotations if rotate > 0)
};

struct ErwinOutput {
  torch::Tensor features;   // decode: [N, c_hidden[0]] in input order; else coarsest nodes
  torch::Tensor batch_idx;  // only without decode: batch index of each coarsest node
};

}  // namespace erwin
