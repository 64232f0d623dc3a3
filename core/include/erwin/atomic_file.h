#pragma once
#include <functional>
#include <string>

namespace erwin {

// Writes `path` atomically: `write` fills a temporary file `<path>.tmp.<pid>` in the same
// directory, which is flushed, synced and renamed over `path` only when `write` returns. If it
// throws, or the process dies, the previous file at `path` is untouched; temporaries left by
// processes that died while saving are removed by the next save to the same path.
// Refused before anything is written (std::invalid_argument naming `path`): a parent folder
// that does not exist (it is not created), an existing `path` that is not a regular file (a
// device such as /dev/full, a FIFO, a folder: renaming would replace it) or that is read-only.
// A failed write or sync (e.g. a full disk) throws std::runtime_error naming the file.
void write_file_atomically(const std::string& path,
                           const std::function<void(const std::string& temp_path)>& write);
void write_file_atomically(const std::string& path, const std::string& bytes);

// The checks above, without writing: for commands that must know before long work whether they
// will be able to save.
void check_writable_target(const std::string& path);

}  // namespace erwin
