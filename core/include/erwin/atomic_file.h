#pragma once
#include <functional>
#include <string>

namespace erwin {

// Writes `path` atomically: `write` fills a temporary file in the same directory, which is
// flushed, synced and renamed over `path` only when `write` returns. If it throws, or the
// process dies, the previous file at `path` is untouched.
void write_file_atomically(const std::string& path,
                           const std::function<void(const std::string& temp_path)>& write);
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace erwin
