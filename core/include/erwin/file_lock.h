#pragma once
// An exclusive lock that one process (or one object) at a time can hold on a file path, so that
// two training runs cannot write the same checkpoint and report success.
#include <string>

namespace erwin {

class FileLock {
 public:
  // Takes an advisory lock (flock) on `lock_path`, creating it and writing this process's id
  // into it. std::runtime_error naming `what` and the holder's process id when another
  // FileLock, in this process or another, holds it. The lock ends with the object or with the
  // process, so a killed run leaves nothing stale behind.
  FileLock(const std::string& lock_path, const std::string& what);
  ~FileLock();
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_ = -1;
};

}  // namespace erwin
