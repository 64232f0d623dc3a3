#pragma once
// Data-parallel tests: `erwin train` ranks started the way torchrun
// starts them (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT), one thread each.
#include <QProcess>
#include <QProcessEnvironment>
#include <memory>
#include <vector>

#include "erwin/training/data_parallel.h"
#include "process_support.h"

namespace erwin::test {

// One thread per process, so that timings and thread counts do not depend on the machine.
inline QProcessEnvironment one_thread_environment() {
  QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
  env.insert("OMP_NUM_THREADS", "1");
  for (const char* name : {"RANK", "WORLD_SIZE", "LOCAL_RANK", "MASTER_ADDR", "MASTER_PORT"})
    env.remove(name);
  return env;
}

inline QProcessEnvironment rank_environment(int rank, int world_size, int port) {
  QProcessEnvironment env = one_thread_environment();
  env.insert("RANK", QString::number(rank));
  env.insert("LOCAL_RANK", QString::number(rank));
  env.insert("WORLD_SIZE", QString::number(world_size));
  env.insert("MASTER_ADDR", "127.0.0.1");
  env.insert("MASTER_PORT", QString::number(port));
  return env;
}

#ifdef ERWIN_CLI_PATH
// `erwin train` processes running side by side.
class ErwinRanks {
 public:
  // Starts rank r of `world_size` with `args` for each r in `ranks` (default: all).
  ErwinRanks(int world_size, int port, const QStringList& args, std::vector<int> ranks = {}) {
    if (ranks.empty())
      for (int r = 0; r < world_size; ++r) ranks.push_back(r);
    for (int r : ranks) {
      auto process = std::make_unique<QProcess>();
      process->setProcessEnvironment(rank_environment(r, world_size, port));
      process->start(QStringLiteral(ERWIN_CLI_PATH), args);
      processes_.push_back(std::move(process));
    }
  }
  ~ErwinRanks() {
    for (auto& p : processes_) {
      p->kill();
      p->waitForFinished();
    }
  }

  QProcess& process(size_t i) { return *processes_[i]; }
  size_t size() const { return processes_.size(); }

  // Waits for process i at most `timeout_ms` (then kills it) and returns how it ended.
  Run finish(size_t i, int timeout_ms) { return finish_process(*processes_[i], timeout_ms); }

  std::vector<Run> finish_all(int timeout_ms) {
    std::vector<Run> runs;
    for (size_t i = 0; i < processes_.size(); ++i) runs.push_back(finish(i, timeout_ms));
    return runs;
  }

 private:
  std::vector<std::unique_ptr<QProcess>> processes_;
};

// `erwin args...` with one thread and no launch variables (a single process, or a launcher).
inline Run run_erwin_one_thread(const QStringList& args, int timeout_ms = 600000) {
  QProcess process;
  process.setProcessEnvironment(one_thread_environment());
  process.start(QStringLiteral(ERWIN_CLI_PATH), args);
  return finish_process(process, timeout_ms);
}
#endif

}  // namespace erwin::test
