#pragma once
// What the exports (erwin/datasets/export.h) require of their input: std::invalid_argument
// naming the output file and the field when a tensor is missing, misshapen or out of range.
#include <string>

#include "erwin/datasets/inference.h"

namespace erwin::datasets::detail {

void check_exportable(const EagleRollout& rollout, const std::string& path);
void check_exportable(const ShapenetPrediction& prediction, const std::string& path);

}  // namespace erwin::datasets::detail
