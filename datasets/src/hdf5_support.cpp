#include "hdf5_support.h"

#include <ATen/Parallel.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "checks.h"

// Present in sanitizer and fuzzing builds only: the death callback is the parent's (libFuzzer's
// saves the parent's input as a crash) and must not run when the checking child dies.
extern "C" void __sanitizer_set_death_callback(void (*callback)()) __attribute__((weak));

namespace erwin::datasets::detail {

namespace {

// Exit codes of the child of check_hdf5_in_child.
constexpr int kChildRead = 0, kChildRefused = 3, kChildOutOfMemory = 4;

// 1 GiB plus twice the file's size: what the child may allocate beyond what it shares with the
// parent (libhdf5 1.10 allocates sizes that damaged metadata declare, up to exabytes).
uint64_t child_memory_budget(const std::string& path) {
  struct stat info {};
  const uint64_t bytes = ::stat(path.c_str(), &info) == 0 ? static_cast<uint64_t>(info.st_size) : 0;
  return (uint64_t{1} << 30) + 2 * bytes;
}

void limit_address_space(uint64_t budget) {
  unsigned long long pages = 0;  // the size of the address space now (/proc/self/statm)
  if (FILE* statm = std::fopen("/proc/self/statm", "r")) {
    if (std::fscanf(statm, "%llu", &pages) != 1) pages = 0;
    std::fclose(statm);
  }
  if (pages == 0) return;
  const rlim_t limit = pages * static_cast<rlim_t>(::sysconf(_SC_PAGESIZE)) + budget;
  const rlimit bound{limit, limit};
  ::setrlimit(RLIMIT_AS, &bound);
}

// The child's error, as a kind letter and its message, for the parent to throw.
void send_error(int fd, char kind, const char* what) {
  const std::string message = kind + std::string(what).substr(0, 4000);
  [[maybe_unused]] const ssize_t written = ::write(fd, message.data(), message.size());
}

[[noreturn]] void run_check_child(const std::function<void()>& read, int error_fd,
                                  uint64_t budget) {
  // The parent reports what happened; the C library's or a sanitizer's text would only confuse.
  const int null = ::open("/dev/null", O_WRONLY);
  if (null >= 0) ::dup2(null, STDERR_FILENO);
  if (__sanitizer_set_death_callback) __sanitizer_set_death_callback(nullptr);
  limit_address_space(budget);
  int code = kChildRead;
  try {
    at::set_num_threads(1);  // the parent's OpenMP threads do not exist in the child
    read();
  } catch (const std::bad_alloc&) {
    code = kChildOutOfMemory;
  } catch (const FormatError& e) {
    send_error(error_fd, 'F', e.what()), code = kChildRefused;
  } catch (const std::invalid_argument& e) {
    send_error(error_fd, 'I', e.what()), code = kChildRefused;
  } catch (const std::exception& e) {
    send_error(error_fd, 'R', e.what()), code = kChildRefused;
  }
  ::_exit(code);
}

// Rethrows the error the child sent through `fd` (it has exited).
[[noreturn]] void throw_child_error(int fd, const std::string& path) {
  std::string message;
  char buffer[4096];
  for (ssize_t got; (got = ::read(fd, buffer, sizeof buffer)) > 0;) message.append(buffer, got);
  const std::string what = message.size() > 1 ? message.substr(1) : path + ": unreadable HDF5 file";
  if (message.empty() || message[0] == 'F') throw FormatError(what);
  if (message[0] == 'I') throw std::invalid_argument(what);
  throw std::runtime_error(what);
}

// Closes a file descriptor when it goes out of scope.
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

std::chrono::seconds check_time_limit(const std::string& path) {
  struct stat info {};
  const int64_t bytes = ::stat(path.c_str(), &info) == 0 ? info.st_size : 0;
  return std::chrono::seconds(30 + (bytes >> 24));
}

// The child's exit status once it ended, or std::nullopt when `limit` passed first (it is killed).
std::optional<int> wait_for_child(pid_t pid, std::chrono::seconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  auto pause = std::chrono::microseconds(100);
  int status = 0;
  for (pid_t done = 0; done != pid; done = ::waitpid(pid, &status, WNOHANG)) {
    if (done < 0 && errno != EINTR)
      throw std::runtime_error(std::string("waiting for the HDF5 checking process failed: ") +
                               std::strerror(errno));
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return std::nullopt;
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(20000));
  }
  return status;
}

void write_scalar_attribute(hid_t file, const std::string& object_name, const std::string& name,
                            hid_t file_type, hid_t memory_type, const void* value,
                            const std::string& path) {
  const H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  const H5Handle attribute(H5Acreate_by_name(file, object_name.c_str(), name.c_str(), file_type,
                                             space.get(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                           H5Aclose);
  if (!attribute.valid() || H5Awrite(attribute.get(), memory_type, value) < 0)
    throw std::runtime_error(path + ": writing HDF5 attribute '" + object_name + "@" + name +
                             "' failed");
}

// The attribute, checked to be a single value of `expected` class.
H5Handle open_scalar_attribute(hid_t file, const std::string& object_name, const std::string& name,
                               H5T_class_t expected, const std::string& path) {
  const std::string field = object_name + "@" + name;
  if (H5Aexists_by_name(file, object_name.c_str(), name.c_str(), H5P_DEFAULT) <= 0)
    format_error(path, field, "attribute missing");
  H5Handle attribute(
      H5Aopen_by_name(file, object_name.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  const H5Handle type(H5Aget_type(attribute.get()), H5Tclose);
  const H5Handle space(H5Aget_space(attribute.get()), H5Sclose);
  if (!type.valid() || !space.valid()) format_error(path, field, "unreadable attribute");
  if (H5Tget_class(type.get()) != expected || H5Sget_simple_extent_npoints(space.get()) != 1)
    format_error(
        path, field,
        std::string("expected a single ") + (expected == H5T_INTEGER ? "integer"
                                             : expected == H5T_FLOAT ? "floating-point number"
                                                                     : "string"));
  return attribute;
}

template <typename T>
T read_number(hid_t file, const std::string& object_name, const std::string& name,
              H5T_class_t type_class, hid_t memory_type, const std::string& path) {
  const H5Handle attribute = open_scalar_attribute(file, object_name, name, type_class, path);
  T value{};
  if (H5Aread(attribute.get(), memory_type, &value) < 0)
    format_error(path, object_name + "@" + name, "reading the attribute failed");
  return value;
}

// A variable-length string attribute (h5py's default), in the file's character set.
std::string read_variable_string(hid_t attribute, hid_t file_type, const std::string& path,
                                 const std::string& field) {
  const H5Handle memory_type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(memory_type.get(), H5T_VARIABLE);
  H5Tset_cset(memory_type.get(), H5Tget_cset(file_type));
  char* text = nullptr;
  if (H5Aread(attribute, memory_type.get(), &text) < 0)
    format_error(path, field, "reading the variable-length string failed");
  std::string value = text ? text : "";  // a null pointer is HDF5's empty string
  H5free_memory(text);
  return value;
}

// A fixed-length string attribute: NUL-terminated or NUL-padded (cut at the first NUL), or
// space-padded as Fortran writes it (trailing spaces dropped).
std::string read_fixed_string(hid_t attribute, hid_t file_type, const std::string& path,
                              const std::string& field) {
  std::string value(H5Tget_size(file_type), '\0');
  if (H5Aread(attribute, file_type, value.data()) < 0)
    format_error(path, field, "reading the fixed-length string failed");
  if (H5Tget_strpad(file_type) == H5T_STR_SPACEPAD)
    return value.substr(0, value.find_last_not_of(' ') + 1);
  return value.substr(0, value.find('\0'));
}

// The dataset's declared shape must fit in what the file holds for it (checked before anything
// is allocated): its stored bytes, which compressed chunks expand at most 1032-fold (deflate's
// limit), and the file's size. A small damaged file cannot make the reader allocate gigabytes.
void check_declared_size(hid_t dataset, hid_t type, const std::vector<hsize_t>& dims,
                         const std::string& path, const std::string& name) {
  constexpr uint64_t kMaxExpansion = 1032, kSlack = 4096;  // chunks: deflate's limit
  const uint64_t limit = std::numeric_limits<int64_t>::max();
  uint64_t bytes = H5Tget_size(type);
  std::string shape;
  for (const hsize_t dim : dims) {
    shape += (shape.empty() ? "" : " x ") + std::to_string(dim);
    if (dim != 0 && bytes > limit / dim)
      format_error(path, name, "declares a shape (" + shape + " ...) too large to address");
    bytes *= dim;
  }
  const H5Handle file(H5Iget_file_id(dataset), H5Fclose);
  const H5Handle plist(H5Dget_create_plist(dataset), H5Pclose);
  hsize_t file_size = 0;
  if (!file.valid() || !plist.valid() || H5Fget_filesize(file.get(), &file_size) < 0)
    format_error(path, name, "unreadable dataset header");
  const H5D_layout_t layout = H5Pget_layout(plist.get());
  if (layout == H5D_VIRTUAL || H5Pget_external_count(plist.get()) != 0)
    format_error(path, name, "data in other files (virtual or external) is not read");
  const uint64_t held = std::min<uint64_t>(H5Dget_storage_size(dataset), file_size);
  // Unfiltered compact and contiguous data are stored as they are: the file must hold all of it
  // (libhdf5 1.10 copies a compact dataset's declared size out of a shorter buffer).
  const uint64_t expansion = layout == H5D_CHUNKED ? kMaxExpansion : 1;
  const uint64_t slack = layout == H5D_CHUNKED ? kSlack : 0;
  if (bytes > std::min(held, limit / expansion) * expansion + slack)
    format_error(path, name,
                 "declares shape [" + shape + "] (" + std::to_string(bytes) +
                     " bytes), more than the file holds for it (" + std::to_string(held) +
                     " bytes; truncated or damaged)");
}

}  // namespace

void silence_hdf5() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

void check_hdf5_in_child(const std::string& path, const std::string& field,
                         const std::function<void()>& read) {
  const std::chrono::seconds limit = check_time_limit(path);
  const uint64_t budget = child_memory_budget(path);
  int error_pipe[2];
  if (::pipe2(error_pipe, O_CLOEXEC) != 0)
    throw std::runtime_error(path + ": cannot check the HDF5 file: " + std::strerror(errno));
  FdCloser read_end{error_pipe[0]}, write_end{error_pipe[1]};
  const pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error(
        path + ": cannot start the process that checks the HDF5 file: " + std::strerror(errno));
  if (pid == 0) run_check_child(read, error_pipe[1], budget);
  ::close(write_end.fd);
  write_end.fd = -1;
  const std::optional<int> status = wait_for_child(pid, limit);
  if (!status)
    format_error(path, field,
                 "libhdf5 did not finish reading the file within " + std::to_string(limit.count()) +
                     " s (damaged HDF5 metadata?)");
  const int code = WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
  if (code == kChildRead) return;
  if (code == kChildRefused) throw_child_error(read_end.fd, path);
  if (code == kChildOutOfMemory)
    format_error(path, field,
                 "reading the file needs more than " + std::to_string(budget >> 20) +
                     " MiB (damaged HDF5 metadata?)");
  const std::string how = WIFSIGNALED(*status)
                              ? "crashed (signal " + std::to_string(WTERMSIG(*status)) + ", " +
                                    ::strsignal(WTERMSIG(*status)) + ")"
                              : "failed (exit status " + std::to_string(code) + ")";
  format_error(path, field, "libhdf5 " + how + " reading the file: damaged HDF5 metadata");
}

torch::Tensor read_dataset(hid_t dataset, const std::string& path, const std::string& name) {
  const H5Handle type(H5Dget_type(dataset), H5Tclose);
  const H5Handle space(H5Dget_space(dataset), H5Sclose);
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (!type.valid() || rank < 0) format_error(path, name, "unreadable dataset header");
  std::vector<hsize_t> dims(rank);
  H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  const H5T_class_t type_class = H5Tget_class(type.get());
  if (type_class != H5T_INTEGER && type_class != H5T_FLOAT)
    format_error(path, name, "expected integer or floating data");
  check_declared_size(dataset, type.get(), dims, path, name);
  const std::vector<int64_t> shape(dims.begin(), dims.end());
  const bool integer = type_class == H5T_INTEGER;
  torch::Tensor tensor = torch::empty(shape, integer ? torch::kInt64 : torch::kFloat);
  const hid_t memory_type = integer ? H5T_NATIVE_INT64 : H5T_NATIVE_FLOAT;
  if (H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, tensor.data_ptr()) < 0)
    format_error(path, name, "reading the data failed (truncated file?)");
  return tensor;
}

void write_dataset(hid_t location, const std::string& name, const torch::Tensor& tensor,
                   const std::string& path) {
  const torch::Tensor data = tensor.contiguous().cpu();
  hid_t file_type = 0, memory_type = 0;
  switch (data.scalar_type()) {
    case torch::kInt64:
      file_type = H5T_STD_I64LE, memory_type = H5T_NATIVE_INT64;
      break;
    case torch::kFloat:
      file_type = H5T_IEEE_F32LE, memory_type = H5T_NATIVE_FLOAT;
      break;
    case torch::kDouble:
      file_type = H5T_IEEE_F64LE, memory_type = H5T_NATIVE_DOUBLE;
      break;
    default:
      throw std::invalid_argument(path + ": dataset '" + name +
                                  "': int64, float32 or float64 tensors only");
  }
  const std::vector<hsize_t> dims(data.sizes().begin(), data.sizes().end());
  const H5Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                       H5Sclose);
  const H5Handle dataset(H5Dcreate2(location, name.c_str(), file_type, space.get(), H5P_DEFAULT,
                                    H5P_DEFAULT, H5P_DEFAULT),
                         H5Dclose);
  if (!dataset.valid() ||
      H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data.data_ptr()) < 0)
    throw std::runtime_error(path + ": writing HDF5 dataset '" + name + "' failed");
}

void create_group(hid_t file, const std::string& name, const std::string& path) {
  const H5Handle group(H5Gcreate2(file, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
                       H5Gclose);
  if (!group.valid())
    throw std::runtime_error(path + ": creating HDF5 group '" + name + "' failed");
}

void write_attribute(hid_t file, const std::string& object_name, const std::string& name,
                     int64_t value, const std::string& path) {
  write_scalar_attribute(file, object_name, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, path);
}

void write_attribute(hid_t file, const std::string& object_name, const std::string& name,
                     double value, const std::string& path) {
  write_scalar_attribute(file, object_name, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, path);
}

void write_attribute(hid_t file, const std::string& object_name, const std::string& name,
                     const std::string& value, const std::string& path) {
  // A variable-length UTF-8 string, as h5py writes `attrs[name] = "text"` (and reads back as str).
  const H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.get(), H5T_VARIABLE);
  H5Tset_cset(type.get(), H5T_CSET_UTF8);
  const char* text = value.c_str();
  write_scalar_attribute(file, object_name, name, type.get(), type.get(), &text, path);
}

int64_t read_int_attribute(hid_t file, const std::string& object_name, const std::string& name,
                           const std::string& path) {
  return read_number<int64_t>(file, object_name, name, H5T_INTEGER, H5T_NATIVE_INT64, path);
}

double read_double_attribute(hid_t file, const std::string& object_name, const std::string& name,
                             const std::string& path) {
  return read_number<double>(file, object_name, name, H5T_FLOAT, H5T_NATIVE_DOUBLE, path);
}

std::string read_string_attribute(hid_t file, const std::string& object_name,
                                  const std::string& name, const std::string& path) {
  const H5Handle attribute = open_scalar_attribute(file, object_name, name, H5T_STRING, path);
  const H5Handle type(H5Aget_type(attribute.get()), H5Tclose);
  const std::string field = object_name + "@" + name;
  const htri_t variable = H5Tis_variable_str(type.get());
  if (variable < 0) format_error(path, field, "unreadable string type");
  return variable ? read_variable_string(attribute.get(), type.get(), path, field)
                  : read_fixed_string(attribute.get(), type.get(), path, field);
}

}  // namespace erwin::datasets::detail
