// erwin/errors.h (ERWIN_CHECK) and erwin/io_util.h: the helpers that used to be written per file.
#include <sys/stat.h>

#include <QTemporaryDir>
#include <QTest>
#include <fstream>

#include "erwin/errors.h"
#include "erwin/io_util.h"
#include "test_support.h"

using erwin::test::expect_format_error;
using erwin::test::expect_invalid_argument;

class IoUtilTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void check_streams_its_message_only_on_failure() {
    int formatted = 0;
    const auto counted = [&formatted] { return ++formatted; };
    ERWIN_CHECK(1 + 1 == 2, "never formatted " << counted());
    QCOMPARE(formatted, 0);
    const int size = -3;
    expect_invalid_argument([&] { ERWIN_CHECK(size >= 1, "size: " << size << " < 1"); },
                            "size: -3 < 1");
    expect_format_error([&] { ERWIN_CHECK_FORMAT(false, "a.npy: shape " << 2 << "x" << 3); },
                        {"a.npy: shape 2x3"});
    // A FormatError is not an invalid_argument: callers tell bad files from bad arguments.
    bool caught_as_runtime_error = false;
    try {
      ERWIN_CHECK_FORMAT(false, "x");
    } catch (const std::invalid_argument&) {
      QFAIL("FormatError caught as std::invalid_argument");
    } catch (const std::runtime_error&) {
      caught_as_runtime_error = true;
    }
    QVERIFY(caught_as_runtime_error);
  }

  void lower_case_and_extensions() {
    QCOMPARE(erwin::lower_case("MiXeD.PLY ä"), std::string("mixed.ply ä"));
    QCOMPARE(erwin::lower_extension("/data/Cloud.PLY"), std::string(".ply"));
    QCOMPARE(erwin::lower_extension("archive.tar.GZ"), std::string(".gz"));
    QCOMPARE(erwin::lower_extension("dir.d/file"), std::string());
    QCOMPARE(erwin::lower_extension("noext"), std::string());
    QCOMPARE(erwin::lower_extension(".hidden"), std::string(".hidden"));
  }

  void trim() {
    QCOMPARE(erwin::trim(" \t x y \r\n"), std::string("x y"));
    QCOMPARE(erwin::trim(" \t "), std::string());
    QCOMPARE(erwin::trim(""), std::string());
  }

  void image_sizes() {
    const auto size = erwin::parse_image_size("1920x1080");
    QVERIFY(size);
    QCOMPARE(size->width, 1920);
    QCOMPARE(size->height, 1080);
    QCOMPARE(erwin::parse_image_size("16X9")->width, 16);
    QCOMPARE(erwin::parse_image_size("16384x1")->width, erwin::kMaxImageSide);
    for (const char* bad : {"", "x", "1920", "1920x", "x1080", "0x10", "10x0", "-5x10", "+5x10",
                            "10x10x10", "10 x10", "10x10 ", "16385x10", "10x99999999999", "axb"})
      QVERIFY2(!erwin::parse_image_size(bad), bad);
  }

  void reads_regular_files_only() {
    QTemporaryDir dir;
    const std::string file = dir.filePath("bytes.bin").toStdString();
    const std::string bytes("ab\0cd\nef", 8);
    std::ofstream(file, std::ios::binary) << bytes;
    QCOMPARE(erwin::read_regular_file(file), bytes);
    QCOMPARE(erwin::read_regular_file(file, 3), bytes.substr(0, 3));
    QCOMPARE(erwin::read_regular_file(file, 100), bytes);
    expect_format_error([&] { erwin::read_regular_file(file + ".missing"); },
                        {file + ".missing", "cannot open"});
    expect_format_error([&] { erwin::read_regular_file(dir.path().toStdString()); },
                        {dir.path().toStdString(), "not a regular file"});
    const std::string fifo = dir.filePath("pipe").toStdString();
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    expect_format_error([&] { erwin::read_regular_file(fifo); }, {fifo, "not a regular file"});
  }
};

QTEST_APPLESS_MAIN(IoUtilTest)
#include "tst_io_util.moc"
