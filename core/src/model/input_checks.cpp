#include "erwin/model/input_checks.h"

#include <ATen/autocast_mode.h>

#include <stdexcept>

#include "erwin/model.h"

namespace erwin {
namespace {

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument("ErwinTransformer: " + message);
}

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

void require_defined(const torch::Tensor& t, const char* name) {
  if (!t.defined()) fail(std::string(name) + " is missing");
}

void require_int64_vector(const torch::Tensor& t, const char* name) {
  require_defined(t, name);
  if (t.scalar_type() != torch::kLong || t.dim() != 1)
    fail(std::string(name) + " must be a 1-D int64 tensor, got " +
         std::string(c10::toString(t.scalar_type())) + " of shape " + shape_of(t));
}

void require_finite(const torch::Tensor& t, const char* name) {
  if (!torch::isfinite(t).all().item<bool>()) fail(std::string(name) + " contains NaN or infinity");
}

void require_permutation(const torch::Tensor& perm, int64_t size, const std::string& name) {
  if (perm.numel() != size)
    fail(name + " has " + std::to_string(perm.numel()) + " entries, expected " +
         std::to_string(size) + " (the nodes of its level)");
  if (size == 0) return;
  if (perm.min().item<int64_t>() < 0 || perm.max().item<int64_t>() >= size ||
      torch::bincount(perm, {}, size).max().item<int64_t>() != 1)
    fail(name + " is not a permutation of 0.." + std::to_string(size - 1));
}

// Slot count of every cloud, in cloud order.
std::vector<int64_t> slots_per_cloud(const torch::Tensor& tree_batch) {
  auto counts = torch::bincount(tree_batch).cpu();
  return {counts.data_ptr<int64_t>(), counts.data_ptr<int64_t>() + counts.numel()};
}

}  // namespace

void check_inputs(const ErwinInputs& inputs, const ErwinConfig& config) {
  const auto& features = inputs.node_features;
  const auto& positions = inputs.node_positions;
  require_defined(features, "node_features");
  require_defined(positions, "node_positions");
  if (features.dim() != 2 || features.size(1) != config.c_in)
    fail("node_features must have shape [N, c_in = " + std::to_string(config.c_in) + "], got " +
         shape_of(features));
  if (positions.dim() != 2 || positions.size(1) != config.dimensionality)
    fail("node_positions must have shape [N, dimensionality = " +
         std::to_string(config.dimensionality) + "], got " + shape_of(positions));
  // Under autocast (erwin::PrecisionGuard, torch.autocast) a task head's embedding hands the
  // backbone features in the autocast dtype while positions stay float32, as in the published
  // model; otherwise the two must match.
  const bool autocast = at::autocast::is_autocast_enabled(features.device().type());
  if (!features.is_floating_point() || !positions.is_floating_point() ||
      (!autocast && positions.scalar_type() != features.scalar_type()))
    fail("node_features and node_positions must share one floating dtype, got " +
         std::string(c10::toString(features.scalar_type())) + " and " +
         std::string(c10::toString(positions.scalar_type())));
  const int64_t n = features.size(0);
  if (positions.size(0) != n)
    fail("node_positions has " + std::to_string(positions.size(0)) +
         " rows but node_features has " + std::to_string(n));
  require_int64_vector(inputs.batch_idx, "batch_idx");
  if (inputs.batch_idx.numel() != n)
    fail("batch_idx has " + std::to_string(inputs.batch_idx.numel()) +
         " entries, expected N = " + std::to_string(n));
  if (n == 0) fail("node_features is empty (no points)");
  require_finite(features, "node_features");
  require_finite(positions, "node_positions");
  const auto steps = inputs.batch_idx.diff();
  if (inputs.batch_idx[0].item<int64_t>() != 0 || (steps < 0).any().item<bool>() ||
      (steps > 1).any().item<bool>())
    fail("batch_idx must number the clouds 0, 1, 2, ... in contiguous runs (0,0,..,1,1,..)");
}

void check_tree(const BallTree& tree, const ErwinInputs& inputs, const ErwinConfig& config) {
  const torch::Tensor& batch_idx = inputs.batch_idx;
  require_int64_vector(tree.tree_idx, "tree.tree_idx");
  require_defined(tree.tree_mask, "tree.tree_mask");
  const int64_t slots = tree.tree_idx.numel();
  if (tree.tree_mask.scalar_type() != torch::kBool || tree.tree_mask.dim() != 1 ||
      tree.tree_mask.numel() != slots)
    fail("tree.tree_mask must be a bool tensor of shape [" + std::to_string(slots) +
         "] like tree.tree_idx, got " + std::string(c10::toString(tree.tree_mask.scalar_type())) +
         " of shape " + shape_of(tree.tree_mask));
  const int64_t n = batch_idx.numel();
  if (slots == 0 || tree.tree_idx.min().item<int64_t>() < 0 ||
      tree.tree_idx.max().item<int64_t>() >= n)
    fail("tree.tree_idx entries must lie in [0, N = " + std::to_string(n) + ")");
  require_permutation(tree.tree_idx.masked_select(tree.tree_mask), n,
                      "tree.tree_idx[tree.tree_mask]");
  const auto tree_batch = batch_idx.index_select(0, tree.tree_idx);
  if ((tree_batch.diff() < 0).any().item<bool>())
    fail("tree.tree_idx must list the clouds in batch order");
  validate_ball_tiling(slots_per_cloud(tree_batch), config.strides, config.ball_sizes,
                       inputs.balls_across_clouds);

  if (config.rotate <= 0) return;
  if (static_cast<int64_t>(tree.tree_idx_rot.size()) < config.num_levels())
    fail("rotate > 0 needs tree.tree_idx_rot for all " + std::to_string(config.num_levels()) +
         " levels, got " + std::to_string(tree.tree_idx_rot.size()));
  int64_t level_size = slots;
  for (int64_t level = 0; level < config.num_levels(); ++level) {
    const std::string name = "tree.tree_idx_rot[" + std::to_string(level) + "]";
    require_int64_vector(tree.tree_idx_rot[level], name.c_str());
    require_permutation(tree.tree_idx_rot[level], level_size, name);
    if (level + 1 < config.num_levels()) level_size /= config.strides[level];
  }
}

void check_edge_index(const torch::Tensor& edge_index, int64_t num_nodes) {
  require_defined(edge_index, "edge_index");
  if (edge_index.scalar_type() != torch::kLong || edge_index.dim() != 2 || edge_index.size(0) != 2)
    fail("edge_index must be an int64 tensor of shape [2, E], got " +
         std::string(c10::toString(edge_index.scalar_type())) + " of shape " +
         shape_of(edge_index));
  if (edge_index.numel() > 0 &&
      (edge_index.min().item<int64_t>() < 0 || edge_index.max().item<int64_t>() >= num_nodes))
    fail("edge_index entries must lie in [0, N = " + std::to_string(num_nodes) + "), got [" +
         std::to_string(edge_index.min().item<int64_t>()) + ", " +
         std::to_string(edge_index.max().item<int64_t>()) + "]");
}

}  // namespace erwin
