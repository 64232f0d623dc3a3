#include "erwin/model/basic_layer.h"

#include "erwin/balltree.h"
#include "erwin/model/transformer_block.h"

namespace erwin {

BasicLayerImpl::BasicLayerImpl(const BasicLayerOptions& options)
    : options(options), blocks(register_module("blocks", torch::nn::ModuleList())) {
  const bool down = options.direction == LayerDirection::Down;
  const int64_t width = down ? options.in_dim : options.out_dim;
  for (int64_t i = 0; i < options.depth; ++i)
    blocks->push_back(ErwinTransformerBlock(width, options.num_heads, options.ball_size,
                                            options.mlp_ratio, options.dimensionality));
  if (down)
    pool = register_module(
        "pool", BallPooling(width, options.out_dim, options.stride, options.dimensionality));
  else if (options.direction == LayerDirection::Up)
    unpool = register_module(
        "unpool", BallUnpooling(options.in_dim, width, options.stride, options.dimensionality));
}

bool BasicLayerImpl::uses_rotated_tree() const { return options.rotate && options.depth > 1; }

torch::Tensor BasicLayerImpl::run_blocks(torch::Tensor x, const torch::Tensor& pos,
                                         const torch::Tensor& tree_idx_rot) {
  torch::Tensor rotated_pos, back_from_rotated;
  if (uses_rotated_tree()) {
    rotated_pos = pos.index_select(0, tree_idx_rot);
    back_from_rotated = inverse_permutation(tree_idx_rot);
  }
  for (size_t i = 0; i < blocks->size(); ++i) {
    auto block = blocks[i]->as<ErwinTransformerBlock>();
    if (uses_rotated_tree() && i % 2 == 1)  // cross-ball connection (SPEC §2, §3 "Block")
      x = block->forward(x.index_select(0, tree_idx_rot), rotated_pos)
              .index_select(0, back_from_rotated);
    else
      x = block->forward(x, pos);
  }
  return x;
}

}  // namespace erwin
