#pragma once
// Dear ImGui drawn in the viewport's OpenGL context after VTK's frame (OpenGL3 backend), fed by
// the viewport's Qt events. Events stop here only while the pointer is over an ImGui window.
#include <QElapsedTimer>
#include <functional>

#include "erwin/ui/widgets/viewport_overlay.h"

struct ImGuiContext;

namespace erwin::ui {

class ImGuiOverlay : public ViewportOverlay {
 public:
  // `draw` issues the ImGui calls of one frame (between NewFrame and Render).
  explicit ImGuiOverlay(std::function<void()> draw);
  ~ImGuiOverlay() override;
  ImGuiOverlay(const ImGuiOverlay&) = delete;
  ImGuiOverlay& operator=(const ImGuiOverlay&) = delete;

  void initialize_gl() override;
  void paint_gl(const QSize& logical, double device_pixel_ratio) override;
  void settle(const QSize& logical) override;
  bool handle_event(QEvent* event) override;
  void release_gl() override;

 private:
  // Runs one ImGui frame at this size: its draw data is ready for rendering afterwards.
  void lay_out_frame(const QSize& logical, double device_pixel_ratio);

  ImGuiContext* context_ = nullptr;
  std::function<void()> draw_;
  QElapsedTimer clock_;
  bool backend_ready_ = false;
};

}  // namespace erwin::ui
