// Atomic writes (erwin/atomic_file.h) against the failures an adversarial test found (issue 13,
// case 9): special files replaced by the rename, read-only files replaced, missing folders,
// failed writes reported as success, and temporaries of killed saves left for ever.
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QTemporaryDir>
#include <QTest>
#include <filesystem>
#include <fstream>
#include <stdexcept>

#include "erwin/atomic_file.h"
#include "erwin/npy.h"
#include "test_support.h"

namespace fs = std::filesystem;
using erwin::test::expect_invalid_argument;

namespace {

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

}  // namespace

class AtomicFileTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string path(const std::string& name) const {
    return dir_.filePath(QString::fromStdString(name)).toStdString();
  }

 private Q_SLOTS:
  void writes_and_replaces() {
    const std::string file = path("a.txt");
    erwin::write_file_atomically(file, "first");
    erwin::write_file_atomically(file, "second");
    QCOMPARE(read_text(file), std::string("second"));
  }

  // /dev/full: the rename used to replace the device node with a regular file, exit 0.
  void devices_and_fifos_are_not_replaced() {
    const std::string device = path("full.npy");
    fs::create_symlink("/dev/full", device);
    expect_invalid_argument([&] { erwin::save_npy(device, torch::zeros({3})); },
                            "not a regular file");
    QVERIFY(fs::is_symlink(device));
    QVERIFY(fs::is_character_file(device));
    const std::string fifo = path("pipe.npy");
    QCOMPARE(::mkfifo(fifo.c_str(), 0600), 0);
    expect_invalid_argument([&] { erwin::save_npy(fifo, torch::zeros({3})); },
                            "not a regular file");
    QVERIFY(fs::is_fifo(fifo));
    const std::string folder = path("folder.npy");
    fs::create_directory(folder);
    expect_invalid_argument([&] { erwin::write_file_atomically(folder, "x"); },
                            "not a regular file");
  }

  void read_only_files_are_not_replaced() {
    const std::string file = path("locked.txt");
    erwin::write_file_atomically(file, "keep me");
    fs::permissions(file, fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    expect_invalid_argument([&] { erwin::write_file_atomically(file, "lost"); }, "read-only");
    QCOMPARE(read_text(file), std::string("keep me"));
  }

  // `rollout --output /nonexistent/x.h5` used to create /nonexistent.
  void missing_folders_are_not_created() {
    const std::string file = path("no/such/folder/x.txt");
    expect_invalid_argument([&] { erwin::write_file_atomically(file, "x"); }, "does not exist");
    QVERIFY(!fs::exists(path("no")));
  }

  // A kill during a save left <path>.tmp.<pid> behind (24 MB after nine kills): the next save
  // removes the temporaries of processes that are gone, and leaves a live writer's alone.
  void temporaries_of_killed_saves_are_removed() {
    const std::string file = path("run.ckpt");
    const pid_t child = ::fork();
    if (child == 0) {
      std::ofstream(file + ".tmp." + std::to_string(::getpid())) << "half a checkpoint";
      ::_exit(0);
    }
    int status = 0;
    ::waitpid(child, &status, 0);
    const std::string stale = file + ".tmp." + std::to_string(child);
    QVERIFY(fs::exists(stale));
    const std::string live = file + ".tmp." + std::to_string(::getppid());  // a running process
    std::ofstream(live) << "another writer";
    erwin::write_file_atomically(file, "saved");
    QVERIFY(!fs::exists(stale));
    QVERIFY(fs::exists(live));
    QCOMPARE(read_text(file), std::string("saved"));
  }

  void failed_write_keeps_the_previous_file() {
    const std::string file = path("b.txt");
    erwin::write_file_atomically(file, "old");
    QVERIFY_THROWS_EXCEPTION(std::runtime_error,
                             erwin::write_file_atomically(file, [](const std::string&) {
                               throw std::runtime_error("disk full");
                             }));
    QCOMPARE(read_text(file), std::string("old"));
    for (const auto& entry : fs::directory_iterator(dir_.path().toStdString()))
      QVERIFY(entry.path().filename().string().find(".tmp.") == std::string::npos ||
              entry.path().filename().string().find("run.ckpt") == 0);
  }
};

QTEST_APPLESS_MAIN(AtomicFileTest)
#include "tst_atomic_file.moc"
