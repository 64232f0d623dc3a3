#include "helper_threads.h"

namespace erwin::tree {

HelperThreads& HelperThreads::shared() {
  static HelperThreads threads;
  return threads;
}

HelperThreads::~HelperThreads() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& thread : threads_) thread.join();
}

void HelperThreads::run(int helpers, const std::function<void()>& work) {
  std::unique_lock<std::mutex> exclusive(run_mutex_, std::try_to_lock);
  if (helpers <= 0 || !exclusive.owns_lock()) {
    work();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    while (static_cast<int>(threads_.size()) < helpers) threads_.emplace_back([this] { serve(); });
    work_ = &work;
    unclaimed_ = running_ = helpers;
    ++generation_;
  }
  wake_.notify_all();
  work();
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return running_ == 0; });
  work_ = nullptr;
}

void HelperThreads::serve() {
  uint64_t joined = 0;  // the last run this thread took part in
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    wake_.wait(lock, [&] { return stopping_ || (generation_ != joined && unclaimed_ > 0); });
    if (stopping_) return;
    joined = generation_;
    --unclaimed_;
    const std::function<void()>& work = *work_;
    lock.unlock();
    work();
    lock.lock();
    if (--running_ == 0) done_.notify_all();
  }
}

}  // namespace erwin::tree
