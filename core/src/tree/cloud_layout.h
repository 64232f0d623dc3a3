#pragma once
// Where each cloud of a ragged batch lives: its points in the input and its slots in the tree.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace erwin::tree {

struct CloudLayout {
  int dim = 0;
  std::vector<int64_t> point_offset;  // first input row of each cloud
  std::vector<int64_t> point_count;
  std::vector<int64_t> slot_offset;  // first tree slot of each cloud
  std::vector<int64_t> slot_count;   // next_pow2(point_count), at least 2
  int64_t total_slots = 0;

  size_t num_clouds() const { return point_count.size(); }
};

int64_t next_pow2(int64_t n);
bool is_pow2(int64_t n);
int log2_exact(int64_t pow2);

// Validates pos (float32 [N, d], d = 2 or 3, finite) and batch_idx (int64 [N], ids 0, 1, ... in
// order, no gaps); throws std::invalid_argument naming the argument. `pos` must be a contiguous
// CPU tensor already (the caller converts).
CloudLayout validate_and_layout(const torch::Tensor& pos, const torch::Tensor& batch_idx);

}  // namespace erwin::tree
