#include "export_checks.h"

#include <sstream>
#include <stdexcept>
#include <vector>

namespace erwin::datasets::detail {
namespace {

void require_shape(const torch::Tensor& tensor, const std::vector<int64_t>& shape,
                   const std::string& path, const std::string& field) {
  if (!tensor.defined())
    throw std::invalid_argument(path + ": cannot export: '" + field + "' is missing");
  if (tensor.sizes() != torch::IntArrayRef(shape)) {
    std::ostringstream message;
    message << path << ": cannot export: '" << field << "' has shape " << tensor.sizes()
            << ", expected " << torch::IntArrayRef(shape);
    throw std::invalid_argument(message.str());
  }
}

}  // namespace

void check_exportable(const EagleRollout& rollout, const std::string& path) {
  if (!rollout.positions.defined() || rollout.positions.dim() != 3)
    throw std::invalid_argument(path + ": cannot export: 'positions' must be [T, N, 2]");
  const int64_t frames = rollout.positions.size(0), nodes = rollout.positions.size(1);
  require_shape(rollout.positions, {frames, nodes, 2}, path, "positions");
  require_shape(rollout.node_type, {frames, nodes}, path, "node_type");
  require_shape(rollout.predicted, {frames, nodes, kEagleStateSize}, path, "predicted");
  require_shape(rollout.truth, {frames, nodes, kEagleStateSize}, path, "truth");
  require_shape(rollout.rmse_velocity, {frames}, path, "rmse_velocity");
  require_shape(rollout.rmse_pressure, {frames}, path, "rmse_pressure");
  const int64_t faces =
      rollout.triangles.defined() && rollout.triangles.dim() == 3 ? rollout.triangles.size(1) : 0;
  require_shape(rollout.triangles, {frames, faces, 3}, path, "triangles");
  if (faces > 0 && (rollout.triangles.min().item<int64_t>() < 0 ||
                    rollout.triangles.max().item<int64_t>() >= nodes))
    throw std::invalid_argument(path + ": cannot export: 'triangles' index nodes outside [0, " +
                                std::to_string(nodes) + ")");
}

void check_exportable(const ShapenetPrediction& prediction, const std::string& path) {
  const int64_t points = prediction.positions.defined() && prediction.positions.dim() == 2
                             ? prediction.positions.size(0)
                             : 0;
  require_shape(prediction.positions, {points, 3}, path, "positions");
  require_shape(prediction.predicted, {points}, path, "predicted");
  require_shape(prediction.truth, {points}, path, "truth");
}

}  // namespace erwin::datasets::detail
