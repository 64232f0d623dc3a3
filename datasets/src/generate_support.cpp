#include "generate_support.h"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "erwin/atomic_file.h"
#include "erwin/datasets/generate.h"

namespace erwin::datasets {

GenerateSize parse_generate_size(const std::string& name) {
  if (name == "small") return GenerateSize::Small;
  if (name == "medium") return GenerateSize::Medium;
  throw std::invalid_argument("size: expected small or medium, got '" + name + "'");
}

namespace detail {

void make_directories(const std::string& path) {
  std::error_code error;
  std::filesystem::create_directories(path, error);
  if (error) throw std::runtime_error(path + ": cannot create directory: " + error.message());
}

void write_list(const std::string& path, const std::vector<std::string>& lines) {
  std::string text;
  for (const std::string& line : lines) text += line + "\n";
  write_file_atomically(path, text);
}

std::string numbered(const std::string& prefix, int64_t index) {
  char digits[32];
  std::snprintf(digits, sizeof digits, "%04lld", static_cast<long long>(index));
  return prefix + "_" + digits;
}

SplitCounts split_counts(int64_t total, const std::string& what) {
  if (total < 3)
    throw std::invalid_argument(what + ": need at least 3 items for train, valid and test");
  const int64_t held_out = std::max<int64_t>(1, total / 6);
  return {total - 2 * held_out, held_out, held_out};
}

}  // namespace detail
}  // namespace erwin::datasets
