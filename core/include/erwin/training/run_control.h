#pragma once
// Cancel and pause requests for a training run on another thread. The trainer checks them
// between steps, so a request takes effect after the current step.
#include <atomic>
#include <condition_variable>
#include <mutex>

namespace erwin {

class RunControl {
 public:
  void request_stop();  // also wakes a paused run so that it can stop
  void pause();
  void resume();
  bool stop_requested() const { return stop_.load(); }
  bool paused() const { return paused_.load(); }

  // Blocks while paused. Returns false when a stop was requested (before or while paused).
  bool wait_while_paused();

 private:
  std::atomic<bool> stop_{false};
  std::atomic<bool> paused_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
};

}  // namespace erwin
