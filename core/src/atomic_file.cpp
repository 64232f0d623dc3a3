#include "erwin/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

namespace erwin {
namespace {

namespace fs = std::filesystem;

std::string parent_folder(const std::string& path) {
  const fs::path parent = fs::path(path).parent_path();
  return parent.empty() ? "." : parent.string();
}

void sync_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::system_error(errno, std::generic_category(), "cannot reopen " + path);
  const int status = ::fsync(fd);
  const int error = errno;
  ::close(fd);
  if (status != 0) throw std::runtime_error("cannot write " + path + ": " + std::strerror(error));
}

void sync_parent_directory(const std::string& path) {
  const int fd = ::open(parent_folder(path).c_str(), O_RDONLY | O_DIRECTORY);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

bool process_alive(pid_t pid) { return ::kill(pid, 0) == 0 || errno == EPERM; }

// `<path>.tmp.<pid>` files of processes that no longer run: saves that were killed midway.
void remove_stale_temporaries(const std::string& path) {
  const std::string prefix = fs::path(path).filename().string() + ".tmp.";
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(parent_folder(path), error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid_text = name.substr(prefix.size());
    if (pid_text.empty() || pid_text.find_first_not_of("0123456789") != std::string::npos ||
        pid_text.size() > 9)
      continue;
    const pid_t pid = static_cast<pid_t>(std::stol(pid_text));
    if (pid != ::getpid() && !process_alive(pid)) fs::remove(entry.path(), error);
  }
}

}  // namespace

void check_writable_target(const std::string& path) {
  const std::string folder = parent_folder(path);
  struct stat info {};
  if (::stat(folder.c_str(), &info) != 0 || !S_ISDIR(info.st_mode))
    throw std::invalid_argument(path + ": the folder " + folder + " does not exist");
  if (::access(folder.c_str(), W_OK) != 0)
    throw std::invalid_argument(path + ": the folder " + folder + " is not writable");
  if (::stat(path.c_str(), &info) != 0) return;  // a new file
  if (!S_ISREG(info.st_mode))
    throw std::invalid_argument(path +
                                ": exists and is not a regular file (a device, FIFO or folder); "
                                "refusing to replace it");
  // No write bit at all is a file someone protected: refused even for root, whom access()
  // lets write anything.
  const bool protected_file = (info.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) == 0;
  if (protected_file || ::access(path.c_str(), W_OK) != 0)
    throw std::invalid_argument(path + ": exists and is read-only; refusing to replace it");
}

void write_file_atomically(const std::string& path,
                           const std::function<void(const std::string&)>& write) {
  check_writable_target(path);
  remove_stale_temporaries(path);
  const std::string temp = path + ".tmp." + std::to_string(::getpid());
  try {
    write(temp);
    sync_file(temp);
  } catch (...) {
    std::remove(temp.c_str());
    throw;
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    std::remove(temp.c_str());
    throw std::system_error(err, std::generic_category(), "cannot replace " + path);
  }
  sync_parent_directory(path);
}

void write_file_atomically(const std::string& path, const std::string& bytes) {
  write_file_atomically(path, [&](const std::string& temp) {
    std::ofstream out(temp, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot write " + temp);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    out.flush();
    if (!out) throw std::runtime_error("write failed for " + path + " (disk full?)");
  });
}

}  // namespace erwin
