#include "erwin/ui/widgets/imgui_overlay.h"

#include <backends/imgui_impl_opengl3.h>
#include <imgui.h>

#include <QKeyEvent>
#include <QMouseEvent>
#include <QSize>
#include <QWheelEvent>

namespace erwin::ui {
namespace {

// ImGui 1.86 indexes io.KeysDown by small integers: our own codes for the keys it needs.
constexpr int kKeyCount = 21;
const Qt::Key kQtKeys[kKeyCount] = {
    Qt::Key_Tab,    Qt::Key_Left,      Qt::Key_Right, Qt::Key_Up,     Qt::Key_Down,
    Qt::Key_PageUp, Qt::Key_PageDown,  Qt::Key_Home,  Qt::Key_End,    Qt::Key_Insert,
    Qt::Key_Delete, Qt::Key_Backspace, Qt::Key_Space, Qt::Key_Return, Qt::Key_Escape,
    Qt::Key_A,      Qt::Key_C,         Qt::Key_V,     Qt::Key_X,      Qt::Key_Y,
    Qt::Key_Z};
const ImGuiKey_ kImGuiKeys[kKeyCount] = {
    ImGuiKey_Tab,    ImGuiKey_LeftArrow, ImGuiKey_RightArrow, ImGuiKey_UpArrow, ImGuiKey_DownArrow,
    ImGuiKey_PageUp, ImGuiKey_PageDown,  ImGuiKey_Home,       ImGuiKey_End,     ImGuiKey_Insert,
    ImGuiKey_Delete, ImGuiKey_Backspace, ImGuiKey_Space,      ImGuiKey_Enter,   ImGuiKey_Escape,
    ImGuiKey_A,      ImGuiKey_C,         ImGuiKey_V,          ImGuiKey_X,       ImGuiKey_Y,
    ImGuiKey_Z};

int key_code(int qt_key) {
  for (int i = 0; i < kKeyCount; ++i)
    if (kQtKeys[i] == qt_key) return i;
  return -1;
}

int mouse_button(Qt::MouseButton button) {
  switch (button) {
    case Qt::LeftButton:
      return 0;
    case Qt::RightButton:
      return 1;
    case Qt::MiddleButton:
      return 2;
    default:
      return -1;
  }
}

void set_modifiers(ImGuiIO& io, Qt::KeyboardModifiers modifiers) {
  io.KeyCtrl = modifiers & Qt::ControlModifier;
  io.KeyShift = modifiers & Qt::ShiftModifier;
  io.KeyAlt = modifiers & Qt::AltModifier;
  io.KeySuper = modifiers & Qt::MetaModifier;
}

bool handle_mouse(ImGuiIO& io, QMouseEvent* event) {
  io.MousePos =
      ImVec2(static_cast<float>(event->position().x()), static_cast<float>(event->position().y()));
  set_modifiers(io, event->modifiers());
  const int button = mouse_button(event->button());
  if (button >= 0 && event->type() != QEvent::MouseMove)
    io.MouseDown[button] = event->type() != QEvent::MouseButtonRelease;
  // A release always reaches VTK as well, so that its interaction state ends.
  return io.WantCaptureMouse && event->type() != QEvent::MouseButtonRelease;
}

bool handle_key(ImGuiIO& io, QKeyEvent* event) {
  set_modifiers(io, event->modifiers());
  const bool down = event->type() == QEvent::KeyPress;
  const int code = key_code(event->key());
  if (code >= 0) io.KeysDown[code] = down;
  if (down && io.WantTextInput)
    for (const QChar c : event->text())
      if (c.isPrint()) io.AddInputCharacter(c.unicode());
  return io.WantCaptureKeyboard;
}

}  // namespace

ImGuiOverlay::ImGuiOverlay(std::function<void()> draw) : draw_(std::move(draw)) {
  ImGuiContext* previous = ImGui::GetCurrentContext();
  context_ = ImGui::CreateContext();
  ImGuiIO& io = ImGui::GetIO();
  io.IniFilename = nullptr;  // no imgui.ini in the working directory
  for (int i = 0; i < kKeyCount; ++i) io.KeyMap[kImGuiKeys[i]] = i;
  ImGui::StyleColorsDark();
  ImGui::GetStyle().Alpha = 0.92f;
  ImGui::SetCurrentContext(previous ? previous : context_);
  clock_.start();
}

ImGuiOverlay::~ImGuiOverlay() { ImGui::DestroyContext(context_); }

void ImGuiOverlay::initialize_gl() {
  ImGui::SetCurrentContext(context_);
  if (!backend_ready_) backend_ready_ = ImGui_ImplOpenGL3_Init("#version 150");
}

void ImGuiOverlay::release_gl() {
  if (!backend_ready_) return;
  ImGui::SetCurrentContext(context_);
  ImGui_ImplOpenGL3_Shutdown();
  backend_ready_ = false;
}

void ImGuiOverlay::paint_gl(const QSize& logical, double device_pixel_ratio) {
  if (!backend_ready_) return;
  lay_out_frame(logical, device_pixel_ratio);
  ImGui_ImplOpenGL3_RenderDrawData(ImGui::GetDrawData());
}

void ImGuiOverlay::settle(const QSize& logical) {
  if (!backend_ready_) return;
  // A window that fits its content is measured in its first frame and drawn from its second.
  for (int frame = 0; frame < 2; ++frame) lay_out_frame(logical, 1.0);
}

void ImGuiOverlay::lay_out_frame(const QSize& logical, double device_pixel_ratio) {
  ImGui::SetCurrentContext(context_);
  ImGuiIO& io = ImGui::GetIO();
  io.DisplaySize =
      ImVec2(static_cast<float>(logical.width()), static_cast<float>(logical.height()));
  io.DisplayFramebufferScale =
      ImVec2(static_cast<float>(device_pixel_ratio), static_cast<float>(device_pixel_ratio));
  io.DeltaTime = std::max(1e-4f, static_cast<float>(clock_.restart() / 1000.0));
  ImGui_ImplOpenGL3_NewFrame();
  ImGui::NewFrame();
  if (draw_) draw_();
  ImGui::Render();
}

bool ImGuiOverlay::handle_event(QEvent* event) {
  ImGui::SetCurrentContext(context_);
  ImGuiIO& io = ImGui::GetIO();
  switch (event->type()) {
    case QEvent::MouseMove:
    case QEvent::MouseButtonPress:
    case QEvent::MouseButtonRelease:
    case QEvent::MouseButtonDblClick:
      return handle_mouse(io, static_cast<QMouseEvent*>(event));
    case QEvent::Wheel: {
      auto* wheel = static_cast<QWheelEvent*>(event);
      io.MousePos = ImVec2(static_cast<float>(wheel->position().x()),
                           static_cast<float>(wheel->position().y()));
      if (!io.WantCaptureMouse) return false;
      io.MouseWheel += wheel->angleDelta().y() / 120.0f;
      io.MouseWheelH += wheel->angleDelta().x() / 120.0f;
      return true;
    }
    case QEvent::KeyPress:
    case QEvent::KeyRelease:
      return handle_key(io, static_cast<QKeyEvent*>(event));
    case QEvent::Leave:
      io.MousePos = ImVec2(-FLT_MAX, -FLT_MAX);
      return false;
    default:
      return false;
  }
}

}  // namespace erwin::ui
