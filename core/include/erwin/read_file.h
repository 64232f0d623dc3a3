#pragma once
// The one way the project reads a whole input file into memory.
#include <string>

namespace erwin {

// The bytes of the regular file `path`. erwin::FormatError naming `path` when it cannot be
// opened or read, or is not a regular file: a FIFO would block for ever and a device never end,
// so both are refused before reading.
std::string read_regular_file(const std::string& path);

}  // namespace erwin
