#include "cloud_layout.h"

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>

namespace erwin::tree {
namespace {

// Clouds are addressed with int32 local indices inside the builders.
constexpr int64_t kMaxCloudPoints = int64_t{1} << 30;

void check_pos(const torch::Tensor& pos) {
  if (!pos.defined()) throw std::invalid_argument("pos: undefined tensor");
  if (pos.dim() != 2)
    throw std::invalid_argument("pos: expected a 2-D tensor [N, d], got " +
                                std::to_string(pos.dim()) + " dimensions");
  if (pos.scalar_type() != torch::kFloat32)
    throw std::invalid_argument(std::string("pos: expected float32, got ") +
                                c10::toString(pos.scalar_type()));
  if (pos.size(1) != 2 && pos.size(1) != 3)
    throw std::invalid_argument("pos: expected d = 2 or 3 columns, got " +
                                std::to_string(pos.size(1)));
  if (pos.size(0) == 0) throw std::invalid_argument("pos: empty point cloud (N = 0)");
  const float* p = pos.data_ptr<float>();
  const int64_t n = pos.numel();
  for (int64_t i = 0; i < n; ++i) {
    if (!std::isfinite(p[i]))
      throw std::invalid_argument("pos: non-finite coordinate (NaN or Inf) at row " +
                                  std::to_string(i / pos.size(1)));
  }
}

void check_batch_idx(const torch::Tensor& batch_idx, int64_t num_points) {
  if (!batch_idx.defined()) throw std::invalid_argument("batch_idx: undefined tensor");
  if (batch_idx.dim() != 1)
    throw std::invalid_argument("batch_idx: expected a 1-D tensor, got " +
                                std::to_string(batch_idx.dim()) + " dimensions");
  if (batch_idx.scalar_type() != torch::kInt64)
    throw std::invalid_argument(std::string("batch_idx: expected int64, got ") +
                                c10::toString(batch_idx.scalar_type()));
  if (batch_idx.size(0) != num_points)
    throw std::invalid_argument("batch_idx: length " + std::to_string(batch_idx.size(0)) +
                                " does not match pos rows " + std::to_string(num_points));
}

}  // namespace

int64_t next_pow2(int64_t n) {
  int64_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

bool is_pow2(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }

int log2_exact(int64_t pow2) {
  int k = 0;
  while ((int64_t{1} << k) < pow2) ++k;
  return k;
}

CloudLayout validate_and_layout(const torch::Tensor& pos, const torch::Tensor& batch_idx) {
  check_pos(pos);
  const int64_t n = pos.size(0);
  check_batch_idx(batch_idx, n);
  const torch::Tensor ids_tensor = batch_idx.to(torch::kCPU).contiguous();
  const int64_t* ids = ids_tensor.data_ptr<int64_t>();
  if (ids[0] != 0)
    throw std::invalid_argument("batch_idx: cloud ids must start at 0, got " +
                                std::to_string(ids[0]));
  CloudLayout layout;
  layout.dim = static_cast<int>(pos.size(1));
  int64_t start = 0;
  for (int64_t i = 1; i <= n; ++i) {
    if (i < n && ids[i] == ids[i - 1]) continue;
    if (i < n && ids[i] != ids[i - 1] + 1)
      throw std::invalid_argument(
          "batch_idx: cloud ids must be sorted and contiguous (0,0,1,1,2,...), got " +
          std::to_string(ids[i - 1]) + " then " + std::to_string(ids[i]) + " at index " +
          std::to_string(i));
    const int64_t count = i - start;
    if (count > kMaxCloudPoints)
      throw std::invalid_argument("batch_idx: cloud " + std::to_string(ids[start]) + " has " +
                                  std::to_string(count) + " points, more than supported (2^30)");
    layout.point_offset.push_back(start);
    layout.point_count.push_back(count);
    layout.slot_offset.push_back(layout.total_slots);
    const int64_t slots = std::max<int64_t>(2, next_pow2(count));
    layout.slot_count.push_back(slots);
    layout.total_slots += slots;
    start = i;
  }
  return layout;
}

}  // namespace erwin::tree
