#include "erwin/tree_queries.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "tree/cloud_layout.h"
#include "tree/pooling.h"

namespace erwin {
namespace {

constexpr int64_t kGrainSlots = 4096;  // slots per parallel chunk

void check_tree(const BallTree& tree) {
  if (!tree.tree_idx.defined() || tree.tree_idx.dim() != 1 ||
      tree.tree_idx.scalar_type() != torch::kInt64 || tree.tree_idx.size(0) == 0)
    throw std::invalid_argument("tree.tree_idx: expected a non-empty 1-D int64 tensor");
  if (!tree.tree_mask.defined() || tree.tree_mask.dim() != 1 ||
      tree.tree_mask.scalar_type() != torch::kBool ||
      tree.tree_mask.size(0) != tree.tree_idx.size(0))
    throw std::invalid_argument("tree.tree_mask: expected a bool tensor as long as tree_idx");
}

torch::Tensor cpu(const torch::Tensor& t) { return t.to(torch::kCPU).contiguous(); }

// pos as a contiguous CPU float32 [N, d] tensor that every slot of the tree indexes into.
torch::Tensor checked_positions(const BallTree& tree, const torch::Tensor& pos) {
  check_tree(tree);
  if (!pos.defined() || pos.dim() != 2 || pos.scalar_type() != torch::kFloat32 ||
      (pos.size(1) != 2 && pos.size(1) != 3))
    throw std::invalid_argument("pos: expected a float32 tensor [N, d] with d = 2 or 3");
  const torch::Tensor idx = cpu(tree.tree_idx);
  const int64_t low = idx.min().item<int64_t>(), high = idx.max().item<int64_t>();
  if (low < 0 || high >= pos.size(0))
    throw std::invalid_argument("pos: has " + std::to_string(pos.size(0)) +
                                " rows but tree.tree_idx refers to row " +
                                std::to_string(low < 0 ? low : high));
  return cpu(pos);
}

// Positions in tree order: float32 [P, d].
torch::Tensor slot_positions(const BallTree& tree, const torch::Tensor& points) {
  return points.index_select(0, cpu(tree.tree_idx));
}

void check_level(const BallTree& tree, int64_t level) {
  const int64_t deepest = max_ball_level(tree);
  if (level < 0 || level > deepest)
    throw std::invalid_argument("level: " + std::to_string(level) + " is outside 0.." +
                                std::to_string(deepest) + " for this tree");
}

BallGeometry geometry_of_level(const torch::Tensor& slots, int64_t level) {
  const int64_t dim = slots.size(1);
  const int64_t size = int64_t{1} << level;
  const int64_t balls = slots.size(0) / size;
  BallGeometry geometry{torch::empty({balls, dim}, torch::kFloat32),
                        torch::empty({balls}, torch::kFloat32)};
  const float* p = slots.data_ptr<float>();
  float* centres = geometry.centres.data_ptr<float>();
  float* radii = geometry.radii.data_ptr<float>();
  const int64_t grain = std::max<int64_t>(1, kGrainSlots / size);
  at::parallel_for(0, balls, grain, [&](int64_t begin, int64_t end) {
    for (int64_t b = begin; b < end; ++b) {
      const float* ball = p + b * size * dim;
      double centre[3] = {0, 0, 0};
      for (int64_t i = 0; i < size; ++i)
        for (int64_t k = 0; k < dim; ++k) centre[k] += ball[i * dim + k];
      for (int64_t k = 0; k < dim; ++k) centre[k] /= double(size);
      double largest = 0;
      for (int64_t i = 0; i < size; ++i) {
        double squared = 0;
        for (int64_t k = 0; k < dim; ++k) {
          const double offset = ball[i * dim + k] - centre[k];
          squared += offset * offset;
        }
        largest = std::max(largest, squared);
      }
      for (int64_t k = 0; k < dim; ++k) centres[b * dim + k] = float(centre[k]);
      radii[b] = float(std::sqrt(largest));
    }
  });
  return geometry;
}

// Node count of every cloud at a level reached by dividing by `divisor` (the whole batch when
// the clouds are unknown).
std::vector<int64_t> cloud_nodes(const BallTree& tree, int64_t divisor) {
  std::vector<int64_t> nodes =
      tree.cloud_slots.empty() ? std::vector<int64_t>{tree.tree_idx.size(0)} : tree.cloud_slots;
  for (int64_t& n : nodes) n /= divisor;
  return nodes;
}

}  // namespace

torch::Tensor point_slots(const BallTree& tree) {
  check_tree(tree);
  const torch::Tensor idx = cpu(tree.tree_idx), mask = cpu(tree.tree_mask);
  const int64_t slots = idx.size(0);
  const int64_t points = mask.sum().item<int64_t>();
  torch::Tensor result = torch::full({points}, -1, torch::kInt64);
  const int64_t* slot_point = idx.data_ptr<int64_t>();
  const bool* real = mask.data_ptr<bool>();
  int64_t* out = result.data_ptr<int64_t>();
  for (int64_t s = 0; s < slots; ++s) {
    if (!real[s]) continue;
    const int64_t point = slot_point[s];
    if (point < 0 || point >= points || out[point] != -1)
      throw std::invalid_argument(
          "tree: slot " + std::to_string(s) + " holds point " + std::to_string(point) +
          ", but the real slots must hold each of 0.." + std::to_string(points - 1) + " once");
    out[point] = s;
  }
  return result;
}

torch::Tensor point_balls(const BallTree& tree, int64_t level) {
  check_level(tree, level);
  return torch::bitwise_right_shift(point_slots(tree), level);
}

int64_t level_of_ball_size(int64_t ball_size) {
  if (!tree::is_pow2(ball_size))
    throw std::invalid_argument("ball_size: " + std::to_string(ball_size) +
                                " is not a power of two");
  return tree::log2_exact(ball_size);
}

int64_t max_ball_level(const BallTree& tree) {
  check_tree(tree);
  if (!tree.cloud_slots.empty()) {
    return tree::log2_exact(*std::min_element(tree.cloud_slots.begin(), tree.cloud_slots.end()));
  }
  const int64_t slots = tree.tree_idx.size(0);
  int64_t level = 0;
  while (slots % (int64_t{2} << level) == 0) ++level;
  return level;
}

BallGeometry ball_geometry(const BallTree& tree, const torch::Tensor& pos, int64_t level) {
  const torch::Tensor points = checked_positions(tree, pos);
  check_level(tree, level);
  return geometry_of_level(slot_positions(tree, points), level);
}

std::vector<BallGeometry> ball_geometry_all_levels(const BallTree& tree, const torch::Tensor& pos) {
  const torch::Tensor slots = slot_positions(tree, checked_positions(tree, pos));
  std::vector<BallGeometry> levels;
  for (int64_t level = 0; level <= max_ball_level(tree); ++level)
    levels.push_back(geometry_of_level(slots, level));
  return levels;
}

std::vector<torch::Tensor> coarsened_positions(const BallTree& tree, const torch::Tensor& pos,
                                               const std::vector<int64_t>& strides) {
  std::vector<torch::Tensor> levels{slot_positions(tree, checked_positions(tree, pos))};
  const int dim = static_cast<int>(pos.size(1));
  int64_t divisor = 1;
  for (size_t i = 0; i < strides.size(); ++i) {
    const int64_t stride = strides[i];
    for (int64_t nodes : cloud_nodes(tree, divisor)) {
      if (stride < 1 || nodes % stride != 0)
        throw std::invalid_argument("strides[" + std::to_string(i) + "] = " +
                                    std::to_string(stride) + " does not divide a cloud of " +
                                    std::to_string(nodes) + " nodes at level " + std::to_string(i));
    }
    const torch::Tensor& fine = levels.back();
    const int64_t groups = fine.size(0) / stride;
    torch::Tensor coarse = torch::empty({groups, dim}, torch::kFloat32);
    tree::mean_pool_rows(fine.data_ptr<float>(), groups, dim, stride, coarse.data_ptr<float>());
    levels.push_back(coarse);
    divisor *= stride;
  }
  return levels;
}

}  // namespace erwin
