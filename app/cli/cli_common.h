#pragma once
// Helpers several subcommands share: devices, trees in .npz files, the tree summary table.
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "erwin/balltree.h"
#include "erwin/model/precision.h"
#include "erwin/npy.h"

namespace erwin::cli {

// "cpu" or "cuda" (UsageError otherwise; std::invalid_argument when CUDA is unavailable).
torch::Device parse_device(const std::string& name);

class ArgParser;

// The --precision option: "fp32" or "bf16" (UsageError otherwise).
Precision parse_precision_option(const ArgParser& parser);

// Waits for queued CUDA work so that wall-clock timings are honest; no-op on the CPU.
void synchronize(const torch::Device& device);

// The fixtures' layout: tree_idx, tree_mask, tree_idx_rot.L.
std::map<std::string, torch::Tensor> tree_members(const BallTree& tree);
bool has_tree(const NpzArchive& archive);
BallTree read_tree(const NpzArchive& archive);

// One line per model level: balls, ball size in nodes, the points a ball covers, and the mean
// and largest ball radius (tree_queries.h) where a ball covers a power-of-two run of slots.
void print_tree_summary(const BallTree& tree, const torch::Tensor& pos,
                        const std::vector<int64_t>& strides,
                        const std::vector<int64_t>& ball_sizes);

}  // namespace erwin::cli
