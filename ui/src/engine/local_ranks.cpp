#include "erwin/ui/engine/local_ranks.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QProcessEnvironment>
#include <algorithm>
#include <stdexcept>
#include <thread>

#include "erwin/training/run_log.h"

namespace erwin::ui {

QString erwin_cli_path() {
  const QString configured = qEnvironmentVariable("ERWIN_CLI");
  if (!configured.isEmpty()) return configured;
  return QDir(QCoreApplication::applicationDirPath()).filePath("erwin");
}

LocalRanks::LocalRanks(const RunConfig& config, const QString& resume_checkpoint, int processes,
                       std::chrono::seconds timeout)
    : timeout_(timeout) {
  launch_.world_size = processes;
  launch_.master_port = free_loopback_port();
  const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  const int threads = std::max(1, cores / processes);
  // The other ranks read this file first; then they train rank 0's configuration (join_run).
  const QString folder = QString::fromStdString(run_folder_of(config.checkpoint_path));
  QDir().mkpath(folder);
  config_file_ = folder + "/ranks-config.json";
  QFile file(config_file_);
  if (!file.open(QIODevice::WriteOnly) ||
      file.write(QByteArray::fromStdString(config.to_json())) < 0)
    throw std::runtime_error(config_file_.toStdString() + ": cannot be written");
  file.close();
  QStringList args{"train", "--config", config_file_, "--dist-timeout",
                   QString::number(timeout.count())};
  if (!resume_checkpoint.isEmpty()) args << "--resume" << resume_checkpoint;
  for (int rank = 1; rank < processes; ++rank) {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert("RANK", QString::number(rank));
    env.insert("LOCAL_RANK", QString::number(rank));
    env.insert("WORLD_SIZE", QString::number(processes));
    env.insert("MASTER_ADDR", QString::fromStdString(launch_.master_addr));
    env.insert("MASTER_PORT", QString::number(launch_.master_port));
    env.insert("OMP_NUM_THREADS", QString::number(threads));
    auto process = std::make_unique<QProcess>();
    process->setProcessEnvironment(env);
    process->setStandardOutputFile(QProcess::nullDevice());
    process->start(erwin_cli_path(), args);
    ranks_.push_back(std::move(process));
  }
  previous_threads_ = torch::get_num_threads();
  torch::set_num_threads(threads);
}

LocalRanks::~LocalRanks() {
  for (auto& rank : ranks_) {
    rank->kill();
    rank->waitForFinished();
  }
  QFile::remove(config_file_);
  torch::set_num_threads(previous_threads_);
}

std::shared_ptr<DataParallel> LocalRanks::join(RunConfig& config) {
  for (auto& rank : ranks_)
    if (!rank->waitForStarted())
      throw std::runtime_error(erwin_cli_path().toStdString() +
                               ": cannot start a rank: " + rank->errorString().toStdString());
  return join_run(
      launch_, config, [](RunConfig&) {}, timeout_);
}

QString LocalRanks::finish() {
  const int wait_ms = static_cast<int>((timeout_.count() + 10) * 1000);
  for (size_t i = 0; i < ranks_.size(); ++i) {
    QProcess& rank = *ranks_[i];
    if (!rank.waitForFinished(wait_ms)) rank.kill();
    // 130: the rank stopped with rank 0 on a stop request.
    if (rank.exitStatus() != QProcess::NormalExit ||
        (rank.exitCode() != 0 && rank.exitCode() != 130))
      return QString("rank %1: %2")
          .arg(i + 1)
          .arg(QString::fromLocal8Bit(rank.readAllStandardError()).trimmed());
  }
  return QString();
}

QString LocalRanks::errors() {
  QString text;
  for (size_t i = 0; i < ranks_.size(); ++i) {
    const QString err = QString::fromLocal8Bit(ranks_[i]->readAllStandardError()).trimmed();
    if (!err.isEmpty()) text += QString("\nrank %1: %2").arg(i + 1).arg(err);
  }
  return text;
}

}  // namespace erwin::ui
