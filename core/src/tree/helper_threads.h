#pragma once
// Threads kept between tree builds. Starting and joining threads costs about as much as building
// the trees of a small batch (16 clouds of 1k points take about a millisecond), so the fast
// partitioner borrows these instead.
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace erwin::tree {

class HelperThreads {
 public:
  static HelperThreads& shared();
  ~HelperThreads();

  // Runs `work` on the calling thread and on `helpers` kept threads, and returns when all of
  // them have returned. While another caller uses the threads, `work` runs on the caller alone
  // (so `work` must be able to finish the job by itself).
  void run(int helpers, const std::function<void()>& work);

 private:
  void serve();

  std::mutex run_mutex_;  // one run at a time
  std::mutex mutex_;      // guards everything below
  std::condition_variable wake_, done_;
  std::vector<std::thread> threads_;
  const std::function<void()>* work_ = nullptr;
  // Written under mutex_; atomic so that spinning threads may read them without it.
  std::atomic<uint64_t> generation_ = 0;  // counts runs; a thread joins each run at most once
  int unclaimed_ = 0;                     // helpers the current run still waits to start
  std::atomic<int> running_ = 0;          // helpers of the current run not finished yet
  std::atomic<bool> stopping_ = false;
};

}  // namespace erwin::tree
