#include "erwin/datasets/md_polymer.h"

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "checks.h"
#include "erwin/atomic_file.h"
#include "hdf5_support.h"

namespace erwin::datasets {

using detail::H5Handle;
using detail::Kind;
using detail::read_dataset;
using detail::silence_hdf5;

namespace {

torch::Tensor checked_array(const std::string& path, const std::string& name, Kind kind,
                            const std::vector<int64_t>& shape) {
  detail::require_file(path, name);
  const torch::Tensor tensor = load_h5_array(path, name);
  detail::require_array(tensor, kind, shape, path, name);
  return tensor;
}

// The dataset `name` of `path`, read with libhdf5 in this process.
torch::Tensor read_h5_array(const std::string& path, const std::string& name) {
  silence_hdf5();
  const H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) detail::format_error(path, name, "not a readable HDF5 file");
  if (H5Lexists(file.get(), name.c_str(), H5P_DEFAULT) <= 0)
    detail::format_error(path, name, "dataset missing from file");
  const H5Handle dataset(H5Dopen2(file.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
  if (!dataset.valid()) detail::format_error(path, name, "not a dataset");
  return read_dataset(dataset.get(), path, name);
}

}  // namespace

torch::Tensor load_h5_array(const std::string& path, const std::string& name) {
  detail::require_file(path, name);
  return detail::read_hdf5_checked(path, name, [&] { return read_h5_array(path, name); });
}

void save_h5_array(const std::string& path, const std::string& name, const torch::Tensor& tensor) {
  silence_hdf5();
  write_file_atomically(path, [&](const std::string& temp_path) {
    const H5Handle file(H5Fcreate(temp_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                        H5Fclose);
    if (!file.valid()) throw std::runtime_error(path + ": cannot create the HDF5 file");
    detail::write_dataset(file.get(), name, tensor, path);
  });
}

MdTrajectory load_md_trajectory(const std::string& folder) {
  MdTrajectory trajectory;
  const std::string ptype = folder + "/ptype.h5", bond = folder + "/bond.h5",
                    position = folder + "/position.h5";
  trajectory.node_type = checked_array(ptype, "particle_type", Kind::Integer, {-1});
  const int64_t nodes = trajectory.node_type.size(0);
  detail::require_index_range(trajectory.node_type, kMdParticleTypes, ptype, "particle_type");
  trajectory.bonds = checked_array(bond, "bond_indices", Kind::Integer, {-1, 2});
  detail::require_index_range(trajectory.bonds, nodes, bond, "bond_indices");
  torch::Tensor positions = checked_array(position, "position", Kind::Floating, {-1, nodes, 3});
  trajectory.positions = positions - positions.mean({0, 1}, /*keepdim=*/true);
  return trajectory;
}

std::string md_trajectory_dir(const std::string& root, Split split) {
  return root + (split == Split::Test ? "/polymer_test" : "/polymer_train");
}

std::string md_split_file(const std::string& root, Split split) {
  switch (split) {
    case Split::Train:
      return root + "/splits/train.txt";
    case Split::Valid:
      return root + "/splits/val.txt";
    case Split::Test:
      return root + "/splits/test_class2.txt";
  }
  return {};
}

torch::Tensor md_position_std() {
  return torch::tensor({21.4457, 31.7121, 25.5143}, torch::kFloat);
}
torch::Tensor md_velocity_std() { return torch::tensor({1.2809, 1.2735, 1.2792}, torch::kFloat); }
torch::Tensor md_acceleration_std() {
  return torch::tensor({1.7428, 1.7295, 1.7390}, torch::kFloat);
}

MdPolymerDataset MdPolymerDataset::open(const std::string& root, const std::string& split,
                                        MdPolymerOptions options) {
  if (options.seq_len < 2) throw std::invalid_argument("MdPolymerOptions.seq_len must be >= 2");
  const Split parsed = parse_split(split);
  MdPolymerDataset dataset(parsed, options);
  const std::string directory = md_trajectory_dir(root, parsed);
  int64_t total = 0;
  for (const std::string& name :
       detail::read_list(md_split_file(root, parsed), split_name(parsed) + " split")) {
    MdTrajectory trajectory = load_md_trajectory(directory + "/" + name);
    const int64_t windows = trajectory.positions.size(0) - options.seq_len;
    if (windows < 1)
      detail::format_error(
          directory + "/" + name + "/position.h5", "position",
          "needs more than seq_len = " + std::to_string(options.seq_len) + " frames");
    total += windows;
    dataset.names_.push_back(name);
    dataset.data_.push_back(std::move(trajectory));
    dataset.starts_.push_back(total);
  }
  return dataset;
}

Sample MdPolymerDataset::get(int64_t index) {
  if (index < 0 || index >= size())
    throw std::out_of_range("MdPolymerDataset: index " + std::to_string(index) + " out of " +
                            std::to_string(size()));
  const auto slot = std::upper_bound(starts_.begin(), starts_.end(), index) - starts_.begin();
  const int64_t start = index - (slot == 0 ? 0 : starts_[slot - 1]);
  const MdTrajectory& trajectory = data_[slot];
  torch::Tensor frames =
      trajectory.positions.slice(0, start, start + options_.seq_len + 1).permute({1, 0, 2});

  if (split_ == Split::Train && options_.noise) {
    // Published augmentation: one of 10 log-spaced sigmas from 0.1 to 0.01 per sample.
    const int level = std::uniform_int_distribution<int>(0, 9)(rng_);
    const double sigma = std::exp(std::log(0.1) + level * (std::log(0.01) - std::log(0.1)) / 9);
    auto generator = at::make_generator<at::CPUGeneratorImpl>(rng_());
    frames = frames + sigma * torch::randn(frames.sizes(), generator, torch::kFloat);
  }

  const torch::Tensor history = frames.slice(1, 0, options_.seq_len);
  const torch::Tensor last = history.select(1, options_.seq_len - 1);
  const torch::Tensor last_velocity = last - history.select(1, options_.seq_len - 2);
  const torch::Tensor acceleration = (frames.select(1, options_.seq_len) - last) - last_velocity;
  const torch::Tensor velocities = history.slice(1, 1) - history.slice(1, 0, -1);

  Sample sample;
  sample.node_features =
      (velocities / md_velocity_std()).reshape({frames.size(0), -1}).contiguous();
  sample.node_positions = (last / md_position_std()).contiguous();
  sample.node_type = trajectory.node_type;
  sample.edge_index =
      torch::cat({trajectory.bonds, trajectory.bonds.flip({1})}, 0).t().contiguous();
  sample.targets = (acceleration / md_acceleration_std()).contiguous();
  return sample;
}

}  // namespace erwin::datasets
