#pragma once
// Built-in data, so that the first launch already shows a tree.
#include <cstdint>

#include "erwin/ui/engine/point_set.h"

namespace erwin::ui {

// A trefoil-knot tube sampled with `count` points (3D), deterministic.
PointSet demo_knot(int64_t count = 50000);

// A 2D triangle mesh of the flow domain around a cylinder (annulus between two circles),
// graded towards the cylinder as in CFD meshes; mesh vertices are the points.
PointSet demo_mesh_2d(int64_t rings = 60, int64_t sectors = 160);

}  // namespace erwin::ui
