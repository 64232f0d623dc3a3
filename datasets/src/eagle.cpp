#include "erwin/datasets/eagle.h"

#include <stdexcept>

#include "checks.h"

namespace erwin::datasets {

using detail::Kind;

namespace {

// SPEC §4: means and standard deviations of (vx, vy, ps, pg).
torch::Tensor state_mean() {
  return torch::tensor({-0.0015, 0.2211, -0.8322, 4.6050}, torch::kFloat);
}
torch::Tensor state_std() { return torch::tensor({1.7970, 2.0258, 7.4013, 9.7232}, torch::kFloat); }

// The published mask is read as [T, N] or [T, N, 1] (its one-hot is squeezed on that axis).
torch::Tensor read_node_types(const NpzArchive& archive, int64_t steps, int64_t nodes) {
  torch::Tensor mask = archive.contains("mask") ? archive.get("mask") : torch::Tensor();
  if (mask.defined() && mask.dim() == 3 && mask.size(2) == 1) mask = mask.squeeze(2);
  if (!mask.defined()) detail::format_error(archive.path(), "mask", "array missing from archive");
  detail::require_array(mask, Kind::Integer, {steps, nodes}, archive.path(), "mask");
  detail::require_index_range(mask, kEagleNodeClasses, archive.path(), "mask");
  return mask.to(torch::kInt64);
}

}  // namespace

torch::Tensor eagle_normalise(const torch::Tensor& state) {
  return (state - state_mean().to(state.device())) / state_std().to(state.device());
}

torch::Tensor eagle_denormalise(const torch::Tensor& state) {
  return state * state_std().to(state.device()) + state_mean().to(state.device());
}

torch::Tensor eagle_boundary_mask(const torch::Tensor& node_type) {
  return (node_type == kEagleInflow) | (node_type == kEagleWall) | (node_type == kEagleDisabled);
}

EagleSimulation load_eagle_simulation(const std::string& folder) {
  const std::string npz_path = folder + "/sim.npz";
  const NpzArchive archive = detail::load_npz_for(npz_path, "pointcloud, VX, VY, PS, PG, mask");
  const torch::Tensor points =
      detail::npz_member(archive, "pointcloud", Kind::Floating, {-1, -1, 2});
  const int64_t steps = points.size(0);
  const int64_t nodes = points.size(1);
  std::vector<torch::Tensor> state;
  for (const char* field : {"VX", "VY", "PS", "PG"})
    state.push_back(
        detail::npz_member(archive, field, Kind::Floating, {steps, nodes}).to(torch::kFloat));

  const std::string triangles_path = folder + "/triangles.npy";
  torch::Tensor triangles = detail::load_npy_for(triangles_path, "triangles");
  detail::require_array(triangles, Kind::Integer, {-1, -1, 3}, triangles_path, "triangles");
  if (triangles.size(0) < steps)
    detail::format_error(triangles_path, "triangles",
                         "has " + std::to_string(triangles.size(0)) + " steps, sim.npz has " +
                             std::to_string(steps));
  detail::require_index_range(triangles, nodes, triangles_path, "triangles");

  EagleSimulation simulation;
  simulation.positions = points.to(torch::kFloat);
  simulation.state = torch::stack(state, -1);
  simulation.node_type = read_node_types(archive, steps, nodes);
  simulation.triangles = triangles.slice(0, 0, steps).to(torch::kInt64);
  return simulation;
}

torch::Tensor faces_to_edges(const torch::Tensor& triangles) {
  using torch::indexing::None;
  using torch::indexing::Slice;
  const torch::Tensor slots =
      torch::cat({triangles.index({"...", Slice(0, 2)}), triangles.index({"...", Slice(1, 3)}),
                  triangles.index({"...", Slice(None, None, 2)})},
                 1);  // [T, 3F, 2]: (a, b), (b, c), (a, c)
  const torch::Tensor packed =
      torch::stack({std::get<0>(slots.max(-1)), std::get<0>(slots.min(-1))}, -1);
  const torch::Tensor unique = std::get<0>(at::unique_dim(packed, 1));  // sorted, as torch.unique
  return torch::cat({unique, unique.flip(-1)}, 1).permute({2, 0, 1});
}

EagleDataset::EagleDataset(std::vector<std::string> folders, Split split, EagleOptions options)
    : folders_(std::move(folders)),
      split_(split),
      options_(options),
      rng_(options.seed),
      cache_(folders_.size()) {}

EagleDataset EagleDataset::open(const std::string& root, const std::string& split,
                                EagleOptions options) {
  const Split parsed = parse_split(split);
  if (options.window < 1) throw std::invalid_argument("EagleOptions.window must be at least 1");
  const std::string list = root + "/Splits/" + split_name(parsed) + ".txt";
  std::vector<std::string> folders;
  for (const std::string& line : detail::read_list(list, split_name(parsed) + " split"))
    folders.push_back(root + "/" + line);
  return EagleDataset(std::move(folders), parsed, options);
}

const EagleSimulation& EagleDataset::simulation(int64_t index) {
  if (index < 0 || index >= size())
    throw std::out_of_range("EagleDataset: index " + std::to_string(index) + " out of " +
                            std::to_string(size()));
  if (!options_.cache) return last_ = load_eagle_simulation(folders_[index]);
  auto& slot = cache_[index];
  if (!slot) slot = load_eagle_simulation(folders_[index]);
  return *slot;
}

Sample EagleDataset::get(int64_t index) {
  const int64_t steps = simulation(index).positions.size(0);
  const int64_t last_start = steps - options_.window;
  if (last_start < 0)
    throw std::invalid_argument(folders_[index] + ": window " + std::to_string(options_.window) +
                                " is longer than the simulation's " + std::to_string(steps) +
                                " steps");
  int64_t start = std::min(options_.eval_start, last_start);
  if (split_ == Split::Train) start = std::uniform_int_distribution<int64_t>(0, last_start)(rng_);
  return get_window(index, start);
}

Sample EagleDataset::get_window(int64_t index, int64_t start) {
  const EagleSimulation& sim = simulation(index);
  const int64_t window = options_.window;
  if (start < 0 || start + window > sim.positions.size(0))
    throw std::invalid_argument(folders_[index] + ": window [" + std::to_string(start) + ", " +
                                std::to_string(start + window) + ") outside the simulation");
  const auto steps = [&](const torch::Tensor& t) { return t.slice(0, start, start + window); };

  Sample sample;
  const torch::Tensor state = eagle_normalise(steps(sim.state)).permute({1, 0, 2}).contiguous();
  sample.node_type = steps(sim.node_type).t().contiguous();
  const torch::Tensor one_hot =
      torch::one_hot(sample.node_type, kEagleNodeClasses).to(torch::kFloat);
  sample.node_features = torch::cat({state, one_hot}, -1);
  sample.node_positions = steps(sim.positions).permute({1, 0, 2}).contiguous();
  sample.targets = state;
  const torch::Tensor edges = faces_to_edges(steps(sim.triangles));  // [2, T, E]
  sample.edge_index = edges.flatten(1);
  sample.edge_step = torch::arange(window, torch::kInt64).repeat_interleave(edges.size(2));
  return sample;
}

}  // namespace erwin::datasets
