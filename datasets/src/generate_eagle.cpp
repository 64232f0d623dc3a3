// EAGLE-like flows: a uniform stream past a cylinder (potential flow), a moving source that
// blows air, and Lamb-Oseen vortices shed alternately by the cylinder and advected downstream.
#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "erwin/datasets/eagle.h"
#include "erwin/datasets/generate.h"
#include "erwin/npy.h"
#include "generate_support.h"

namespace erwin::datasets {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kLength = 4.0, kHeight = 2.0;  // channel [0, 4] x [0, 2]
constexpr double kDensity = 2.0;
constexpr double kFrameTime = 0.04;
constexpr double kViscosity = 0.005;

struct Vec {
  double x = 0, y = 0;
};
Vec operator+(Vec a, Vec b) { return {a.x + b.x, a.y + b.y}; }
Vec operator-(Vec a, Vec b) { return {a.x - b.x, a.y - b.y}; }
Vec operator*(double s, Vec a) { return {s * a.x, s * a.y}; }
double norm2(Vec a) { return a.x * a.x + a.y * a.y; }

struct Vortex {
  Vec centre;
  double circulation;
  double age;
};

// Random per-simulation parameters.
struct Scene {
  double stream;  // free-stream speed U along +x
  Vec cylinder;
  double radius;
  double source_strength, body_radius;
  Vec path_centre, path_amplitude, path_frequency;
  double path_phase;

