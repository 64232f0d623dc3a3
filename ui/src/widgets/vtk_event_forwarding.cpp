#include "erwin/ui/widgets/vtk_event_forwarding.h"

#include <vtkCommand.h>
#include <vtkRenderWindowInteractor.h>

#include <QKeyEvent>
#include <QMouseEvent>
#include <QWheelEvent>

namespace erwin::ui {
namespace {

unsigned long button_event(Qt::MouseButton button, bool press) {
  switch (button) {
    case Qt::LeftButton:
      return press ? vtkCommand::LeftButtonPressEvent : vtkCommand::LeftButtonReleaseEvent;
    case Qt::MiddleButton:
      return press ? vtkCommand::MiddleButtonPressEvent : vtkCommand::MiddleButtonReleaseEvent;
    case Qt::RightButton:
      return press ? vtkCommand::RightButtonPressEvent : vtkCommand::RightButtonReleaseEvent;
    default:
      return vtkCommand::NoEvent;
  }
}

void set_position(vtkRenderWindowInteractor* interactor, const QPointF& position,
                  Qt::KeyboardModifiers modifiers, double dpr, int repeat = 0) {
  interactor->SetEventInformationFlipY(static_cast<int>(position.x() * dpr + 0.5),
                                       static_cast<int>(position.y() * dpr + 0.5),
                                       (modifiers & Qt::ControlModifier) ? 1 : 0,
                                       (modifiers & Qt::ShiftModifier) ? 1 : 0, 0, repeat);
  interactor->SetAltKey((modifiers & Qt::AltModifier) ? 1 : 0);
}

bool forward_mouse(QMouseEvent* event, vtkRenderWindowInteractor* interactor, double dpr) {
  set_position(interactor, event->position(), event->modifiers(), dpr,
               event->type() == QEvent::MouseButtonDblClick ? 1 : 0);
  switch (event->type()) {
    case QEvent::MouseMove:
      interactor->InvokeEvent(vtkCommand::MouseMoveEvent);
      return true;
    case QEvent::MouseButtonPress:
    case QEvent::MouseButtonDblClick:
    case QEvent::MouseButtonRelease: {
      const bool press = event->type() != QEvent::MouseButtonRelease;
      const unsigned long id = button_event(event->button(), press);
      if (id == vtkCommand::NoEvent) return false;
      interactor->InvokeEvent(id);
      return true;
    }
    default:
      return false;
  }
}

bool forward_wheel(QWheelEvent* event, vtkRenderWindowInteractor* interactor, double dpr) {
  set_position(interactor, event->position(), event->modifiers(), dpr);
  const int delta = event->angleDelta().y();
  if (delta == 0) return false;
  interactor->InvokeEvent(delta > 0 ? vtkCommand::MouseWheelForwardEvent
                                    : vtkCommand::MouseWheelBackwardEvent);
  return true;
}

bool forward_key(QKeyEvent* event, vtkRenderWindowInteractor* interactor) {
  const QByteArray text = event->text().toLatin1();
  const char key = text.isEmpty() ? 0 : text[0];
  const int* position = interactor->GetEventPosition();
  interactor->SetEventInformation(
      position[0], position[1], (event->modifiers() & Qt::ControlModifier) ? 1 : 0,
      (event->modifiers() & Qt::ShiftModifier) ? 1 : 0, key, event->isAutoRepeat() ? 1 : 0,
      text.isEmpty() ? nullptr : text.constData());
  const bool press = event->type() == QEvent::KeyPress;
  interactor->InvokeEvent(press ? vtkCommand::KeyPressEvent : vtkCommand::KeyReleaseEvent);
  if (press && key != 0) interactor->InvokeEvent(vtkCommand::CharEvent);
  return true;
}

}  // namespace

bool forward_to_vtk(QEvent* event, vtkRenderWindowInteractor* interactor,
                    double device_pixel_ratio) {
  switch (event->type()) {
    case QEvent::MouseMove:
    case QEvent::MouseButtonPress:
    case QEvent::MouseButtonRelease:
    case QEvent::MouseButtonDblClick:
      return forward_mouse(static_cast<QMouseEvent*>(event), interactor, device_pixel_ratio);
    case QEvent::Wheel:
      return forward_wheel(static_cast<QWheelEvent*>(event), interactor, device_pixel_ratio);
    case QEvent::KeyPress:
    case QEvent::KeyRelease:
      return forward_key(static_cast<QKeyEvent*>(event), interactor);
    case QEvent::Enter:
      interactor->InvokeEvent(vtkCommand::EnterEvent);
      return true;
    case QEvent::Leave:
      interactor->InvokeEvent(vtkCommand::LeaveEvent);
      return true;
    default:
      return false;
  }
}

}  // namespace erwin::ui
