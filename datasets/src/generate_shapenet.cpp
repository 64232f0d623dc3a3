// ShapeNet-Car-like cars: a superellipsoid body with a cabin on top, sampled at Fibonacci-sphere
// directions, and the surface pressure of a stream along +z from the local surface normal.
#include <array>
#include <cmath>
#include <random>

#include "erwin/datasets/generate.h"
#include "erwin/datasets/shapenet_car.h"
#include "generate_support.h"

namespace erwin::datasets {

namespace {

constexpr double kPi = 3.14159265358979323846;
constexpr double kDynamicPressure = 60.0;  // 0.5 rho U^2 in the data's pressure units

using Vec3 = std::array<double, 3>;

Vec3 sub(const Vec3& a, const Vec3& b) { return {a[0] - b[0], a[1] - b[1], a[2] - b[2]}; }
Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]};
}
double dot(const Vec3& a, const Vec3& b) { return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]; }

// x: width, y: height (ground at y = 0), z: length (the stream comes from -z).
struct CarShape {
  Vec3 half;  // semi-axes of the body
  double exponent;
  double clearance;
  double cabin_height, cabin_centre, cabin_length;

  // The surface point in direction (theta, phi) of a sphere whose pole is the x axis.
  Vec3 surface(double theta, double phi) const {
    const Vec3 u{std::cos(theta), std::sin(theta) * std::cos(phi), std::sin(theta) * std::sin(phi)};
    double sum = 0;
    for (int i = 0; i < 3; ++i) sum += std::pow(std::abs(u[i]) / half[i], exponent);
    const double t = std::pow(sum, -1.0 / exponent);
    Vec3 p{t * u[0], t * u[1], t * u[2]};
    if (p[1] > 0) {  // the cabin raises the upper half, fading towards the sides
      const double along = (p[2] - cabin_centre) / cabin_length;
      const double across = p[0] / half[0];
      p[1] +=
          cabin_height * std::exp(-std::pow(along, 4)) * (1 - across * across) * (p[1] / half[1]);
    }
    p[1] += half[1] + clearance;
    return p;
  }
};

CarShape random_car(std::mt19937_64& rng) {
  const auto uniform = [&](double low, double high) {
    return std::uniform_real_distribution<double>(low, high)(rng);
  };
  CarShape car;
  car.half = {uniform(0.75, 1.0), uniform(0.35, 0.5), uniform(1.8, 2.4)};
  car.exponent = uniform(2.5, 4.0);
  car.clearance = uniform(0.1, 0.25);
  car.cabin_height = uniform(0.25, 0.5);
  car.cabin_centre = uniform(-0.3, 0.4);
  car.cabin_length = uniform(0.8, 1.3);
  return car;
}

// Pressure coefficient from s = cos(angle between the inward stream and the outward normal):
// potential flow round a sphere, 1 - 9/4 sin^2, on the windward side; a base pressure that
// recovers towards -0.3 in the separated wake; extra suction under the car.
double pressure_coefficient(const Vec3& normal) {
  const double s = -normal[2];
  double cp = s >= 0 ? 1 - 2.25 * (1 - s * s) : -1.25 + 0.95 * s * s;
  if (normal[1] < 0) cp -= 0.3 * -normal[1];
  return cp;
}

void write_car(const std::string& folder, const CarShape& car, int64_t points) {
  torch::Tensor positions = torch::empty({points, 3}, torch::kFloat);
  torch::Tensor pressure = torch::empty({points}, torch::kFloat);
  auto pos = positions.accessor<float, 2>();
  auto pre = pressure.accessor<float, 1>();
  const double golden = kPi * (3 - std::sqrt(5.0));
  const double eps = 1e-4;
  for (int64_t i = 0; i < points; ++i) {
    const double theta = std::acos(1 - 2 * (i + 0.5) / static_cast<double>(points));
    const double phi = golden * static_cast<double>(i);
    const Vec3 p = car.surface(theta, phi);
    Vec3 normal = cross(sub(car.surface(theta + eps, phi), car.surface(theta - eps, phi)),
                        sub(car.surface(theta, phi + eps), car.surface(theta, phi - eps)));
    const double length = std::sqrt(dot(normal, normal));
    for (double& c : normal) c /= length;
    const Vec3 centre{0, car.half[1] + car.clearance, 0};
    if (dot(normal, sub(p, centre)) < 0)
      for (double& c : normal) c = -c;
    for (int k = 0; k < 3; ++k) pos[i][k] = static_cast<float>(p[k]);
    pre[i] = static_cast<float>(kDynamicPressure * pressure_coefficient(normal));
  }
  detail::make_directories(folder);
  save_torch_file(folder + "/mesh_points.th", positions);
  save_torch_file(folder + "/pressure.th", pressure);
}

}  // namespace

ShapenetGenerateOptions ShapenetGenerateOptions::preset(GenerateSize size) {
  ShapenetGenerateOptions options;
  if (size == GenerateSize::Medium) options.cars = kShapenetCarCount;
  return options;
}

void generate_shapenet_like(const std::string& root, const ShapenetGenerateOptions& options) {
  if (options.cars < 6 || options.points < 16)
    throw std::invalid_argument("generate_shapenet_like: need at least 6 cars of 16 points");
  std::mt19937_64 rng(options.seed);
  // Car i goes to param(9 i / cars); names sort in index order, so the loader's numbering of
  // the folders equals i and the published test indices select the same cars.
  for (int64_t i = 0; i < options.cars; ++i) {
    const int64_t param = i * kShapenetParamFolders / options.cars;
    write_car(root + "/param" + std::to_string(param) + "/" + detail::numbered("car", i),
              random_car(rng), options.points);
  }
  for (int64_t param = 0; param < kShapenetParamFolders; ++param)
    detail::make_directories(root + "/param" + std::to_string(param));
}

}  // namespace erwin::datasets
