#pragma once
// Something drawn in the viewport's OpenGL context after VTK's frame (the ImGui overlay), fed by
// the viewport's Qt events before VTK sees them.
class QEvent;
class QSize;

namespace erwin::ui {

class ViewportOverlay {
 public:
  virtual ~ViewportOverlay() = default;
  // Called once with the viewport's context current.
  virtual void initialize_gl() = 0;
  // Draws into the currently bound framebuffer; `logical` is the widget size in Qt units.
  virtual void paint_gl(const QSize& logical, double device_pixel_ratio) = 0;
  // Lays out frames without drawing them, so that the next paint_gl is complete: an image rendered
  // offscreen gets one paint, and windows that size themselves to their content need a frame.
  virtual void settle(const QSize& logical) = 0;
  // True when the overlay consumes the event (the pointer is over one of its windows).
  virtual bool handle_event(QEvent* event) = 0;
  // Called with the context current before it goes away.
  virtual void release_gl() = 0;
};

}  // namespace erwin::ui
