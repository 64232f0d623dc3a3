// `erwin-studio --screenshot` loads each sample format, applies --level / --rotate and writes a
// non-trivial PNG of the requested size.
#include <QCoreApplication>
#include <QDir>
#include <QImage>
#include <QProcess>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include "test_support.h"

namespace {

QString studio_binary() {
  return QDir(QCoreApplication::applicationDirPath()).filePath("../app/erwin-studio");
}

QString sample(const QString& name) {
  return QString::fromStdString(erwin::test::source_dir()) + "/resources/samples/" + name;
}

// Runs the studio; returns its exit code (-1 when it did not finish).
int run_studio(const QStringList& arguments, QString* output) {
  QProcess process;
  process.setProcessChannelMode(QProcess::MergedChannels);
  process.start(studio_binary(), arguments);
  if (!process.waitForFinished(180000)) {
    process.kill();
    return -1;
  }
  *output = QString::fromLocal8Bit(process.readAll());
  return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
}

}  // namespace

class TestScreenshot : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void each_sample_format_data() {
    QTest::addColumn<QString>("file");
    QTest::addColumn<QStringList>("options");
    for (const char* name : {"torus_cloud.ply", "torus_cloud.xyz", "torus_cloud.csv",
                             "torus_cloud.npy", "square_2d.npz", "ellipsoid.obj", "ellipsoid.stl",
                             "ellipsoid.vtk", "ellipsoid.vtp", "plate_2d.vtu"})
      QTest::newRow(name) << QString(name) << QStringList{"--level", "3"};
    QTest::newRow("rotated") << QString("torus_cloud.ply")
                             << QStringList{"--level", "4", "--rotate", "30"};
    QTest::newRow("side by side") << QString("ellipsoid.obj")
                                  << QStringList{"--level", "3", "--view", "side", "--spheres"};
  }

  void each_sample_format() {
    QFETCH(QString, file);
    QFETCH(QStringList, options);
    QVERIFY2(QFile::exists(studio_binary()), qPrintable(studio_binary()));
    QTemporaryDir dir;
    const QString png = dir.filePath("shot.png");
    QString output;
    const int code = run_studio(
        QStringList{sample(file), "--screenshot", png, "--size", "320x240"} + options, &output);
    QVERIFY2(code == 0, qPrintable(output));
    QImage image(png);
    QCOMPARE(image.size(), QSize(320, 240));
    // Non-trivial: many colours (ball colours over the gradient background), not one flat fill.
    QSet<QRgb> colours;
    for (int y = 0; y < image.height(); ++y)
      for (int x = 0; x < image.width(); ++x) colours.insert(image.pixel(x, y));
    QVERIFY2(colours.size() > 40, qPrintable(QString::number(colours.size())));
  }

  void bad_file_exits_with_an_error() {
    QTemporaryDir dir;
    QString output;
    const int code =
        run_studio({dir.filePath("missing.obj"), "--screenshot", dir.filePath("x.png")}, &output);
    QVERIFY(code != 0);
    QVERIFY2(output.contains("missing.obj"), qPrintable(output));
    QVERIFY(!QFile::exists(dir.filePath("x.png")));
  }
};

QTEST_MAIN(TestScreenshot)
#include "tst_screenshot.moc"