  Vec source_at(double time) const {
    return {path_centre.x + path_amplitude.x * std::sin(path_frequency.x * time + path_phase),
            path_centre.y + path_amplitude.y * std::sin(path_frequency.y * time)};
  }
  // Strouhal number 0.2: one vortex per half period of the street.
  double shedding_interval() const { return 0.5 * (2 * radius) / (0.2 * stream); }
};

Scene random_scene(std::mt19937_64& rng) {
  const auto uniform = [&](double low, double high) {
    return std::uniform_real_distribution<double>(low, high)(rng);
  };
  Scene scene;
  scene.stream = uniform(1.5, 2.5);
  scene.cylinder = {uniform(0.8, 1.2), uniform(0.85, 1.15)};
  scene.radius = uniform(0.15, 0.22);
  scene.source_strength = uniform(1.0, 2.5);
  scene.body_radius = uniform(0.1, 0.14);
  scene.path_centre = {uniform(2.5, 2.9), uniform(0.9, 1.1)};
  scene.path_amplitude = {uniform(0.3, 0.5), uniform(0.4, 0.6)};
  scene.path_frequency = {uniform(0.8, 1.6), uniform(1.2, 2.4)};
  scene.path_phase = uniform(0, 2 * kPi);
  return scene;
}

// The irrotational part: stream + cylinder doublet (dw/dz = U (1 - a^2 / z^2)) + source.
Vec potential_velocity(const Scene& scene, Vec p, Vec source) {
  const Vec d = p - scene.cylinder;
  const double r2 = std::max(norm2(d), 1e-12);
  const double a2 = scene.radius * scene.radius;
  // Re(a^2 / z^2) = (x^2 - y^2) a^2 / r^4, Im = -2xy a^2 / r^4; u - iv = U (1 - a^2 / z^2).
  const double re = a2 * (d.x * d.x - d.y * d.y) / (r2 * r2);
  const double im = -2 * a2 * d.x * d.y / (r2 * r2);
  Vec velocity{scene.stream * (1 - re), scene.stream * im};
  const Vec s = p - source;
  const double s2 = std::max(norm2(s), 1e-12);
  const double regular = 1 - std::exp(-s2 / (scene.body_radius * scene.body_radius));
  return velocity + (scene.source_strength / (2 * kPi) * regular / s2) * s;
}

double core_radius2(const Vortex& vortex, const Scene& scene) {
  const double initial = 0.5 * scene.radius;
  return initial * initial + 4 * kViscosity * vortex.age;
}

// Lamb-Oseen: u_theta = G / (2 pi r) (1 - exp(-r^2 / rc^2)).
Vec vortex_velocity(const Vortex& vortex, const Scene& scene, Vec p) {
  const Vec d = p - vortex.centre;
  const double r2 = std::max(norm2(d), 1e-12);
  const double swirl =
      vortex.circulation / (2 * kPi * r2) * (1 - std::exp(-r2 / core_radius2(vortex, scene)));
  return {-swirl * d.y, swirl * d.x};
}

// A smooth low-pressure well with the far field -rho u_theta^2 / 2 and a finite core.
double vortex_pressure(const Vortex& vortex, const Scene& scene, Vec p) {
  const double g = vortex.circulation / (2 * kPi);
  return -kDensity * g * g / (2 * (norm2(p - vortex.centre) + core_radius2(vortex, scene)));
}

// Sheds, advects (by everything but itself), ages and retires the vortices over one frame.
void advance_vortices(std::vector<Vortex>& vortices, const Scene& scene, double time,
                      int64_t& shed_count) {
  while ((shed_count + 1) * scene.shedding_interval() <= time + kFrameTime) {
    const double side = shed_count % 2 == 0 ? 1.0 : -1.0;
    const Vec origin = scene.cylinder + Vec{1.3 * scene.radius, side * 0.9 * scene.radius};
    vortices.push_back({origin, -side * 1.2 * kPi * scene.radius * scene.stream, 0.0});
    ++shed_count;
  }
  const Vec source = scene.source_at(time);
  std::vector<Vec> moves;
  for (const Vortex& vortex : vortices) {
    Vec velocity = potential_velocity(scene, vortex.centre, source);
    for (const Vortex& other : vortices)
      if (&other != &vortex) velocity = velocity + vortex_velocity(other, scene, vortex.centre);
    moves.push_back(kFrameTime * velocity);
  }
  std::vector<Vortex> kept;
  for (size_t k = 0; k < vortices.size(); ++k) {
    Vortex moved{vortices[k].centre + moves[k], vortices[k].circulation,
                 vortices[k].age + kFrameTime};
    if (moved.centre.x < kLength + 0.5 && moved.centre.y > -0.5 && moved.centre.y < kHeight + 0.5)
      kept.push_back(moved);
  }
  vortices = std::move(kept);
}

struct Mesh {
  std::vector<Vec> nodes;
  std::vector<int64_t> base_type;  // types before the moving source is placed
  std::vector<std::array<int64_t, 3>> triangles;
  double spacing;
};

// A jittered grid triangulated cell by cell, the cylinder cut out and its rim snapped to a wall.
Mesh build_mesh(const Scene& scene, int64_t nx, int64_t ny, std::mt19937_64& rng) {
  Mesh mesh;
  const double dx = kLength / static_cast<double>(nx - 1),
               dy = kHeight / static_cast<double>(ny - 1);
  mesh.spacing = std::max(dx, dy);
  std::uniform_real_distribution<double> jitter(-0.25, 0.25);
  std::vector<int64_t> id(nx * ny, -1);
  for (int64_t j = 0; j < ny; ++j)
    for (int64_t i = 0; i < nx; ++i) {
      const bool inflow = i == 0, outflow = i == nx - 1, wall = j == 0 || j == ny - 1;
      Vec p{i * dx, j * dy};
      if (!inflow && !outflow && !wall) p = p + Vec{jitter(rng) * dx, jitter(rng) * dy};
      int64_t type = wall      ? kEagleWall
                     : inflow  ? kEagleInflow
                     : outflow ? kEagleOutflow
                               : kEagleNormal;
      const Vec d = p - scene.cylinder;
      const double r = std::sqrt(norm2(d));
      if (r < scene.radius) continue;  // inside the cylinder: no node
      if (r < scene.radius + 0.5 * mesh.spacing) {
        p = scene.cylinder + (scene.radius / r) * d;
        type = kEagleWall;
      }
      id[j * nx + i] = static_cast<int64_t>(mesh.nodes.size());
      mesh.nodes.push_back(p);
      mesh.base_type.push_back(type);
    }
  const auto add = [&](int64_t a, int64_t b, int64_t c) {
    if (id[a] >= 0 && id[b] >= 0 && id[c] >= 0) mesh.triangles.push_back({id[a], id[b], id[c]});
  };
  for (int64_t j = 0; j + 1 < ny; ++j)
    for (int64_t i = 0; i + 1 < nx; ++i) {
      const int64_t a = j * nx + i, b = a + 1, c = a + nx, d = c + 1;
      if ((i + j) % 2 == 0) {
        add(a, b, d);
        add(a, d, c);
      } else {
        add(a, b, c);
        add(b, d, c);
      }
    }
  return mesh;
}

struct Frames {
  torch::Tensor positions, vx, vy, ps, pg, mask, triangles;
};

// Fills frame t: node types around the source, the fields, and triangles whose nodes the
// source disables collapsed onto one disabled node (a degenerate padding triangle).
void fill_frame(Frames& out, int64_t t, const Mesh& mesh, const Scene& scene,
                const std::vector<Vortex>& vortices, double time) {
  const Vec source = scene.source_at(time);
  auto vx = out.vx.accessor<float, 2>(), vy = out.vy.accessor<float, 2>();
  auto ps = out.ps.accessor<float, 2>(), pg = out.pg.accessor<float, 2>();
  auto mask = out.mask.accessor<int64_t, 2>();
  auto triangles = out.triangles.accessor<int64_t, 3>();
  const double body2 = scene.body_radius * scene.body_radius;
  const double jet = scene.body_radius + mesh.spacing;
  for (size_t n = 0; n < mesh.nodes.size(); ++n) {
    const Vec p = mesh.nodes[n];
    const double s2 = norm2(p - source);
    int64_t type = mesh.base_type[n];
    if (s2 < body2)
      type = kEagleDisabled;
    else if (s2 < jet * jet && type == kEagleNormal)
      type = kEagleInflow;
    mask[t][n] = type;
    if (type == kEagleDisabled) {
      vx[t][n] = vy[t][n] = ps[t][n] = pg[t][n] = 0.f;
      continue;
    }
    const Vec potential = potential_velocity(scene, p, source);
    Vec velocity = potential;
    double pressure = 0.5 * kDensity * (scene.stream * scene.stream - norm2(potential));
    for (const Vortex& vortex : vortices) {
      velocity = velocity + vortex_velocity(vortex, scene, p);
      pressure += vortex_pressure(vortex, scene, p);
    }
    if (type == kEagleWall) velocity = {};  // no slip
    vx[t][n] = static_cast<float>(velocity.x);
    vy[t][n] = static_cast<float>(velocity.y);
    ps[t][n] = static_cast<float>(pressure);
    pg[t][n] = static_cast<float>(pressure + 0.5 * kDensity * norm2(velocity));
  }
  for (size_t f = 0; f < mesh.triangles.size(); ++f) {
    const auto& tri = mesh.triangles[f];
    int64_t disabled = -1;
    for (int64_t node : tri)
      if (mask[t][node] == kEagleDisabled) disabled = node;
    for (int k = 0; k < 3; ++k) triangles[t][f][k] = disabled >= 0 ? disabled : tri[k];
  }
}

void write_simulation(const std::string& folder, const EagleGenerateOptions& options,
                      std::mt19937_64& rng) {
  const Scene scene = random_scene(rng);
  const Mesh mesh = build_mesh(scene, options.grid_x, options.grid_y, rng);
  const int64_t steps = options.steps, nodes = static_cast<int64_t>(mesh.nodes.size());
  Frames frames;
  for (torch::Tensor* field : {&frames.vx, &frames.vy, &frames.ps, &frames.pg})
    *field = torch::zeros({steps, nodes}, torch::kFloat);
  frames.mask = torch::zeros({steps, nodes}, torch::kInt64);
  frames.triangles =
      torch::zeros({steps, static_cast<int64_t>(mesh.triangles.size()), 3}, torch::kInt64);
  torch::Tensor base = torch::empty({nodes, 2}, torch::kFloat);
  for (int64_t n = 0; n < nodes; ++n) {
    base[n][0] = mesh.nodes[n].x;
    base[n][1] = mesh.nodes[n].y;
  }
  frames.positions = base.unsqueeze(0).repeat({steps, 1, 1});

  // Warm up until the vortex street fills the channel, then record.
  std::vector<Vortex> vortices;
  int64_t shed_count = 0;
  double time = 0;
  for (; time < 1.5 * kLength / scene.stream; time += kFrameTime)
    advance_vortices(vortices, scene, time, shed_count);
  for (int64_t t = 0; t < steps; ++t, time += kFrameTime) {
    fill_frame(frames, t, mesh, scene, vortices, time);
    advance_vortices(vortices, scene, time, shed_count);
  }

  detail::make_directories(folder);
  save_npz(folder + "/sim.npz", {{"pointcloud", frames.positions},
                                 {"VX", frames.vx},
                                 {"VY", frames.vy},
                                 {"PS", frames.ps},
                                 {"PG", frames.pg},
                                 {"mask", frames.mask.to(torch::kInt32)}});
  save_npy(folder + "/triangles.npy", frames.triangles.to(torch::kInt32));  // halves the files
}

}  // namespace

