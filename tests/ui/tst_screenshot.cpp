// `erwin-studio --screenshot` loads each sample format, applies --level / --rotate and writes a
// non-trivial PNG of the requested size.
#include <QDir>
#include <QImage>
#include <QTemporaryDir>
#include <QTest>

#include "image_support.h"
#include "studio_process.h"
#include "test_support.h"

using erwin::test::run_studio;
using erwin::test::studio_binary;

namespace {

QString sample(const QString& name) {
  return QString::fromStdString(erwin::test::source_dir()) + "/resources/samples/" + name;
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
    const int colours = erwin::test::distinct_colours(image, 1);
    QVERIFY2(colours > 40, qPrintable(QString::number(colours)));
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
