#include "erwin/ui/engine/inference_job.h"

#include <filesystem>

#include "erwin/training/training_checkpoint.h"

namespace erwin::ui {
namespace {

// A stage's text; ends a cancelled job first.
void stage(JobContext& context, const std::string& text) {
  context.throw_if_cancelled();
  context.progress(-1.0, text);
}

InferenceResult eagle_result(const InferenceRequest& request, JobContext& context) {
  stage(context, "loading the EAGLE model");
  EagleModel model = datasets::load_eagle_model(request.checkpoint);
  stage(context, "rolling out " + std::to_string(request.steps) + " steps");
  InferenceResult result;
  result.eagle = datasets::eagle_rollout(
      model, request.data_root, request.split, request.item, request.start, request.steps,
      torch::Device(request.device), [&](int64_t done, int64_t total) {
        stage(context,
              "rolling out: step " + std::to_string(done) + " of " + std::to_string(total));
      });
  result.eagle->checkpoint = request.checkpoint;
  return result;
}

InferenceResult shapenet_result(const InferenceRequest& request, JobContext& context) {
  stage(context, "loading the ShapeNet-Car model");
  ShapenetCarModel model = datasets::load_shapenet_model(request.checkpoint);
  datasets::ShapenetCarOptions options;
  options.knn = load_training_checkpoint(request.checkpoint).run_config.data.knn;
  const auto dataset =
      datasets::ShapenetCarDataset::open(request.data_root, request.split, options);
  stage(context, "predicting car " + std::to_string(request.item));
  InferenceResult result;
  result.shapenet =
      datasets::predict_shapenet_car(model, dataset, request.item, torch::Device(request.device));
  result.shapenet->checkpoint = request.checkpoint;
  return result;
}

}  // namespace

CheckpointInfo inspect_checkpoint(const std::string& path) {
  const TrainingState state = load_training_checkpoint(path);
  CheckpointInfo info;
  info.path = path;
  info.kind = state.run_config.task;
  info.run_name = state.run_config.name;
  std::filesystem::path root =
      std::filesystem::absolute(state.run_config.data.root).lexically_normal();
  if (!root.has_filename() && root.has_parent_path()) root = root.parent_path();  // "a/b/"
  info.data_root = root.string();
  info.step = state.step;
  return info;
}

InferenceResult run_inference(const InferenceRequest& request, JobContext& context) {
  return load_training_checkpoint(request.checkpoint).run_config.task == TaskKind::Eagle
             ? eagle_result(request, context)
             : shapenet_result(request, context);
}

}  // namespace erwin::ui
