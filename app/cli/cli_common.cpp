#include "cli_common.h"

#include <cstdio>

#include "args.h"
#include "erwin/tree_queries.h"

namespace erwin::cli {

torch::Device parse_device(const std::string& name) {
  if (name == "cpu") return torch::kCPU;
  if (name != "cuda") throw UsageError("option --device: '" + name + "' is not cpu or cuda");
  if (!torch::cuda::is_available())
    throw std::invalid_argument("option --device: cuda requested but no CUDA device is available");
  return torch::kCUDA;
}

Precision parse_precision_option(const ArgParser& parser) {
  try {
    return parse_precision(parser.text("precision"));
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("option --precision: ") + e.what());
  }
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize();
}

std::map<std::string, torch::Tensor> tree_members(const BallTree& tree) {
  std::map<std::string, torch::Tensor> members{{"tree_idx", tree.tree_idx.cpu()},
                                               {"tree_mask", tree.tree_mask.cpu()}};
  for (size_t level = 0; level < tree.tree_idx_rot.size(); ++level)
    members["tree_idx_rot." + std::to_string(level)] = tree.tree_idx_rot[level].cpu();
  return members;
}

bool has_tree(const NpzArchive& archive) { return archive.contains("tree_idx"); }

BallTree read_tree(const NpzArchive& archive) {
  BallTree tree{archive.get("tree_idx"), archive.get("tree_mask"), {}, {}};
  for (int level = 0; archive.contains("tree_idx_rot." + std::to_string(level)); ++level)
    tree.tree_idx_rot.push_back(archive.get("tree_idx_rot." + std::to_string(level)));
  return tree;
}

namespace {
bool is_power_of_two(int64_t n) { return n > 0 && (n & (n - 1)) == 0; }
}  // namespace

void print_tree_summary(const BallTree& tree, const torch::Tensor& pos,
                        const std::vector<int64_t>& strides,
                        const std::vector<int64_t>& ball_sizes) {
  const int64_t slots = tree.tree_idx.size(0);
  const int64_t deepest = max_ball_level(tree);
  std::printf("%lld points, %lld slots (%lld padding)\n", static_cast<long long>(pos.size(0)),
              static_cast<long long>(slots), static_cast<long long>(slots - pos.size(0)));
  std::printf("%5s %8s %10s %12s %12s %12s\n", "level", "balls", "ball size", "points/ball",
              "mean radius", "max radius");
  int64_t coarsening = 1;  // slots per node at this level
  for (size_t level = 0; level < ball_sizes.size(); ++level) {
    const int64_t span = ball_sizes[level] * coarsening;
    std::printf("%5zu %8lld %10lld %12lld", level, static_cast<long long>(slots / span),
                static_cast<long long>(ball_sizes[level]), static_cast<long long>(span));
    const int64_t tree_level = is_power_of_two(span) ? level_of_ball_size(span) : deepest + 1;
    if (tree_level <= deepest) {
      const BallGeometry geometry = ball_geometry(tree, pos, tree_level);
      std::printf(" %12.4g %12.4g\n", geometry.radii.mean().item<double>(),
                  geometry.radii.max().item<double>());
    } else {
      std::printf(" %12s %12s\n", "-", "-");
    }
    if (level < strides.size()) coarsening *= strides[level];
  }
}

}  // namespace erwin::cli
