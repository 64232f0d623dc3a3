#include "erwin/ui/engine/inference_result.h"

#include <stdexcept>

namespace erwin::ui {
namespace {

using torch::indexing::Slice;

// EAGLE fields after the velocity magnitude: channels of the state (vx, vy, ps, pg).
const QStringList kEagleChannels = {"velocity x", "velocity y", "pressure ps", "pressure pg"};

torch::Tensor speed(const torch::Tensor& state) {
  return state.index({"...", Slice(0, 2)}).norm(2, -1);
}

}  // namespace

int64_t InferenceResult::frame_count() const {
  if (eagle) return eagle->positions.size(0);
  return shapenet ? 1 : 0;
}

torch::Tensor InferenceResult::positions() const {
  if (eagle) return eagle->positions;
  return shapenet ? shapenet->positions.unsqueeze(0) : torch::Tensor();
}

torch::Tensor InferenceResult::triangles() const {
  return eagle ? eagle->triangles : torch::Tensor();
}

QStringList InferenceResult::field_names() const {
  if (eagle) return QStringList{"velocity magnitude"} + kEagleChannels;
  return shapenet ? QStringList{"pressure"} : QStringList{};
}

FieldFrames field_frames(const InferenceResult& result, int field) {
  const QStringList names = result.field_names();
  if (field < 0 || field >= names.size())
    throw std::out_of_range("field_frames: no field " + std::to_string(field));
  FieldFrames frames;
  frames.name = names[field];
  if (result.shapenet) {
    frames.predicted = result.shapenet->predicted.unsqueeze(0);
    frames.truth = result.shapenet->truth.unsqueeze(0);
    frames.error = (frames.predicted - frames.truth).abs();
    return frames;
  }
  const datasets::EagleRollout& r = *result.eagle;
  if (field == 0) {
    frames.predicted = speed(r.predicted);
    frames.truth = speed(r.truth);
    frames.error = speed(r.predicted - r.truth);
  } else {
    frames.predicted = r.predicted.select(-1, field - 1);
    frames.truth = r.truth.select(-1, field - 1);
    frames.error = (frames.predicted - frames.truth).abs();
  }
  return frames;
}

}  // namespace erwin::ui
