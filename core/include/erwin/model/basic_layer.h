#pragma once
// One level of the U-Net (SPEC §3 "Layers"): transformer blocks at one width, plus the pooling
// that leaves the level (encoder) or the unpooling that enters it (decoder).
#include <torch/torch.h>

#include "erwin/model/ball_pooling.h"
#include "erwin/model/ball_unpooling.h"

namespace erwin {

enum class LayerDirection { Down, Up, Bottleneck };

struct BasicLayerOptions {
  LayerDirection direction = LayerDirection::Bottleneck;
  int64_t depth = 0;
  int64_t stride = 1;   // unused by the bottleneck
  int64_t in_dim = 0;   // Down: block width; Up: width of the coarser level
  int64_t out_dim = 0;  // Down: width after pooling; Up: block width
  int64_t num_heads = 1;
  int64_t ball_size = 1;
  int64_t mlp_ratio = 4;
  bool rotate = false;  // odd blocks run on the rotated tree
  int64_t dimensionality = 3;
};

struct BasicLayerImpl : torch::nn::Module {
  explicit BasicLayerImpl(const BasicLayerOptions& options);

  // Runs the blocks on one level. tree_idx_rot (a permutation of the level's nodes) is only
  // read when the layer rotates and has a second block.
  torch::Tensor run_blocks(torch::Tensor x, const torch::Tensor& pos,
                           const torch::Tensor& tree_idx_rot);
  bool uses_rotated_tree() const;

  BasicLayerOptions options;
  torch::nn::ModuleList blocks;
  BallPooling pool{nullptr};      // Down only
  BallUnpooling unpool{nullptr};  // Up only
};
TORCH_MODULE(BasicLayer);

}  // namespace erwin
