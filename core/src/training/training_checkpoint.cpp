#include "erwin/training/training_checkpoint.h"

#include <algorithm>
#include <fstream>
#include <optional>
#include <stdexcept>

#include "erwin/atomic_file.h"
#include "erwin/checkpoint.h"
#include "erwin/errors.h"
#include "erwin/torch_pickle.h"

namespace erwin {
namespace {

constexpr const char* kFormat = "erwin-training-checkpoint";
constexpr int64_t kVersion = 2;              // the published layout with an `erwin` entry
constexpr int64_t kLegacyVersion = 1;        // the TorchScript archive of earlier versions
constexpr double kWarmupStartFactor = 1e-8;  // published LinearLR(start_factor=1e-8)

struct AdamMoments {
  int64_t step = 0;
  torch::Tensor exp_avg, exp_avg_sq;
};
using OptimizerMoments = std::vector<std::optional<AdamMoments>>;  // by parameter index

struct CheckpointContents {
  TrainingState state;
  OrderedStateDict weights;
  OptimizerMoments moments;  // empty: no optimizer state
};

// ---- writing

const char* experiment_name(TaskKind task) {
  return task == TaskKind::Eagle ? "eagle" : "shapenet";
}

pickle::Value published_config(const RunConfig& run) {
  pickle::Entries entries{{"model", "erwin"}, {"experiment", experiment_name(run.task)}};
  if (run.task == TaskKind::Eagle)
    entries.emplace_back("use_pe", run.data.use_pe ? 1 : 0);
  else
    entries.emplace_back("knn", run.data.knn);
  for (auto& entry : pickled_erwin_config(run.model)) entries.push_back(std::move(entry));
  return pickle::dict(std::move(entries));
}

pickle::Value last_val_loss(const MetricsHistory& history) {
  const auto& records = history.records();
  for (auto record = records.rbegin(); record != records.rend(); ++record)
    if (record->val_loss) return *record->val_loss;
  return {};
}

pickle::Value erwin_entry(const TrainingState& state) {
  return pickle::dict({{"format", kFormat},
                       {"version", kVersion},
                       {"run_config", state.run_config.to_json()},
                       {"schedule", state.schedule.to_json()},
                       // Python ints are unbounded, but LibTorch's reader holds int64: the
                       // seed's bits travel as int64.
                       {"seed", static_cast<int64_t>(state.seed)},
                       {"elapsed_seconds", state.elapsed_seconds},
                       {"metrics", state.history.to_json()}});
}

// One LRScheduler.state_dict(): `head` (the scheduler's own arguments), then the base class's
// fields for a scheduler that has taken last_epoch + 1 steps (-1: undone by SequentialLR).
pickle::Value scheduler_fields(pickle::Entries head, double base_lr, int64_t last_epoch,
                               double last_lr) {
  head.emplace_back("base_lrs", pickle::list({base_lr}));
  head.emplace_back("last_epoch", last_epoch);
  head.emplace_back("_step_count", std::max<int64_t>(last_epoch, 0) + 1);
  head.emplace_back("_is_initial", false);
  head.emplace_back("_get_lr_called_within_step", false);
  head.emplace_back("_last_lr", pickle::list({last_lr}));
  return pickle::dict(std::move(head));
}

// ---- reading

torch::Tensor required_tensor(const PickledDict& dict, const std::string& key,
                              const std::string& what) {
  const torch::IValue value = required_item(dict, key, what);
  if (!value.isTensor()) throw FormatError(what + ": '" + key + "' is not a tensor");
  return value.toTensor();
}

std::string required_text(const PickledDict& dict, const std::string& key,
                          const std::string& what) {
  const torch::IValue value = required_item(dict, key, what);
  if (!value.isString()) throw FormatError(what + ": '" + key + "' is not text");
  return value.toStringRef();
}

AdamMoments adam_moments(const torch::IValue& value, const std::string& what) {
  const PickledDict state = pickled_dict(value, what);
  return {pickled_int(required_item(state, "step", what), what + ".step"),
          required_tensor(state, "exp_avg", what), required_tensor(state, "exp_avg_sq", what)};
}

// torch.optim.Optimizer.state_dict(): parameter indices run over the groups' `params` lists.
OptimizerMoments published_moments(const torch::IValue& value, const std::string& what) {
  const PickledDict optimizer = pickled_dict(value, what);
  size_t parameters = 0;
  for (const auto& group :
       pickled_sequence(required_item(optimizer, "param_groups", what), what + ".param_groups"))
    parameters += pickled_sequence(required_item(pickled_dict(group, what + ".param_groups"),
                                                 "params", what + ".param_groups"),
                                   what + ".param_groups.params")
                      .size();
  OptimizerMoments moments(parameters);
  for (const auto& entry : pickled_dict(required_item(optimizer, "state", what), what + ".state")) {
    const std::string at = what + ".state[" + entry.key().tagKind() + "]";
    const int64_t index = pickled_int(entry.key(), at);
    if (index < 0 || index >= static_cast<int64_t>(parameters))
      throw FormatError(what + ".state: parameter index " + std::to_string(index) +
                        " outside the param_groups' " + std::to_string(parameters));
    moments[index] = adam_moments(entry.value(), what + ".state[" + std::to_string(index) + "]");
  }
  return moments;
}

struct PublishedSchedule {
  int64_t warmup_steps = 0;
  int64_t cosine_steps = 0;  // T_max
  double min_lr = 0;
  // The (outer) scheduler's last_epoch: the optimisation steps done, since scheduler.step()
  // follows every optimizer.step() (the published fit() saves global_step before it counts the
  // step it has just taken).
  int64_t steps_done = 0;
  std::optional<double> base_lr;  // base_lrs[0]
};

// SequentialLR([LinearLR, CosineAnnealingLR]) as create_scheduler_with_warmup makes it, or a
// CosineAnnealingLR alone (the published train_eagle.py).
PublishedSchedule published_schedule(const PickledDict& scheduler, const std::string& what) {
  PublishedSchedule s;
  s.steps_done = pickled_int(required_item(scheduler, "last_epoch", what), what + ".last_epoch");
  PickledDict cosine = scheduler;
  if (auto schedulers = pickled_item(scheduler, "_schedulers")) {
    const auto parts = pickled_sequence(*schedulers, what + "._schedulers");
    const auto milestones =
        pickled_sequence(required_item(scheduler, "_milestones", what), what + "._milestones");
    if (parts.size() != 2 || milestones.size() != 1)
      throw FormatError(what + ": a SequentialLR of " + std::to_string(parts.size()) +
                        " schedulers; expected warm-up + cosine");
    s.warmup_steps = pickled_int(milestones[0], what + "._milestones");
    cosine = pickled_dict(parts[1], what + "._schedulers[1]");
  }
  s.cosine_steps = pickled_int(required_item(cosine, "T_max", what), what + ".T_max");
  s.min_lr = pickled_number(required_item(cosine, "eta_min", what), what + ".eta_min");
  if (auto base_lrs = pickled_item(cosine, "base_lrs")) {
    const auto lrs = pickled_sequence(*base_lrs, what + ".base_lrs");
    if (!lrs.empty()) s.base_lr = pickled_number(lrs[0], what + ".base_lrs");
  }
  return s;
}

// lr (the scheduler's initial_lr when there is one), weight decay, betas and eps of the first
// param group of a torch.optim.AdamW state_dict.
void read_optimizer_settings(const torch::IValue& optimizer, OptimizerSettings& settings,
                             const std::string& what) {
  const auto groups = pickled_sequence(
      required_item(pickled_dict(optimizer, what), "param_groups", what), what + ".param_groups");
  if (groups.empty()) throw FormatError(what + ": no param_groups");
  const PickledDict group = pickled_dict(groups[0], what + ".param_groups[0]");
  const auto initial_lr = pickled_item(group, "initial_lr");
  settings.lr =
      pickled_number(initial_lr ? *initial_lr : required_item(group, "lr", what), what + ".lr");
  settings.weight_decay =
      pickled_number(required_item(group, "weight_decay", what), what + ".weight_decay");
  settings.eps = pickled_number(required_item(group, "eps", what), what + ".eps");
  const auto betas = pickled_sequence(required_item(group, "betas", what), what + ".betas");
  if (betas.size() != 2) throw FormatError(what + ": betas is not a pair");
  settings.beta1 = pickled_number(betas[0], what + ".betas");
  settings.beta2 = pickled_number(betas[1], what + ".betas");
}

// Without a scheduler state: the AdamW step count of the parameters, else global_step.
int64_t steps_without_scheduler(const PickledDict& checkpoint, const CheckpointContents& contents,
                                const std::string& path) {
  int64_t steps = -1;
  for (const auto& moments : contents.moments)
    if (moments) steps = std::max(steps, moments->step);
  if (steps >= 0) return steps;
  const auto global_step = pickled_item(checkpoint, "global_step");
  return global_step ? pickled_int(*global_step, path + ": global_step") : 0;
}

// Which published task wrapper the weights belong to (its first layer's name).
TaskKind published_task(const OrderedStateDict& weights, const PickledDict& config,
                        const std::string& path) {
  for (const auto& [name, tensor] : weights) {
    if (name == "embedding_model.weight") return TaskKind::Eagle;
    if (name == "pos_enc.linear.weight") return TaskKind::ShapenetCar;
  }
  const auto experiment = pickled_item(config, "experiment");
  throw FormatError(path + ": a checkpoint of experiment '" +
                    (experiment && experiment->isString() ? experiment->toStringRef() : "?") +
                    "' whose model is neither EagleModel (embedding_model) nor ShapenetCarModel "
                    "(pos_enc); `erwin forward` and `erwin export` read its weights");
}

// The schedule and the steps done of a published checkpoint, into `state` (its lr is the
// optimizer's, else the scheduler's base lr).
void read_published_schedule(const PickledDict& checkpoint, const CheckpointContents& contents,
                             TrainingState& state, const std::string& path) {
  RunConfig& run = state.run_config;
  const auto scheduler = pickled_item(checkpoint, "scheduler_state_dict");
  if (!scheduler || scheduler->isNone()) {
    state.step = steps_without_scheduler(checkpoint, contents, path);
    run.schedule = {0, 0.0};
    run.steps = std::max<int64_t>(state.step, 1);
  } else {
    const std::string what = path + ": scheduler_state_dict";
    const PublishedSchedule schedule = published_schedule(pickled_dict(*scheduler, what), what);
    const auto optimizer = pickled_item(checkpoint, "optimizer_state_dict");
    if ((!optimizer || optimizer->isNone()) && schedule.base_lr)
      run.optimizer.lr = *schedule.base_lr;
    state.step = schedule.steps_done;
    run.schedule = {schedule.warmup_steps, schedule.min_lr};
    run.steps = schedule.warmup_steps + schedule.cosine_steps;
  }
  state.schedule = WarmupCosineSchedule(run.optimizer.lr, run.schedule.warmup_steps, run.steps,
                                        run.schedule.min_lr);
}

// The run configuration a published checkpoint implies: task, model, knn, seed, batch size from
// `config`, optimiser settings from param_groups, schedule from the scheduler state.
TrainingState published_state(const PickledDict& checkpoint, const CheckpointContents& contents,
                              const std::string& path) {
  const torch::IValue config_value = required_item(checkpoint, "config", path);
  const PickledDict config = pickled_dict(config_value, path + ": config");
  TrainingState state;
  RunConfig& run = state.run_config;
  run.model = erwin_config_from_pickled(config_value, path + ": config");
  run.task = published_task(contents.weights, config, path);
  run.name = std::string("published_") + experiment_name(run.task);
  if (auto use_pe = pickled_item(config, "use_pe"))
    run.data.use_pe = pickled_number(*use_pe, path + ": use_pe") != 0;
  if (auto knn = pickled_item(config, "knn")) run.data.knn = pickled_int(*knn, path + ": knn");
  if (auto seed = pickled_item(config, "seed"); seed && seed->isInt()) run.seed = seed->toInt();
  if (auto batch = pickled_item(config, "batch_size"); batch && batch->isInt())
    run.batch_size = batch->toInt();

  if (auto optimizer = pickled_item(checkpoint, "optimizer_state_dict");
      optimizer && !optimizer->isNone())
    read_optimizer_settings(*optimizer, run.optimizer, path + ": optimizer_state_dict");
  read_published_schedule(checkpoint, contents, state, path);
  state.seed = run.seed;
  return state;
}

// The run configuration, schedule, seed, elapsed time and metrics history that this project's
// checkpoints hold as plain values (the `erwin` entry; the earlier archives' attributes).
TrainingState run_state(const PickledDict& fields, const std::string& what) {
  TrainingState state;
  state.run_config = RunConfig::from_json(required_text(fields, "run_config", what));
  state.schedule = WarmupCosineSchedule::from_json(required_text(fields, "schedule", what));
  state.seed = static_cast<uint64_t>(pickled_int(required_item(fields, "seed", what), what));
  state.elapsed_seconds = pickled_number(required_item(fields, "elapsed_seconds", what), what);
  state.history = MetricsHistory::from_json(required_text(fields, "metrics", what));
  return state;
}

TrainingState erwin_state(const PickledDict& erwin, const PickledDict& checkpoint,
                          const std::string& path) {
  const std::string what = path + ": erwin";
  if (required_text(erwin, "format", what) != kFormat ||
      pickled_int(required_item(erwin, "version", what), what + ".version") != kVersion)
    throw FormatError(what + ": not an erwin training checkpoint of version " +
                      std::to_string(kVersion));
  TrainingState state = run_state(erwin, what);
  state.step = pickled_int(required_item(checkpoint, "global_step", path), path + ": global_step");
  return state;
}

CheckpointContents read_torch_checkpoint(const std::string& path) {
  const PickledDict checkpoint = pickled_dict(load_torch_pickle(path), path);
  CheckpointContents contents;
  contents.weights = to_ordered_state_dict(required_item(checkpoint, "model_state_dict", path),
                                           path + ": model_state_dict");
  if (auto optimizer = pickled_item(checkpoint, "optimizer_state_dict");
      optimizer && !optimizer->isNone())
    contents.moments = published_moments(*optimizer, path + ": optimizer_state_dict");
  if (auto erwin = pickled_item(checkpoint, "erwin"))
    contents.state = erwin_state(pickled_dict(*erwin, path + ": erwin"), checkpoint, path);
  else
    contents.state = published_state(checkpoint, contents, path);
  return contents;
}

// torch::optim::AdamW::save: `param_groups/<g>/params/<i>` name the parameters (by their
// TensorImpl address at saving time) whose moments `state/<address>` holds.
OptimizerMoments legacy_moments(const torch::IValue& value, const std::string& what) {
  const PickledDict optimizer = pickled_dict(value, what);
  const PickledDict groups =
      pickled_dict(required_item(optimizer, "param_groups", what), what + ".param_groups");
  const PickledDict state = pickled_dict(required_item(optimizer, "state", what), what + ".state");
  OptimizerMoments moments;
  const int64_t group_count =
      pickled_int(required_item(groups, "param_groups/size", what), what + ".param_groups/size");
  for (int64_t g = 0; g < group_count; ++g) {
    const std::string group_key = "param_groups/" + std::to_string(g);
    const PickledDict group = pickled_dict(required_item(groups, group_key, what), group_key);
    const int64_t count = pickled_int(required_item(group, "params/size", group_key), group_key);
    for (int64_t i = 0; i < count; ++i) {
      const std::string key = required_text(group, "params/" + std::to_string(i), group_key);
      const auto param_state = pickled_item(state, key);
      moments.push_back(param_state ? std::optional(adam_moments(*param_state, what + "." + key))
                                    : std::nullopt);
    }
  }
  return moments;
}

CheckpointContents read_legacy_archive(const std::string& path) {
  const PickledDict archive = pickled_dict(load_torchscript_attributes(path), path);
  if (required_text(archive, "format", path) != kFormat ||
      pickled_int(required_item(archive, "version", path), path + ": version") != kLegacyVersion)
    throw FormatError(path + ": a TorchScript archive, not an erwin training checkpoint");
  CheckpointContents contents;
  contents.state = run_state(archive, path);
  contents.state.step = pickled_int(required_item(archive, "step", path), path + ": step");
  contents.weights = read_weights_in_order(path);
  contents.moments =
      legacy_moments(required_item(archive, "optimizer", path), path + ": optimizer");
  return contents;
}

CheckpointContents read_contents(const std::string& path) {
  try {
    return is_torchscript_archive(path) ? read_legacy_archive(path) : read_torch_checkpoint(path);
  } catch (const std::invalid_argument& e) {  // invalid JSON members, schedule values
    throw FormatError(path + ": cannot read the training checkpoint: " + e.what());
  }
}

void load_moments(torch::optim::AdamW& optimizer, const OptimizerMoments& moments,
                  const std::string& path) {
  std::vector<torch::Tensor> params;
  for (const auto& group : optimizer.param_groups())
    params.insert(params.end(), group.params().begin(), group.params().end());
  if (moments.size() != params.size())
    throw FormatError(path + ": the optimizer state holds " + std::to_string(moments.size()) +
                      " parameters, the model has " + std::to_string(params.size()));
  for (size_t i = 0; i < params.size(); ++i) {
    if (!moments[i]) continue;
    const AdamMoments& m = *moments[i];
    if (m.exp_avg.sizes() != params[i].sizes() || m.exp_avg_sq.sizes() != params[i].sizes())
      throw FormatError(path + ": the optimizer moments of parameter " + std::to_string(i) +
                        " do not have its shape " + c10::str(params[i].sizes()));
  }
  auto& state = optimizer.state();
  state.clear();
  const auto copy_for = [](const torch::Tensor& moment, const torch::Tensor& param) {
    return moment.to(param.device(), param.scalar_type(), /*non_blocking=*/false, /*copy=*/true);
  };
  for (size_t i = 0; i < params.size(); ++i) {
    if (!moments[i]) continue;
    auto param_state = std::make_unique<torch::optim::AdamWParamState>();
    param_state->step(moments[i]->step);
    param_state->exp_avg(copy_for(moments[i]->exp_avg, params[i]));
    param_state->exp_avg_sq(copy_for(moments[i]->exp_avg_sq, params[i]));
    state[params[i].unsafeGetTensorImpl()] = std::move(param_state);
  }
}

}  // namespace

pickle::Value adamw_state_dict(const torch::optim::AdamW& optimizer, const torch::nn::Module& model,
                               const WarmupCosineSchedule& schedule, int64_t step) {
  const std::vector<torch::Tensor> params = model.parameters();
  const auto& groups = optimizer.param_groups();
  const bool same_params =
      groups.size() == 1 && groups[0].params().size() == params.size() &&
      std::equal(params.begin(), params.end(), groups[0].params().begin(),
                 [](const torch::Tensor& a, const torch::Tensor& b) { return a.is_same(b); });
  if (!same_params)
    throw std::logic_error(
        "adamw_state_dict: the optimizer is not one group over the model's "
        "parameters in their order");
  pickle::Entries state;
  pickle::Items indices;
  for (size_t i = 0; i < params.size(); ++i) {
    indices.emplace_back(static_cast<int64_t>(i));
    const auto found = optimizer.state().find(params[i].unsafeGetTensorImpl());
    if (found == optimizer.state().end()) continue;  // never stepped (no gradient yet)
    const auto& s = static_cast<const torch::optim::AdamWParamState&>(*found->second);
    // PyTorch keeps `step` as a float32 scalar tensor.
    state.emplace_back(static_cast<int64_t>(i),
                       pickle::dict({{"step", torch::tensor(static_cast<float>(s.step()))},
                                     {"exp_avg", s.exp_avg()},
                                     {"exp_avg_sq", s.exp_avg_sq()}}));
  }
  const auto& options = static_cast<const torch::optim::AdamWOptions&>(groups[0].options());
  const auto [beta1, beta2] = options.betas();
  // Every key of PyTorch's AdamW param group, in its order, and the scheduler's initial_lr.
  const pickle::Value group = pickle::dict({{"lr", schedule.lr_at(step)},
                                            {"betas", pickle::tuple({beta1, beta2})},
                                            {"eps", options.eps()},
                                            {"weight_decay", options.weight_decay()},
                                            {"amsgrad", options.amsgrad()},
                                            {"maximize", false},
                                            {"foreach", pickle::Value()},
                                            {"capturable", false},
                                            {"differentiable", false},
                                            {"fused", pickle::Value()},
                                            {"decoupled_weight_decay", true},
                                            {"initial_lr", schedule.base_lr()},
                                            {"params", pickle::list(std::move(indices))}});
  return pickle::dict(
      {{"state", pickle::dict(std::move(state))}, {"param_groups", pickle::list({group})}});
}

// SequentialLR replays its schedulers: LinearLR takes steps 0..warmup-1 (last_epoch at most
// warmup-1; -1 without warm-up), CosineAnnealingLR restarts at the milestone (last_epoch =
// step - warmup; -1 before). A scheduler that has not stepped yet holds the lr the warm-up's
// constructor set, base_lr * start_factor.
pickle::Value sequential_lr_state_dict(const WarmupCosineSchedule& schedule, int64_t step) {
  const int64_t warmup = schedule.warmup_steps();
  const double base_lr = schedule.base_lr();
  const double unstepped_lr = base_lr * kWarmupStartFactor;
  const int64_t linear_epoch = warmup == 0 ? -1 : std::min(step, warmup - 1);
  const int64_t cosine_epoch = step < warmup ? -1 : step - warmup;
  const pickle::Value linear = scheduler_fields(
      {{"start_factor", kWarmupStartFactor}, {"end_factor", 1.0}, {"total_iters", warmup}}, base_lr,
      linear_epoch, linear_epoch < 0 ? unstepped_lr : schedule.lr_at(linear_epoch));
  const pickle::Value cosine = scheduler_fields(
      {{"T_max", schedule.total_steps() - warmup}, {"eta_min", schedule.min_lr()}}, base_lr,
      cosine_epoch, cosine_epoch < 0 ? unstepped_lr : schedule.lr_at(step));
  return pickle::dict({{"_milestones", pickle::list({warmup})},
                       {"last_epoch", step},
                       {"_last_lr", pickle::list({schedule.lr_at(step)})},
                       {"_schedulers", pickle::list({linear, cosine})}});
}

void write_training_checkpoint(const std::string& file, const TrainingState& state,
                               const torch::nn::Module& model,
                               const torch::optim::AdamW& optimizer) {
  const pickle::Value checkpoint = pickle::dict(
      {{"model_state_dict", pickled_state_dict(ordered_state_dict(model))},
       {"optimizer_state_dict", adamw_state_dict(optimizer, model, state.schedule, state.step)},
       {"scheduler_state_dict", sequential_lr_state_dict(state.schedule, state.step)},
       {"val_loss", last_val_loss(state.history)},
       {"global_step", state.step},
       {"config", published_config(state.run_config)},
       {"erwin", erwin_entry(state)}});
  const std::string bytes = pickle::torch_save_bytes(checkpoint);
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) throw std::runtime_error("cannot write the training checkpoint " + file);
}

void save_training_checkpoint(const std::string& path, const TrainingState& state,
                              const torch::nn::Module& model,
                              const torch::optim::AdamW& optimizer) {
  write_file_atomically(path, [&](const std::string& temp) {
    write_training_checkpoint(temp, state, model, optimizer);
  });
}

TrainingState load_training_checkpoint(const std::string& path, torch::nn::Module* model,
                                       torch::optim::AdamW* optimizer) {
  const CheckpointContents contents = read_contents(path);
  if (model) {
    try {
      load_state_dict(*model, StateDict(contents.weights.begin(), contents.weights.end()));
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(path + ": " + e.what());
    }
  }
  if (optimizer && !contents.moments.empty()) load_moments(*optimizer, contents.moments, path);
  return contents.state;
}

bool is_training_checkpoint(const std::string& path) {
  try {
    load_training_checkpoint(path);
    return true;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace erwin
