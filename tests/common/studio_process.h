#pragma once
// Running the built erwin-studio binary from a ui test (screenshot mode and the like).
#include <QCoreApplication>
#include <QDir>
#include <QProcess>
#include <QStringList>

namespace erwin::test {

inline QString studio_binary() {
  return QDir(QCoreApplication::applicationDirPath()).filePath("../app/erwin-studio");
}

// Runs the studio; returns its exit code (-1 when it did not finish) and its merged output.
inline int run_studio(const QStringList& arguments, QString* output) {
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

}  // namespace erwin::test
