#include "erwin/training/trainer.h"

#include <filesystem>
#include <stdexcept>

#include "erwin/file_lock.h"
#include "erwin/model/precision.h"
#include "erwin/training/data_order.h"
#include "erwin/training/data_parallel.h"
#include "erwin/training/optimization.h"
#include "erwin/training/run_log.h"

namespace erwin {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

const RunConfig& validated(const RunConfig& config) {
  config.validate();
  return config;
}

}  // namespace

Trainer::Trainer(RunConfig config, std::unique_ptr<TrainingTask> task)
    : config_(validated(config)),
      task_(std::move(task)),
      device_(config_.device),
      schedule_(config_.optimizer.lr, config_.schedule.warmup_steps, config_.steps,
                config_.schedule.min_lr) {
  if (!task_) throw std::invalid_argument("Trainer: task is null");
  if (task_->train_size() < 1) throw std::invalid_argument("Trainer: the training split is empty");
  task_->to(device_);
  optimizer_ = make_adamw(task_->model(), config_.optimizer);
}

void Trainer::set_data_parallel(std::shared_ptr<DataParallel> group) {
  if (!group) throw std::invalid_argument("Trainer::set_data_parallel: group is null");
  const int64_t per_step = std::min(config_.batch_size, task_->train_size());
  if (per_step < group->world_size())
    throw std::invalid_argument(
        "a step's batch of " + std::to_string(per_step) +
        " samples (training.batch_size, or the whole training split when smaller) cannot be "
        "shared among " +
        std::to_string(group->world_size()) + " processes");
  group->broadcast_state(task_->model());
  data_parallel_ = std::move(group);
}

bool Trainer::writes_record() const { return !data_parallel_ || data_parallel_->is_main(); }

void Trainer::resume_from(const std::string& checkpoint_path) {
  // Read the configuration first, so that a mismatch leaves this trainer untouched.
  const TrainingState saved = load_training_checkpoint(checkpoint_path);
  if (saved.run_config.task != config_.task)
    throw std::invalid_argument(checkpoint_path + ": a checkpoint of the " +
                                task_kind_name(saved.run_config.task) + " task, the run trains " +
                                task_kind_name(config_.task));
  if (saved.run_config.model.to_json() != config_.model.to_json())
    throw std::invalid_argument(checkpoint_path +
                                ": the checkpoint's model configuration differs from the run's");
  load_training_checkpoint(checkpoint_path, &task_->model(), optimizer_.get());
  step_ = saved.step;
  elapsed_seconds_ = saved.elapsed_seconds;
  history_ = saved.history;
  interval_loss_sum_ = 0;
  interval_steps_ = interval_samples_ = 0;
  interval_seconds_ = 0;
  if (data_parallel_ && data_parallel_->broadcast_value(step_) != step_)
    throw std::runtime_error(checkpoint_path + ": rank " + std::to_string(data_parallel_->rank()) +
                             " resumed at a different step than rank 0 (step " +
                             std::to_string(step_) + "): every rank must read the same checkpoint");
}

double Trainer::train_step() {
  const auto start = Clock::now();
  const auto batch = batch_for_step(config_.seed, step_, task_->train_size(), config_.batch_size);
  const auto indices = data_parallel_
                           ? rank_shard(batch, data_parallel_->rank(), data_parallel_->world_size())
                           : batch;
  // This rank's share of the batch: its mean loss and gradients count that much in the whole's.
  const double share = static_cast<double>(indices.size()) / static_cast<double>(batch.size());
  std::function<void()> average_gradients;
  if (data_parallel_) {
    data_parallel_->broadcast_buffers(task_->model());
    average_gradients = [&] { data_parallel_->reduce_gradients(task_->model(), share); };
  }
  last_lr_ = schedule_.lr_at(step_);
  double value = optimisation_step(
                     task_->model(), *optimizer_, last_lr_, config_.optimizer.max_grad_norm,
                     [&] {
                       // Forward and loss under autocast, backward outside (as torch.autocast).
                       const PrecisionGuard autocast(parse_precision(config_.precision), device_);
                       return task_->train_loss(indices, step_seed(config_.seed, step_));
                     },
                     average_gradients)
                     .item<double>();
  if (data_parallel_) value = data_parallel_->sum({value * share})[0];
  ++step_;
  const double seconds = seconds_since(start);
  elapsed_seconds_ += seconds;
  interval_seconds_ += seconds;
  interval_loss_sum_ += value;
  ++interval_steps_;
  interval_samples_ += static_cast<int64_t>(batch.size());
  return value;
}

double Trainer::validate() {
  const auto start = Clock::now();
  torch::NoGradGuard no_grad;
  // Data-parallel: every rank evaluates rank 0's model on its share of the batches.
  if (data_parallel_) data_parallel_->broadcast_buffers(task_->model());
  const int rank = data_parallel_ ? data_parallel_->rank() : 0;
  const int ranks = data_parallel_ ? data_parallel_->world_size() : 1;
  task_->model().eval();
  const PrecisionGuard autocast(parse_precision(config_.precision), device_);
  const int64_t size = task_->val_size();
  int64_t batches = (size + config_.batch_size - 1) / config_.batch_size;
  if (config_.val_batches > 0) batches = std::min(batches, config_.val_batches);
  double weighted_sum = 0;
  int64_t samples = 0;
  for (int64_t b = rank; b < batches; b += ranks) {
    std::vector<int64_t> indices;
    for (int64_t i = b * config_.batch_size; i < std::min(size, (b + 1) * config_.batch_size); ++i)
      indices.push_back(i);
    weighted_sum += task_->val_loss(indices).item<double>() * static_cast<double>(indices.size());
    samples += static_cast<int64_t>(indices.size());
  }
  if (data_parallel_) {
    const auto sums = data_parallel_->sum({weighted_sum, static_cast<double>(samples)});
    weighted_sum = sums[0];
    samples = static_cast<int64_t>(sums[1]);
  }
  task_->model().train();
  elapsed_seconds_ += seconds_since(start);
  if (samples == 0) throw std::invalid_argument("Trainer::validate: the validation split is empty");
  return weighted_sum / static_cast<double>(samples);
}

