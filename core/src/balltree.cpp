// Public ball-tree builders: validation, then the partitions of SPEC §1 and §2.
#include "erwin/balltree.h"

#include <cmath>
#include <stdexcept>
#include <string>

#include "erwin/balltree_published.h"
#include "tree/cloud_layout.h"
#include "tree/partition.h"
#include "tree/pooling.h"
#include "tree/rotation.h"

namespace erwin {
namespace {

using Partitioner = void (*)(const std::vector<tree::PartitionJob>&);

// A partitioner, and whether rotated levels stop splitting at their balls. The published
// algorithm splits them further (SPEC §2), which only reorders nodes inside balls, so the fast
// builder skips those splits; the baseline keeps them.
struct Builder {
  Partitioner partition;
  bool rotated_stop_at_balls;
};

torch::Tensor cpu_contiguous(const torch::Tensor& t, const char* name) {
  if (!t.defined()) throw std::invalid_argument(std::string(name) + ": undefined tensor");
  return t.to(torch::kCPU).contiguous();
}

void validate_options(const RotationOptions& options, const tree::CloudLayout& layout) {
  if (!std::isfinite(options.angle_degrees))
    throw std::invalid_argument("angle_degrees: must be finite");
  if (options.ball_sizes.empty()) {
    if (options.angle_degrees != 0.0)
      throw std::invalid_argument("ball_sizes: empty, but rotated trees need one per level");
    if (!options.strides.empty()) throw std::invalid_argument("strides: given without ball_sizes");
    return;
  }
  validate_ball_tiling(layout.slot_count, options.strides, options.ball_sizes,
                       options.balls_across_clouds);
}

BallTree build_tree(const torch::Tensor& pos, const tree::CloudLayout& layout,
                    Partitioner partition) {
  BallTree tree;
  tree.tree_idx = torch::empty({layout.total_slots}, torch::kInt64);
  tree.tree_mask = torch::empty({layout.total_slots}, torch::kBool);
  tree.cloud_slots = layout.slot_count;
  tree::PartitionJob job;
  job.coords = pos.data_ptr<float>();
  job.dim = layout.dim;
  job.out_index = tree.tree_idx.data_ptr<int64_t>();
  job.out_mask = tree.tree_mask.data_ptr<bool>();
  for (size_t b = 0; b < layout.num_clouds(); ++b) {
    // Leaves hold 2 slots: log2(slots) - 1 splits from the root.
    job.segments.push_back({layout.point_offset[b], layout.point_count[b], layout.slot_offset[b],
                            layout.slot_count[b], tree::log2_exact(layout.slot_count[b]) - 1});
  }
  partition({job});
  return tree;
}

// Rotated positions of the tree's slots (level 0), then each level mean-pooled from the last.
std::vector<std::vector<float>> rotated_level_positions(const torch::Tensor& pos,
                                                        const BallTree& tree,
                                                        const RotationOptions& options, int dim) {
  const int64_t slots = tree.tree_idx.size(0);
  const float* points = pos.data_ptr<float>();
  const int64_t* slot_point = tree.tree_idx.data_ptr<int64_t>();
  std::vector<float> leaves(slots * dim);
  for (int64_t i = 0; i < slots; ++i)
    for (int k = 0; k < dim; ++k) leaves[i * dim + k] = points[slot_point[i] * dim + k];
  std::vector<std::vector<float>> levels(options.ball_sizes.size());
  levels[0].resize(leaves.size());
  tree::rotate_rows(leaves.data(), slots, dim, tree::rotation_matrix(dim, options.angle_degrees),
                    levels[0].data());
  for (size_t level = 1; level < levels.size(); ++level) {
    const int64_t stride = options.strides[level - 1];
    const int64_t groups = static_cast<int64_t>(levels[level - 1].size()) / dim / stride;
    levels[level].resize(groups * dim);
    tree::mean_pool_rows(levels[level - 1].data(), groups, dim, stride, levels[level].data());
  }
  return levels;
}

void build_rotated_trees(const torch::Tensor& pos, const tree::CloudLayout& layout,
                         const RotationOptions& options, const Builder& builder, BallTree& tree) {
  const int dim = layout.dim;
  const std::vector<std::vector<float>> levels = rotated_level_positions(pos, tree, options, dim);
  std::vector<tree::PartitionJob> jobs(levels.size());
  int64_t divisor = 1;
  for (size_t level = 0; level < levels.size(); ++level) {
    const int64_t nodes = static_cast<int64_t>(levels[level].size()) / dim;
    tree.tree_idx_rot.push_back(torch::empty({nodes}, torch::kInt64));
    tree::PartitionJob& job = jobs[level];
    job.coords = levels[level].data();
    job.dim = dim;
    job.out_index = tree.tree_idx_rot.back().data_ptr<int64_t>();
    const int64_t ball = options.ball_sizes[level];
    const int published_depth = tree::rotated_partition_depth(layout.total_slots, ball);
    for (size_t b = 0; b < layout.num_clouds(); ++b) {
      const int64_t offset = layout.slot_offset[b] / divisor;
      const int64_t count = layout.slot_count[b] / divisor;
      // A cloud smaller than a ball (balls_across_clouds) lies whole in one ball: no splits.
      const int depth = !builder.rotated_stop_at_balls ? published_depth
                        : count > ball                 ? tree::log2_exact(count / ball)
                                                       : 0;
      job.segments.push_back({offset, count, offset, count, depth});
    }
    if (level + 1 < levels.size()) divisor *= options.strides[level];
  }
  builder.partition(jobs);
}

BallTree to_device(BallTree tree, const torch::Device& device) {
  if (device.is_cpu()) return tree;
  tree.tree_idx = tree.tree_idx.to(device);
  tree.tree_mask = tree.tree_mask.to(device);
  for (torch::Tensor& rot : tree.tree_idx_rot) rot = rot.to(device);
  return tree;
}

BallTree build(const torch::Tensor& pos, const torch::Tensor& batch_idx,
               const RotationOptions* options, const Builder& builder) {
  const torch::Tensor points = cpu_contiguous(pos, "pos");
  const tree::CloudLayout layout = tree::validate_and_layout(points, batch_idx);
  if (options) validate_options(*options, layout);
  BallTree tree = build_tree(points, layout, builder.partition);
  if (options && options->angle_degrees != 0.0)
    build_rotated_trees(points, layout, *options, builder, tree);
  return to_device(std::move(tree), pos.device());
}

constexpr Builder kFast{tree::partition_parallel, true};
constexpr Builder kPublishedOrder{tree::partition_published_parallel, false};
constexpr Builder kRecursive{tree::partition_recursive, false};
constexpr Builder kPublished{tree::partition_recursive_published, false};

}  // namespace

BallTree build_balltree(const torch::Tensor& pos, const torch::Tensor& batch_idx) {
  return build(pos, batch_idx, nullptr, kFast);
}

BallTree build_balltree_with_rotations(const torch::Tensor& pos, const torch::Tensor& batch_idx,
                                       const RotationOptions& options) {
  return build(pos, batch_idx, &options, kFast);
}

BallTree build_balltree_published_order(const torch::Tensor& pos, const torch::Tensor& batch_idx,
                                        const RotationOptions& options) {
  return build(pos, batch_idx, &options, kPublishedOrder);
}

torch::Tensor inverse_permutation(const torch::Tensor& perm) {
  const torch::Tensor p = cpu_contiguous(perm, "perm");
  if (p.dim() != 1 || p.scalar_type() != torch::kInt64)
    throw std::invalid_argument("perm: expected a 1-D int64 tensor");
  const int64_t n = p.size(0);
  const int64_t* values = p.data_ptr<int64_t>();
  torch::Tensor inverse = torch::full({n}, -1, torch::kInt64);
  int64_t* out = inverse.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const int64_t v = values[i];
    if (v < 0 || v >= n || out[v] != -1)
      throw std::invalid_argument("perm: not a permutation of 0.." + std::to_string(n - 1) +
                                  " (entry " + std::to_string(i) + " = " + std::to_string(v) + ")");
    out[v] = i;
  }
  return inverse.to(perm.device());
}

namespace reference {

BallTree build_balltree_recursive(const torch::Tensor& pos, const torch::Tensor& batch_idx) {
  return build(pos, batch_idx, nullptr, kRecursive);
}

BallTree build_balltree_with_rotations_recursive(const torch::Tensor& pos,
                                                 const torch::Tensor& batch_idx,
                                                 const RotationOptions& options) {
  return build(pos, batch_idx, &options, kRecursive);
}

BallTree build_balltree_published(const torch::Tensor& pos, const torch::Tensor& batch_idx) {
  return build(pos, batch_idx, nullptr, kPublished);
}

BallTree build_balltree_with_rotations_published(const torch::Tensor& pos,
                                                 const torch::Tensor& batch_idx,
                                                 const RotationOptions& options) {
  return build(pos, batch_idx, &options, kPublished);
}

}  // namespace reference
}  // namespace erwin
