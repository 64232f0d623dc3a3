// The HDF5 export of rollouts and predictions and its reader (layout in erwin/datasets/export.h).
#include <stdexcept>

#include "checks.h"
#include "erwin/atomic_file.h"
#include "erwin/datasets/export.h"
#include "export_checks.h"
#include "hdf5_support.h"

namespace erwin::datasets {

using detail::H5Handle;
using detail::Kind;

namespace {

constexpr int64_t kExportVersion = 1;

// Writes a fresh HDF5 file atomically: `fill` receives the open file.
void write_h5_atomically(const std::string& path, const std::function<void(hid_t)>& fill) {
  detail::silence_hdf5();
  write_file_atomically(path, [&](const std::string& temp_path) {
    const H5Handle file(H5Fcreate(temp_path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT),
                        H5Fclose);
    if (!file.valid())
      throw std::runtime_error(
          path + ": cannot create the HDF5 file (is its directory there and writable?)");
    detail::write_attribute(file.get(), "/", "erwin_export_version", kExportVersion, path);
    fill(file.get());
    if (H5Fflush(file.get(), H5F_SCOPE_GLOBAL) < 0)
      throw std::runtime_error(path + ": flushing the HDF5 file failed");
  });
}

// /<group>/<vx|vy|ps|pg> from the last axis of `state` [T, N, 4].
void write_state(hid_t file, const std::string& group, const torch::Tensor& state,
                 const std::string& path) {
  detail::create_group(file, group, path);
  for (int64_t i = 0; i < kEagleStateSize; ++i)
    detail::write_dataset(file, group + "/" + kEagleStateNames[i],
                          state.select(-1, i).to(torch::kFloat), path);
}

// An export open for reading, its arrays checked as they are read.
class ExportReader {
 public:
  ExportReader(const std::string& path, const std::string& group)
      : path_(path), file_(open(path, group), H5Fclose) {
    if (H5Lexists(file_.get(), group.c_str(), H5P_DEFAULT) <= 0)
      detail::format_error(path, group,
                           "group missing: not an Erwin " + group.substr(1) + " export");
    const int64_t version =
        detail::read_int_attribute(file_.get(), "/", "erwin_export_version", path);
    if (version != kExportVersion)
      detail::format_error(
          path, "/@erwin_export_version",
          "version " + std::to_string(version) + " is not " + std::to_string(kExportVersion));
  }

  torch::Tensor array(const std::string& name, Kind kind, const std::vector<int64_t>& shape) const {
    if (H5Lexists(file_.get(), name.c_str(), H5P_DEFAULT) <= 0)
      detail::format_error(path_, name, "dataset missing from file");
    const H5Handle dataset(H5Dopen2(file_.get(), name.c_str(), H5P_DEFAULT), H5Dclose);
    if (!dataset.valid()) detail::format_error(path_, name, "not a dataset");
    const torch::Tensor tensor = detail::read_dataset(dataset.get(), path_, name);
    detail::require_array(tensor, kind, shape, path_, name);
    return tensor;
  }

  // The state [T, N, 4] stacked from /<group>/<vx|vy|ps|pg>.
  torch::Tensor state(const std::string& group, int64_t frames, int64_t nodes) const {
    std::vector<torch::Tensor> parts;
    for (const char* name : kEagleStateNames)
      parts.push_back(array(group + "/" + name, Kind::Floating, {frames, nodes}));
    return torch::stack(parts, -1);
  }

  hid_t file() const { return file_.get(); }
  const std::string& path() const { return path_; }

 private:
  static hid_t open(const std::string& path, const std::string& group) {
    detail::silence_hdf5();
    detail::require_file(path, group);
    const hid_t file = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    if (file < 0) detail::format_error(path, group, "not a readable HDF5 file");
    return file;
  }

