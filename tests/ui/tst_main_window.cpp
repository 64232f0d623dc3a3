// The main window: the demo scene loads off the GUI thread, the level slider recolours the
// points, and a corrupt file gives an error dialog while the previous scene stays.
#include <QMessageBox>
#include <QSignalSpy>
#include <QSlider>
#include <QTemporaryDir>
#include <QTest>
#include <fstream>

#include "erwin/ui/main_window.h"
#include "erwin/ui/vtk_viewport.h"
#include "test_support.h"

using erwin::ui::MainWindow;

namespace {

constexpr int kLoadTimeoutMs = 120000;

bool load(MainWindow& window, const QString& source) {
  QSignalSpy ready(&window, &MainWindow::scene_ready);
  window.open(source);
  return ready.wait(kLoadTimeoutMs);
}

// Share of pixels that differ between two images of the same size.
double changed_fraction(const QImage& a, const QImage& b) {
  int64_t changed = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) changed += a.pixel(x, y) != b.pixel(x, y);
  return static_cast<double>(changed) / (a.width() * a.height());
}

int distinct_colours(const QImage& image) {
  QSet<QRgb> colours;
  for (int y = 0; y < image.height(); y += 2)
    for (int x = 0; x < image.width(); x += 2) colours.insert(image.pixel(x, y));
  return colours.size();
}

}  // namespace

class TestMainWindow : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void demo_scene_shows_a_tree() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(load(window, erwin::ui::kDemoKnot));
    QCOMPARE(window.scene().points().pos.size(0), 50000);
    QVERIFY(window.scene().tree().max_level >= 10);
    QCOMPARE(window.tree_panel()->level_slider()->maximum(),
             static_cast<int>(window.scene().tree().max_level));
    const QImage image = window.screenshot(QSize(400, 300), false);
    QVERIFY(distinct_colours(image) > 20);
  }

  void level_slider_changes_colours() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(load(window, erwin::ui::kDemoKnot));
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

  void corrupt_file_shows_error_and_keeps_scene() {
    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    QVERIFY(load(window, erwin::ui::kDemoMesh2d));
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
