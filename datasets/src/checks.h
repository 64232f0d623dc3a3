#pragma once
// Validation shared by the readers: every failure is an erwin::FormatError naming the file and
// the field, so that a broken data set says exactly what is wrong where.
#include <torch/torch.h>

#include <string>
#include <vector>

#include "erwin/npy.h"

namespace erwin::datasets::detail {

enum class Kind { Floating, Integer };

[[noreturn]] void format_error(const std::string& file, const std::string& field,
                               const std::string& problem);

// Checks the dtype kind and the shape (-1 matches any extent) of `tensor`, and that floating
// arrays hold no NaN or infinity.
void require_array(const torch::Tensor& tensor, Kind kind, const std::vector<int64_t>& shape,
                   const std::string& file, const std::string& field);

// Throws unless every value of the integer tensor lies in [0, bound).
void require_index_range(const torch::Tensor& tensor, int64_t bound, const std::string& file,
                         const std::string& field);

void require_file(const std::string& path, const std::string& field);

// Loads an archive / array, rethrowing format errors with the fields being read appended, so
// that a truncated or corrupt file still names the file and the fields.
NpzArchive load_npz_for(const std::string& path, const std::string& fields);
torch::Tensor load_npy_for(const std::string& path, const std::string& field);
// The member `field` of `archive`, checked like require_array.
torch::Tensor npz_member(const NpzArchive& archive, const std::string& field, Kind kind,
                         const std::vector<int64_t>& shape);

// Non-empty, whitespace-trimmed lines of a text file (split lists).
std::vector<std::string> read_list(const std::string& path, const std::string& field);

}  // namespace erwin::datasets::detail
