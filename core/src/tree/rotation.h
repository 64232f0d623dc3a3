#pragma once
// The rotation that gives the second, shifted ball tree of each level (SPEC §2).
#include <array>
#include <cstdint>

namespace erwin::tree {

// Row-major d x d matrix R (d = 2 or 3) for the angle in degrees; points rotate as rows, p @ R.
std::array<float, 9> rotation_matrix(int dim, double angle_degrees);

// out[i] = in[i] @ R for n rows of `dim` floats, in float32 like the reference's matmul.
void rotate_rows(const float* in, int64_t n, int dim, const std::array<float, 9>& rotation,
                 float* out);

// How often each level's nodes are split: max(0, floor(log2(level0_slots / ball_size))), with
// level0_slots the slot count of the whole batch (SPEC §2).
int rotated_partition_depth(int64_t level0_slots, int64_t ball_size);

}  // namespace erwin::tree
