#pragma once
// The Qt 6 host for VTK: a QOpenGLWidget that drives a vtkGenericOpenGLRenderWindow.
//
// Debian's QVTKOpenGLNativeWidget is built against Qt 5, so this bridge does what it does:
// VTK shares the widget's context (make-current / is-current callbacks), renders into its own
// framebuffers with the GL state cache reset around each paint, and its display framebuffer is
// then blitted into the widget's defaultFramebufferObject(). VTK never blits to framebuffer 0
// (which does not exist behind a QOpenGLWidget: that is what rendered black). The interactor
// never renders by itself; it asks the widget for a repaint.
#include <vtkSmartPointer.h>

#include <QImage>
#include <QOpenGLWidget>

class vtkGenericOpenGLRenderWindow;
class vtkGenericRenderWindowInteractor;
class vtkRenderer;

namespace erwin::ui {

class ViewportOverlay;

class VtkViewport : public QOpenGLWidget {
  Q_OBJECT
 public:
  explicit VtkViewport(QWidget* parent = nullptr);
  ~VtkViewport() override;

  // OpenGL 3.2 core with depth and alpha: what VTK 9.1 needs.
  static QSurfaceFormat default_format();

  vtkRenderer* renderer() const;
  vtkGenericOpenGLRenderWindow* render_window() const;
  vtkGenericRenderWindowInteractor* interactor() const;

  // Not owned; drawn after VTK's frame and offered every event first.
  void set_overlay(ViewportOverlay* overlay);

  // Renders the scene (and the overlay when asked) at `pixels` into an image, off screen.
  // Needs the widget to have been shown once (its context exists).
  QImage render_image(const QSize& pixels, bool with_overlay = false);
  // Lays the overlay out at the widget's size, so that the next paint (a grab of the window)
  // draws its windows at their full size rather than as ImGui's first-frame measurement.
  void settle_overlay();

  // glGetError() seen after the last VTK render (GL_NO_ERROR = 0 when all went well).
  unsigned last_gl_error() const { return last_gl_error_; }

 Q_SIGNALS:
  // Emitted after each paint with the time spent in VTK's render plus the blit.
  void frame_painted(double milliseconds);

 protected:
  void initializeGL() override;
  void resizeGL(int width, int height) override;
  void paintGL() override;
  bool event(QEvent* event) override;

 private:
  void render_vtk_into(unsigned framebuffer, const QSize& pixels);
  void release_gl();
  void release_gl_before_context_loss();

  vtkSmartPointer<vtkGenericOpenGLRenderWindow> window_;
  vtkSmartPointer<vtkGenericRenderWindowInteractor> interactor_;
  vtkSmartPointer<vtkRenderer> renderer_;
  ViewportOverlay* overlay_ = nullptr;
  bool gl_ready_ = false;
  unsigned last_gl_error_ = 0;
};

}  // namespace erwin::ui
