#pragma once
// What the studio shows: a point cloud, optionally with the cells of a mesh over its points.
#include <torch/torch.h>
#include <vtkPolyData.h>
#include <vtkSmartPointer.h>

#include <string>
#include <vector>

namespace erwin::ui {

// A per-point quantity of the data: float [N] (a scalar) or [N, k] (k components), in a time
// series [T, N] or [T, N, k] (PointSet::frame_fields).
struct PointField {
  std::string name;
  torch::Tensor values;
};

struct PointSet {
  std::string name;                      // shown in the title bar and the overlay
  torch::Tensor pos;                     // float32 [N, d], d = 2 or 3, CPU, contiguous
  vtkSmartPointer<vtkPolyData> surface;  // mesh cells over the same points, or null
  // A file of several clouds (a batch_idx) is shown one cloud at a time, each with its own tree
  // (SPEC §1: clouds are independent): all its points, their cloud ids and the one shown.
  torch::Tensor file_pos, file_batch_idx;  // undefined for a single cloud
  int64_t cloud = 0;
  std::string file_name;
  std::vector<PointField>
      fields;  // per-point values of the shown points (VTK arrays, pressure, ...)

  // A time series (EAGLE steps, MD frames, a .pvd's files of equal point counts) is shown one
  // frame at a time, each with its own tree: every frame's positions [T, N, d], fields, and mesh
  // triangles [T, F, 3] when the mesh is given per frame (else `surface` serves every frame).
  torch::Tensor frame_pos, frame_triangles;
  std::vector<PointField> frame_fields;
  int64_t frame = 0;
  std::string series_name, frame_word = "frame";  // "EAGLE cylinder_1", "step"

  int64_t cloud_count() const;
  int64_t frame_count() const { return frame_pos.defined() ? frame_pos.size(0) : 1; }
};

// A set of one cloud: its name, positions and optional mesh cells.
PointSet make_point_set(std::string name, torch::Tensor pos,
                        vtkSmartPointer<vtkPolyData> surface = nullptr);

// The set showing cloud `cloud` of a multi-cloud file (std::out_of_range when there is none).
PointSet select_cloud(const PointSet& set, int64_t cloud);
// The set showing frame `frame` of a time series (std::out_of_range when there is none).
PointSet select_frame(const PointSet& set, int64_t frame);

// What the points can be coloured by: each scalar field by its name, each vector field by its name
// (the magnitude) and by its components (name:x, name:y, name:z or name:0, name:1, ...).
std::vector<std::string> colourable_fields(const PointSet& set);
// The values of a name colourable_fields gives, float [N]; std::invalid_argument for another name.
torch::Tensor field_values(const PointSet& set, const std::string& name);

// Cells of triangles ([F, 3] vertex indices) as VTK polygons.
vtkSmartPointer<vtkPolyData> triangles_of(const torch::Tensor& faces);

// Points as VTK wants them: float [N, 3] (2D positions get z = 0).
vtkSmartPointer<vtkPoints> to_vtk_points(const torch::Tensor& pos);

}  // namespace erwin::ui
