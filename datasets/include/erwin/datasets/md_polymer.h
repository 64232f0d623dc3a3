#pragma once
// Coarse-grained polymer molecular dynamics (Fu et al. 2023, as used by Erwin), published layout:
//   <root>/polymer_train/<trajectory>/, <root>/polymer_test/<trajectory>/ each with
//     ptype.h5    dataset particle_type  integer [N]
//     bond.h5     dataset bond_indices   integer [B, 2]
//     position.h5 dataset position       float   [T, N, 3]
//   <root>/splits/train.txt, val.txt (trajectories of polymer_train), test_class2.txt
//   (trajectories of polymer_test), one trajectory name per line.
#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "erwin/datasets/sample.h"

namespace erwin::datasets {

constexpr int64_t kMdParticleTypes = 4;

// An HDF5 file's root-level dataset as a tensor (int64 for integer data, float32 for floating
// data); erwin::FormatError naming the file and the dataset when it is missing or unreadable.
torch::Tensor load_h5_array(const std::string& path, const std::string& dataset);
// Writes a one-dataset HDF5 file atomically (int64 / float32 / float64 as the tensor is).
void save_h5_array(const std::string& path, const std::string& dataset,
                   const torch::Tensor& tensor);

struct MdTrajectory {
  torch::Tensor node_type;  // int64 [N]
  torch::Tensor bonds;      // int64 [B, 2]
  torch::Tensor positions;  // float [T, N, 3], minus the mean over all frames and particles
};
MdTrajectory load_md_trajectory(const std::string& folder);

// The directory and split list of a split: train/valid read polymer_train, test polymer_test.
std::string md_trajectory_dir(const std::string& root, Split split);
std::string md_split_file(const std::string& root, Split split);

// Per-axis standard deviations of positions, per-frame velocities and accelerations.
torch::Tensor md_position_std();
torch::Tensor md_velocity_std();
torch::Tensor md_acceleration_std();

struct MdPolymerOptions {
  int64_t seq_len = 16;  // frames of history; a sample spans seq_len + 1 frames
  bool noise = true;     // training split only: Gaussian position noise, sigma in 0.1 .. 0.01
  uint64_t seed = 0;     // noise draws
};

// A sample is a window of seq_len + 1 frames of one trajectory (every start is one sample):
//   node_features  [N, (seq_len - 1) * 3] normalised velocities of the first seq_len frames
//   node_positions [N, 3] frame seq_len - 1 / position std; node_type [N]
//   edge_index [2, 2B] bonds both directions; targets [N, 3] normalised next acceleration.
class MdPolymerDataset {
 public:
  static MdPolymerDataset open(const std::string& root, const std::string& split,
                               MdPolymerOptions options = {});

  int64_t size() const { return starts_.empty() ? 0 : starts_.back(); }
  Sample get(int64_t index);
  Batch collate(const std::vector<Sample>& samples) const { return datasets::collate(samples); }

  const std::vector<std::string>& trajectories() const { return names_; }
  Split split() const { return split_; }

 private:
  MdPolymerDataset(Split split, MdPolymerOptions options)
      : split_(split), options_(options), rng_(options.seed) {}

  Split split_;
  MdPolymerOptions options_;
  std::mt19937_64 rng_;
  std::vector<std::string> names_;
  std::vector<MdTrajectory> data_;
  std::vector<int64_t> starts_;  // cumulative sample counts: trajectory i ends at starts_[i]
};

}  // namespace erwin::datasets
