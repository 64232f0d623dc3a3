// The Qt 6 <-> VTK bridge renders a known scene into the widget (not black), off screen at a
// chosen size, without leaving a GL error, and Qt input reaches VTK's interactor. No test may
// print a QObject::connect warning (the context-destroyed hook once printed one at every start).
#include <vtkActor.h>
#include <vtkCamera.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkPlaneSource.h>
#include <vtkPolyDataMapper.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>

#include <QRegularExpression>
#include <QTest>
#include <QWheelEvent>

#include "erwin/ui/widgets/vtk_viewport.h"
#include "test_support.h"

namespace {

bool near_colour(QRgb pixel, int r, int g, int b) {
  return std::abs(qRed(pixel) - r) <= 8 && std::abs(qGreen(pixel) - g) <= 8 &&
         std::abs(qBlue(pixel) - b) <= 8;
}

QString describe(QRgb pixel) {
  return QString("(%1, %2, %3)").arg(qRed(pixel)).arg(qGreen(pixel)).arg(qBlue(pixel));
}

// Red background, a flat unlit green square filling the middle half of the view.
void build_scene(erwin::ui::VtkViewport& viewport) {
  vtkRenderer* renderer = viewport.renderer();
  renderer->SetBackground(1.0, 0.0, 0.0);
  vtkNew<vtkPlaneSource> plane;
  vtkNew<vtkPolyDataMapper> mapper;
  mapper->SetInputConnection(plane->GetOutputPort());
  vtkNew<vtkActor> actor;
  actor->SetMapper(mapper);
  actor->GetProperty()->SetColor(0.0, 1.0, 0.0);
  actor->GetProperty()->SetLighting(false);
  renderer->AddActor(actor);
  vtkCamera* camera = renderer->GetActiveCamera();
  camera->ParallelProjectionOn();
  camera->SetPosition(0, 0, 5);
  camera->SetFocalPoint(0, 0, 0);
  camera->SetViewUp(0, 1, 0);
  camera->SetParallelScale(1.0);  // the unit square spans half the view height
  renderer->ResetCameraClippingRange();
}

}  // namespace

class TestVtkViewport : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void init() { QTest::failOnWarning(QRegularExpression("^QObject::connect")); }

  void widget_shows_vtk_pixels() {
    erwin::ui::VtkViewport viewport;
    build_scene(viewport);
    viewport.resize(320, 240);
    viewport.show();
    QVERIFY(QTest::qWaitForWindowExposed(&viewport));
    const QImage image = viewport.grabFramebuffer();
    QVERIFY(!image.isNull());
    const QRgb centre = image.pixel(image.width() / 2, image.height() / 2);
    const QRgb corner = image.pixel(3, 3);
    QVERIFY2(near_colour(centre, 0, 255, 0), qPrintable("centre " + describe(centre)));
    QVERIFY2(near_colour(corner, 255, 0, 0), qPrintable("corner " + describe(corner)));
    QCOMPARE(viewport.last_gl_error(), 0u);
  }

  void renders_off_screen_at_a_chosen_size() {
    erwin::ui::VtkViewport viewport;
    build_scene(viewport);
    viewport.resize(200, 200);
    viewport.show();
    QVERIFY(QTest::qWaitForWindowExposed(&viewport));
    const QImage image = viewport.render_image(QSize(400, 300));
    QCOMPARE(image.size(), QSize(400, 300));
    // The square spans y in [-0.5, 0.5] of a view 2 units high: rows 75..225 of 300.
    QVERIFY(near_colour(image.pixel(200, 150), 0, 255, 0));
    QVERIFY(near_colour(image.pixel(200, 40), 255, 0, 0));
    QVERIFY(near_colour(image.pixel(200, 260), 255, 0, 0));
    QCOMPARE(viewport.last_gl_error(), 0u);
    // The widget keeps rendering at its own size afterwards.
    const QImage widget_image = viewport.grabFramebuffer();
    QVERIFY(near_colour(widget_image.pixel(100, 100), 0, 255, 0));
    QVERIFY(near_colour(widget_image.pixel(100, 10), 255, 0, 0));
  }

  void wheel_events_reach_vtk() {
    erwin::ui::VtkViewport viewport;
    build_scene(viewport);
    viewport.renderer()->GetActiveCamera()->ParallelProjectionOff();
    viewport.resize(200, 200);
    viewport.show();
    QVERIFY(QTest::qWaitForWindowExposed(&viewport));
    const double before = viewport.renderer()->GetActiveCamera()->GetDistance();
    const QPointF at(100, 100);
    QWheelEvent wheel(at, viewport.mapToGlobal(at), QPoint(), QPoint(0, 120), Qt::NoButton,
                      Qt::NoModifier, Qt::NoScrollPhase, false);
    QCoreApplication::sendEvent(&viewport, &wheel);
    const double after = viewport.renderer()->GetActiveCamera()->GetDistance();
    QVERIFY2(after < before, qPrintable(QString("%1 -> %2").arg(before).arg(after)));
  }
};

QTEST_MAIN(TestVtkViewport)
#include "tst_vtk_viewport.moc"