EagleGenerateOptions EagleGenerateOptions::preset(GenerateSize size) {
  EagleGenerateOptions options;
  if (size == GenerateSize::Medium) {
    options.simulations = 12;
    options.steps = 150;
    options.grid_x = 80;
    options.grid_y = 40;
  }
  return options;
}

void generate_eagle_like(const std::string& root, const EagleGenerateOptions& options) {
  if (options.steps < 2 || options.grid_x < 4 || options.grid_y < 4)
    throw std::invalid_argument("generate_eagle_like: need steps >= 2 and a grid of at least 4x4");
  const detail::SplitCounts counts = detail::split_counts(options.simulations, "simulations");
  std::mt19937_64 rng(options.seed);
  std::vector<std::string> names;
  for (int64_t s = 0; s < options.simulations; ++s) {
    names.push_back(detail::numbered("sim", s));
    write_simulation(root + "/" + names.back(), options, rng);
  }
  detail::make_directories(root + "/Splits");
  const auto first = names.begin();
  detail::write_list(root + "/Splits/train.txt", {first, first + counts.train});
  detail::write_list(root + "/Splits/valid.txt",
                     {first + counts.train, first + counts.train + counts.valid});
  detail::write_list(root + "/Splits/test.txt", {first + counts.train + counts.valid, names.end()});
}

}  // namespace erwin::datasets