  std::string path_;
  H5Handle file_;
};

std::optional<ExportKind> export_kind_here(const std::string& path) {
  detail::silence_hdf5();
  if (H5Fis_hdf5(path.c_str()) <= 0) return std::nullopt;
  const H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (!file.valid()) detail::format_error(path, "/", "not a readable HDF5 file (truncated?)");
  if (H5Aexists_by_name(file.get(), "/", "erwin_export_version", H5P_DEFAULT) <= 0)
    return std::nullopt;
  if (H5Lexists(file.get(), "/eagle", H5P_DEFAULT) > 0) return ExportKind::EagleRollout;
  if (H5Lexists(file.get(), "/shapenet", H5P_DEFAULT) > 0) return ExportKind::ShapenetPrediction;
  detail::format_error(path, "/eagle",
                       "an Erwin export (it has /@erwin_export_version) without an /eagle or "
                       "/shapenet group");
}

EagleRollout read_eagle_rollout_here(const std::string& path) {
  const ExportReader in(path, "/eagle");
  EagleRollout r;
  r.positions = in.array("/eagle/positions", Kind::Floating, {-1, -1, 2});
  const int64_t frames = r.positions.size(0), nodes = r.positions.size(1);
  r.node_type = in.array("/eagle/node_type", Kind::Integer, {frames, nodes});
  r.triangles = in.array("/eagle/triangles", Kind::Integer, {frames, -1, 3});
  detail::require_index_range(r.triangles, nodes, path, "/eagle/triangles");
  r.predicted = in.state("/eagle/predicted", frames, nodes);
  r.truth = in.state("/eagle/truth", frames, nodes);
  r.rmse_velocity = in.array("/eagle/rmse_velocity", Kind::Floating, {frames});
  r.rmse_pressure = in.array("/eagle/rmse_pressure", Kind::Floating, {frames});
  r.simulation = detail::read_int_attribute(in.file(), "/eagle", "simulation", path);
  r.start = detail::read_int_attribute(in.file(), "/eagle", "start", path);
  const int64_t steps = detail::read_int_attribute(in.file(), "/eagle", "steps", path);
  if (steps != frames - 1)
    detail::format_error(path, "/eagle@steps",
                         std::to_string(steps) + " steps, but the arrays hold " +
                             std::to_string(frames) + " frames");
  r.checkpoint = detail::read_string_attribute(in.file(), "/eagle", "checkpoint", path);
  return r;
}

ShapenetPrediction read_shapenet_prediction_here(const std::string& path) {
  const ExportReader in(path, "/shapenet");
  ShapenetPrediction p;
  p.positions = in.array("/shapenet/positions", Kind::Floating, {-1, 3});
  const int64_t points = p.positions.size(0);
  p.predicted = in.array("/shapenet/predicted", Kind::Floating, {points});
  p.truth = in.array("/shapenet/truth", Kind::Floating, {points});
  p.car = detail::read_int_attribute(in.file(), "/shapenet", "car", path);
  p.mse = detail::read_double_attribute(in.file(), "/shapenet", "mse", path);
  p.checkpoint = detail::read_string_attribute(in.file(), "/shapenet", "checkpoint", path);
  return p;
}

}  // namespace

void write_eagle_rollout_h5(const std::string& path, const EagleRollout& rollout) {
  detail::check_exportable(rollout, path);
  write_h5_atomically(path, [&](hid_t file) {
    detail::create_group(file, "/eagle", path);
    detail::write_attribute(file, "/eagle", "simulation", rollout.simulation, path);
    detail::write_attribute(file, "/eagle", "start", rollout.start, path);
    detail::write_attribute(file, "/eagle", "steps", rollout.positions.size(0) - 1, path);
    detail::write_attribute(file, "/eagle", "checkpoint", rollout.checkpoint, path);
    detail::write_dataset(file, "/eagle/positions", rollout.positions.to(torch::kFloat), path);
    detail::write_dataset(file, "/eagle/node_type", rollout.node_type.to(torch::kInt64), path);
    detail::write_dataset(file, "/eagle/triangles", rollout.triangles.to(torch::kInt64), path);
    const torch::Tensor predicted = rollout.predicted.to(torch::kFloat);
    const torch::Tensor truth = rollout.truth.to(torch::kFloat);
    write_state(file, "/eagle/predicted", predicted, path);
    write_state(file, "/eagle/truth", truth, path);
    write_state(file, "/eagle/error", predicted - truth, path);
    detail::write_dataset(file, "/eagle/rmse_velocity", rollout.rmse_velocity.to(torch::kFloat),
                          path);
    detail::write_dataset(file, "/eagle/rmse_pressure", rollout.rmse_pressure.to(torch::kFloat),
                          path);
  });
}

void write_shapenet_prediction_h5(const std::string& path, const ShapenetPrediction& prediction) {
  detail::check_exportable(prediction, path);
  write_h5_atomically(path, [&](hid_t file) {
    detail::create_group(file, "/shapenet", path);
    detail::write_attribute(file, "/shapenet", "car", prediction.car, path);
    detail::write_attribute(file, "/shapenet", "mse", prediction.mse, path);
    detail::write_attribute(file, "/shapenet", "checkpoint", prediction.checkpoint, path);
    const torch::Tensor predicted = prediction.predicted.to(torch::kFloat);
    const torch::Tensor truth = prediction.truth.to(torch::kFloat);
    detail::write_dataset(file, "/shapenet/positions", prediction.positions.to(torch::kFloat),
                          path);
    detail::write_dataset(file, "/shapenet/predicted", predicted, path);
    detail::write_dataset(file, "/shapenet/truth", truth, path);
    detail::write_dataset(file, "/shapenet/error", predicted - truth, path);
  });
}

std::optional<ExportKind> hdf5_export_kind(const std::string& path) {
  return detail::read_hdf5_checked(path, "/", [&] { return export_kind_here(path); });
}

EagleRollout read_eagle_rollout_h5(const std::string& path) {
  return detail::read_hdf5_checked(path, "/eagle", [&] { return read_eagle_rollout_here(path); });
}

ShapenetPrediction read_shapenet_prediction_h5(const std::string& path) {
  return detail::read_hdf5_checked(path, "/shapenet",
                                   [&] { return read_shapenet_prediction_here(path); });
}

}  // namespace erwin::datasets
