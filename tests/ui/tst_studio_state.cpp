// StudioState, the one model of what the Studio shows: values set by name are checked and read
// back, listeners hear real changes only, the tree dock's controls follow the state and set it,
// and every setting reaches the picture (screenshots before and after differ where they should,
// with the colours they should have).
#include <vtkCamera.h>
#include <vtkRenderer.h>

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QLabel>
#include <QSignalSpy>
#include <QSlider>
#include <QTest>
#include <stdexcept>

#include "erwin/ui/engine/demo_scene.h"
#include "erwin/ui/engine/studio_state.h"
#include "erwin/ui/widgets/main_window.h"
#include "erwin/ui/widgets/tree_panel.h"
#include "erwin/ui/widgets/vtk_viewport.h"
#include "image_support.h"

using erwin::ui::CameraPose;
using erwin::ui::MainWindow;
using erwin::ui::StudioState;
using Setting = erwin::ui::StudioState::Setting;

namespace {

constexpr int kLoadTimeoutMs = 120000;
const QSize kShot(480, 360);

bool show_and_load(MainWindow& window, const QString& source) {
  window.show();
  if (!QTest::qWaitForWindowExposed(&window)) return false;
  QSignalSpy ready(&window, &MainWindow::scene_ready);
  window.open(source);
  return ready.wait(kLoadTimeoutMs);
}

// The message of the std::invalid_argument that `set` throws, or "" when it throws none.
QString refusal(StudioState& state, const char* name, const char* value) {
  try {
    state.set(name, value);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return {};
}

double changed_fraction(const QImage& a, const QImage& b) {
  int64_t changed = 0;
  for (int y = 0; y < a.height(); ++y)
    for (int x = 0; x < a.width(); ++x) changed += a.pixel(x, y) != b.pixel(x, y);
  return static_cast<double>(changed) / (a.width() * a.height());
}

// Pixels in `area` whose colour is close to (r, g, b).
int pixels_near(const QImage& image, const QRect& area, int r, int g, int b, int tolerance = 40) {
  int count = 0;
  for (int y = area.top(); y <= area.bottom(); ++y)
    for (int x = area.left(); x <= area.right(); ++x) {
      const QRgb p = image.pixel(x, y);
      count += std::abs(qRed(p) - r) + std::abs(qGreen(p) - g) + std::abs(qBlue(p) - b) < tolerance;
    }
  return count;
}

// Share of pixels with a clear colour (channels more than 30 apart): the background's bluish grey
// and a grey colour map have none.
double coloured_fraction(const QImage& image) {
  int64_t coloured = 0;
  for (int y = 0; y < image.height(); ++y)
    for (int x = 0; x < image.width(); ++x) {
      const QRgb p = image.pixel(x, y);
      coloured +=
          std::max({qRed(p), qGreen(p), qBlue(p)}) - std::min({qRed(p), qGreen(p), qBlue(p)}) > 30;
    }
  return static_cast<double>(coloured) / (image.width() * image.height());
}

}  // namespace

class TestStudioState : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void values_by_name_are_checked_and_read_back() {
    StudioState state;
    state.set_limits({11, 3, 0, {}});
    state.set("level", "7");
    QCOMPARE(state.level(), 7);
    QCOMPARE(state.get("level"), std::string("7"));
    state.set("view", "side");
    QCOMPARE(state.view(), erwin::ui::TreeView::SideBySide);
    state.set("colour-map", "cool-warm");
    QCOMPARE(state.get("colour-map"), std::string("cool-warm"));
    state.set("legend", "off");
    QVERIFY(!state.legend());
    state.set("camera", "1,2,3,0,0,0,0,0,1");
    QCOMPARE(state.get("camera"), std::string("1,2,3,0,0,0,0,0,1"));

    QVERIFY(refusal(state, "level", "12").contains("--level 12: this data's levels are 0..11"));
    QVERIFY(refusal(state, "level", "-1").contains("levels start at 0"));
    QVERIFY(refusal(state, "cloud", "3").contains("3 clouds (0..2)"));
    QVERIFY(refusal(state, "rotate", "181").contains("0..180"));
    QVERIFY(refusal(state, "rotate", "nan").contains("0..180"));
    QVERIFY(refusal(state, "point-size", "51").contains("1..50"));
    QVERIFY(refusal(state, "point-size", "0.5").contains("1..50"));
    QVERIFY(refusal(state, "view", "sideways").contains("original, rotated, side, overlay"));
    QVERIFY(refusal(state, "colour-by", "x").contains("ball, ball-order"));
    QVERIFY(refusal(state, "legend", "maybe").contains("on or off"));
    QVERIFY(refusal(state, "camera", "1,2,3").contains("9 numbers"));
    QVERIFY(refusal(state, "camera", "1,2,3,0,0,0,0,0,inf").contains("finite"));
    QVERIFY(refusal(state, "level", "7x").contains("not a number"));
    QVERIFY(refusal(state, "colour", "red").contains("no setting named 'colour'"));
    // Refused values change nothing.
    QCOMPARE(state.level(), 7);
    QCOMPARE(state.get("camera"), std::string("1,2,3,0,0,0,0,0,1"));

