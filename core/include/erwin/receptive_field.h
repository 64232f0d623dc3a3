#pragma once
// Receptive fields (paper §5, "Receptive field", Fig. 5): which input nodes influence the output
// of one node. As in the paper, input node j is in the receptive field of output node i when the
// gradient of (the sum of) output row i with respect to any feature of input j is non-zero.
#include <torch/torch.h>

#include <cstdint>
#include <functional>

#include "erwin/model.h"

namespace erwin {

// Reports progress in [0, 1]; returning false cancels the computation.
using ProgressCallback = std::function<bool(double fraction)>;

// Which rows j of `features` [N, c] influence row `output_node` of forward(features) ([N, ...]):
// bool [N] on the CPU. Returns an undefined tensor when `progress` cancels. Throws
// std::invalid_argument naming `features`, `output_node` or `forward` (output not [N, ...]).
torch::Tensor receptive_field(
    const std::function<torch::Tensor(const torch::Tensor& features)>& forward,
    const torch::Tensor& features, int64_t output_node, const ProgressCallback& progress = nullptr);

// Nodes whose messages reach `node` within `hops` message-passing steps over edge_index (int64
// [2, E], row 0 source j, row 1 target i): the receptive field of an MPNN with `hops` layers.
// The node itself is included. bool [num_nodes] on the CPU.
torch::Tensor khop_neighbourhood(const torch::Tensor& edge_index, int64_t num_nodes, int64_t node,
                                 int64_t hops);

// --- Erwin truncated to its first blocks (in the order forward() runs them: encoder levels,
// bottleneck, decoder levels). Depth 0 is the embedding alone.

// Number of transformer blocks forward() runs.
int64_t erwin_block_count(const ErwinTransformerImpl& model);

// The state after the embedding and the first `num_blocks` blocks, one row per input node (in
// input order): the features of the tree node that holds the input node at that point (its
// ancestor after pooling). The model's modules and parameters are used as they are; `inputs`
// follow ErwinTransformerImpl::forward (tree built when absent; when mp_steps > 0 and no
// edge_index is given, a radius graph of inputs.radius as the published code builds it, with at
// most 32 neighbours).
torch::Tensor erwin_truncated_forward(ErwinTransformerImpl& model, const ErwinInputs& inputs,
                                      int64_t num_blocks);

// receptive_field of `node` for the Erwin model truncated to `num_blocks` blocks, computed in
// eval mode (in train mode BatchNorm would couple every node); the model's mode is restored.
torch::Tensor erwin_receptive_field(ErwinTransformerImpl& model, const ErwinInputs& inputs,
                                    int64_t node, int64_t num_blocks,
                                    const ProgressCallback& progress = nullptr);

// Fig. 5: the receptive field of `node` after 0, 1, ..., erwin_block_count(model) blocks, as
// bool [blocks + 1, N] (row d: depth d). Progress advances per depth; undefined when cancelled.
torch::Tensor erwin_receptive_field_by_depth(ErwinTransformerImpl& model, const ErwinInputs& inputs,
                                             int64_t node,
                                             const ProgressCallback& progress = nullptr);

}  // namespace erwin
