// erwin-studio: the desktop app. Without a file it opens the built-in demo. With --screenshot it
// loads the data, applies --level / --rotate / --view, writes the image and exits (used by tests).
#include <QApplication>
#include <QCheckBox>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSlider>
#include <QSurfaceFormat>
#include <QTimer>
#include <cstdio>
#include <stdexcept>

#include "erwin/ui/main_window.h"
#include "erwin/ui/vtk_viewport.h"
#include "erwin/version.h"
#include "learning_session.h"

namespace {

struct Options {
  QString source = erwin::ui::kDemoKnot;
  QString screenshot;
  QSize size{1600, 1000};
  int level = -1;
  double rotate = 45.0;
  erwin::ui::TreeView view = erwin::ui::TreeView::Original;
  LearningOptions learning;  // --train, --rollout, ...
  bool spheres = false, hulls = false, centres = false, padding = false;
};

[[noreturn]] void fail(const QString& message) {
  std::fprintf(stderr, "erwin-studio: %s\n", qPrintable(message));
  std::exit(2);
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
      {"level", "Ball-tree level to colour by.", "level"},
      {"rotate",
       "Rotation angle of the rotated tree in degrees (default 45; 0: none); "
       "shows the rotated tree unless --view says otherwise.",
       "degrees"},
      {"view", "original, rotated, side or overlay.", "view"},
      {"spheres", "Draw the balls of the level as spheres."},
      {"hulls", "Draw the convex hull of every ball of the level."},
      {"centres", "Draw the pooled nodes (ball centres) of the level."},
      {"padding", "Mark the padding slots."},
  });
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
  bool ok = true;
  if (parser.isSet("level")) options.level = parser.value("level").toInt(&ok);
  if (!ok || options.level < -1) fail("--level must be a non-negative integer");
  if (parser.isSet("rotate")) {
    options.rotate = parser.value("rotate").toDouble(&ok);
    if (!ok) fail("--rotate must be a number of degrees");
    if (options.rotate != 0.0) options.view = erwin::ui::TreeView::Rotated;
  }
  const QStringList views = {"original", "rotated", "side", "overlay"};
  if (parser.isSet("view")) {
    const int index = views.indexOf(parser.value("view"));
    if (index < 0) fail("--view must be one of " + views.join(", "));
    options.view = static_cast<erwin::ui::TreeView>(index);
  }
  options.spheres = parser.isSet("spheres");
  options.hulls = parser.isSet("hulls");
  options.centres = parser.isSet("centres");
  options.padding = parser.isSet("padding");
  return options;
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
  window.tree_panel()->set_angle(options.rotate);
  window.set_view(options.view);
  window.tree_panel()->spheres_box()->setChecked(options.spheres);
  window.tree_panel()->hulls_box()->setChecked(options.hulls);
  window.tree_panel()->centres_box()->setChecked(options.centres);
  window.tree_panel()->padding_box()->setChecked(options.padding);
  if (options.level >= 0) window.set_level(options.level);

  const bool screenshot_mode = !options.screenshot.isEmpty();
  window.set_error_dialogs(!screenshot_mode);
  const auto write_screenshot = [&] {
    const QImage image =
        options.learning.whole_window ? window.grab().toImage() : window.screenshot(options.size);
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
  // --level is checked against the data's deepest level once the tree is built.
  QObject::connect(&window, &erwin::ui::MainWindow::scene_ready, &window, [&] {
    const int deepest = window.tree_panel()->level_slider()->maximum();
    if (options.level > deepest) {
      report_failure(
          QString("--level %1: this data's levels are 0..%2").arg(options.level).arg(deepest));
      return;
    }
    if (options.level >= 0) window.set_level(options.level);
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
