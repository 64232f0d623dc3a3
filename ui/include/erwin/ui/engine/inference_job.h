#pragma once
// The rollout player's jobs (job.h, run by a JobRunner): reading what a training checkpoint is
// (inspect_checkpoint), and computing an EAGLE rollout or a ShapeNet-Car prediction from it
// (run_inference). A cancelled inference ends at its next stage; the model call itself runs to
// its end.
#include <cstdint>
#include <string>

#include "erwin/training/run_config.h"
#include "erwin/ui/engine/inference_result.h"
#include "erwin/ui/engine/job.h"

namespace erwin::ui {

struct CheckpointInfo {
  std::string path;
  TaskKind kind = TaskKind::Eagle;
  std::string run_name;
  std::string data_root;  // of the run configuration, absolute
  int64_t step = 0;
};

struct InferenceRequest {
  std::string checkpoint;
  std::string data_root;
  std::string split = "test";
  int64_t item = 0;   // EAGLE: simulation; ShapeNet-Car: car
  int64_t start = 0;  // EAGLE: first frame
  int64_t steps = 20;
  std::string device = "cpu";
};

CheckpointInfo inspect_checkpoint(const std::string& path);
// Stages are reported as progress text ("loading the model", ...).
InferenceResult run_inference(const InferenceRequest& request, JobContext& context);

}  // namespace erwin::ui