void Trainer::record(std::optional<double> val_loss) {
  MetricsRecord r;
  r.step = step_;
  r.train_loss = interval_steps_ > 0 ? interval_loss_sum_ / static_cast<double>(interval_steps_)
                                     : (history_.empty() ? 0.0 : history_.back().train_loss);
  r.val_loss = val_loss;
  r.lr = last_lr_;
  r.samples_per_second =
      interval_seconds_ > 0 ? static_cast<double>(interval_samples_) / interval_seconds_ : 0.0;
  r.elapsed_seconds = elapsed_seconds_;
  history_.append(r);
  if (log_) log_->append(r);
  interval_loss_sum_ = 0;
  interval_steps_ = interval_samples_ = 0;
  interval_seconds_ = 0;
}

bool Trainer::due(int64_t interval) const { return interval > 0 && step_ % interval == 0; }

TrainingState Trainer::state() const {
  TrainingState s;
  s.run_config = config_;
  s.schedule = schedule_;
  s.step = step_;
  s.seed = config_.seed;
  s.elapsed_seconds = elapsed_seconds_;
  s.history = history_;
  return s;
}

void Trainer::save_checkpoint(const std::string& path) const {
  save_training_checkpoint(path, state(), task_->model(), *optimizer_);
}

void Trainer::save_run_checkpoint(const TrainerCallbacks& callbacks) {
  if (config_.checkpoint_path.empty() || !writes_record()) return;
  save_checkpoint(config_.checkpoint_path);
  if (callbacks.on_checkpoint) callbacks.on_checkpoint(config_.checkpoint_path);
}

StopReason Trainer::run(RunControl* control, const TrainerCallbacks& callbacks) {
  // One run at a time writes a checkpoint (and its record): a second one is refused up front.
  // (The run's folder is its record's too, which RunLog would create next.)
  const bool records = !config_.checkpoint_path.empty() && writes_record();
  std::optional<FileLock> lock;
  if (records) {
    const auto folder = std::filesystem::path(config_.checkpoint_path).parent_path();
    std::error_code ignored;  // a folder that cannot be made is named by the lock's error
    if (!folder.empty()) std::filesystem::create_directories(folder, ignored);
    lock.emplace(config_.checkpoint_path + ".lock", "the checkpoint " + config_.checkpoint_path);
  }
  std::unique_ptr<RunLog> log;
  if (records) {
    int64_t parameters = 0;
    for (const torch::Tensor& p : task_->model().parameters()) parameters += p.numel();
    log = std::make_unique<RunLog>(config_.checkpoint_path, config_, parameters, history_);
  }
  log_ = log.get();
  struct Detach {
    RunLog*& log;
    ~Detach() { log = nullptr; }
  } detach{log_};
  const int64_t first_step = step_;
  try {
    return run_steps(control, callbacks);
  } catch (const std::exception& error) {
    // A run never ends without saving what it trained: the steps before the failure are kept.
    try {
      if (interval_steps_ > 0) record(std::nullopt);
      if (step_ > first_step) save_run_checkpoint(callbacks);
    } catch (const std::exception& save_error) {
      throw std::runtime_error(
          std::string(error.what()) +
          " (saving the steps done before it failed too: " + save_error.what() + ")");
    }
    throw;
  }
}

StopReason Trainer::run_steps(RunControl* control, const TrainerCallbacks& callbacks) {
  auto checkpoint = [&] { save_run_checkpoint(callbacks); };
  while (step_ < config_.steps) {
    bool stop = control && (control->stop_requested() || !control->wait_while_paused());
    if (data_parallel_) stop = data_parallel_->any(stop);  // all ranks stop at the same step
    if (stop) {
      if (interval_steps_ > 0) record(std::nullopt);
      checkpoint();
      return StopReason::Cancelled;
    }
    const double loss = train_step();
    if (callbacks.on_step) {
      TrainingProgress p;
      p.step = step_;
      p.total_steps = config_.steps;
      p.loss = loss;
      p.lr = last_lr_;
      p.samples_per_second = static_cast<double>(interval_samples_) / interval_seconds_;
      p.elapsed_seconds = elapsed_seconds_;
      p.eta_seconds = interval_seconds_ / static_cast<double>(interval_steps_) *
                      static_cast<double>(config_.steps - step_);
      callbacks.on_step(p);
    }
    const bool validate_now = due(config_.val_interval) || step_ == config_.steps;
    if (validate_now || due(config_.log_interval)) {
      const std::optional<double> val =
          validate_now && task_->val_size() > 0 && config_.val_interval > 0
              ? std::optional<double>(validate())
              : std::nullopt;
      record(val);
      if (callbacks.on_metrics) callbacks.on_metrics(history_.back());
    }
    if (due(config_.checkpoint_interval) && step_ < config_.steps) checkpoint();
  }
  checkpoint();
  return StopReason::Finished;
}

}  // namespace erwin
