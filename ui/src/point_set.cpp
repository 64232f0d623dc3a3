#include "erwin/ui/point_set.h"

#include <vtkFloatArray.h>
#include <vtkPoints.h>

#include <cstring>

namespace erwin::ui {

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