    // Every option reads back what it was set to.
    for (const StudioState::Option& option : StudioState::options()) {
      const std::string value = state.get(option.name);
      if (value.empty()) continue;
      StudioState copy;
      copy.set_limits({11, 3, 0, {}});
      copy.set(option.name, value);
      QCOMPARE(copy.get(option.name), value);
    }
  }

  void listeners_hear_real_changes_only() {
    StudioState state;
    std::vector<Setting> heard;
    const int id = state.subscribe([&](Setting setting) { heard.push_back(setting); });
    state.set_level(3);
    state.set_level(3);  // unchanged: no notification
    state.set_spheres(true);
    try {
      state.set_angle(-5);
    } catch (const std::invalid_argument&) {
    }
    QCOMPARE(heard, (std::vector<Setting>{Setting::Level, Setting::Spheres}));
    state.unsubscribe(id);
    state.set_level(4);
    QCOMPARE(heard.size(), size_t{2});
  }

  // The dock's controls show the state, and moving them sets it.
  void tree_dock_follows_and_sets_the_state() {
    MainWindow window;
    QVERIFY(show_and_load(window, erwin::ui::kDemoKnot));
    StudioState& state = window.state();
    erwin::ui::TreePanel* panel = window.tree_panel();

    state.set_level(9);
    QCOMPARE(panel->level_slider()->value(), 9);
    QCOMPARE(panel->findChild<QLabel*>("levelLabel")->text(),
             QString::fromUtf8("level 9 \u00b7 balls of 512"));
    state.set_view(erwin::ui::TreeView::Overlay);
    QCOMPARE(panel->view_box()->currentIndex(), 3);
    state.set_point_size(7.0);
    QCOMPARE(panel->point_size_box()->value(), 7.0);
    state.set_colour_map(erwin::ui::ColourMap::Greys);
    QCOMPARE(panel->colour_map_box()->currentText(), QString("greys"));
    state.set_centres(true);
    QVERIFY(panel->centres_box()->isChecked());

    panel->level_slider()->setValue(5);
    QCOMPARE(state.level(), 5);
    QCOMPARE(window.scene().level(), 5);
    panel->legend_box()->setChecked(false);
    QVERIFY(!state.legend());
    panel->colouring_box()->setCurrentIndex(1);
    QCOMPARE(state.colouring(), erwin::ui::Colouring::BallOrder);
    panel->view_box()->setCurrentIndex(2);
    QCOMPARE(state.view(), erwin::ui::TreeView::SideBySide);
  }

  // Each setting changes the picture; the colour settings give the colours they name.
  void every_setting_reaches_the_picture() {
    MainWindow window;
    QVERIFY(show_and_load(window, erwin::ui::kDemoKnot));
    StudioState& state = window.state();
    state.set_legend(false);
    state.set_scale_bar(false);
    state.set_axes(false);
    const auto shot = [&] { return window.screenshot(kShot); };
    const auto changes = [&](const char* name, const char* value, double at_least) {
      const QImage before = shot();
      state.set(name, value);
      const double changed = changed_fraction(before, shot());
      if (changed < at_least)
        qWarning("--%s %s changed %.4f of the pixels, expected at least %.4f", name, value, changed,
                 at_least);
      return changed >= at_least;
    };
    QVERIFY(changes("level", "4", 0.02));
    QVERIFY(changes("view", "rotated", 0.02));
    QVERIFY(changes("view", "side", 0.05));
    QVERIFY(changes("view", "overlay", 0.02));
    QVERIFY(changes("view", "original", 0.02));
    QVERIFY(changes("spheres", "on", 0.01));
    QVERIFY(changes("spheres", "off", 0.01));
    QVERIFY(changes("centres", "on", 0.001));
    QVERIFY(changes("centres", "off", 0.001));
    QVERIFY(changes("padding", "on", 0.0005));
    QVERIFY(changes("padding", "off", 0.0005));
    QVERIFY(changes("point-size", "12", 0.05));
    QVERIFY(changes("spheres-points", "off", 0.01));
    QVERIFY(changes("colour-by", "ball-order", 0.02));
    QVERIFY(changes("colour-map", "rainbow", 0.02));
    QVERIFY(changes("legend", "on", 0.005));
    QVERIFY(changes("scale-bar", "on", 0.0005));
    QVERIFY(changes("axes", "on", 0.002));
    QVERIFY(changes("clip", "x", 0.02));
    QVERIFY(changes("clip", "off", 0.02));
    QVERIFY(changes("camera", "0,0,30,0,0,0,0,1,0", 0.05));

    // The grey map leaves no colour on the data; colouring by ball brings it back.
    state.set_legend(false);
    state.set_axes(false);
    state.set_scale_bar(false);
    state.set_colour_map(erwin::ui::ColourMap::Greys);
    QVERIFY2(coloured_fraction(shot()) < 0.001, "the grey colour map leaves coloured pixels");
    state.set_colouring(erwin::ui::Colouring::Ball);
    QVERIFY(coloured_fraction(shot()) > 0.02);
  }

