// VTK's GLEW must come before any other OpenGL header (Qt's included).
// clang-format off
#include <vtk_glew.h>
// clang-format on

#include "erwin/ui/widgets/vtk_viewport.h"

#include <vtkCallbackCommand.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkInteractorStyleTrackballCamera.h>
#include <vtkNew.h>
#include <vtkOpenGLState.h>
#include <vtkRenderer.h>

#include <QElapsedTimer>
#include <QEvent>
#include <QOpenGLContext>
#include <QOpenGLFramebufferObject>

#include "erwin/ui/widgets/viewport_overlay.h"
#include "erwin/ui/widgets/vtk_event_forwarding.h"

namespace erwin::ui {
namespace {

// VTK asks the host to make its context current ...
void on_make_current(vtkObject*, unsigned long, void* client, void*) {
  auto* widget = static_cast<VtkViewport*>(client);
  if (QOpenGLContext::currentContext() != widget->context()) widget->makeCurrent();
}

// ... and whether it is current (the answer goes into a bool*).
void on_is_current(vtkObject*, unsigned long, void* client, void* call_data) {
  auto* widget = static_cast<VtkViewport*>(client);
  *static_cast<bool*>(call_data) =
      widget->context() != nullptr && QOpenGLContext::currentContext() == widget->context();
}

// The interactor never renders itself (EnableRender is off): it asks for a repaint.
void on_render_request(vtkObject*, unsigned long, void* client, void*) {
  static_cast<VtkViewport*>(client)->update();
}

vtkSmartPointer<vtkCallbackCommand> callback(void (*function)(vtkObject*, unsigned long, void*,
                                                              void*),
                                             void* client) {
  auto command = vtkSmartPointer<vtkCallbackCommand>::New();
  command->SetCallback(function);
  command->SetClientData(client);
  return command;
}

}  // namespace

VtkViewport::VtkViewport(QWidget* parent)
    : QOpenGLWidget(parent),
      window_(vtkSmartPointer<vtkGenericOpenGLRenderWindow>::New()),
      interactor_(vtkSmartPointer<vtkGenericRenderWindowInteractor>::New()),
      renderer_(vtkSmartPointer<vtkRenderer>::New()) {
  setFormat(default_format());
  setFocusPolicy(Qt::StrongFocus);
  setMouseTracking(true);
  setMinimumSize(64, 64);

  window_->SetOwnContext(false);
  window_->SetReadyForRendering(false);  // until initializeGL
  window_->SetFrameBlitModeToNoBlit();   // paintGL blits into the widget's framebuffer
  window_->SetForceMaximumHardwareLineWidth(1);
  window_->SetMultiSamples(0);
  window_->AddRenderer(renderer_);
  window_->AddObserver(vtkCommand::WindowMakeCurrentEvent, callback(on_make_current, this));
  window_->AddObserver(vtkCommand::WindowIsCurrentEvent, callback(on_is_current, this));

  interactor_->SetRenderWindow(window_);
  interactor_->EnableRenderOff();
  interactor_->AddObserver(vtkCommand::RenderEvent, callback(on_render_request, this));
  vtkNew<vtkInteractorStyleTrackballCamera> style;
  interactor_->SetInteractorStyle(style);
}

VtkViewport::~VtkViewport() {
  if (gl_ready_) {
    makeCurrent();
    release_gl();
    doneCurrent();
  }
}

QSurfaceFormat VtkViewport::default_format() {
  QSurfaceFormat format;
  format.setRenderableType(QSurfaceFormat::OpenGL);
  format.setVersion(3, 2);
  format.setProfile(QSurfaceFormat::CoreProfile);
  format.setSwapBehavior(QSurfaceFormat::DoubleBuffer);
  format.setRedBufferSize(8);
  format.setGreenBufferSize(8);
  format.setBlueBufferSize(8);
  format.setAlphaBufferSize(8);
  format.setDepthBufferSize(24);
  format.setStencilBufferSize(8);
  format.setSamples(0);
  return format;
}

vtkRenderer* VtkViewport::renderer() const { return renderer_; }
vtkGenericOpenGLRenderWindow* VtkViewport::render_window() const { return window_; }
vtkGenericRenderWindowInteractor* VtkViewport::interactor() const { return interactor_; }

void VtkViewport::set_overlay(ViewportOverlay* overlay) {
  overlay_ = overlay;
  if (overlay_ && gl_ready_) {
    makeCurrent();
    overlay_->initialize_gl();
  }
  update();
}

void VtkViewport::initializeGL() {
  // The context may be re-created when the widget is re-parented: release and start over.
  if (gl_ready_) release_gl();
  // A member function (not a lambda): Qt can only keep connections unique for those.
  connect(context(), &QOpenGLContext::aboutToBeDestroyed, this,
          &VtkViewport::release_gl_before_context_loss, Qt::UniqueConnection);
  window_->SetReadyForRendering(true);
  window_->InitializeFromCurrentContext();
  const QSize pixels = size() * devicePixelRatioF();
  window_->SetSize(pixels.width(), pixels.height());
  interactor_->Initialize();
  interactor_->UpdateSize(pixels.width(), pixels.height());
  if (overlay_) overlay_->initialize_gl();
  gl_ready_ = true;
}

void VtkViewport::release_gl_before_context_loss() {
  makeCurrent();
  release_gl();
}

void VtkViewport::release_gl() {
  if (!gl_ready_) return;
  if (overlay_) overlay_->release_gl();
  window_->ReleaseGraphicsResources(window_);
  window_->SetReadyForRendering(false);
  gl_ready_ = false;
}

void VtkViewport::resizeGL(int width, int height) {
  const double dpr = devicePixelRatioF();
  const int w = static_cast<int>(width * dpr + 0.5), h = static_cast<int>(height * dpr + 0.5);
  window_->SetSize(w, h);
  interactor_->UpdateSize(w, h);
}

void VtkViewport::render_vtk_into(unsigned framebuffer, const QSize& pixels) {
  vtkOpenGLState* state = window_->GetState();
  // Qt (and the overlay) changed GL state behind VTK's cache: re-read it, and put it back after.
  state->Reset();
  state->Push();
  state->vtkglDepthFunc(GL_LEQUAL);  // Qt leaves GL_LESS; VTK expects GL_LEQUAL
  window_->Render();
  state->Pop();
  last_gl_error_ = glGetError();

  // VTK drew into its own display framebuffer; copy it into the target.
  state->PushFramebufferBindings();
  state->vtkglBindFramebuffer(GL_DRAW_FRAMEBUFFER, framebuffer);
  state->vtkglDrawBuffer(GL_COLOR_ATTACHMENT0);
  window_->BlitDisplayFramebuffer(0, 0, 0, pixels.width(), pixels.height(), 0, 0, pixels.width(),
                                  pixels.height(), GL_COLOR_BUFFER_BIT, GL_NEAREST);
  state->PopFramebufferBindings();
  glBindFramebuffer(GL_FRAMEBUFFER, framebuffer);
}

void VtkViewport::paintGL() {
  QElapsedTimer timer;
  timer.start();
  const QSize pixels = size() * devicePixelRatioF();
  int* vtk_size = window_->GetSize();
  if (vtk_size[0] != pixels.width() || vtk_size[1] != pixels.height())
    window_->SetSize(pixels.width(), pixels.height());
  render_vtk_into(defaultFramebufferObject(), pixels);
  if (overlay_) overlay_->paint_gl(size(), devicePixelRatioF());
  Q_EMIT frame_painted(timer.nsecsElapsed() / 1e6);
}

QImage VtkViewport::render_image(const QSize& pixels, bool with_overlay) {
  if (!gl_ready_ || pixels.isEmpty()) return {};
  makeCurrent();
  QOpenGLFramebufferObject target(pixels, QOpenGLFramebufferObject::CombinedDepthStencil);
  int* old = window_->GetSize();
  const int old_width = old[0], old_height = old[1];
  window_->SetSize(pixels.width(), pixels.height());
  render_vtk_into(target.handle(), pixels);
  if (with_overlay && overlay_) {
    overlay_->settle(pixels);
    overlay_->paint_gl(pixels, 1.0);
  }
  QImage image = target.toImage();
  window_->SetSize(old_width, old_height);
  doneCurrent();
  return image;
}

void VtkViewport::settle_overlay() {
  if (!gl_ready_ || !overlay_) return;
  makeCurrent();
  overlay_->settle(size());
  doneCurrent();
}

bool VtkViewport::event(QEvent* event) {
  if (overlay_ && overlay_->handle_event(event)) {
    update();
    return true;
  }
  if (forward_to_vtk(event, interactor_, devicePixelRatioF())) {
    event->accept();
    update();
    return true;
  }
  return QOpenGLWidget::event(event);
}

}  // namespace erwin::ui
