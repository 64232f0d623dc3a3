#pragma once
// ErwinTransformer (SPEC §3) as LibTorch modules; parameter names equal the reference
// state_dict keys. Submodules live in erwin/model/*.h.
#include <torch/torch.h>

#include <optional>

#include "erwin/balltree.h"
#include "erwin/config.h"
#include "erwin/model/basic_layer.h"
#include "erwin/model/embedding.h"

namespace erwin {

struct ErwinInputs {
  torch::Tensor node_features;              // float [N, c_in]
  torch::Tensor node_positions;             // float [N, d]
  torch::Tensor batch_idx;                  // int64 [N], contiguous
  std::optional<torch::Tensor> edge_index;  // int64 [2, E] (row 0 source j, row 1 target i)
  std::optional<double> radius;             // radius graph built in C++ when no edges given
  std::optional<BallTree> tree;             // precomputed tree (with rotations if rotate > 0)
  // Lets a ball hold several whole clouds when clouds are smaller than balls, as the published
  // code does (those clouds then attend to each other); see validate_ball_tiling.
  bool balls_across_clouds = false;
};

struct ErwinOutput {
  torch::Tensor features;   // decode: [N, c_hidden[0]] in input order; else coarsest nodes
  torch::Tensor batch_idx;  // only without decode: batch index of each coarsest node
};

// The published models/erwin.py ErwinTransformer: embedding, encoder levels with ball pooling,
// bottleneck, and (with config.decode) decoder levels with ball unpooling.
struct ErwinTransformerImpl : torch::nn::Module {
  explicit ErwinTransformerImpl(const ErwinConfig& config);  // validates config

  // Builds the ball tree (and rotated trees) when inputs.tree is absent, and a radius graph
  // when mp_steps > 0 and inputs.edge_index is absent (then inputs.radius is required).
  // Throws std::invalid_argument naming the offending input.
  ErwinOutput forward(const ErwinInputs& inputs);

  // The tree forward() would build for these positions (SPEC §1-2).
  BallTree build_tree(const torch::Tensor& node_positions, const torch::Tensor& batch_idx,
                      bool balls_across_clouds = false) const;

  ErwinConfig config;
  ErwinEmbedding embed{nullptr};
  torch::nn::ModuleList encoder{nullptr};
  BasicLayer bottleneck{nullptr};
  torch::nn::ModuleList decoder{nullptr};  // registered only with config.decode
};
TORCH_MODULE(ErwinTransformer);

}  // namespace erwin
