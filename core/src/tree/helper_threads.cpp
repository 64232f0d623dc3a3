#include "helper_threads.h"

#include <chrono>

namespace erwin::tree {
namespace {

// How long a helper, and a caller waiting for helpers, spin before they sleep. Waking a sleeping
// thread costs tens to hundreds of microseconds on a VM, about as long as building the trees of a
// small batch (16 clouds of 1k points: under a millisecond), so a sleeping helper would join
// late; OpenMP's threads (the published package's) spin likewise after a parallel region.
constexpr std::chrono::microseconds kSpin{1000};

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#else
  std::this_thread::yield();
#endif
}

// Spins until done() or kSpin has passed.
template <class Done>
void spin_until(Done done) {
  const auto until = std::chrono::steady_clock::now() + kSpin;
  for (int i = 0; !done(); ++i) {
    cpu_relax();
    if (i % 64 == 0 && std::chrono::steady_clock::now() > until) return;
  }
}

}  // namespace

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
    generation_ = generation_ + 1;
  }
  wake_.notify_all();
  work();
  spin_until([this] { return running_ == 0; });
  std::unique_lock<std::mutex> lock(mutex_);
  done_.wait(lock, [this] { return running_ == 0; });
  work_ = nullptr;
}

void HelperThreads::serve() {
  uint64_t joined = 0;  // the last run this thread took part in
  std::unique_lock<std::mutex> lock(mutex_);
  for (;;) {
    lock.unlock();
    spin_until([&] { return stopping_ || generation_ != joined; });
    lock.lock();
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
