#pragma once
// Reading what the studio can show: point clouds (.ply .xyz .csv .txt .npy .npz, erwin/point_io.h)
// and meshes (.ply .obj .stl .vtk .vtp .vtu through VTK's readers; mesh vertices are the points).
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
