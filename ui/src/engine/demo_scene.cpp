#include "erwin/ui/engine/demo_scene.h"

#include <vtkCellArray.h>
#include <vtkPolyData.h>

#include <cmath>

namespace erwin::ui {
namespace {
constexpr double kPi = 3.14159265358979323846;
}

PointSet demo_knot(int64_t count) {
  torch::manual_seed(7);
  const torch::Tensor t = torch::rand({count}, torch::kFloat64) * 2 * kPi;
  const torch::Tensor phi = torch::rand({count}, torch::kFloat64) * 2 * kPi;
  // Trefoil centre line and a tube of radius 0.35 around it (approximate normal frame).
  const torch::Tensor cx = torch::sin(t) + 2 * torch::sin(2 * t);
  const torch::Tensor cy = torch::cos(t) - 2 * torch::cos(2 * t);
  const torch::Tensor cz = -torch::sin(3 * t);
  const torch::Tensor tx = torch::cos(t) + 4 * torch::cos(2 * t);
  const torch::Tensor ty = -torch::sin(t) + 4 * torch::sin(2 * t);
  const torch::Tensor tz = -3 * torch::cos(3 * t);
  const torch::Tensor tangent = torch::stack({tx, ty, tz}, 1);
  const torch::Tensor unit_t = tangent / tangent.norm(2, 1, true);
  const torch::Tensor up = torch::tensor({0.0, 0.0, 1.0}, torch::kFloat64).expand({count, 3});
  torch::Tensor normal = torch::cross(unit_t, up, 1);
  normal = normal / normal.norm(2, 1, true).clamp_min(1e-9);
  const torch::Tensor binormal = torch::cross(unit_t, normal, 1);
  const torch::Tensor radius = 0.35 * (0.85 + 0.15 * torch::rand({count, 1}, torch::kFloat64));
  const torch::Tensor centre = torch::stack({cx, cy, cz}, 1);
  const torch::Tensor pos = centre + radius * (torch::cos(phi).unsqueeze(1) * normal +
                                               torch::sin(phi).unsqueeze(1) * binormal);
  return make_point_set("demo: trefoil knot (3D, " + std::to_string(count) + " points)",
                        pos.to(torch::kFloat32).contiguous());
}

PointSet demo_mesh_2d(int64_t rings, int64_t sectors) {
  // Radii grow geometrically from the cylinder (r = 0.5) to the outer boundary (r = 4).
  std::vector<float> xy;
  xy.reserve(2 * rings * sectors);
  for (int64_t r = 0; r < rings; ++r) {
    const double radius = 0.5 * std::pow(8.0, static_cast<double>(r) / (rings - 1));
    for (int64_t s = 0; s < sectors; ++s) {
      const double angle = 2 * kPi * (s + 0.5 * (r % 2)) / sectors;
      xy.push_back(static_cast<float>(radius * std::cos(angle)));
      xy.push_back(static_cast<float>(radius * std::sin(angle)));
    }
  }
  auto triangles = vtkSmartPointer<vtkCellArray>::New();
  for (int64_t r = 0; r + 1 < rings; ++r) {
    for (int64_t s = 0; s < sectors; ++s) {
      const vtkIdType a = r * sectors + s, b = r * sectors + (s + 1) % sectors;
      const vtkIdType c = (r + 1) * sectors + s, d = (r + 1) * sectors + (s + 1) % sectors;
      const vtkIdType first[3] = {a, b, c}, second[3] = {b, d, c};
      triangles->InsertNextCell(3, first);
      triangles->InsertNextCell(3, second);
    }
  }
  auto surface = vtkSmartPointer<vtkPolyData>::New();
  surface->SetPolys(triangles);
  const int64_t count = rings * sectors;
  torch::Tensor pos = torch::from_blob(xy.data(), {count, 2}, torch::kFloat32).clone();
  return make_point_set("demo: 2D mesh around a cylinder (" + std::to_string(count) + " vertices)",
                        pos, surface);
}

}  // namespace erwin::ui
