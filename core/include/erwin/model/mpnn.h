#pragma once
// Message passing over a given graph (SPEC §3, Embedding): per step,
// m_ji = LayerNorm(GELU(Linear([h_j, h_i, pos_j - pos_i]))), mean over incoming edges,
// h_i += LayerNorm(Linear([h_i, m_i])).
#include <torch/torch.h>

namespace erwin {

struct MPNNImpl : torch::nn::Module {
  MPNNImpl(int64_t dim, int64_t mp_steps, int64_t dimensionality);
  // edge_index: int64 [2, E], row 0 source j, row 1 target i.
  torch::Tensor forward(torch::Tensor h, const torch::Tensor& pos, const torch::Tensor& edge_index);

  torch::nn::ModuleList message_fns, update_fns;
};
TORCH_MODULE(MPNN);

}  // namespace erwin
