#pragma once
// The nodes of one tree level, in tree order (SPEC §3): what pooling consumes and produces.
#include <torch/torch.h>

namespace erwin {

struct TreeLevel {
  torch::Tensor x;          // [P_L, c]
  torch::Tensor pos;        // [P_L, d]
  torch::Tensor batch_idx;  // [P_L]
};

}  // namespace erwin
