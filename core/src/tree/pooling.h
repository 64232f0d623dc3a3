#pragma once
// Mean of each group of `stride` consecutive rows: the node positions after ball pooling
// (SPEC §3 Pooling), also used to coarsen the rotated positions between levels (SPEC §2).
#include <cstdint>

namespace erwin::tree {

// in: [groups * stride, dim], out: [groups, dim]; float32 sum in row order, then / stride
// (torch's mean over a small dimension).
void mean_pool_rows(const float* in, int64_t groups, int dim, int64_t stride, float* out);

}  // namespace erwin::tree
