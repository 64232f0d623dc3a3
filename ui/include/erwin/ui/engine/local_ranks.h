#pragma once
// The Studio's data-parallel runs: the Studio trains rank 0 itself (so its Training dock shows
// rank 0's metrics) and starts ranks 1..N-1 as `erwin train` processes on 127.0.0.1, the way
// `erwin train --nproc N` does (README "Data-parallel training").
#include <QProcess>
#include <QString>
#include <chrono>
#include <memory>
#include <vector>

#include "erwin/training/data_parallel.h"
#include "erwin/training/run_config.h"

namespace erwin::ui {

// The `erwin` tool the Studio starts: $ERWIN_CLI when set, else `erwin` beside the Studio.
QString erwin_cli_path();

class LocalRanks {
 public:
  // Starts ranks 1..processes-1 of a run of `config` (already prepared) on a free port, each
  // with cores / processes threads (as this process from now on, until destruction).
  LocalRanks(const RunConfig& config, const QString& resume_checkpoint, int processes,
             std::chrono::seconds timeout);
  // Kills ranks still running and restores this process's thread count.
  ~LocalRanks();
  LocalRanks(const LocalRanks&) = delete;
  LocalRanks& operator=(const LocalRanks&) = delete;

  // Joins the group as rank 0 (erwin::join_run); the other ranks train rank 0's configuration.
  std::shared_ptr<DataParallel> join(RunConfig& config);
  // Waits for the other ranks to end (at most the timeout + 10 s each); "" when all succeeded or
  // stopped on request, else what the first failing rank wrote to stderr.
  QString finish();
  // What the ranks wrote to stderr so far (for an error message).
  QString errors();

 private:
  DistributedLaunch launch_;
  std::chrono::seconds timeout_;
  QString config_file_;
  std::vector<std::unique_ptr<QProcess>> ranks_;
  int previous_threads_ = 0;
};

}  // namespace erwin::ui
