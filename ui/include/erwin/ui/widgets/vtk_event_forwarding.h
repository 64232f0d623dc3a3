#pragma once
// Qt input events -> VTK interactor events (mouse buttons, motion, wheel, keys, enter/leave).
class QEvent;
class vtkRenderWindowInteractor;

namespace erwin::ui {

// Forwards `event` to `interactor` (positions scaled by device_pixel_ratio, y flipped).
// Returns false for event types VTK does not handle.
bool forward_to_vtk(QEvent* event, vtkRenderWindowInteractor* interactor,
                    double device_pixel_ratio);

}  // namespace erwin::ui
