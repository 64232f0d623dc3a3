#include "erwin/read_file.h"

#include <sys/stat.h>

#include <cstdint>
#include <fstream>
#include <sstream>

#include "erwin/npy.h"

namespace erwin {

std::string read_regular_file(const std::string& path, size_t max_bytes) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw FormatError(path + ": cannot open file");
  if (!S_ISREG(info.st_mode))
    throw FormatError(path +
                      ": not a regular file (a directory, FIFO or device); refusing to read it");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path + ": cannot open file");
  if (max_bytes < static_cast<uint64_t>(info.st_size)) {
    std::string head(max_bytes, '\0');
    in.read(head.data(), static_cast<std::streamsize>(max_bytes));
    if (in.bad()) throw FormatError(path + ": read error");
    head.resize(static_cast<size_t>(in.gcount()));
    return head;
  }
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw FormatError(path + ": read error");
  return buffer.str();
}

}  // namespace erwin