  // The clip plane keeps the side its normal points to: clipping at x through the knot's centre
  // empties the left half of the view (x points right), and the plane's outline shows the cut.
  void clip_plane_keeps_one_side() {
    MainWindow window;
    QVERIFY(show_and_load(window, erwin::ui::kDemoKnot));
    StudioState& state = window.state();
    state.set_legend(false);
    state.set_axes(false);
    state.set_scale_bar(false);
    state.set("camera", "0,0,12,0,0,0,0,1,0");  // looking down z: x to the right
    const auto half = [](const QImage& image, bool left) {
      return image.copy(left ? 0 : image.width() / 2, 0, image.width() / 2, image.height());
    };
    const QImage whole = window.screenshot(kShot);
    state.set("clip", "x");
    QCOMPARE(window.tree_panel()->clip_box()->currentIndex(), 1);
    const QImage clipped = window.screenshot(kShot);
    QVERIFY(coloured_fraction(half(whole, true)) > 0.02);
    QVERIFY2(coloured_fraction(half(clipped, true)) < 0.2 * coloured_fraction(half(whole, true)),
             "points left of the plane are still drawn");
    QVERIFY(coloured_fraction(half(clipped, false)) > 0.5 * coloured_fraction(half(whole, false)));
    state.set("clip", "-1,0,0,-1,0,0");  // keep x < -1
    QCOMPARE(window.tree_panel()->clip_box()->currentIndex(), 4);
    QVERIFY(coloured_fraction(half(window.screenshot(kShot), false)) < 0.01);
    QVERIFY(refusal(state, "clip", "0,0,0,0,0,0").contains("non-zero normal"));
    QVERIFY(refusal(state, "clip", "sideways").contains("must be off, x, y, z"));
  }

  // The orientation axes sit in the bottom-right corner: X red, Y green, Z blue.
  void orientation_axes_show_the_axes_colours() {
    MainWindow window;
    QVERIFY(show_and_load(window, erwin::ui::kDemoKnot));
    StudioState& state = window.state();
    state.set_legend(false);
    state.set_scale_bar(false);
    const QRect corner(kShot.width() * 0.86, kShot.height() * 0.72, kShot.width() * 0.14,
                       kShot.height() * 0.24);
    const QImage on = window.screenshot(kShot);
    state.set_axes(false);
    const QImage off = window.screenshot(kShot);
    for (const auto& [r, g, b] : {std::tuple{255, 0, 0}, {0, 255, 0}, {0, 0, 255}}) {
      QVERIFY2(pixels_near(on, corner, r, g, b, 120) > 5, "an axis colour is missing");
      QCOMPARE(pixels_near(off, corner, r, g, b, 120), 0);
    }
  }

  // The mouse's camera becomes the state's camera, and the state's camera is the view's.
  void camera_round_trips() {
    MainWindow window;
    QVERIFY(show_and_load(window, erwin::ui::kDemoKnot));
    StudioState& state = window.state();
    QVERIFY(!state.has_camera());
    state.set("camera", "3,4,12,0.5,0,0,0,1,0");
    vtkCamera* camera = window.viewport()->renderer()->GetActiveCamera();
    QCOMPARE(camera->GetPosition()[2], 12.0);
    QCOMPARE(camera->GetFocalPoint()[0], 0.5);
    state.reset_camera();
    QVERIFY(camera->GetPosition()[2] != 12.0);
  }
};

QTEST_MAIN(TestStudioState)
#include "tst_studio_state.moc"
