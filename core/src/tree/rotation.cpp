#include "rotation.h"

#include <cmath>

namespace erwin::tree {

std::array<float, 9> rotation_matrix(int dim, double angle_degrees) {
  const double radians = angle_degrees * M_PI / 180.0;
  const double c = std::cos(radians), s = std::sin(radians);
  if (dim == 2) {
    return {float(c), float(-s), float(s), float(c), 0, 0, 0, 0, 0};
  }
  return {float(c * c),
          float(s * c * (s - 1)),
          float(s * (s + c * c)),
          float(s * c),
          float(s * s * s + c * c),
          float(s * c * (s - 1)),
          float(-s),
          float(s * c),
          float(c * c)};
}

void rotate_rows(const float* in, int64_t n, int dim, const std::array<float, 9>& rotation,
                 float* out) {
  for (int64_t i = 0; i < n; ++i) {
    const float* p = in + i * dim;
    for (int j = 0; j < dim; ++j) {
      float sum = 0.0f;
      for (int m = 0; m < dim; ++m) sum += p[m] * rotation[m * dim + j];
      out[i * dim + j] = sum;
    }
  }
}

int rotated_partition_depth(int64_t level0_slots, int64_t ball_size) {
  int depth = 0;
  while (ball_size << (depth + 1) <= level0_slots) ++depth;
  return depth;
}

}  // namespace erwin::tree
