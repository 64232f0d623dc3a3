#pragma once
// HDF5 C API helpers shared by the readers and writers of datasets/: scoped identifiers and
// whole-dataset reads and writes of tensors, with errors naming the file and the dataset.
#include <hdf5.h>
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <string>

namespace erwin::datasets::detail {

// Closes an HDF5 identifier when it goes out of scope.
class H5Handle {
 public:
  H5Handle(hid_t id, herr_t (*close)(hid_t)) : id_(id), close_(close) {}
  ~H5Handle() {
    if (id_ >= 0) close_(id_);
  }
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  H5Handle(H5Handle&& other) noexcept : id_(other.id_), close_(other.close_) { other.id_ = -1; }
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_;
  herr_t (*close_)(hid_t);
};

// HDF5 prints its error stack by default; errors are reported as exceptions instead.
void silence_hdf5();

// libhdf5 1.10 (Debian 12) crashes, hangs, overruns its buffers or allocates what damaged
// metadata declare on some files, before the project sees any data. `read` (the reader's libhdf5
// calls on `path`) therefore runs first in a forked child process, which may allocate 1 GiB plus
// twice the file's size and must end within 30 s plus 1 s per 16 MiB. When the child dies by a
// signal, exits abnormally, runs out of its memory or time: FormatError naming `path` and `field`.
// When `read` throws in the child, its error is thrown here (same kind, same message). Only when
// it succeeded there is the file for the caller to read in this process.
void check_hdf5_in_child(const std::string& path, const std::string& field,
                         const std::function<void()>& read);

// `read()` after check_hdf5_in_child ran it in a child: how every HDF5 file is read.
template <typename Read>
auto read_hdf5_checked(const std::string& path, const std::string& field, const Read& read) {
  check_hdf5_in_child(path, field, [&] { read(); });
  return read();
}

// The whole dataset as int64 (integer data) or float32 (floating data); FormatError naming
// `path` and `name` otherwise or when the read fails.
torch::Tensor read_dataset(hid_t dataset, const std::string& path, const std::string& name);

// Creates dataset `name` under `location` holding `tensor` (int64, float32 or float64, stored
// little-endian); std::runtime_error naming `path` and `name` when HDF5 fails.
void write_dataset(hid_t location, const std::string& name, const torch::Tensor& tensor,
                   const std::string& path);

// Creates group `name` (an absolute path whose parent exists); std::runtime_error naming `path`.
void create_group(hid_t file, const std::string& name, const std::string& path);

// Scalar attributes of the object `object_name` (a group or dataset) of `file`. The readers
// throw FormatError naming `path` and `object_name@name` when the attribute is missing or of
// another type; the writers std::runtime_error naming `path`. Strings are written as h5py writes
// them by default (variable-length UTF-8, read back by h5py as str); read_string_attribute also
// takes fixed-length ones (NUL- or space-padded) in either character set (ASCII or UTF-8).
void write_attribute(hid_t file, const std::string& object_name, const std::string& name,
                     int64_t value, const std::string& path);
void write_attribute(hid_t file, const std::string& object_name, const std::string& name,
                     double value, const std::string& path);
void write_attribute(hid_t file, const std::string& object_name, const std::string& name,
                     const std::string& value, const std::string& path);
int64_t read_int_attribute(hid_t file, const std::string& object_name, const std::string& name,
                           const std::string& path);
double read_double_attribute(hid_t file, const std::string& object_name, const std::string& name,
                             const std::string& path);
std::string read_string_attribute(hid_t file, const std::string& object_name,
                                  const std::string& name, const std::string& path);

}  // namespace erwin::datasets::detail
