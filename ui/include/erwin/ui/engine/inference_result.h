#pragma once
// What the rollout player shows: an EAGLE rollout or a ShapeNet-Car prediction (inference.h),
// and the scalar fields of either as [T, N] frames (ShapeNet-Car: T = 1) for the predicted,
// true and error panels.
#include <torch/torch.h>

#include <QString>
#include <QStringList>
#include <memory>
#include <optional>

#include "erwin/datasets/inference.h"

namespace erwin::ui {

struct InferenceResult {
  std::optional<datasets::EagleRollout> eagle;
  std::optional<datasets::ShapenetPrediction> shapenet;

  int64_t frame_count() const;
  torch::Tensor positions() const;  // float [T, N, d]
  torch::Tensor triangles() const;  // int64 [T, F, 3]; undefined for point clouds
  QStringList field_names() const;  // what field_frames() takes, e.g. "velocity magnitude"
};
using InferenceResultPtr = std::shared_ptr<const InferenceResult>;

struct FieldFrames {
  QString name;
  torch::Tensor predicted, truth;  // float [T, N]
  // float [T, N]: |predicted - truth|, for the velocity magnitude |v_predicted - v_truth|.
  torch::Tensor error;
};

// std::out_of_range for an index outside field_names().
FieldFrames field_frames(const InferenceResult& result, int field);

}  // namespace erwin::ui
