// erwin-studio: the desktop app. Without a file it opens the built-in demo. Every setting of what
// is shown (erwin/ui/engine/studio_state.h) is an option by the same name. With --screenshot it
// loads the data, applies the settings, writes the image and exits (used by tests).
#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSurfaceFormat>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <functional>
#include <stdexcept>

#include "erwin/ui/widgets/main_window.h"
#include "erwin/ui/widgets/vtk_viewport.h"
#include "erwin/version.h"
#include "learning_session.h"

namespace {

using erwin::ui::StudioState;

// When a setting is applied: before the data is read, once its tree is shown (the ranges of level
// and camera come from it), or first of all those (another cloud is another tree).
enum class Stage { BeforeData, Cloud, WithData, Done };

Stage stage_of(const std::string& name) {
  if (name == "cloud" || name == "time") return Stage::Cloud;
  const bool with_data = name == "level" || name == "camera" || name == "colour-by";
  return with_data ? Stage::WithData : Stage::BeforeData;
}

struct Options {
  QString source = erwin::ui::kDemoKnot;
  QString screenshot;
  QSize size{1600, 1000};
  LearningOptions learning;  // --train, --rollout, ...
  // StudioState settings by name, in the order of StudioState::options().
  std::vector<std::pair<std::string, std::string>> settings;
};

[[noreturn]] void fail(const QString& message) {
  std::fprintf(stderr, "erwin-studio: %s\n", qPrintable(message));
  std::exit(2);
}

// The command line offers exactly the settings StudioState can set by name: --<name> <value>, a
// switch as --<name> (or --no-<name> when it is on by default).
QString switch_flag(const StudioState::Option& option) {
  return QString::fromStdString((option.on_by_default ? "no-" : "") + option.name);
}

// The help of an option that is on by default, for its --no- switch: "Show the axes." becomes
// "Do not show the axes. (On by default.)".
QString switched_off(const QString& help) {
  return "Do not " + help.left(1).toLower() + help.mid(1) + " (On by default.)";
}

void add_options(QCommandLineParser& parser) {
  parser.setApplicationDescription("Erwin Studio: ball trees of point clouds and meshes");
  parser.addHelpOption();
  QCoreApplication::setApplicationVersion(ERWIN_STUDIO_VERSION);
  parser.addVersionOption();
  parser.addPositionalArgument("file", "point cloud or mesh, or demo:knot / demo:mesh2d");
  parser.addOptions({
      {"screenshot", "Render to PNG <file> and exit.", "file"},
      {"size", "Screenshot resolution WxH (default 1600x1000).", "WxH"},
  });
  for (const StudioState::Option& option : StudioState::options()) {
    const QString help = QString::fromStdString(option.help);
    if (option.value_name.empty())
      parser.addOption({switch_flag(option), option.on_by_default ? switched_off(help) : help});
    else
      parser.addOption(
          {QString::fromStdString(option.name), help, QString::fromStdString(option.value_name)});
  }
  add_learning_options(parser);
}

// --version and --help need no display: they are answered (and the program exits) before
// QApplication connects to one.
void answer_version_or_help(int argc, char** argv) {
  const QStringList informational = {"-v", "--version", "-h", "--help", "-?", "--help-all"};
  bool asked = false;
  for (int i = 1; i < argc; ++i) asked = asked || informational.contains(QString(argv[i]));
  if (!asked) return;
  QCoreApplication core(argc, argv);
  QCommandLineParser parser;
  add_options(parser);
  parser.process(core);  // exits after printing the version or the help
}

std::vector<std::pair<std::string, std::string>> read_settings(const QCommandLineParser& parser) {
  std::vector<std::pair<std::string, std::string>> settings;
  for (const StudioState::Option& option : StudioState::options()) {
    if (option.value_name.empty()) {
      if (parser.isSet(switch_flag(option)))
        settings.emplace_back(option.name, option.on_by_default ? "off" : "on");
    } else if (parser.isSet(QString::fromStdString(option.name))) {
      settings.emplace_back(option.name,
                            parser.value(QString::fromStdString(option.name)).toStdString());
    }
  }
  // A rotation angle alone shows the rotated tree.
  const auto given = [&](const char* name) {
    return std::any_of(settings.begin(), settings.end(),
                       [name](const auto& setting) { return setting.first == name; });
  };
  if (given("rotate") && !given("view") && parser.value("rotate").toDouble() != 0.0)
    settings.emplace_back("view", "rotated");
  return settings;
}

Options parse(const QApplication& app) {
  QCommandLineParser parser;
  add_options(parser);
  parser.process(app);
  Options options;
  if (!parser.positionalArguments().isEmpty())
    options.source = parser.positionalArguments().first();
  options.screenshot = parser.value("screenshot");
  try {
    if (parser.isSet("size")) options.size = parse_image_size("size", parser.value("size"));
    options.learning = read_learning_options(parser);
  } catch (const std::invalid_argument& e) {
    fail(e.what());
  }
  options.settings = read_settings(parser);
  return options;
}

// Applies the settings of `stage`; false after reporting a refused value.
bool apply_settings(StudioState& state, const Options& options, Stage stage,
                    const std::function<void(const QString&)>& refuse) {
  for (const auto& [name, value] : options.settings) {
    if (stage_of(name) != stage) continue;
    try {
      state.set(name, value);
    } catch (const std::invalid_argument& e) {
      refuse(e.what());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  // Named first: --version prints "Erwin Studio <version>" before any application object exists.
  QCoreApplication::setOrganizationName("Erwin");
  QCoreApplication::setApplicationName("Erwin Studio");
  answer_version_or_help(argc, argv);
  QApplication::setAttribute(Qt::AA_ShareOpenGLContexts);
  QSurfaceFormat::setDefaultFormat(erwin::ui::VtkViewport::default_format());
  QApplication app(argc, argv);
  const Options options = parse(app);

  erwin::ui::MainWindow window;
  apply_settings(window.state(), options, Stage::BeforeData,
                 [](const QString& message) { fail(message); });

  const bool screenshot_mode = !options.screenshot.isEmpty();
  window.set_error_dialogs(!screenshot_mode);
  const auto write_screenshot = [&] {
    const QImage image =
        options.learning.whole_window ? window.window_image() : window.screenshot(options.size);
    if (image.isNull() || !image.save(options.screenshot, "PNG")) {
      std::fprintf(stderr, "erwin-studio: could not write %s\n", qPrintable(options.screenshot));
      QApplication::exit(1);
      return;
    }
    std::printf("wrote %s (%dx%d)\n", qPrintable(options.screenshot), image.width(),
                image.height());
    QApplication::exit(0);
  };
  // The screenshot waits for the ball hulls when they are asked for (built in the background).
  const auto write_when_complete = [&] {
    if (screenshot_mode && window.scene().missing_hulls_level() < 0) write_screenshot();
  };
  const auto report_failure = [&](const QString& message) {
    std::fprintf(stderr, "erwin-studio: %s\n", qPrintable(message));
    if (screenshot_mode) QApplication::exit(1);
  };
  // --cloud, --time, --level, --camera and --colour-by are checked against the data once its
  // tree is shown; another cloud or time step is another tree, whose scene_ready the rest waits
  // for.
  Stage next = Stage::Cloud;
  QObject::connect(&window, &erwin::ui::MainWindow::scene_ready, &window, [&] {
    erwin::ui::StudioState& state = window.state();
    if (next == Stage::Cloud) {
      next = Stage::WithData;
      const int64_t cloud = state.cloud(), time = state.time();
      if (!apply_settings(state, options, Stage::Cloud, report_failure)) return;
      if (state.cloud() != cloud || state.time() != time) return;
    }
    if (next == Stage::WithData) {
      next = Stage::Done;
      if (!apply_settings(state, options, Stage::WithData, report_failure)) return;
    }
    write_when_complete();
  });
  QObject::connect(&window, &erwin::ui::MainWindow::hulls_shown, &window, write_when_complete);
  QObject::connect(&window, &erwin::ui::MainWindow::load_failed, &window, report_failure);
  if (options.learning.whole_window) window.resize(options.size);
  window.show();
  if (!options.learning.any()) {
    window.open(options.source);
  } else {
    start_learning_session(
        window, options.learning,
        [&] {
          if (screenshot_mode) write_screenshot();
        },
        report_failure);
  }
  return QApplication::exec();
}
