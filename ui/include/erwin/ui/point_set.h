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
  // A file of several clouds (a batch_idx) is shown one cloud at a time, each with its own tree
  // (SPEC §1: clouds are independent): all its points, their cloud ids and the one shown.
  torch::Tensor file_pos, file_batch_idx;  // undefined for a single cloud
  int64_t cloud = 0;
  std::string file_name;

  int64_t cloud_count() const;
};

// The set showing cloud `cloud` of a multi-cloud file (std::out_of_range when there is none).
PointSet select_cloud(const PointSet& set, int64_t cloud);

// Points as VTK wants them: float [N, 3] (2D positions get z = 0).
vtkSmartPointer<vtkPoints> to_vtk_points(const torch::Tensor& pos);

}  // namespace erwin::ui
