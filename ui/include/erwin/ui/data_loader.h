#pragma once
// Reading what the studio can show: point clouds (.ply .xyz .csv .txt .npy .npz, erwin/point_io.h),
// meshes (.ply .obj .stl .vtk .vtp .vtu through VTK's readers; mesh vertices are the points), and
// the datasets' files (datasets/), each at its first frame: an EAGLE simulation's sim.npz with its
// mesh, a ShapeNet-Car mesh_points.th (or pressure.th), an MD trajectory's .h5 files with the
// bonds as lines.
#include <string>
#include <vector>

#include "erwin/ui/point_set.h"

namespace erwin::ui {

// Throws erwin::FormatError naming the file (unreadable, unknown extension, no points,
// non-finite coordinates, dimension other than 2 or 3).
PointSet load_point_set(const std::string& path);

// File-dialog filter patterns, e.g. "*.ply".
std::vector<std::string> supported_patterns();

}  // namespace erwin::ui
