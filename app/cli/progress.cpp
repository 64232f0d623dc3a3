#include "progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <iostream>

namespace erwin::cli {
namespace {
constexpr int kBarWidth = 30;
}

double elapsed_ms(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
      .count();
}

ProgressBar::ProgressBar(std::string label, int64_t total)
    : label_(std::move(label)),
      total_(std::max<int64_t>(total, 1)),
      terminal_(isatty(fileno(stdout)) != 0),
      start_(std::chrono::steady_clock::now()) {}

ProgressBar::~ProgressBar() {
  if (!finished_ && terminal_) std::cout << std::endl;
}

void ProgressBar::update(int64_t done, const std::string& note) {
  done = std::clamp<int64_t>(done, 0, total_);
  last_done_ = done;
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f s", elapsed_ms(start_) / 1000.0);
  const std::string suffix = std::to_string(done) + "/" + std::to_string(total_) + "  " + seconds +
                             (note.empty() ? "" : "  " + note);
  if (terminal_) {
    const int filled = static_cast<int>(kBarWidth * done / total_);
    // \33[K clears what a longer previous line left behind.
    std::cout << "\r" << label_ << " [" << std::string(filled, '#')
              << std::string(kBarWidth - filled, '.') << "] " << suffix << "\33[K" << std::flush;
  } else {
    std::cout << label_ << ": " << suffix << "\n" << std::flush;
  }
}

void ProgressBar::finish(const std::string& note) {
  // Plain lines: no second "n/n" line when the last update already said so.
  if (terminal_ || last_done_ != total_ || !note.empty()) update(total_, note);
  if (terminal_) std::cout << std::endl;
  finished_ = true;
}

}  // namespace erwin::cli
