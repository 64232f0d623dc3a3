#pragma once
// Training checkpoints in the layout of the published training script's save_checkpoint
// (experiments/training.py), written with erwin/torch_save.h so that PyTorch's torch.load(path)
// opens them with its default weights_only=True, and written atomically
// (erwin::write_file_atomically) so that a run killed while saving keeps its previous checkpoint:
//
//   model_state_dict      OrderedDict: the task model's state_dict under the published wrapper
//                         names (EagleModel: embedding_model, main_model.*, pred_head;
//                         ShapenetCarModel: pos_enc.linear, main_model.*, pred_head.{0,2})
//   optimizer_state_dict  torch.optim.AdamW.state_dict(): state {index: {step, exp_avg,
//                         exp_avg_sq}} by named_parameters() index, and param_groups
//   scheduler_state_dict  SequentialLR([LinearLR(start_factor=1e-8, total_iters=warmup),
//                         CosineAnnealingLR(T_max=steps-warmup, eta_min)]).state_dict() after
//                         global_step scheduler steps
//   val_loss              the last validation loss (None before the first validation)
//   global_step           optimisation steps done
//   config                the ErwinTransformer arguments and model, experiment, use_pe (EAGLE) or
//                         knn (ShapeNet-Car), as the published scripts record them
//   erwin                 what resuming needs beyond that, as plain values: format, version,
//                         run_config (JSON), schedule (JSON), seed, elapsed_seconds, metrics
//                         (JSON history). The data order and per-step randomness follow from
//                         (seed, step) (data_order.h), so no RNG state is stored.
//
// load_training_checkpoint also reads checkpoints that the published save_checkpoint wrote for
// EagleModel or ShapenetCarModel (their step is the scheduler's last_epoch: the published fit()
// saves global_step before counting the step it just took), also from torch.compile'd models
// (`_orig_mod.` names), and the TorchScript archives that earlier versions of `erwin train`
// wrote, without compiling their code.
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "erwin/torch_save.h"
#include "erwin/training/lr_schedule.h"
#include "erwin/training/metrics.h"
#include "erwin/training/run_config.h"

namespace erwin {

struct TrainingState {
  RunConfig run_config;  // published checkpoints: rebuilt from config and the state dicts
  WarmupCosineSchedule schedule{1.0, 0, 1, 0.0};
  int64_t step = 0;  // optimisation steps done
  uint64_t seed = 0;
  double elapsed_seconds = 0;
  MetricsHistory history;
};

// Writes the checkpoint to `file` directly (not atomic: the building block of the function below).
// `optimizer` must be the AdamW over model.parameters() (in that order).
void write_training_checkpoint(const std::string& file, const TrainingState& state,
                               const torch::nn::Module& model,
                               const torch::optim::AdamW& optimizer);

// write_training_checkpoint into a temporary file renamed over `path`.
void save_training_checkpoint(const std::string& path, const TrainingState& state,
                              const torch::nn::Module& model, const torch::optim::AdamW& optimizer);

// Reads the state, and the weights into `model` / the AdamW moments and step counts into
// `optimizer` where given (the model of the checkpoint's task and configuration; the optimizer
// over its parameters; tensors land on their devices). erwin::FormatError naming `path` when the
// file is not a training checkpoint of an EAGLE or ShapeNet-Car model or is damaged;
// std::invalid_argument naming `path` and the key when the weights do not fit `model`.
TrainingState load_training_checkpoint(const std::string& path, torch::nn::Module* model = nullptr,
                                       torch::optim::AdamW* optimizer = nullptr);

// True when load_training_checkpoint reads `path` (false for any other file).
bool is_training_checkpoint(const std::string& path);

// The pieces of the layout, as PyTorch's own state_dict()s hold them.
// optimizer.state_dict() of torch.optim.AdamW over model.parameters(), with the lr and
// initial_lr that the scheduler sets after `step` steps of `schedule`.
pickle::Value adamw_state_dict(const torch::optim::AdamW& optimizer, const torch::nn::Module& model,
                               const WarmupCosineSchedule& schedule, int64_t step);
// scheduler.state_dict() of the published create_scheduler_with_warmup after `step` steps.
pickle::Value sequential_lr_state_dict(const WarmupCosineSchedule& schedule, int64_t step);

}  // namespace erwin
