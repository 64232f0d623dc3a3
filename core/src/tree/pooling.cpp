#include "pooling.h"

namespace erwin::tree {

void mean_pool_rows(const float* in, int64_t groups, int dim, int64_t stride, float* out) {
  const float count = static_cast<float>(stride);
  for (int64_t g = 0; g < groups; ++g) {
    const float* group = in + g * stride * dim;
    for (int k = 0; k < dim; ++k) {
      float sum = 0.0f;
      for (int64_t m = 0; m < stride; ++m) sum += group[m * dim + k];
      out[g * dim + k] = sum / count;
    }
  }
}

}  // namespace erwin::tree
