#pragma once
// The one way the project reads a whole input file into memory.
#include <cstddef>
#include <limits>
#include <string>

namespace erwin {

// The bytes of the regular file `path`. erwin::FormatError naming `path` when it cannot be
// opened or read, or is not a regular file: a FIFO would block for ever and a device never end,
// so both are refused before reading. At most `max_bytes` are read (the head of the file).
std::string read_regular_file(const std::string& path,
                              size_t max_bytes = std::numeric_limits<size_t>::max());

}  // namespace erwin
