// load_point_file / save_point_file: dispatch by extension, the NumPy formats, and the checks
// every loaded cloud passes.
#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>

#include "erwin/atomic_file.h"
#include "erwin/io_util.h"
#include "erwin/npy.h"
#include "formats.h"

namespace erwin {
namespace point_io {

void fail(const std::string& what, const std::string& message) {
  throw FormatError(what + ": " + message);
}

std::string feature_name(const PointCloud& cloud, int64_t j) {
  if (!cloud.feature_names.empty()) return cloud.feature_names[j];
  std::string name = "f";
  name += std::to_string(j);
  return name;
}

}  // namespace point_io

namespace {

using point_io::fail;
using point_io::kCoordinateNames;

// Empty when the cloud is valid, else what is wrong with it.
std::string problem_with(const PointCloud& cloud) {
  const auto& pos = cloud.positions;
  if (!pos.defined() || pos.dim() != 2 || (pos.size(1) != 2 && pos.size(1) != 3))
    return "positions must be a [N, 2] or [N, 3] array";
  if (!pos.is_floating_point()) return "positions must be floating point";
  const int64_t n = pos.size(0);
  if (n == 0) return "empty point cloud (no points)";
  const auto finite = torch::isfinite(pos);
  if (!finite.all().item<bool>()) {
    const auto bad = torch::nonzero(finite.logical_not())[0];
    const int64_t row = bad[0].item<int64_t>(), column = bad[1].item<int64_t>();
    return "point " + std::to_string(row) + ": coordinate " + kCoordinateNames[column] +
           " is not finite (" + std::to_string(pos[row][column].item<double>()) + ")";
  }
  if (cloud.features) {
    const auto& f = *cloud.features;
    if (f.dim() != 2 || f.size(0) != n)
      return "features must be [N, C] with N = " + std::to_string(n) + " points";
    if (!cloud.feature_names.empty() &&
        static_cast<int64_t>(cloud.feature_names.size()) != f.size(1))
      return "feature_names must name every feature column";
  }
  if (cloud.batch_idx) {
    const auto& b = *cloud.batch_idx;
    if (b.dim() != 1 || b.size(0) != n || b.is_floating_point())
      return "batch_idx must be an integer array of length N = " + std::to_string(n);
    const auto steps = b.slice(0, 1) - b.slice(0, 0, n - 1);
    if (b[0].item<int64_t>() != 0 || (steps < 0).any().item<bool>() ||
        (steps > 1).any().item<bool>())
      return "batch_idx must count clouds 0, 1, 2, ... in order (each cloud contiguous)";
  }
  if (cloud.faces) {
    const auto& f = *cloud.faces;
    if (f.dim() != 2 || f.size(1) != 3 || f.is_floating_point())
      return "faces must be an integer [F, 3] array";
    if (f.numel() > 0 && (f.min().item<int64_t>() < 0 || f.max().item<int64_t>() >= n))
      return "faces refer to vertices outside 0.." + std::to_string(n - 1);
  }
  return "";
}

torch::Tensor float_member(const torch::Tensor& t, const std::string& what) {
  if (!t.is_floating_point())
    fail(what,
         "expected a floating-point array, got " + std::string(c10::toString(t.scalar_type())));
  return t.to(torch::kFloat).contiguous();
}

torch::Tensor positions_from(const torch::Tensor& t, const std::string& what) {
  if (t.dim() != 2 || (t.size(1) != 2 && t.size(1) != 3)) {
    std::ostringstream shape;
    shape << t.sizes();
    fail(what, "expected positions of shape [N, 2] or [N, 3], got " + shape.str());
  }
  return float_member(t, what);
}

PointCloud load_npz(const std::string& path) {
  const auto archive = NpzArchive::load(path);
  PointCloud cloud;
  for (const char* name : {"node_positions", "pos", "points"}) {
    if (archive.contains(name)) {
      cloud.positions = positions_from(archive.get(name), path + ":" + name);
      break;
    }
  }
  if (!cloud.positions.defined())
    fail(path, "no positions: expected a member node_positions, pos or points");
  if (archive.contains("node_features")) {
    auto f = float_member(archive.get("node_features"), path + ":node_features");
    cloud.features = f.dim() == 1 ? f.unsqueeze(1) : f;
  }
  if (archive.contains("batch_idx")) cloud.batch_idx = archive.get("batch_idx").to(torch::kLong);
  if (archive.contains("faces")) cloud.faces = archive.get("faces").to(torch::kLong);
  return cloud;
}

std::map<std::string, torch::Tensor> npz_members(const PointCloud& cloud) {
  std::map<std::string, torch::Tensor> members{{"node_positions", cloud.positions}};
  if (cloud.features) members["node_features"] = *cloud.features;
  if (cloud.batch_idx) members["batch_idx"] = *cloud.batch_idx;
  if (cloud.faces) members["faces"] = *cloud.faces;
  return members;
}

}  // namespace

void validate_point_cloud(const PointCloud& cloud, const std::string& what) {
  const std::string problem = problem_with(cloud);
  if (!problem.empty()) fail(what, problem);
}

PointCloud load_point_file(const std::string& path) {
  const std::string ext = lower_extension(path);
  PointCloud cloud;
  if (ext == ".npy") {
    cloud.positions = positions_from(load_npy(path), path);
  } else if (ext == ".npz") {
    cloud = load_npz(path);
  } else if (ext == ".ply") {
    cloud = point_io::parse_ply(read_regular_file(path), path);
  } else if (ext == ".xyz" || ext == ".txt" || ext == ".csv") {
    cloud = point_io::parse_text(read_regular_file(path), path, ext == ".csv");
  } else {
    fail(path, "unknown point file extension '" + ext + "' (use .npy .npz .ply .xyz .csv .txt)");
  }
  validate_point_cloud(cloud, path);
  return cloud;
}

void save_point_file(const std::string& path, const PointCloud& cloud) {
  const std::string problem = problem_with(cloud);
  if (!problem.empty()) throw std::invalid_argument("save_point_file(" + path + "): " + problem);
  const std::string ext = lower_extension(path);
  if (ext == ".npy") {
    save_npy(path, cloud.positions.to(torch::kFloat));
  } else if (ext == ".npz") {
    save_npz(path, npz_members(cloud));
  } else if (ext == ".ply") {
    write_file_atomically(path, point_io::serialize_ply(cloud));
  } else if (ext == ".xyz" || ext == ".txt" || ext == ".csv") {
    write_file_atomically(path, point_io::serialize_text(cloud, ext == ".csv"));
  } else {
    throw std::invalid_argument("save_point_file: unknown extension '" + ext + "' of " + path);
  }
}

}  // namespace erwin
