#pragma once
// NumPy .npy and .npz files (stored and deflated zip members) to and from tensors.
// Errors throw erwin::FormatError whose message names the file and the member.
#include <torch/torch.h>

#include <map>
#include <string>
#include <vector>

#include "erwin/errors.h"

namespace erwin {

// Parses one .npy image; `what` names it in error messages ("file.npz:member").
torch::Tensor parse_npy(const std::string& bytes, const std::string& what);
std::string serialize_npy(const torch::Tensor& tensor);

torch::Tensor load_npy(const std::string& path);
void save_npy(const std::string& path, const torch::Tensor& tensor);  // atomic

// An .npz archive: member names without the ".npy" suffix.
class NpzArchive {
 public:
  static NpzArchive load(const std::string& path);
  bool contains(const std::string& name) const;
  torch::Tensor get(const std::string& name) const;  // FormatError naming file and member
  std::vector<std::string> names() const;
  const std::string& path() const { return path_; }
  // Reads the `__meta__` member (uint8 UTF-8 JSON) as text; empty when absent.
  std::string meta_json() const;

 private:
  std::string path_;
  std::map<std::string, torch::Tensor> members_;
};

// Writes an uncompressed .npz (atomically: temporary file + rename).
void save_npz(const std::string& path, const std::map<std::string, torch::Tensor>& members);

}  // namespace erwin
