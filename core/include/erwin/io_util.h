#pragma once
// Small file and text helpers shared by the readers, the command line and the Studio: the one
// place each of them is written.
#include <cstddef>
#include <limits>
#include <optional>
#include <string>

namespace erwin {

// The bytes of the regular file `path`. erwin::FormatError naming `path` when it cannot be
// opened or read, or is not a regular file: a FIFO would block for ever and a device never end,
// so both are refused before reading. At most `max_bytes` are read (the head of the file).
std::string read_regular_file(const std::string& path,
                              size_t max_bytes = std::numeric_limits<size_t>::max());

// `text` with ASCII letters in lower case (other bytes, UTF-8 included, unchanged).
std::string lower_case(std::string text);

// The extension of the file name in `path`, dot included and in lower case (".ply"); empty when
// the name has none ("dir.d/file" has none).
std::string lower_extension(const std::string& path);

// `text` without leading and trailing white space.
std::string trim(const std::string& text);

// An image size written "WxH" ("1920x1080", "1920X1080"): both positive and at most
// kMaxImageSide; nothing when `text` is not such a size.
struct ImageSize {
  int width = 0, height = 0;
};
inline constexpr int kMaxImageSide = 16384;
std::optional<ImageSize> parse_image_size(const std::string& text);

}  // namespace erwin
