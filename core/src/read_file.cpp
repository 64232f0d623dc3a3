#include "erwin/read_file.h"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include "erwin/npy.h"

namespace erwin {

std::string read_regular_file(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) throw FormatError(path + ": cannot open file");
  if (!S_ISREG(info.st_mode))
    throw FormatError(path +
                      ": not a regular file (a directory, FIFO or device); refusing to read it");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw FormatError(path + ": cannot open file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw FormatError(path + ": read error");
  return buffer.str();
}

}  // namespace erwin
