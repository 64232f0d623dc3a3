#include "checks.h"

#include <filesystem>
#include <sstream>

#include "erwin/io_util.h"

namespace erwin::datasets::detail {

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::ostringstream out;
  out << '[';
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) out << ", ";
    if (shape[i] < 0)
      out << '*';
    else
      out << shape[i];
  }
  out << ']';
  return out.str();
}

bool shape_matches(const torch::Tensor& tensor, const std::vector<int64_t>& shape) {
  if (tensor.dim() != static_cast<int64_t>(shape.size())) return false;
  for (size_t i = 0; i < shape.size(); ++i)
    if (shape[i] >= 0 && tensor.size(static_cast<int64_t>(i)) != shape[i]) return false;
  return true;
}

}  // namespace

void format_error(const std::string& file, const std::string& field, const std::string& problem) {
  throw FormatError(file + ": field '" + field + "': " + problem);
}

void require_array(const torch::Tensor& tensor, Kind kind, const std::vector<int64_t>& shape,
                   const std::string& file, const std::string& field) {
  const bool kind_ok = kind == Kind::Floating
                           ? torch::isFloatingType(tensor.scalar_type())
                           : torch::isIntegralType(tensor.scalar_type(), /*includeBool=*/false);
  if (!kind_ok)
    format_error(file, field,
                 std::string("expected ") + (kind == Kind::Floating ? "a floating" : "an integer") +
                     " dtype, got " + std::string(c10::toString(tensor.scalar_type())));
  if (!shape_matches(tensor, shape))
    format_error(
        file, field,
        "expected shape " + shape_text(shape) + ", got " + shape_text(tensor.sizes().vec()));
  // No data set stores NaN or infinity on purpose; found here, the file and array are named
  // instead of a model input check failing later without them.
  if (kind == Kind::Floating && tensor.numel() > 0) {
    const torch::Tensor bad = torch::logical_not(torch::isfinite(tensor)).flatten();
    if (bad.any().item<bool>())
      format_error(file, field,
                   "contains NaN or infinite values (" + std::to_string(bad.sum().item<int64_t>()) +
                       ", the first at flat index " +
                       std::to_string(bad.nonzero()[0][0].item<int64_t>()) + ")");
  }
}

void require_index_range(const torch::Tensor& tensor, int64_t bound, const std::string& file,
                         const std::string& field) {
  if (tensor.numel() == 0) return;
  const int64_t low = tensor.min().item<int64_t>();
  const int64_t high = tensor.max().item<int64_t>();
  if (low < 0 || high >= bound)
    format_error(file, field,
                 "values must lie in [0, " + std::to_string(bound) + "), found " +
                     std::to_string(low) + " .. " + std::to_string(high));
}

void require_file(const std::string& path, const std::string& field) {
  if (!std::filesystem::is_regular_file(path)) format_error(path, field, "file not found");
}

NpzArchive load_npz_for(const std::string& path, const std::string& fields) {
  require_file(path, fields);
  try {
    return NpzArchive::load(path);
  } catch (const FormatError& error) {
    format_error(path, fields, std::string("unreadable archive: ") + error.what());
  }
}

torch::Tensor load_npy_for(const std::string& path, const std::string& field) {
  require_file(path, field);
  try {
    return load_npy(path);
  } catch (const FormatError& error) {
    format_error(path, field, std::string("unreadable array: ") + error.what());
  }
}

torch::Tensor npz_member(const NpzArchive& archive, const std::string& field, Kind kind,
                         const std::vector<int64_t>& shape) {
  if (!archive.contains(field)) format_error(archive.path(), field, "array missing from archive");
  torch::Tensor tensor;
  try {
    tensor = archive.get(field);
  } catch (const FormatError& error) {
    format_error(archive.path(), field, std::string("unreadable array: ") + error.what());
  }
  require_array(tensor, kind, shape, archive.path(), field);
  return tensor;
}

std::vector<std::string> read_list(const std::string& path, const std::string& field) {
  require_file(path, field);
  std::istringstream in(read_regular_file(path));
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    const auto last = line.find_last_not_of(" \t\r");
    lines.push_back(line.substr(first, last - first + 1));
  }
  if (lines.empty()) format_error(path, field, "the list is empty");
  return lines;
}

}  // namespace erwin::datasets::detail
