#include "erwin/ui/engine/point_picking.h"

#include <vtkActor.h>
#include <vtkNew.h>
#include <vtkPointPicker.h>
#include <vtkRenderer.h>

namespace erwin::ui {

int64_t pick_point(vtkRenderer* renderer, vtkActor* actor, int x, int y) {
  if (!renderer || !actor || !renderer->IsInViewport(x, y)) return -1;
  vtkNew<vtkPointPicker> picker;
  picker->SetTolerance(0.004);  // fraction of the window diagonal
  picker->PickFromListOn();
  picker->AddPickList(actor);
  picker->UseCellsOff();
  if (!picker->Pick(x, y, 0.0, renderer)) return -1;
  return picker->GetPointId();
}

}  // namespace erwin::ui
