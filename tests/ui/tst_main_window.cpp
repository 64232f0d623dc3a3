// The main window: the demo scene loads off the GUI thread, the level slider recolours the
// points, and a corrupt file gives an error dialog while the previous scene stays.
#include <vtkRenderer.h>

#include <QCheckBox>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSlider>
#include <QSpinBox>
#include <QTemporaryDir>
#include <QTest>
#include <fstream>

#include "erwin/npy.h"
#include "erwin/point_io.h"
#include "erwin/ui/engine/demo_scene.h"
#include "erwin/ui/engine/job_runner.h"
#include "erwin/ui/widgets/main_window.h"
#include "erwin/ui/widgets/receptive_field_panel.h"
#include "erwin/ui/widgets/vtk_viewport.h"
#include "image_support.h"
#include "test_support.h"

using erwin::test::colours_of;
using erwin::test::distinct_colours;
using erwin::ui::MainWindow;

namespace {

constexpr int kLoadTimeoutMs = 120000;

bool load(MainWindow& window, const QString& source) {
  QSignalSpy ready(&window, &MainWindow::scene_ready);
  window.open(source);
  return ready.wait(kLoadTimeoutMs);
}

bool show_and_load(MainWindow& window, const QString& source) {
  window.show();
  return QTest::qWaitForWindowExposed(&window) && load(window, source);
}

// Share of pixels that differ between two images of the same size.
double changed_fraction(const QImage& a, const QImage& b) {
  int64_t changed = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) changed += a.pixel(x, y) != b.pixel(x, y);
  return static_cast<double>(changed) / (a.width() * a.height());
}

}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void demo_scene_shows_a_tree() {
    MainWindow window;
    QVERIFY(show_and_load(window, erwin::ui::kDemoKnot));
    QCOMPARE(window.scene().points().pos.size(0), 50000);
    QVERIFY(window.scene().tree().max_level >= 10);
    QCOMPARE(window.tree_panel()->level_slider()->maximum(),
             static_cast<int>(window.scene().tree().max_level));
    const QImage image = window.screenshot(QSize(400, 300), false);
    QVERIFY(distinct_colours(image) > 20);
  }

  // New data opens at balls of 128 points (not level 0, one colour per point), and the level's
  // label names the ball size the tree has at that level.
  void opens_at_a_readable_level() {
    MainWindow window;
    QVERIFY(show_and_load(window, erwin::ui::kDemoKnot));
    const auto* label = window.tree_panel()->findChild<QLabel*>("levelLabel");
    QVERIFY(label);
    const auto slots_per_ball = [&](int level) {
      return window.scene().tree().tree.tree_idx.size(0) / window.scene().tree().ball_count(level);
    };
    QCOMPARE(window.scene().level(), 7);
    QCOMPARE(window.tree_panel()->level_slider()->value(), 7);
    QCOMPARE(slots_per_ball(7), 128);
    QCOMPARE(label->text(), QString::fromUtf8("level 7 \u00b7 balls of 128"));
    window.state().set_level(12);
    QCOMPARE(label->text(),
             QString::fromUtf8("level 12 \u00b7 balls of %1").arg(slots_per_ball(12)));
  }

  void level_slider_changes_colours() {
    MainWindow window;
    QVERIFY(show_and_load(window, erwin::ui::kDemoKnot));
    QVERIFY(!window.scene().has_preview());  // 50k points: every frame is the full one
    QSlider* slider = window.tree_panel()->level_slider();
    slider->setValue(4);
    QCOMPARE(window.scene().level(), 4);
    const QImage fine = window.screenshot(QSize(400, 300), false);
    slider->setValue(12);
    QCOMPARE(window.scene().level(), 12);
    const QImage coarse = window.screenshot(QSize(400, 300), false);
    QVERIFY2(changed_fraction(fine, coarse) > 0.02,
             qPrintable(QString::number(changed_fraction(fine, coarse))));
    // Fewer, larger balls: fewer distinct point colours at the coarse level.
    QVERIFY(distinct_colours(coarse) < distinct_colours(fine));
    slider->setValue(4);
    QCOMPARE(changed_fraction(fine, window.screenshot(QSize(400, 300), false)), 0.0);
  }

  // The whole-window image (erwin-studio --window) shows the overlay's legend even when it was
  // switched on just before, as the command line does: ImGui measures a new window in its first
  // frame and draws it from the second, so one plain grab would leave it out.
  void window_image_shows_the_overlay() {
    MainWindow window;
    QVERIFY(show_and_load(window, erwin::ui::kDemoKnot));
    window.state().set_legend(false);
    const QImage without = window.window_image();
    window.state().set_legend(true);
    const QImage with = window.window_image();
    // The legend sits in the viewport's lower-left corner.
    const QWidget* viewport = window.viewport();
    const QPoint corner = viewport->mapTo(&window, QPoint(0, viewport->height() - 160));
    const QRect area(corner * with.devicePixelRatio(), QSize(300, 150) * with.devicePixelRatio());
    const double changed = changed_fraction(without.copy(area), with.copy(area));
    QVERIFY2(changed > 0.2, qPrintable(QString::number(changed)));
  }

  // Large clouds show a preview (every k-th point) right after a level change, then the full
  // frame. The preview's colours are the full frame's colours, on fewer points.
  void large_cloud_previews_level_changes() {
    QTemporaryDir dir;
    const QString path = dir.filePath("knot.npy");
    erwin::save_npy(path.toStdString(), erwin::ui::demo_knot(300000).pos);
    MainWindow window;
    QVERIFY(show_and_load(window, path));
    QVERIFY(window.scene().has_preview());
    // Flat points have exact ball colours (lit spheres shade them), which the check below needs.
    window.state().set_points_as_spheres(false);
    window.tree_panel()->level_slider()->setValue(9);
    QVERIFY(window.scene().preview());
    const QImage preview = window.screenshot(QSize(400, 300), false);
    QTRY_VERIFY_WITH_TIMEOUT(!window.scene().preview(), 10000);
    const QImage full = window.screenshot(QSize(400, 300), false);
    QVERIFY(changed_fraction(preview, full) > 0.01);
    QVERIFY(distinct_colours(preview) > 100);
    // Pixels of a colour the full frame lacks: only background seen through the preview's gaps
    // (the gradient's rows), never a point of another colour.
    const QSet<QRgb> full_colours = colours_of(full);
    int64_t foreign = 0;
    for (int y = 0; y < preview.height(); ++y)
      for (int x = 0; x < preview.width(); ++x)
        foreign += !full_colours.contains(preview.pixel(x, y));
    QVERIFY2(foreign < preview.width() * preview.height() / 1000,
             qPrintable(QString::number(foreign)));

    // While the camera is dragged round, the preview is drawn; the release brings the full frame.
    QWidget* viewport = window.viewport();
    const QPoint from(viewport->width() * 3 / 4, viewport->height() / 2),
        to = from + QPoint(40, 15);
    QTest::mouseMove(viewport, from);  // clear of the overlay's windows
    QTest::mousePress(viewport, Qt::LeftButton, Qt::NoModifier, from);
    QTest::mouseMove(viewport, to);
    QVERIFY(window.scene().preview());
    QTest::mouseRelease(viewport, Qt::LeftButton, Qt::NoModifier, to);
    QVERIFY(!window.scene().preview());
  }

  void hulls_outline_the_balls() {
    MainWindow window;
    QVERIFY(show_and_load(window, erwin::ui::kDemoKnot));
    window.tree_panel()->level_slider()->setValue(11);
    const QImage points_only = window.screenshot(QSize(400, 300), false);
    QSignalSpy shown(&window, &MainWindow::hulls_shown);
    window.tree_panel()->hulls_box()->setChecked(true);
    // Built in the background: not there yet when the box is ticked, drawn when they arrive.
    QCOMPARE(window.scene().missing_hulls_level(), 11);
    QVERIFY(shown.wait(kLoadTimeoutMs));
    QCOMPARE(shown.first().first().value<int64_t>(), 11);
    QCOMPARE(window.scene().missing_hulls_level(), -1);
    const QImage with_hulls = window.screenshot(QSize(400, 300), false);
    QVERIFY2(changed_fraction(points_only, with_hulls) > 0.05,
             qPrintable(QString::number(changed_fraction(points_only, with_hulls))));
    window.tree_panel()->hulls_box()->setChecked(false);
    QCOMPARE(changed_fraction(points_only, window.screenshot(QSize(400, 300), false)), 0.0);

    // Another level is built anew, showing the status bar's cancel button, which drops it.
    window.tree_panel()->hulls_box()->setChecked(true);
    window.tree_panel()->level_slider()->setValue(10);
    QCOMPARE(window.scene().missing_hulls_level(), 10);
    auto* cancel = window.findChild<QPushButton*>("cancelButton");
    QVERIFY(cancel && cancel->isVisible());
    cancel->click();
    QVERIFY(!cancel->isVisible());
    QVERIFY(!shown.wait(2000));
    QCOMPARE(window.scene().missing_hulls_level(), 10);
    // Asked again (the level revisited), they are built; a level seen before comes back at once.
    window.tree_panel()->level_slider()->setValue(9);
    window.tree_panel()->level_slider()->setValue(10);
    QVERIFY(shown.wait(kLoadTimeoutMs));
    QCOMPARE(shown.last().first().value<int64_t>(), 10);
    window.tree_panel()->level_slider()->setValue(11);
    QCOMPARE(window.scene().missing_hulls_level(), -1);
    QCOMPARE(changed_fraction(with_hulls, window.screenshot(QSize(400, 300), false)), 0.0);
  }

  void file_of_several_clouds_shows_one_cloud_at_a_time() {
    QTemporaryDir dir;
    const QString path = dir.filePath("two_clouds.npz");
    erwin::PointCloud clouds;
    clouds.positions = torch::cat({torch::rand({300, 3}), torch::rand({500, 3}) + 2});
    clouds.batch_idx =
        torch::cat({torch::zeros({300}, torch::kInt64), torch::ones({500}, torch::kInt64)});
    erwin::save_point_file(path.toStdString(), clouds);

    MainWindow window;
    QVERIFY(show_and_load(window, path));
    QSpinBox* cloud = window.tree_panel()->cloud_box();
    QVERIFY(cloud->isVisibleTo(&window));
    QCOMPARE(cloud->maximum(), 2);
    QCOMPARE(window.scene().points().pos.size(0), 300);
    QCOMPARE(window.scene().tree().tree.tree_idx.size(0), 512);  // its own tree: 300 -> 512 slots

    QSignalSpy ready(&window, &MainWindow::scene_ready);
    cloud->setValue(2);
    QVERIFY(ready.wait(kLoadTimeoutMs));
    QCOMPARE(window.scene().points().pos.size(0), 500);
    QVERIFY(window.scene().points().pos.min().item<float>() >= 2.0f);
    QVERIFY(window.windowTitle().contains("cloud 2 of 2"));
  }

  void cancelled_load_keeps_the_scene() {
    MainWindow window;
    QVERIFY(show_and_load(window, erwin::ui::kDemoMesh2d));
    const int64_t points = window.scene().points().pos.size(0);
    QSignalSpy ready(&window, &MainWindow::scene_ready);
    window.open(erwin::ui::kDemoKnot);
    QVERIFY(window.loader()->busy());
    window.loader()->cancel();
    QTRY_VERIFY_WITH_TIMEOUT(!window.loader()->busy(), kLoadTimeoutMs);
    QTest::qWait(2000);  // a stale result would arrive by now
    QCOMPARE(ready.count(), 0);
    QCOMPARE(window.scene().points().pos.size(0), points);
  }

  void click_on_a_point_shows_its_receptive_field() {
    MainWindow window;
    QVERIFY(show_and_load(window, erwin::ui::kDemoMesh2d));
    window.receptive_field_panel()->enable_box()->setChecked(true);
    QTest::qWait(200);  // one frame, so that the camera maps world to screen

    const torch::Tensor pos = window.scene().points().pos;
    const int64_t target = pos.size(0) / 2 + 7;
    vtkRenderer* renderer = window.viewport()->renderer();
    renderer->SetWorldPoint(pos[target][0].item<double>(), pos[target][1].item<double>(), 0, 1);
    renderer->WorldToDisplay();
    const double* display = renderer->GetDisplayPoint();
    const QPoint at(static_cast<int>(display[0]),
                    window.viewport()->height() - 1 - static_cast<int>(display[1]));
    QSignalSpy shown(&window, &MainWindow::receptive_field_shown);
    QTest::mouseMove(window.viewport(), at);  // as a user would: the overlay sees the pointer
    QTest::qWait(100);
    QTest::mouseClick(window.viewport(), Qt::LeftButton, Qt::NoModifier, at);
    QVERIFY(shown.wait(kLoadTimeoutMs));
    // The picked point is the one under the pointer or a direct neighbour of it.
    const int64_t node = shown.first().first().value<int64_t>();
    const double spacing = (pos.amax(0) - pos.amin(0)).max().item<double>() / 20;
    QVERIFY2((pos[node] - pos[target]).norm().item<double>() < spacing,
             qPrintable(QString("picked %1 for %2").arg(node).arg(target)));
    QVERIFY(window.scene().shows_receptive_field());
  }

  void corrupt_file_shows_error_and_keeps_scene() {
    MainWindow window;
    QVERIFY(show_and_load(window, erwin::ui::kDemoMesh2d));
    const int64_t points = window.scene().points().pos.size(0);
    const QString source = window.current_source();
    const QImage before = window.screenshot(QSize(300, 200), false);

    QTemporaryDir dir;
    const QString broken = dir.filePath("broken.ply");
    std::ofstream(broken.toStdString()) << "ply\nformat ascii 1.0\nelement vertex 3\nproperty "
                                           "float x\nend_header\nnot numbers at all\n";
    QSignalSpy failed(&window, &MainWindow::load_failed);
    window.open(broken);
    QVERIFY(failed.wait(kLoadTimeoutMs));
    QMessageBox* dialog = nullptr;
    QTRY_VERIFY((dialog = window.findChild<QMessageBox*>("errorDialog")) != nullptr);
    QVERIFY(dialog->isVisible());
    QVERIFY2(dialog->text().contains("broken.ply"), qPrintable(dialog->text()));
    dialog->close();

    QCOMPARE(window.scene().points().pos.size(0), points);
    QCOMPARE(window.current_source(), source);
    QCOMPARE(changed_fraction(before, window.screenshot(QSize(300, 200), false)), 0.0);
  }

  void missing_file_is_an_error_too() {
    MainWindow window;
    window.set_error_dialogs(false);
    QSignalSpy failed(&window, &MainWindow::load_failed);
    window.open("/nonexistent/cloud.xyz");
    QVERIFY(failed.wait(kLoadTimeoutMs));
    QVERIFY(failed.first().first().toString().contains("cloud.xyz"));
  }
};

QTEST_MAIN(TestMainWindow)
#include "tst_main_window.moc"
