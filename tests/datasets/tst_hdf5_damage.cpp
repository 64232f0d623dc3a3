// HDF5 files on which libhdf5 1.10 itself crashes, asks for gigabytes or hangs (found by the md
// and h5_export fuzz targets, kept in their corpora as libhdf5_*): the readers run libhdf5 in a
// child process first, so each must end in an erwin::FormatError naming the file, with this
// process alive. Without that child, the crash inputs kill this test program.
#include <QTemporaryDir>
#include <QTest>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "../fuzz/fuzz_support.h"
#include "erwin/datasets/export.h"
#include "erwin/datasets/md_polymer.h"
#include "test_support.h"

using namespace erwin::datasets;
namespace fs = std::filesystem;

namespace {

// The corpus inputs of `target` whose names start with libhdf5_.
std::vector<fs::path> libhdf5_inputs(const std::string& target) {
  std::vector<fs::path> inputs;
  for (const auto& entry :
       fs::directory_iterator(erwin::test::source_dir() + "/tests/fuzz/corpus/" + target))
    if (entry.path().filename().string().rfind("libhdf5_", 0) == 0) inputs.push_back(entry.path());
  std::sort(inputs.begin(), inputs.end());
  return inputs;
}

std::string file_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// The FormatError's message, or a test failure when `read` returns or throws anything else.
std::string format_error_of(const std::function<void()>& read) {
  try {
    read();
  } catch (const erwin::FormatError& e) {
    return e.what();
  }
  return {};
}

}  // namespace

class TestHdf5Damage : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void md_trajectories_that_crash_libhdf5_are_named() {
    const std::vector<fs::path> inputs = libhdf5_inputs("md");
    QVERIFY(inputs.size() >= 8);
    int crashes_named = 0;
    for (const fs::path& input : inputs) {
      QTemporaryDir dir;
      QVERIFY(dir.isValid());
      const std::string bytes = file_bytes(input);
      const std::vector<std::string> parts =
          erwin::fuzz::split_parts(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), 3);
      const fs::path folder = dir.path().toStdString();
      write_bytes(folder / "ptype.h5", parts[0]);
      write_bytes(folder / "bond.h5", parts[1]);
      write_bytes(folder / "position.h5", parts[2]);
      const std::string message = format_error_of([&] { load_md_trajectory(folder.string()); });
      QVERIFY2(message.find(folder.string() + "/") != std::string::npos,
               qPrintable(QString::fromStdString(input.filename().string() + ": '" + message +
                                                 "' does not name a file of the trajectory")));
      // "libhdf5 crashed (signal 11, ...)"; in sanitizer builds "libhdf5 failed (exit status 1)"
      if (message.find(": libhdf5 ") != std::string::npos) ++crashes_named;
      qInfo("%s: %s", input.filename().c_str(), message.c_str());
    }
    QVERIFY2(crashes_named > 0, "no input crashed libhdf5 in the checking child");
  }

  void exports_that_crash_libhdf5_are_named() {
    for (const fs::path& input : libhdf5_inputs("h5_export")) {
      QTemporaryDir dir;
      QVERIFY(dir.isValid());
      const std::string path = dir.path().toStdString() + "/export.h5";
      write_bytes(path, file_bytes(input));
      const std::string message = format_error_of([&] {
        const std::optional<ExportKind> kind = hdf5_export_kind(path);
        if (kind == ExportKind::EagleRollout) read_eagle_rollout_h5(path);
        if (kind == ExportKind::ShapenetPrediction) read_shapenet_prediction_h5(path);
      });
      QVERIFY2(message.find(path) != std::string::npos,
               qPrintable(QString::fromStdString(input.filename().string() + ": '" + message +
                                                 "' does not name the file")));
      qInfo("%s: %s", input.filename().c_str(), message.c_str());
    }
  }
};

QTEST_GUILESS_MAIN(TestHdf5Damage)
#include "tst_hdf5_damage.moc"
