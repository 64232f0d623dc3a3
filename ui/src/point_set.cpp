#include "erwin/ui/point_set.h"

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
