#pragma once
// What the studio shows: a point cloud, optionally with the cells of a mesh over its points.
#include <torch/torch.h>
#include <vtkPolyData.h>
#include <vtkSmartPointer.h>

#include <string>

namespace erwin::ui {

struct PointSet {
  std::string name;                      // shown in the title bar and the overlay
  torch::Tensor pos;                     // float32 [N, d], d = 2 or 3, CPU, contiguous
  vtkSmartPointer<vtkPolyData> surface;  // mesh cells over the same points, or null
};

// Points as VTK wants them: float [N, 3] (2D positions get z = 0).
vtkSmartPointer<vtkPoints> to_vtk_points(const torch::Tensor& pos);

}  // namespace erwin::ui
