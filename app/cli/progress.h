#pragma once
// Progress of a long step on stdout: a redrawn bar on a terminal, plain lines otherwise (logs,
// pipes, the tests), so that output captured to a file stays readable.
#include <chrono>
#include <cstdint>
#include <string>

namespace erwin::cli {

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total);
  ~ProgressBar();  // ends the bar's line if finish() was not called

  void update(int64_t done, const std::string& note = "");
  void finish(const std::string& note = "");

 private:
  std::string label_;
  int64_t total_;
  bool terminal_;
  bool finished_ = false;
  int64_t last_done_ = -1;
  std::chrono::steady_clock::time_point start_;
};

// Milliseconds since `start`, for the timings the subcommands print.
double elapsed_ms(std::chrono::steady_clock::time_point start);

}  // namespace erwin::cli
