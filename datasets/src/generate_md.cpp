// Polymer-MD-like trajectories: bead-spring chains (harmonic bonds and a bending spring between
// next-nearest beads) under Langevin dynamics, the bead type setting mass and friction.
#include <cmath>
#include <random>
#include <vector>

#include "erwin/datasets/generate.h"
#include "erwin/datasets/md_polymer.h"
#include "generate_support.h"

namespace erwin::datasets {

namespace {

constexpr double kTimeStep = 0.02;
constexpr int kStepsPerFrame = 25;
constexpr double kTemperature = 1.0;
constexpr double kBondStiffness = 30.0, kBondLength = 1.0;
constexpr double kBendStiffness = 5.0, kBendLength = 1.6;
constexpr double kBoxRadius = 12.0;  // a soft spherical wall keeps the chains together

struct System {
  std::vector<double> x, v;  // [N * 3]
  std::vector<int64_t> type;
  std::vector<std::pair<int64_t, int64_t>> bonds, bends;
};

double mass(int64_t type) { return 1.0 + 0.5 * static_cast<double>(type); }
double friction(int64_t type) { return 0.3 + 0.2 * static_cast<double>(type); }

// Chains start as random walks with unit steps from random points in the box.
System random_system(const MdGenerateOptions& options, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  std::uniform_real_distribution<double> box(-0.5 * kBoxRadius, 0.5 * kBoxRadius);
  std::uniform_int_distribution<int64_t> type(0, kMdParticleTypes - 1);
  System system;
  for (int64_t c = 0; c < options.chains; ++c) {
    double p[3] = {box(rng), box(rng), box(rng)};
    for (int64_t b = 0; b < options.beads_per_chain; ++b) {
      const int64_t index = static_cast<int64_t>(system.type.size());
      if (b > 0) {
        double step[3] = {normal(rng), normal(rng), normal(rng)};
        const double length = std::sqrt(step[0] * step[0] + step[1] * step[1] + step[2] * step[2]);
        for (int k = 0; k < 3; ++k) p[k] += kBondLength * step[k] / length;
        system.bonds.push_back({index - 1, index});
      }
      if (b > 1) system.bends.push_back({index - 2, index});
      system.type.push_back(type(rng));
      for (int k = 0; k < 3; ++k) {
        system.x.push_back(p[k]);
        system.v.push_back(normal(rng) * std::sqrt(kTemperature / mass(system.type.back())));
      }
    }
  }
  return system;
}

void add_spring(const System& system, std::vector<double>& force, int64_t i, int64_t j,
                double stiffness, double rest) {
  double d[3], length2 = 0;
  for (int k = 0; k < 3; ++k) {
    d[k] = system.x[3 * j + k] - system.x[3 * i + k];
    length2 += d[k] * d[k];
  }
  const double length = std::max(std::sqrt(length2), 1e-9);
  const double magnitude = stiffness * (length - rest) / length;
  for (int k = 0; k < 3; ++k) {
    force[3 * i + k] += magnitude * d[k];
    force[3 * j + k] -= magnitude * d[k];
  }
}

std::vector<double> forces(const System& system) {
  std::vector<double> force(system.x.size(), 0.0);
  for (const auto& [i, j] : system.bonds)
    add_spring(system, force, i, j, kBondStiffness, kBondLength);
  for (const auto& [i, j] : system.bends)
    add_spring(system, force, i, j, kBendStiffness, kBendLength);
  for (size_t n = 0; n < system.type.size(); ++n) {
    const double* p = &system.x[3 * n];
    const double r = std::sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
    if (r > kBoxRadius)
      for (int k = 0; k < 3; ++k) force[3 * n + k] -= 2.0 * (r - kBoxRadius) * p[k] / r;
  }
  return force;
}

// One Langevin step (semi-implicit Euler with a fluctuation-dissipation kick).
void langevin_step(System& system, std::mt19937_64& rng) {
  std::normal_distribution<double> normal;
  const std::vector<double> force = forces(system);
  for (size_t n = 0; n < system.type.size(); ++n) {
    const double m = mass(system.type[n]), gamma = friction(system.type[n]);
    const double kick = std::sqrt(2 * gamma * kTemperature * kTimeStep / m);
    for (int k = 0; k < 3; ++k) {
      double& v = system.v[3 * n + k];
      v += kTimeStep * (force[3 * n + k] / m - gamma * v) + kick * normal(rng);
      system.x[3 * n + k] += kTimeStep * v;
    }
  }
}

void write_trajectory(const std::string& folder, const MdGenerateOptions& options, int64_t frames,
                      std::mt19937_64& rng) {
  System system = random_system(options, rng);
  for (int s = 0; s < 20 * kStepsPerFrame; ++s) langevin_step(system, rng);  // relax the walk
  const int64_t nodes = static_cast<int64_t>(system.type.size());
  torch::Tensor positions = torch::empty({frames, nodes, 3}, torch::kFloat);
  auto out = positions.accessor<float, 3>();
  for (int64_t t = 0; t < frames; ++t) {
    for (int64_t n = 0; n < nodes; ++n)
      for (int k = 0; k < 3; ++k) out[t][n][k] = static_cast<float>(system.x[3 * n + k]);
    for (int s = 0; s < kStepsPerFrame; ++s) langevin_step(system, rng);
  }
  torch::Tensor bonds = torch::empty({static_cast<int64_t>(system.bonds.size()), 2}, torch::kInt64);
  for (size_t b = 0; b < system.bonds.size(); ++b) {
    bonds[b][0] = system.bonds[b].first;
    bonds[b][1] = system.bonds[b].second;
  }
  detail::make_directories(folder);
  save_h5_array(folder + "/ptype.h5", "particle_type", torch::tensor(system.type, torch::kInt64));
  save_h5_array(folder + "/bond.h5", "bond_indices", bonds);
  save_h5_array(folder + "/position.h5", "position", positions);
}

std::vector<std::string> write_trajectories(const std::string& directory, int64_t first,
                                            int64_t count, int64_t frames,
                                            const MdGenerateOptions& options,
                                            std::mt19937_64& rng) {
  std::vector<std::string> names;
  for (int64_t i = first; i < first + count; ++i) {
    names.push_back(detail::numbered("traj", i));
    write_trajectory(directory + "/" + names.back(), options, frames, rng);
  }
  return names;
}

}  // namespace

MdGenerateOptions MdGenerateOptions::preset(GenerateSize size) {
  MdGenerateOptions options;
  if (size == GenerateSize::Medium) {
    options.train_trajectories = 16;
    options.valid_trajectories = 4;
    options.test_trajectories = 4;
    options.chains = 8;
    options.beads_per_chain = 64;
    options.frames = 500;
    options.test_frames = 200;
  }
  return options;
}

void generate_md_like(const std::string& root, const MdGenerateOptions& options) {
  if (options.train_trajectories < 1 || options.valid_trajectories < 1 ||
      options.test_trajectories < 1 || options.chains < 1 || options.beads_per_chain < 3 ||
      options.frames < 3 || options.test_frames < 3)
    throw std::invalid_argument(
        "generate_md_like: need >= 1 trajectory per split, >= 1 chain of "
        ">= 3 beads and >= 3 frames");
  std::mt19937_64 rng(options.seed);
  const std::string train_dir = md_trajectory_dir(root, Split::Train);
  const std::string test_dir = md_trajectory_dir(root, Split::Test);
  const auto train =
      write_trajectories(train_dir, 0, options.train_trajectories, options.frames, options, rng);
  const auto valid = write_trajectories(train_dir, options.train_trajectories,
                                        options.valid_trajectories, options.frames, options, rng);
  const auto test =
      write_trajectories(test_dir, 0, options.test_trajectories, options.test_frames, options, rng);
  detail::make_directories(root + "/splits");
  detail::write_list(md_split_file(root, Split::Train), train);
  detail::write_list(md_split_file(root, Split::Valid), valid);
  detail::write_list(md_split_file(root, Split::Test), test);
}

}  // namespace erwin::datasets
