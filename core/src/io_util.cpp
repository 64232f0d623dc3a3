#include "erwin/io_util.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <sstream>

#include "erwin/errors.h"

namespace erwin {

std::string read_regular_file(const std::string& path, size_t max_bytes) {
  struct stat info {};
  ERWIN_CHECK_FORMAT(::stat(path.c_str(), &info) == 0, path << ": cannot open file");
  ERWIN_CHECK_FORMAT(S_ISREG(info.st_mode),
                     path << ": not a regular file (a directory, FIFO or device); "
                             "refusing to read it");
  std::ifstream in(path, std::ios::binary);
  ERWIN_CHECK_FORMAT(in, path << ": cannot open file");
  if (max_bytes < static_cast<uint64_t>(info.st_size)) {
    std::string head(max_bytes, '\0');
    in.read(head.data(), static_cast<std::streamsize>(max_bytes));
    ERWIN_CHECK_FORMAT(!in.bad(), path << ": read error");
    head.resize(static_cast<size_t>(in.gcount()));
    return head;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  ERWIN_CHECK_FORMAT(!in.bad(), path << ": read error");
  return buffer.str();
}

std::string lower_case(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string lower_extension(const std::string& path) {
  const auto slash = path.find_last_of('/');
  const auto dot = path.find_last_of('.');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
  return lower_case(path.substr(dot));
}

std::string trim(const std::string& text) {
  size_t begin = 0, end = text.size();
  while (begin < end && std::isspace(static_cast<unsigned char>(text[begin]))) ++begin;
  while (end > begin && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  return text.substr(begin, end - begin);
}

std::optional<ImageSize> parse_image_size(const std::string& text) {
  const auto x = text.find_first_of("xX");
  if (x == std::string::npos) return std::nullopt;
  // One whole decimal number in [1, kMaxImageSide] between `begin` and `end`, else 0.
  const auto side = [&text](size_t begin, size_t end) {
    int value = 0;
    const char* first = text.data() + begin;
    const char* last = text.data() + end;
    const auto [stop, error] = std::from_chars(first, last, value);
    const bool ok = begin < end && std::isdigit(static_cast<unsigned char>(*first)) &&
                    error == std::errc() && stop == last && value >= 1 && value <= kMaxImageSide;
    return ok ? value : 0;
  };
  const ImageSize size{side(0, x), side(x + 1, text.size())};
  if (size.width == 0 || size.height == 0) return std::nullopt;
  return size;
}

}  // namespace erwin
