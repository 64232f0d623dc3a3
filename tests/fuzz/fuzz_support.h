#pragma once
// Shared by the libFuzzer targets (one per parser, tests/fuzz/fuzz_<name>.cpp).
//
// A parser may refuse its input with one of the project's own errors (std::exception with a
// message naming the file); that is the normal outcome for most inputs. Everything else is a
// finding: crashes and sanitizer reports (the process dies), timeouts and memory beyond libFuzzer's
// limits, and errors that would show the user LibTorch's or the allocator's text instead of ours:
// std::bad_alloc, c10::Error, an empty message (abort() with the message on stderr).
#include <c10/util/Exception.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <fstream>
#include <functional>
#include <new>
#include <string>
#include <typeinfo>
#include <vector>

namespace erwin::fuzz {

[[noreturn]] inline void finding(const char* kind, const char* what) {
  std::fprintf(stderr, "fuzz finding: %s: %s\n", kind, what);
  std::abort();
}

// Runs `parse`; returns normally when it succeeds or throws one of the project's errors.
inline void expect_clean(const std::function<void()>& parse) {
  try {
    parse();
  } catch (const std::bad_alloc& error) {
    finding("std::bad_alloc reached the caller", error.what());
  } catch (const c10::Error& error) {
    finding("LibTorch's error reached the caller", error.what());
  } catch (const std::exception& error) {
    if (std::string(error.what()).empty())
      finding("an error without a message", typeid(error).name());
    // ERWIN_FUZZ_VERBOSE=1 shows the refusals, e.g. to see that the seeds are accepted.
    if (std::getenv("ERWIN_FUZZ_VERBOSE")) std::fprintf(stderr, "refused: %s\n", error.what());
  }
}

// A folder of this process's own, for readers that take a path (removed at exit).
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    const char* base = std::getenv("TMPDIR");
    std::filesystem::path path =
        std::filesystem::path(base ? base : "/tmp") / ("erwin-fuzz-" + std::to_string(getpid()));
    std::filesystem::create_directories(path);
    std::atexit([] { std::filesystem::remove_all(scratch_dir()); });
    return path;
  }();
  return dir;
}

// Writes `bytes` to `name` inside the scratch folder (sub-folders made) and returns its path.
inline std::string write_scratch(const std::string& name, const std::string& bytes) {
  const std::filesystem::path path = scratch_dir() / name;
  std::filesystem::create_directories(path.parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  return path.string();
}

// Inputs of readers that take several files hold them one after another, separated by this line
// (tests/fuzz/make_corpus.py writes the seeds so).
inline const std::string kPartSeparator = "\n--erwin-fuzz-part--\n";

// The `count` files of one input; the last takes the rest, missing ones are empty.
inline std::vector<std::string> split_parts(const uint8_t* data, size_t size, size_t count) {
  const std::string all(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> parts;
  size_t begin = 0;
  while (parts.size() + 1 < count) {
    const size_t end = all.find(kPartSeparator, begin);
    if (end == std::string::npos) break;
    parts.push_back(all.substr(begin, end - begin));
    begin = end + kPartSeparator.size();
  }
  parts.push_back(begin <= all.size() ? all.substr(begin) : std::string());
  parts.resize(count);
  return parts;
}

inline std::string as_string(const uint8_t* data, size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace erwin::fuzz
