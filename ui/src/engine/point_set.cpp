#include "erwin/ui/engine/point_set.h"

#include <vtkCellArray.h>
#include <vtkFloatArray.h>
#include <vtkPoints.h>

#include <cstring>
#include <stdexcept>
#include <string>

namespace erwin::ui {

int64_t PointSet::cloud_count() const {
  return file_batch_idx.defined() ? file_batch_idx[-1].item<int64_t>() + 1 : 1;
}

PointSet select_cloud(const PointSet& set, int64_t cloud) {
  if (!set.file_batch_idx.defined() || cloud < 0 || cloud >= set.cloud_count())
    throw std::out_of_range(set.file_name + ": no cloud " + std::to_string(cloud));
  PointSet shown = set;
  shown.pos = set.file_pos.index({set.file_batch_idx == cloud}).contiguous();
  shown.surface = nullptr;  // mesh cells index the whole file's points
  shown.cloud = cloud;
  shown.name = set.file_name + " (cloud " + std::to_string(cloud + 1) + " of " +
               std::to_string(set.cloud_count()) + ")";
  return shown;
}

PointSet make_point_set(std::string name, torch::Tensor pos, vtkSmartPointer<vtkPolyData> surface) {
  PointSet set;
  set.name = std::move(name);
  set.pos = std::move(pos);
  set.surface = std::move(surface);
  return set;
}

PointSet select_frame(const PointSet& set, int64_t frame) {
  if (!set.frame_pos.defined() || frame < 0 || frame >= set.frame_count())
    throw std::out_of_range(set.file_name + ": no frame " + std::to_string(frame));
  PointSet shown = set;
  shown.pos = set.frame_pos[frame].contiguous();
  shown.fields.clear();
  for (const PointField& field : set.frame_fields)
    shown.fields.push_back({field.name, field.values[frame].contiguous()});
  if (set.frame_triangles.defined()) shown.surface = triangles_of(set.frame_triangles[frame]);
  shown.frame = frame;
  shown.name = set.series_name + ", " + set.frame_word + " " + std::to_string(frame + 1) + " of " +
               std::to_string(set.frame_count());
  return shown;
}

namespace {

// Component names: x, y, z for 2 or 3 components, else their indices.
std::string component_name(int64_t component, int64_t count) {
  return count <= 3 ? std::string(1, "xyz"[component]) : std::to_string(component);
}

}  // namespace

std::vector<std::string> colourable_fields(const PointSet& set) {
  std::vector<std::string> names;
  for (const PointField& field : set.fields) {
    names.push_back(field.name);
    if (field.values.dim() < 2) continue;
    const int64_t count = field.values.size(1);
    for (int64_t c = 0; c < count; ++c)
      names.push_back(field.name + ":" + component_name(c, count));
  }
  return names;
}

torch::Tensor field_values(const PointSet& set, const std::string& name) {
  for (const PointField& field : set.fields) {
    const torch::Tensor values = field.values.to(torch::kFloat32);
    if (name == field.name) return (values.dim() < 2 ? values : values.norm(2, 1)).contiguous();
    if (values.dim() < 2 || name.rfind(field.name + ":", 0) != 0) continue;
    const int64_t count = values.size(1);
    for (int64_t c = 0; c < count; ++c)
      if (name == field.name + ":" + component_name(c, count))
        return values.select(1, c).contiguous();
  }
  throw std::invalid_argument(set.name + " has no field '" + name + "'");
}

vtkSmartPointer<vtkPolyData> triangles_of(const torch::Tensor& faces) {
  const torch::Tensor ids = faces.to(torch::kInt64).contiguous();
  const int64_t* index = ids.data_ptr<int64_t>();
  auto polys = vtkSmartPointer<vtkCellArray>::New();
  polys->AllocateExact(ids.size(0), ids.numel());
  for (int64_t f = 0; f < ids.size(0); ++f) {
    const vtkIdType cell[3] = {index[3 * f], index[3 * f + 1], index[3 * f + 2]};
    polys->InsertNextCell(3, cell);
  }
  auto surface = vtkSmartPointer<vtkPolyData>::New();
  surface->SetPolys(polys);
  return surface;
}

vtkSmartPointer<vtkPoints> to_vtk_points(const torch::Tensor& pos) {
  const torch::Tensor xyz =
      pos.size(1) == 3 ? pos.contiguous()
                       : torch::cat({pos, torch::zeros({pos.size(0), 1}, pos.options())}, 1);
  auto array = vtkSmartPointer<vtkFloatArray>::New();
  array->SetNumberOfComponents(3);
  array->SetNumberOfTuples(xyz.size(0));
  std::memcpy(array->GetPointer(0), xyz.data_ptr<float>(), sizeof(float) * xyz.numel());
  auto points = vtkSmartPointer<vtkPoints>::New();
  points->SetData(array);
  return points;
}

}  // namespace erwin::ui
