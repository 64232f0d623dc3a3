// The ParaView export of rollouts and predictions: one .vtu per frame and a .pvd collection
// (erwin/datasets/export.h), written without linking VTK.
#include <cstdio>
#include <filesystem>
#include <stdexcept>

#include "erwin/atomic_file.h"
#include "erwin/datasets/export.h"
#include "export_checks.h"
#include "vtk_xml.h"

namespace erwin::datasets {

using detail::VtuArray;
using detail::VtuGrid;

namespace {

// The directory and file stem of a .pvd path, checked before anything is written.
struct PvdTarget {
  std::filesystem::path directory;
  std::string stem;
};

PvdTarget pvd_target(const std::string& pvd_path) {
  const std::filesystem::path path(pvd_path);
  if (path.extension() != ".pvd")
    throw std::invalid_argument(pvd_path + ": a ParaView collection file must end in .pvd");
  PvdTarget target{path.parent_path(), path.stem().string()};
  if (target.directory.empty()) target.directory = ".";
  if (!std::filesystem::is_directory(target.directory))
    throw std::runtime_error(pvd_path + ": output directory '" + target.directory.string() +
                             "' does not exist");
  return target;
}

std::string frame_file_name(const std::string& stem, int64_t frame) {
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, "_%04lld.vtu", static_cast<long long>(frame));
  return stem + suffix;
}

void remove_files(const std::vector<std::string>& paths) {
  for (const std::string& path : paths) std::remove(path.c_str());
}

// Writes grid_of(i) for i < count as <stem>_<frame_of(i)>.vtu, then the .pvd listing them with
// their frames as timesteps. On failure the .vtu files of this call are removed again.
std::vector<std::string> write_collection(const std::string& pvd_path, int64_t count,
                                          const std::function<VtuGrid(int64_t)>& grid_of,
                                          const std::function<int64_t(int64_t)>& frame_of,
                                          const ExportProgress& progress) {
  const PvdTarget target = pvd_target(pvd_path);
  std::vector<std::string> written;
  std::vector<detail::PvdEntry> entries;
  try {
    for (int64_t i = 0; i < count; ++i) {
      const std::string name = frame_file_name(target.stem, frame_of(i));
      const std::string path = (target.directory / name).string();
      write_file_atomically(path, detail::vtu_document(grid_of(i)));
      written.push_back(path);
      entries.push_back({static_cast<double>(frame_of(i)), name});
      if (progress) progress(i + 1, count);
    }
    write_file_atomically(pvd_path, detail::pvd_document(entries));
  } catch (const std::exception& error) {
    remove_files(written);
    throw std::runtime_error(pvd_path + ": ParaView export failed: " + error.what());
  }
  return written;
}

// Triangles [F, 3] without those that repeat a node (the format's padding).
torch::Tensor proper_triangles(const torch::Tensor& triangles) {
  const torch::Tensor a = triangles.select(1, 0), b = triangles.select(1, 1),
                      c = triangles.select(1, 2);
  return triangles.index({(a != b) & (b != c) & (a != c)});
}

VtuGrid eagle_frame(const EagleRollout& rollout, int64_t t) {
  VtuGrid grid;
  const torch::Tensor xy = rollout.positions[t].to(torch::kFloat);
  grid.points = torch::cat({xy, torch::zeros({xy.size(0), 1})}, 1);
  const torch::Tensor triangles = proper_triangles(rollout.triangles[t].to(torch::kInt64));
  const int64_t cells = triangles.size(0);
  grid.connectivity = triangles.reshape({-1});
  grid.offsets = torch::arange(1, cells + 1, torch::kInt64) * 3;
  grid.types = torch::full({cells}, detail::kVtkTriangle, torch::kUInt8);

  const torch::Tensor predicted = rollout.predicted[t].to(torch::kFloat);
  const torch::Tensor truth = rollout.truth[t].to(torch::kFloat);
  const torch::Tensor error = predicted - truth;
  for (int64_t i = 0; i < kEagleStateSize; ++i) {
    const std::string name = kEagleStateNames[i];
    grid.point_data.push_back({name + "_predicted", predicted.select(1, i)});
    grid.point_data.push_back({name + "_truth", truth.select(1, i)});
    grid.point_data.push_back({name + "_error", error.select(1, i)});
  }
  const auto speed = [](const torch::Tensor& state) { return state.slice(1, 0, 2).norm(2, 1); };
  grid.point_data.push_back({"velocity_magnitude_predicted", speed(predicted)});
  grid.point_data.push_back({"velocity_magnitude_truth", speed(truth)});
  grid.point_data.push_back({"velocity_error_magnitude", speed(error)});
  grid.point_data.push_back({"node_type", rollout.node_type[t].to(torch::kInt64)});
  return grid;
}

VtuGrid shapenet_points(const ShapenetPrediction& prediction) {
  VtuGrid grid;
  grid.points = prediction.positions.to(torch::kFloat);
  const int64_t points = grid.points.size(0);
  grid.connectivity = torch::arange(points, torch::kInt64);
  grid.offsets = torch::arange(1, points + 1, torch::kInt64);
  grid.types = torch::full({points}, detail::kVtkVertex, torch::kUInt8);
  const torch::Tensor predicted = prediction.predicted.to(torch::kFloat);
  const torch::Tensor truth = prediction.truth.to(torch::kFloat);
  grid.point_data = {{"pressure_predicted", predicted},
                     {"pressure_truth", truth},
                     {"pressure_error", predicted - truth}};
  return grid;
}

}  // namespace

std::vector<std::string> write_eagle_rollout_pvd(const std::string& pvd_path,
                                                 const EagleRollout& rollout,
                                                 const ExportProgress& progress) {
  detail::check_exportable(rollout, pvd_path);
  return write_collection(
      pvd_path, rollout.positions.size(0), [&](int64_t t) { return eagle_frame(rollout, t); },
      [&](int64_t t) { return rollout.start + t; }, progress);
}

std::vector<std::string> write_shapenet_prediction_pvd(const std::string& pvd_path,
                                                       const ShapenetPrediction& prediction) {
  detail::check_exportable(prediction, pvd_path);
  return write_collection(
      pvd_path, 1, [&](int64_t) { return shapenet_points(prediction); },
      [](int64_t) { return int64_t{0}; }, {});
}

}  // namespace erwin::datasets
