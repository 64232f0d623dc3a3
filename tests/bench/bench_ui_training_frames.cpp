// GUI responsiveness while a model trains in a TrainingRun's worker thread: a widget repainted by
// a 16 ms timer (a QPainter loss curve fed by the run's progress signals) records the interval
// between paints, first idle, then during training. Prints median and p95 frame intervals and
// the timer's lateness (interval - 16 ms) in ms.
//
//   xvfb-run -a build/tests/bench_ui_training_frames [seconds=5]
#include <QApplication>
#include <QElapsedTimer>
#include <QPainter>
#include <QPainterPath>
#include <QTemporaryDir>
#include <QTimer>
#include <QWidget>
#include <algorithm>
#include <cstdio>
#include <vector>

#include "erwin/datasets/generate.h"
#include "erwin/training/run_config.h"
#include "erwin/ui/engine/training_run.h"

namespace {

constexpr int kFrameMs = 16;

class CurveWidget : public QWidget {
 public:
  std::vector<double> losses;
  std::vector<double> frame_ms;
  QElapsedTimer clock;

 protected:
  void paintEvent(QPaintEvent*) override {
    if (clock.isValid()) frame_ms.push_back(clock.nsecsElapsed() / 1e6);
    clock.restart();
    QPainter painter(this);
    painter.fillRect(rect(), Qt::white);
    if (losses.size() < 2) return;
    const auto [lo, hi] = std::minmax_element(losses.begin(), losses.end());
    QPainterPath path;
    for (size_t i = 0; i < losses.size(); ++i) {
      const double x = width() * static_cast<double>(i) / (losses.size() - 1);
      const double y = height() * (1 - (losses[i] - *lo) / std::max(1e-12, *hi - *lo));
      i == 0 ? path.moveTo(x, y) : path.lineTo(x, y);
    }
    painter.drawPath(path);
  }
};

double percentile(std::vector<double> v, double q) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0.0 : v[static_cast<size_t>(q * (v.size() - 1))];
}

void report(const char* label, const std::vector<double>& frames) {
  std::vector<double> late;
  for (double f : frames) late.push_back(std::max(0.0, f - kFrameMs));
  std::printf(
      "%-9s frames %5zu  interval median %6.2f ms  p95 %6.2f ms  lateness median %6.2f ms"
      "  p95 %6.2f ms\n",
      label, frames.size(), percentile(frames, 0.5), percentile(frames, 0.95),
      percentile(late, 0.5), percentile(late, 0.95));
}

void run_frames(QApplication& app, CurveWidget& widget, int seconds) {
  widget.frame_ms.clear();
  widget.clock.invalidate();
  QTimer timer;
  QObject::connect(&timer, &QTimer::timeout, &widget, [&] { widget.update(); });
  timer.start(kFrameMs);
  QElapsedTimer elapsed;
  elapsed.start();
  while (elapsed.elapsed() < seconds * 1000) app.processEvents(QEventLoop::WaitForMoreEvents, 50);
}

erwin::RunConfig bench_run(const std::string& root) {
  erwin::RunConfig r;
  r.name = "bench";
  r.data.root = root;
  r.data.val_split = "train";
  r.model.c_in = 16;
  r.model.c_hidden = {32, 64};
  r.model.ball_sizes = {64, 64};
  r.model.enc_num_heads = {4, 8};
  r.model.enc_depths = {2, 2};
  r.model.dec_num_heads = {4};
  r.model.dec_depths = {2};
  r.model.strides = {2};
  r.model.mp_steps = 1;
  r.steps = 1000000;
  r.val_interval = 0;
  r.checkpoint_interval = 0;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  QApplication app(argc, argv);
  const int seconds = argc > 1 ? std::atoi(argv[1]) : 5;
  QTemporaryDir dir;
  const std::string root = dir.filePath("cars").toStdString();
  erwin::datasets::ShapenetGenerateOptions options;
  options.cars = 12;
  options.points = 1024;
  erwin::datasets::generate_shapenet_like(root, options);

  CurveWidget widget;
  widget.resize(640, 360);
  widget.show();
  run_frames(app, widget, 1);  // warm-up
  run_frames(app, widget, seconds);
  report("idle", widget.frame_ms);

  erwin::ui::TrainingRun run;
  int64_t steps = 0;
  QObject::connect(&run, &erwin::ui::TrainingRun::progress, &widget,
                   [&](qint64 step, qint64, double loss) {
                     steps = step;
                     widget.losses.push_back(loss);
                   });
  QObject::connect(&run, &erwin::ui::TrainingRun::error, &app, [](const QString& message) {
    std::fprintf(stderr, "training failed: %s\n", qPrintable(message));
  });
  run.start(QString::fromStdString(bench_run(root).to_json()));
  run_frames(app, widget, 1);  // data loading and first steps
  run_frames(app, widget, seconds);
  report("training", widget.frame_ms);
  std::printf("training steps done: %lld\n", static_cast<long long>(steps));
  run.stop();  // the destructor waits for the step in flight
  return 0;
}
