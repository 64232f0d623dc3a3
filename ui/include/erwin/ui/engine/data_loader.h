#pragma once
// Reading what the studio can show: point clouds (.ply .xyz .csv .txt .npy .npz, erwin/point_io.h),
// meshes (.ply .obj .stl .vtk .vtp .vtu through VTK's readers; mesh vertices are the points), and
// the datasets' files (datasets/), each at its first frame: an EAGLE simulation's sim.npz with its
// mesh, a ShapeNet-Car mesh_points.th (or pressure.th), an MD trajectory's .h5 files with the
// bonds as lines. An HDF5 export of a model result (judged by content: erwin_export_version,
// result_import.h) gives its first frame's points (the rollout player shows the whole result);
// a ParaView collection (.pvd) gives its frames as clouds, one at a time with its own tree.
#include <vtkDataObject.h>
#include <vtkPointSet.h>
#include <vtkSmartPointer.h>

#include <string>
#include <vector>

#include "erwin/ui/engine/point_set.h"

namespace erwin::ui {

// The points of a VTK point set as float32 [N, 3]; FormatError naming `path` when there are none.
torch::Tensor positions_of(vtkPointSet* data, const std::string& path);

// One frame of a ParaView collection: its timestep, its file (resolved beside the .pvd) and data.
struct SeriesFrame {
  double time = 0;
  std::string file;
  vtkSmartPointer<vtkDataObject> data;
};

// The frames of a ParaView collection (.pvd) in its order, each read with VTK's XML readers;
// erwin::FormatError naming the .pvd, and the frame's file when a frame cannot be read.
std::vector<SeriesFrame> read_paraview_series(const std::string& path);

// Throws erwin::FormatError naming the file (unreadable, unknown extension, no points,
// non-finite coordinates, dimension other than 2 or 3).
PointSet load_point_set(const std::string& path);

// File-dialog filter patterns, e.g. "*.ply".
std::vector<std::string> supported_patterns();

}  // namespace erwin::ui
