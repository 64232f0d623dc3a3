#pragma once
// The project's error types and ERWIN_CHECK, which refuses bad input in one line with a message
// that names the file or argument and the field:
//   ERWIN_CHECK(size >= 1, "batch_for_step: size must be at least 1, got " << size);
//   ERWIN_CHECK_FORMAT(count <= left, path << ": " << field << ": " << count << " > " << left);
// Bad arguments and settings throw std::invalid_argument, unreadable files erwin::FormatError.
#include <sstream>
#include <stdexcept>

namespace erwin {

// A file (or an in-memory image of one) that is not what it claims to be: truncated, damaged,
// the wrong kind, or with a field out of range. The message names the file and the field.
struct FormatError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace erwin

// Throws `error_type` built from the streamed `message` unless `condition` holds; the message is
// only formatted on failure.
#define ERWIN_CHECK_AS(error_type, condition, message) \
  do {                                                 \
    if (!(condition)) {                                \
      std::ostringstream erwin_check_message_;         \
      erwin_check_message_ << message;                 \
      throw error_type(erwin_check_message_.str());    \
    }                                                  \
  } while (false)

#define ERWIN_CHECK(condition, message) ERWIN_CHECK_AS(std::invalid_argument, condition, message)
#define ERWIN_CHECK_FORMAT(condition, message) \
  ERWIN_CHECK_AS(::erwin::FormatError, condition, message)
