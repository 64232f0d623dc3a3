#pragma once
// Synthetic data sets in exactly the published on-disk formats (eagle.h, shapenet_car.h,
// md_polymer.h), small enough to train on a laptop, with smooth, physically motivated fields so
// that a model can learn them. The same options and seed give the same files.
#include <cstdint>
#include <string>

namespace erwin::datasets {

enum class GenerateSize { Small, Medium };
GenerateSize parse_generate_size(const std::string& name);  // "small" | "medium"

// 2D flow in a channel past a cylinder, with a moving source ("drone") that blows air and
// disables the mesh nodes it covers, and Lamb-Oseen vortices shed by the cylinder and advected.
struct EagleGenerateOptions {
  int64_t simulations = 6;  // split train/valid/test roughly 4:1:1 (each at least one)
  int64_t steps = 60;       // frames per simulation
  int64_t grid_x = 48;      // mesh nodes along the channel before the cylinder is cut out
  int64_t grid_y = 24;
  uint64_t seed = 0;
  static EagleGenerateOptions preset(GenerateSize size);
};

// Car-like closed surfaces (superellipsoid body plus cabin) with a stagnation-pressure field.
struct ShapenetGenerateOptions {
  int64_t cars = 24;      // spread over param0..param8; 889 reproduces the published split
  int64_t points = 3586;  // surface points per car (published: 3586)
  uint64_t seed = 0;
  static ShapenetGenerateOptions preset(GenerateSize size);
};

// Bead-spring polymer chains under Langevin dynamics.
struct MdGenerateOptions {
  int64_t train_trajectories = 4;
  int64_t valid_trajectories = 1;
  int64_t test_trajectories = 1;
  int64_t chains = 2;  // chains per trajectory
  int64_t beads_per_chain = 32;
  int64_t frames = 120;      // per training/validation trajectory
  int64_t test_frames = 60;  // per test trajectory
  uint64_t seed = 0;
  static MdGenerateOptions preset(GenerateSize size);
};

void generate_eagle_like(const std::string& root, const EagleGenerateOptions& options = {});
void generate_shapenet_like(const std::string& root, const ShapenetGenerateOptions& options = {});
void generate_md_like(const std::string& root, const MdGenerateOptions& options = {});

}  // namespace erwin::datasets
