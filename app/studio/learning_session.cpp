#include "learning_session.h"

#include <QDockWidget>
#include <QTimer>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>

#include "erwin/io_util.h"
#include "erwin/ui/engine/training_run.h"
#include "erwin/ui/widgets/main_window.h"
#include "erwin/ui/widgets/rollout_player.h"
#include "erwin/ui/widgets/run_comparison.h"
#include "erwin/ui/widgets/training_panel.h"

namespace {

int integer(const QCommandLineParser& parser, const QString& name, int fallback) {
  if (!parser.isSet(name)) return fallback;
  bool ok = false;
  const int value = parser.value(name).toInt(&ok);
  if (!ok || value < 0)
    throw std::invalid_argument(("--" + name + " must be a non-negative integer").toStdString());
  return value;
}

void raise_dock(erwin::ui::MainWindow& window, const QString& name) {
  if (auto* dock = window.findChild<QDockWidget*>(name)) dock->raise();
}

}  // namespace

QSize parse_image_size(const QString& name, const QString& value) {
  const std::optional<erwin::ImageSize> size = erwin::parse_image_size(value.toStdString());
  const auto within = [](int side) { return side >= kMinImageSide && side <= kMaxImageSide; };
  if (!size || !within(size->width) || !within(size->height))
    throw std::invalid_argument(QString("--%1 %2: must be WxH with both sides within %3..%4, "
                                        "e.g. 1280x720")
                                    .arg(name, value)
                                    .arg(kMinImageSide)
                                    .arg(kMaxImageSide)
                                    .toStdString());
  return {size->width, size->height};
}

void add_learning_options(QCommandLineParser& parser) {
  parser.addOptions({
      {"train", "Start training this run configuration (JSON).", "config"},
      {"rollout", "Open the rollout player on this training checkpoint and compute.", "checkpoint"},
      {"data", "Data root for --train and --rollout.", "dir"},
      {"runs",
       "Compare these run folders (comma-separated; what erwin train or the Training dock "
       "wrote: metrics.jsonl, run.json) in the Training dock.",
       "dirs"},
      {"split", "Split of the rollout (default test).", "split"},
      {"item", "EAGLE simulation or ShapeNet-Car car of the rollout (default 0).", "index"},
      {"start", "First frame of the EAGLE rollout (default 0).", "frame"},
      {"steps", "Steps of the EAGLE rollout (default 20).", "steps"},
      {"frame", "Rollout step to show (default 0).", "step"},
      {"field", "Rollout field index (0: velocity magnitude / pressure).", "index"},
      {"wait", "Seconds to let --train run before the screenshot.", "seconds"},
      {"panel", "Dock to raise: training or rollout.", "dock"},
      {"window", "Screenshot the whole window (docks included), not only the viewport."},
      {"export-frames", "Write every rollout frame as PNG into this folder.", "dir"},
      {"frames-size", "Resolution of the exported frames (default 1280x720).", "WxH"},
  });
}

LearningOptions read_learning_options(const QCommandLineParser& parser) {
  LearningOptions o;
  o.train_config = parser.value("train");
  o.rollout = parser.value("rollout");
  o.data = parser.value("data");
  if (parser.isSet("runs")) o.runs = parser.value("runs").split(',', Qt::SkipEmptyParts);
  if (parser.isSet("split")) o.split = parser.value("split");
  o.item = integer(parser, "item", o.item);
  o.start = integer(parser, "start", o.start);
  o.steps = integer(parser, "steps", o.steps);
  o.frame = integer(parser, "frame", o.frame);
  o.field = integer(parser, "field", o.field);
  o.wait_seconds = integer(parser, "wait", 0);
  o.panel = parser.value("panel");
  if (!o.panel.isEmpty() && o.panel != "training" && o.panel != "rollout")
    throw std::invalid_argument("--panel must be training or rollout");
  o.whole_window = parser.isSet("window");
  o.frames_folder = parser.value("export-frames");
  if (parser.isSet("frames-size"))
    o.frames_size = parse_image_size("frames-size", parser.value("frames-size"));
  return o;
}

void start_learning_session(erwin::ui::MainWindow& window, const LearningOptions& options,
                            std::function<void()> ready,
                            std::function<void(const QString&)> failed) {
  using namespace erwin::ui;
  // A bad option is reported once the event loop runs (QApplication::exit needs it), and
  // nothing else starts.
  const auto fail_at_start = [&window, failed](const QString& message) {
    QTimer::singleShot(0, &window, [failed, message] { failed(message); });
  };
  TrainingPanel* panel = window.training_panel();
  if (!options.train_config.isEmpty() && !panel->select_config(options.train_config))
    return fail_at_start("--train: not one of the listed configurations: " + options.train_config);
  for (const QString& folder : options.runs) {
    const QString error = panel->comparison()->add_run(folder);
    if (!error.isEmpty()) return fail_at_start("--runs: " + error);
  }

  // Both the rollout (when asked for) and the wait must be over.
  auto pending = std::make_shared<int>(1 + (options.rollout.isEmpty() ? 0 : 1));
  auto one_done = [pending, ready] {
    if (--*pending == 0) ready();
  };
  QTimer::singleShot(static_cast<int>(options.wait_seconds * 1000), &window, one_done);

  if (!options.runs.isEmpty()) {
    panel->show_comparison();
    raise_dock(window, "trainingDock");
  }
  if (!options.train_config.isEmpty()) {
    if (!options.data.isEmpty()) panel->set_data_root(options.data);
    QObject::connect(panel->run(), &TrainingRun::error, &window, failed);
    panel->start();
    raise_dock(window, "trainingDock");
  }
  if (!options.rollout.isEmpty()) {
    RolloutPlayer* player = window.rollout_player();
    QObject::connect(player, &RolloutPlayer::inspected, &window, [player, options] {
      player->set_selection(options.split, options.item, options.start, options.steps);
      player->compute();
    });
    QObject::connect(player, &RolloutPlayer::result_ready, &window,
                     [player, options, one_done, failed] {
                       const QStringList fields = player->result()->field_names();
                       if (options.field >= fields.size())
                         return failed(QString("--field %1: this rollout's fields are 0..%2 (%3)")
                                           .arg(options.field)
                                           .arg(fields.size() - 1)
                                           .arg(fields.join(", ")));
                       player->set_field(options.field);
                       if (options.frames_folder.isEmpty()) {
                         player->set_frame(options.frame);
                         one_done();
                         return;
                       }
                       player->export_frames(options.frames_folder, options.frames_size);
                     });
    QObject::connect(player, &RolloutPlayer::frames_exported, &window,
                     [player, options, one_done, failed](int written, const QString& error) {
                       if (!error.isEmpty()) return failed(error);
                       std::printf("wrote %d frames to %s\n", written,
                                   qPrintable(options.frames_folder));
                       player->set_frame(options.frame);
                       one_done();
                     });
    QObject::connect(player, &RolloutPlayer::failed, &window, failed);
    player->open_checkpoint(options.rollout, options.data);
    raise_dock(window, "rolloutDock");
  }
  if (!options.panel.isEmpty()) raise_dock(window, options.panel + "Dock");
}
