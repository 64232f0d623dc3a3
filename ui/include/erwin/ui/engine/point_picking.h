#pragma once
// Which point is under the pointer.
#include <cstdint>

class vtkActor;
class vtkRenderer;

namespace erwin::ui {

// Index of the point of `actor` nearest the ray through display pixel (x, y) (VTK display
// coordinates, y up) within a few pixels, or -1.
int64_t pick_point(vtkRenderer* renderer, vtkActor* actor, int x, int y);

}  // namespace erwin::ui
