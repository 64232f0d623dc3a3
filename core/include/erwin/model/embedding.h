#pragma once
// Input embedding: Linear(c_in -> c), then mp_steps of message passing (SPEC §3).
#include <torch/torch.h>

#include "erwin/model/mpnn.h"

namespace erwin {

struct ErwinEmbeddingImpl : torch::nn::Module {
  ErwinEmbeddingImpl(int64_t in_dim, int64_t dim, int64_t mp_steps, int64_t dimensionality);
  // edge_index is only read when mp_steps > 0.
  torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& pos,
                        const torch::Tensor& edge_index);

  int64_t mp_steps;
  torch::nn::Linear embed_fn{nullptr};
  MPNN mpnn{nullptr};
};
TORCH_MODULE(ErwinEmbedding);

}  // namespace erwin
