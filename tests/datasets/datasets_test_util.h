#pragma once
// Helpers for the dataset tests: capturing a FormatError's message and damaging files.
#include <QTest>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <string>

#include "erwin/errors.h"

namespace erwin::test {

// The message of the erwin::FormatError that `action` throws; a marker text otherwise, so that
// a missing or different exception fails the caller's checks with a readable message.
inline std::string format_error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const erwin::FormatError& error) {
    return error.what();
  } catch (const std::exception& error) {
    return std::string("<not a FormatError> ") + error.what();
  }
  return "<no exception>";
}

inline bool mentions_all(const std::string& message, std::initializer_list<std::string> words) {
  for (const std::string& word : words)
    if (message.find(word) == std::string::npos) return false;
  return true;
}

// Fails the current test unless `action` throws a FormatError naming every word.
#define ERWIN_EXPECT_FORMAT_ERROR(action, ...)                                      \
  do {                                                                              \
    const std::string message_ = erwin::test::format_error_of([&] { action; });     \
    QVERIFY2(erwin::test::mentions_all(message_, {__VA_ARGS__}), message_.c_str()); \
  } while (0)

inline void truncate_file(const std::string& path, double keep_fraction) {
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, static_cast<std::uintmax_t>(size * keep_fraction));
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

}  // namespace erwin::test
