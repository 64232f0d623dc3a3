#pragma once
// erwin-studio's command-line options for the Training and Rollout docks: start a training run
// and/or open the rollout player on a checkpoint, then call back once it is all on screen (for
// --screenshot). E.g.
//   erwin-studio --rollout run.ckpt --data data/eagle_small --steps 30 --frame 20 --window
//                --screenshot rollout.png
//   erwin-studio --runs runs/a,runs/b --window --screenshot runs.png
#include <QCommandLineParser>
#include <QSize>
#include <QString>
#include <functional>

namespace erwin::ui {
class MainWindow;
}

struct LearningOptions {
  QString train_config;  // --train: a run configuration to start
  QString rollout;       // --rollout: a training checkpoint for the player
  QString data;          // --data: the data root of both
  QStringList runs;      // --runs: run folders for the Training dock's run comparison
  QString split = "test";
  int item = 0, start = 0, steps = 20, frame = 0, field = 0;
  double wait_seconds = 0;  // --wait: time to let training run before the callback
  QString panel;            // --panel training|rollout: the dock to raise
  QString frames_folder;    // --export-frames: every rollout frame as PNG into this folder
  QSize frames_size{1280, 720};
  bool whole_window = false;

  bool any() const { return !train_config.isEmpty() || !rollout.isEmpty() || !runs.isEmpty(); }
};

// The sides an image option (--size, --frames-size) may have, in pixels.
inline constexpr int kMinImageSide = 64, kMaxImageSide = 8192;
// `value` of option `name` ("size") as WxH within the sides above; std::invalid_argument naming
// the option, the value and the allowed range otherwise.
QSize parse_image_size(const QString& name, const QString& value);

void add_learning_options(QCommandLineParser& parser);
// std::invalid_argument naming the option on a bad value.
LearningOptions read_learning_options(const QCommandLineParser& parser);

// Starts what the options ask for; `ready` runs once the rollout is shown at its frame (and its
// frames are exported) and the wait is over, `failed` when something fails.
void start_learning_session(erwin::ui::MainWindow& window, const LearningOptions& options,
                            std::function<void()> ready,
                            std::function<void(const QString&)> failed);
