// erwin-studio's command line, run as a user runs it: out-of-range values are refused with a
// message naming the option and the allowed range (nothing is written), and --version / --help
// answer without a display.
#include <QFile>
#include <QProcess>
#include <QProcessEnvironment>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include "erwin/version.h"
#include "studio_process.h"

using erwin::test::run_studio;

namespace {

// Runs the studio with neither DISPLAY nor WAYLAND_DISPLAY and Qt's X11 platform (as ctest sets
// it): a program that connects to a display fails. Returns the exit code (-1: did not finish).
int run_studio_without_display(const QStringList& arguments, QString* output) {
  QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
  environment.remove("DISPLAY");
  environment.remove("WAYLAND_DISPLAY");
  environment.insert("QT_QPA_PLATFORM", "xcb");
  QProcess process;
  process.setProcessEnvironment(environment);
  process.setProcessChannelMode(QProcess::MergedChannels);
  process.start(erwin::test::studio_binary(), arguments);
  if (!process.waitForFinished(60000)) {
    process.kill();
    return -1;
  }
  *output = QString::fromLocal8Bit(process.readAll());
  return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

}  // namespace

class TestStudioCommandLine : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void refuses_an_image_size_out_of_range_data() {
    QTest::addColumn<QString>("size");
    QTest::newRow("too tall") << "10x10000";
    QTest::newRow("too small") << "63x480";
    QTest::newRow("zero") << "0x0";
    QTest::newRow("not a size") << "wide";
  }

  void refuses_an_image_size_out_of_range() {
    QFETCH(QString, size);
    QTemporaryDir dir;
    const QString png = dir.filePath("shot.png");
    QString output;
    const int code = run_studio({"--screenshot", png, "--size", size}, &output);
    QVERIFY2(code > 0, qPrintable(output));
    QVERIFY2(output.contains("--size " + size) && output.contains("64..8192"), qPrintable(output));
    QVERIFY(!QFile::exists(png));
  }

  void refuses_a_level_the_data_lacks() {
    QTemporaryDir dir;
    const QString png = dir.filePath("shot.png");
    QString output;
    const int code =
        run_studio({"--screenshot", png, "--size", "320x240", "--level", "99"}, &output);
    QVERIFY2(code > 0, qPrintable(output));
    const QRegularExpressionMatch range =
        QRegularExpression("--level 99: this data's levels are 0\\.\\.(\\d+)").match(output);
    QVERIFY2(range.hasMatch(), qPrintable(output));
    QVERIFY(!QFile::exists(png));

    // The deepest level the message names is accepted.
    const QString deepest = range.captured(1);
    QVERIFY(deepest.toInt() > 0);
    QVERIFY2(
        run_studio({"--screenshot", png, "--size", "320x240", "--level", deepest}, &output) == 0,
        qPrintable(output));
    QVERIFY(QFile::exists(png));
  }

  // Every setting of the StudioState is an option by its name; a value out of its range is refused
  // before anything is rendered, with a message that says what the option accepts.
  void refuses_settings_out_of_range_data() {
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QString>("message");
    QTest::newRow("view") << QStringList{"--view", "sideways"}
                          << "--view sideways: must be one of original, rotated, side, overlay";
    QTest::newRow("rotate") << QStringList{"--rotate", "270"} << "the angle lies in 0..180";
    QTest::newRow("point size") << QStringList{"--point-size", "99"} << "1..50 pixels";
    QTest::newRow("colour map") << QStringList{"--colour-map", "jet"}
                                << "viridis, cool-warm, rainbow, greys";
    QTest::newRow("colour by") << QStringList{"--colour-by", "speed"} << "ball, ball-order";
    QTest::newRow("camera") << QStringList{"--camera", "0,0,1"} << "needs 9 numbers";
    QTest::newRow("cloud") << QStringList{"--cloud", "4"} << "this data has 1 cloud (0)";
  }

  void refuses_settings_out_of_range() {
    QFETCH(QStringList, arguments);
    QFETCH(QString, message);
    QTemporaryDir dir;
    const QString png = dir.filePath("shot.png");
    QString output;
    const int code =
        run_studio(QStringList{"--screenshot", png, "--size", "320x240"} + arguments, &output);
    QVERIFY2(code > 0, qPrintable(output));
    QVERIFY2(output.contains(message), qPrintable(output));
    QVERIFY(!QFile::exists(png));
  }

  // Settings in their range are taken, switches on by default are turned off by --no-<name>.
  void takes_settings_by_name() {
    QTemporaryDir dir;
    const QString png = dir.filePath("shot.png");
    QString output;
    const int code =
        run_studio({"--screenshot", png, "--size", "320x240", "--view", "side", "--colour-by",
                    "ball-order", "--colour-map", "cool-warm", "--point-size", "8", "--no-legend",
                    "--no-axes", "--camera", "0,0,30,0,0,0,0,1,0", "--level", "6"},
                   &output);
    QVERIFY2(code == 0, qPrintable(output));
    QVERIFY(QFile::exists(png));
  }

  void answers_version_without_a_display() {
    QString output;
    const int code = run_studio_without_display({"--version"}, &output);
    QVERIFY2(code == 0, qPrintable(output));
    QVERIFY2(output.trimmed() == QString("Erwin Studio ") + ERWIN_STUDIO_VERSION,
             qPrintable(output));
    QVERIFY2(!output.contains("display"), qPrintable(output));
  }

  void answers_help_without_a_display() {
    QString output;
    const int code = run_studio_without_display({"--help"}, &output);
    QVERIFY2(code == 0, qPrintable(output));
    QVERIFY2(output.contains("--level") && output.contains("--screenshot"), qPrintable(output));
    // The settings are offered by their StudioState names.
    for (const char* option : {"--colour-map", "--point-size", "--no-legend", "--camera"})
      QVERIFY2(output.contains(option), qPrintable(output));
  }

  // The control: a run that needs the display does fail without one, so the two tests above
  // prove that --version and --help do not connect to it.
  void a_screenshot_needs_a_display() {
    QTemporaryDir dir;
    QString output;
    const int code =
        run_studio_without_display({"--screenshot", dir.filePath("shot.png")}, &output);
    QVERIFY2(code != 0, qPrintable(output));
  }
};

QTEST_MAIN(TestStudioCommandLine)
#include "tst_studio_command_line.moc"
