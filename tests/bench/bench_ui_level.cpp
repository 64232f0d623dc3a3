// Level change on a large cloud: time from moving the level slider to the new frame on screen
// (the widget's frameSwapped), in the real main window. Target: < 100 ms for 1M points. Large
// clouds show a preview frame first (every k-th point), then the full frame: both are timed.
//
//   xvfb-run -a -s "-screen 0 1600x1200x24" build/tests/bench_ui_level [points=1000000]
#include <QApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QSlider>
#include <QSurfaceFormat>
#include <QTemporaryDir>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <vector>

#include "erwin/npy.h"
#include "erwin/ui/engine/demo_scene.h"
#include "erwin/ui/widgets/main_window.h"
#include "erwin/ui/widgets/vtk_viewport.h"

namespace {

// Runs the event loop until `sender` emits `signal` (true) or `timeout_ms` pass (false).
template <typename Sender, typename Signal>
bool wait_for(Sender* sender, Signal signal, int timeout_ms) {
  QEventLoop loop;
  bool fired = false;
  const auto connection = QObject::connect(sender, signal, &loop, [&] {
    fired = true;
    loop.quit();
  });
  QTimer::singleShot(timeout_ms, &loop, &QEventLoop::quit);
  loop.exec();
  QObject::disconnect(connection);
  return fired;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  QSurfaceFormat::setDefaultFormat(erwin::ui::VtkViewport::default_format());
  QApplication app(argc, argv);
  const int64_t count = argc > 1 ? std::atoll(argv[1]) : 1000000;

  QTemporaryDir dir;
  const QString path = dir.filePath("knot.npy");
  erwin::save_npy(path.toStdString(), erwin::ui::demo_knot(count).pos);

  erwin::ui::MainWindow window;
  window.resize(1400, 900);
  window.show();
  QElapsedTimer load_timer;
  load_timer.start();
  QTimer::singleShot(0, &window, [&] { window.open(path); });
  if (!wait_for(&window, &erwin::ui::MainWindow::scene_ready, 600000)) {
    std::fprintf(stderr, "loading timed out\n");
    return 1;
  }
  const double load_ms = load_timer.nsecsElapsed() / 1e6;
  QSlider* slider = window.tree_panel()->level_slider();
  const int max_level = slider->maximum();
  std::printf("points %lld, levels 0..%d, load + tree %.0f ms, viewport %dx%d\n",
              static_cast<long long>(count), max_level, load_ms, window.viewport()->width(),
              window.viewport()->height());

  // Warm up (first frame uploads the geometry).
  erwin::ui::VtkViewport* viewport = window.viewport();
  const auto swapped = &QOpenGLWidget::frameSwapped;
  viewport->update();
  wait_for(viewport, swapped, 30000);

  // The floor: a frame with nothing changed (on Xvfb that is Mesa's software rasteriser).
  std::vector<double> redraws;
  for (int repeat = 0; repeat < 5; ++repeat) {
    QElapsedTimer timer;
    timer.start();
    viewport->update();
    if (!wait_for(viewport, swapped, 30000)) return 1;
    redraws.push_back(timer.nsecsElapsed() / 1e6);
  }
  std::printf("redraw without change: median %.1f ms\n", median(redraws));

  // Frames until the full one: with a preview (large clouds) the first frame after the change
  // shows every k-th point and the full frame follows kFullFrameDelayMs later.
  const bool preview = window.scene().has_preview();
  const auto until_full_frame = [&] {
    do {
      if (!wait_for(viewport, swapped, 30000)) return false;
    } while (window.scene().preview());
    return true;
  };
  std::vector<double> firsts, fulls;
  std::printf("%6s %16s %16s %16s\n", "level", "first median ms", "first max ms", "full median ms");
  for (int level = 0; level <= max_level; ++level) {
    std::vector<double> first, full;
    for (int repeat = 0; repeat < 5; ++repeat) {
      // Move away and let that settle, then time the change back.
      const int levels = max_level + 1;
      int away = (level + 1) % levels;
      if (away == slider->value()) away = (level + 2) % levels;
      QTimer::singleShot(0, slider, [&] { slider->setValue(away); });
      if (!until_full_frame()) return 1;
      QElapsedTimer timer;
      QTimer::singleShot(0, slider, [&] {
        timer.start();
        slider->setValue(level);
      });
      if (!wait_for(viewport, swapped, 30000)) return 1;
      first.push_back(timer.nsecsElapsed() / 1e6);
      if (window.scene().preview() && !until_full_frame()) return 1;
      full.push_back(timer.nsecsElapsed() / 1e6);
    }
    firsts.insert(firsts.end(), first.begin(), first.end());
    fulls.insert(fulls.end(), full.begin(), full.end());
    std::printf("%6d %16.1f %16.1f %16.1f\n", level, median(first),
                *std::max_element(first.begin(), first.end()), median(full));
  }
  std::printf("preview frames: %s\n",
              preview ? "yes (every k-th point first, the full frame after the change settles)"
                      : "no (small cloud: the first frame is the full one)");
  std::printf("all levels, slider to first frame: median %.1f ms, max %.1f ms (target < 100 ms)\n",
              median(firsts), *std::max_element(firsts.begin(), firsts.end()));
  std::printf(
      "all levels, slider to full frame: median %.1f ms (redraw floor %.1f ms + %d ms "
      "settle delay)\n",
      median(fulls), median(redraws), erwin::ui::MainWindow::kFullFrameDelayMs);
  return 0;
}
