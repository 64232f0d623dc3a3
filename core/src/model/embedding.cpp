#include "erwin/model/embedding.h"

namespace erwin {

ErwinEmbeddingImpl::ErwinEmbeddingImpl(int64_t in_dim, int64_t dim, int64_t mp_steps,
                                       int64_t dimensionality)
    : mp_steps(mp_steps),
      embed_fn(register_module("embed_fn", torch::nn::Linear(in_dim, dim))),
      mpnn(register_module("mpnn", MPNN(dim, mp_steps, dimensionality))) {}

torch::Tensor ErwinEmbeddingImpl::forward(const torch::Tensor& x, const torch::Tensor& pos,
                                          const torch::Tensor& edge_index) {
  auto h = embed_fn(x);
  return mp_steps > 0 ? mpnn(h, pos, edge_index) : h;
}

}  // namespace erwin
