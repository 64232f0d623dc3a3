#pragma once
// EAGLE (Janny et al. 2023) in its published layout: <root>/Splits/{train,valid,test}.txt list
// simulation folders (relative to root); each holds sim.npz (pointcloud [T,N,2], VX, VY, PS, PG
// [T,N] floats, mask [T,N] integer node types) and triangles.npy [T,F,3] integer node indices.
#include <torch/torch.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "erwin/datasets/sample.h"

namespace erwin::datasets {

// Node types of the `mask` array (MeshGraphNet encoding), one-hot over kEagleNodeClasses.
enum EagleNodeType : int64_t {
  kEagleNormal = 0,
  kEagleDisabled = 2,
  kEagleInflow = 4,
  kEagleOutflow = 5,
  kEagleWall = 6,
};
constexpr int64_t kEagleNodeClasses = 9;
constexpr int64_t kEagleStateSize = 4;  // vx, vy, ps, pg
inline constexpr const char* kEagleStateNames[kEagleStateSize] = {"vx", "vy", "ps", "pg"};

// SPEC §4: state (vx, vy, ps, pg) -> (state - mean) / std, and back; tensors [..., 4].
torch::Tensor eagle_normalise(const torch::Tensor& state);
torch::Tensor eagle_denormalise(const torch::Tensor& state);
// Nodes whose state the EAGLE rollout resets to ground truth: inflow, wall, disabled (SPEC §4).
torch::Tensor eagle_boundary_mask(const torch::Tensor& node_type);

// One simulation as stored (state not normalised).
struct EagleSimulation {
  torch::Tensor positions;  // float [T, N, 2]
  torch::Tensor state;      // float [T, N, 4]: VX, VY, PS, PG
  torch::Tensor node_type;  // int64 [T, N]
  torch::Tensor triangles;  // int64 [T, F, 3]
};

// Reads and validates <folder>/sim.npz and <folder>/triangles.npy (erwin::FormatError naming
// the file and the field on any problem).
EagleSimulation load_eagle_simulation(const std::string& folder);

// The mesh edges of a window's triangles [T, F, 3] as the published faces_to_edges makes them:
// int64 [2, T, E], per step the edges (max, min) then (min, max). Edge *slots* (an edge's nodes
// across all T steps) are deduplicated, not the edges of each step, so a step can list an edge
// more than once; degenerate edges of padding triangles stay. The message passing's mean counts
// these multiplicities, so they are kept for parity.
torch::Tensor faces_to_edges(const torch::Tensor& triangles);

struct EagleOptions {
  int64_t window = 6;        // consecutive steps per sample (published: 6 train, 2 valid)
  int64_t eval_start = 100;  // first step of valid/test windows, clamped to fit (published: 100)
  uint64_t seed = 0;         // random window starts of the training split
  bool cache = true;         // keep loaded simulations in memory
};

// A sample is one window of `window` steps of one simulation:
//   node_features  [N, T, 13] = normalised state (4) ++ one-hot node type (9)
//   node_positions [N, T, 2]; node_type [N, T]; targets [N, T, 4] normalised state
//   edge_index [2, E] with edge_step [E]: the mesh edges of each step, both directions.
class EagleDataset {
 public:
  static EagleDataset open(const std::string& root, const std::string& split,
                           EagleOptions options = {});

  int64_t size() const { return static_cast<int64_t>(folders_.size()); }
  // Training split: a random window start in [0, T - window]; otherwise eval_start (clamped).
  Sample get(int64_t index);
  Sample get_window(int64_t index, int64_t start);
  Batch collate(const std::vector<Sample>& samples) const { return datasets::collate(samples); }

  const std::vector<std::string>& folders() const { return folders_; }
  Split split() const { return split_; }
  const EagleOptions& options() const { return options_; }
  // Simulation `index` as stored; with options.cache off, valid until the next read.
  const EagleSimulation& simulation(int64_t index);

 private:
  EagleDataset(std::vector<std::string> folders, Split split, EagleOptions options);

  std::vector<std::string> folders_;
  Split split_;
  EagleOptions options_;
  std::mt19937_64 rng_;
  std::vector<std::optional<EagleSimulation>> cache_;
  EagleSimulation last_;  // the uncached simulation most recently read
};

}  // namespace erwin::datasets
