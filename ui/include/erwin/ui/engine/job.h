#pragma once
// The Qt-free side of the Studio's one job mechanism (job_runner.h runs jobs): a job is a plain
// function `Result job(const Request&, JobContext&)` that runs in a worker thread and talks to
// the GUI thread only through its JobContext.
#include <exception>
#include <functional>
#include <string>

namespace erwin::ui {

// Ends a cancelled job early; nothing is delivered for it.
struct JobCancelled : std::exception {
  const char* what() const noexcept override { return "job cancelled"; }
};

class JobContext {
 public:
  virtual ~JobContext() = default;

  // True once the job was cancelled or superseded by a newer one: whatever it returns is dropped,
  // so it should stop at its next convenient point (return, or throw_if_cancelled()).
  virtual bool is_cancelled() const = 0;
  // Shown in the GUI thread, in the order reported, unless the job is stale by then. `fraction`
  // lies in [0, 1], or is negative when the job cannot tell how far it is.
  virtual void progress(double fraction, const std::string& text) = 0;
  // Runs `gui_work` in the GUI thread, in order with progress and the result, unless the job is
  // stale by then: intermediate results (a training run's losses) for the caller to show.
  virtual void post(std::function<void()> gui_work) = 0;

  void throw_if_cancelled() const {
    if (is_cancelled()) throw JobCancelled();
  }
};

}  // namespace erwin::ui
