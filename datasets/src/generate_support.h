#pragma once
// Helpers shared by the synthetic data generators.
#include <cstdint>
#include <string>
#include <vector>

namespace erwin::datasets::detail {

// Creates `path` and its parents; std::runtime_error naming the path on failure.
void make_directories(const std::string& path);

// Writes one name per line, atomically.
void write_list(const std::string& path, const std::vector<std::string>& lines);

// "prefix_007" style names, sortable as text.
std::string numbered(const std::string& prefix, int64_t index);

struct SplitCounts {
  int64_t train, valid, test;
};
// About 4:1:1, each split getting at least one item (needs total >= 3).
SplitCounts split_counts(int64_t total, const std::string& what);

}  // namespace erwin::datasets::detail
