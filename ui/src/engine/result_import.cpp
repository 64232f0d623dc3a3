#include "erwin/ui/engine/result_import.h"

#include <vtkCellType.h>
#include <vtkDataArray.h>
#include <vtkIdList.h>
#include <vtkNew.h>
#include <vtkPointData.h>
#include <vtkPointSet.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "erwin/datasets/export.h"
#include "erwin/io_util.h"
#include "erwin/npy.h"
#include "erwin/training/eagle_model.h"
#include "erwin/ui/engine/data_loader.h"

namespace erwin::ui {
namespace {

// A frame of a ParaView series and how errors name it.
struct Frame {
  vtkPointSet* data;
  std::string where;  // "<pvd>: frame <t> (<file>)"
};

std::vector<Frame> frames_of(const std::vector<SeriesFrame>& series, const std::string& path) {
  std::vector<Frame> frames;
  for (size_t t = 0; t < series.size(); ++t)
    frames.push_back({vtkPointSet::SafeDownCast(series[t].data),
                      path + ": frame " + std::to_string(t) + " (" +
                          std::filesystem::path(series[t].file).filename().string() + ")"});
  return frames;
}

bool has_point_arrays(const Frame& frame, const std::vector<std::string>& names) {
  return std::all_of(names.begin(), names.end(), [&](const std::string& name) {
    return frame.data->GetPointData()->GetArray(name.c_str()) != nullptr;
  });
}

// A one-component point array as a tensor [P] of `type`.
torch::Tensor point_array(const Frame& frame, const std::string& name, torch::ScalarType type) {
  vtkDataArray* array = frame.data->GetPointData()->GetArray(name.c_str());
  const vtkIdType points = frame.data->GetNumberOfPoints();
  if (!array || array->GetNumberOfComponents() != 1 || array->GetNumberOfTuples() != points)
    throw FormatError(frame.where + ": point array '" + name +
                      "' missing or not one value per point");
  torch::Tensor values = torch::empty({points}, torch::kDouble);
  double* out = values.data_ptr<double>();
  for (vtkIdType i = 0; i < points; ++i) out[i] = array->GetTuple1(i);
  return values.to(type);
}

// The frame's cells, which must all be triangles, as node indices [F, 3].
torch::Tensor triangles_of(const Frame& frame) {
  const vtkIdType cells = frame.data->GetNumberOfCells();
  torch::Tensor triangles = torch::empty({cells, 3}, torch::kInt64);
  int64_t* out = triangles.data_ptr<int64_t>();
  vtkNew<vtkIdList> ids;
  for (vtkIdType c = 0; c < cells; ++c) {
    if (frame.data->GetCellType(c) != VTK_TRIANGLE)
      throw FormatError(frame.where + ": cell " + std::to_string(c) +
                        " is not a triangle (an EAGLE rollout's mesh is)");
    frame.data->GetCellPoints(c, ids);
    for (int k = 0; k < 3; ++k) out[3 * c + k] = ids->GetId(k);
  }
  return triangles;
}

// Frames' triangle lists [F_t, 3] as [T, max F_t, 3]; the export left out the triangles that
// repeat a node (the EAGLE format's padding), here (0, 0, 0) fills up again.
torch::Tensor stack_padded(const std::vector<torch::Tensor>& triangles) {
  int64_t most = 0;
  for (const torch::Tensor& frame : triangles) most = std::max(most, frame.size(0));
  torch::Tensor stacked = torch::zeros({int64_t(triangles.size()), most, 3}, torch::kInt64);
  for (size_t t = 0; t < triangles.size(); ++t)
    stacked[t].slice(0, 0, triangles[t].size(0)).copy_(triangles[t]);
  return stacked;
}

std::vector<std::string> eagle_state_arrays(const std::string& suffix) {
  std::vector<std::string> names;
  for (const char* state : datasets::kEagleStateNames) names.push_back(state + suffix);
  return names;
}

// The (vx, vy, ps, pg) point arrays with `suffix` as [P, 4].
torch::Tensor eagle_state(const Frame& frame, const std::string& suffix) {
  std::vector<torch::Tensor> channels;
  for (const std::string& name : eagle_state_arrays(suffix))
    channels.push_back(point_array(frame, name, torch::kFloat));
  return torch::stack(channels, 1);
}

datasets::EagleRollout eagle_from_frames(const std::vector<Frame>& frames, double first_time) {
  datasets::EagleRollout r;
  r.simulation = -1;  // not in the .pvd
  r.start = std::llround(first_time);
  const vtkIdType nodes = frames[0].data->GetNumberOfPoints();
  std::vector<torch::Tensor> positions, node_type, triangles, predicted, truth;
  for (const Frame& frame : frames) {
    if (frame.data->GetNumberOfPoints() != nodes)
      throw FormatError(frame.where + ": " + std::to_string(frame.data->GetNumberOfPoints()) +
                        " points, the first frame has " + std::to_string(nodes));
    positions.push_back(positions_of(frame.data, frame.where).slice(1, 0, 2));
    node_type.push_back(point_array(frame, "node_type", torch::kInt64));
    triangles.push_back(triangles_of(frame));
    predicted.push_back(eagle_state(frame, "_predicted"));
    truth.push_back(eagle_state(frame, "_truth"));
  }
  r.positions = torch::stack(positions);
  r.node_type = torch::stack(node_type);
  r.triangles = stack_padded(triangles);
  r.predicted = torch::stack(predicted);
  r.truth = torch::stack(truth);
  // per_step_rmse takes [N, T, C].
  const torch::Tensor by_node_predicted = r.predicted.transpose(0, 1).contiguous();
  const torch::Tensor by_node_truth = r.truth.transpose(0, 1).contiguous();
  r.rmse_velocity = per_step_rmse(by_node_predicted, by_node_truth, {0, 1});
  r.rmse_pressure = per_step_rmse(by_node_predicted, by_node_truth, {2, 3});
  return r;
}

datasets::ShapenetPrediction shapenet_from_frames(const std::vector<Frame>& frames,
                                                  const std::string& path) {
  if (frames.size() != 1)
    throw FormatError(path + ": a ShapeNet-Car prediction is one frame, this collection has " +
                      std::to_string(frames.size()));
  datasets::ShapenetPrediction p;
  p.car = -1;  // not in the .pvd
  p.positions = positions_of(frames[0].data, frames[0].where);
  p.predicted = point_array(frames[0], "pressure_predicted", torch::kFloat);
  p.truth = point_array(frames[0], "pressure_truth", torch::kFloat);
  p.mse = (p.predicted - p.truth).pow(2).mean().item<double>();
  return p;
}

std::optional<InferenceResult> result_from_series(const std::string& path) {
  const std::vector<SeriesFrame> series = read_paraview_series(path);
  const std::vector<Frame> frames = frames_of(series, path);
  InferenceResult result;
  if (has_point_arrays(frames[0], eagle_state_arrays("_predicted")) &&
      has_point_arrays(frames[0], eagle_state_arrays("_truth"))) {
    result.eagle = eagle_from_frames(frames, series[0].time);
  } else if (has_point_arrays(frames[0], {"pressure_predicted", "pressure_truth"})) {
    result.shapenet = shapenet_from_frames(frames, path);
  } else {
    return std::nullopt;
  }
  return result;
}

std::optional<InferenceResult> result_from_hdf5(const std::string& path) {
  const std::optional<datasets::ExportKind> kind = datasets::hdf5_export_kind(path);
  if (!kind) return std::nullopt;
  InferenceResult result;
  if (*kind == datasets::ExportKind::EagleRollout)
    result.eagle = datasets::read_eagle_rollout_h5(path);
  else
    result.shapenet = datasets::read_shapenet_prediction_h5(path);
  return result;
}

}  // namespace

std::optional<InferenceResult> read_result_file(const std::string& path) {
  return lower_extension(path) == ".pvd" ? result_from_series(path) : result_from_hdf5(path);
}

}  // namespace erwin::ui
