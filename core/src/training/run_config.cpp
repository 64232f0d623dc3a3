#include "erwin/training/run_config.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "erwin/errors.h"
#include "erwin/io_util.h"
#include "erwin/model/precision.h"
#include "json_fields.h"

namespace erwin {

TaskKind parse_task_kind(const std::string& name) {
  if (name == "shapenet_car") return TaskKind::ShapenetCar;
  if (name == "eagle") return TaskKind::Eagle;
  throw std::invalid_argument("task: unknown task '" + name + "' (shapenet_car or eagle)");
}

std::string task_kind_name(TaskKind kind) {
  return kind == TaskKind::Eagle ? "eagle" : "shapenet_car";
}

namespace {

void read_data(const nlohmann::json& obj, DataSettings& d) {
  detail::reject_unknown_keys(obj,
                              {"root", "train_split", "val_split", "window", "val_window",
                               "eval_start", "knn", "fourier_sigma", "use_pe"},
                              "data");
  detail::read_field(obj, "root", "data", d.root);
  detail::read_field(obj, "train_split", "data", d.train_split);
  detail::read_field(obj, "val_split", "data", d.val_split);
  detail::read_field(obj, "window", "data", d.window);
  detail::read_field(obj, "val_window", "data", d.val_window);
  detail::read_field(obj, "eval_start", "data", d.eval_start);
  detail::read_field(obj, "knn", "data", d.knn);
  detail::read_field(obj, "fourier_sigma", "data", d.fourier_sigma);
  detail::read_field(obj, "use_pe", "data", d.use_pe);
}

void read_optimizer(const nlohmann::json& obj, OptimizerSettings& o) {
  detail::reject_unknown_keys(obj, {"lr", "weight_decay", "beta1", "beta2", "eps", "max_grad_norm"},
                              "optimizer");
  detail::read_field(obj, "lr", "optimizer", o.lr);
  detail::read_field(obj, "weight_decay", "optimizer", o.weight_decay);
  detail::read_field(obj, "beta1", "optimizer", o.beta1);
  detail::read_field(obj, "beta2", "optimizer", o.beta2);
  detail::read_field(obj, "eps", "optimizer", o.eps);
  detail::read_field(obj, "max_grad_norm", "optimizer", o.max_grad_norm);
}

void read_schedule(const nlohmann::json& obj, ScheduleSettings& s) {
  detail::reject_unknown_keys(obj, {"warmup_steps", "min_lr"}, "schedule");
  detail::read_field(obj, "warmup_steps", "schedule", s.warmup_steps);
  detail::read_field(obj, "min_lr", "schedule", s.min_lr);
}

void read_training(const nlohmann::json& obj, RunConfig& c) {
  detail::reject_unknown_keys(
      obj,
      {"batch_size", "steps", "log_interval", "val_interval", "val_batches", "checkpoint_interval",
       "checkpoint_path", "device", "precision", "seed"},
      "training");
  detail::read_field(obj, "batch_size", "training", c.batch_size);
  detail::read_field(obj, "steps", "training", c.steps);
  detail::read_field(obj, "log_interval", "training", c.log_interval);
  detail::read_field(obj, "val_interval", "training", c.val_interval);
  detail::read_field(obj, "val_batches", "training", c.val_batches);
  detail::read_field(obj, "checkpoint_interval", "training", c.checkpoint_interval);
  detail::read_field(obj, "checkpoint_path", "training", c.checkpoint_path);
  detail::read_field(obj, "device", "training", c.device);
  detail::read_field(obj, "precision", "training", c.precision);
  detail::read_field(obj, "seed", "training", c.seed);
}

const nlohmann::json& section(const nlohmann::json& root, const char* key) {
  static const nlohmann::json empty = nlohmann::json::object();
  const auto it = root.find(key);
  return it == root.end() ? empty : detail::require_object(*it, key);
}

}  // namespace

void RunConfig::validate() const {
  ERWIN_CHECK(!data.root.empty(), "data.root: missing");
  // Upper bounds (RunConfigLimits): refused before anything is allocated.
  using Limits = RunConfigLimits;
  ERWIN_CHECK(data.window >= 2 && data.window <= Limits::kWindow,
              "data.window: must be in [2, " << Limits::kWindow << "]");
  ERWIN_CHECK(data.val_window >= 2 && data.val_window <= Limits::kWindow,
              "data.val_window: must be in [2, " << Limits::kWindow << "]");
  ERWIN_CHECK(data.eval_start >= 0, "data.eval_start: must not be negative");
  ERWIN_CHECK(data.knn >= 1 && data.knn <= Limits::kKnn,
              "data.knn: must be in [1, " << Limits::kKnn << "]");
  ERWIN_CHECK(data.fourier_sigma > 0, "data.fourier_sigma: must be positive");
  model.validate();
  ERWIN_CHECK(optimizer.lr > 0, "optimizer.lr: must be positive");
  ERWIN_CHECK(optimizer.weight_decay >= 0, "optimizer.weight_decay: must not be negative");
  ERWIN_CHECK(optimizer.beta1 >= 0 && optimizer.beta1 < 1, "optimizer.beta1: must be in [0, 1)");
  ERWIN_CHECK(optimizer.beta2 >= 0 && optimizer.beta2 < 1, "optimizer.beta2: must be in [0, 1)");
  ERWIN_CHECK(optimizer.eps > 0, "optimizer.eps: must be positive");
  ERWIN_CHECK(optimizer.max_grad_norm >= 0, "optimizer.max_grad_norm: must not be negative");
  ERWIN_CHECK(schedule.warmup_steps >= 0 && schedule.warmup_steps <= steps,
              "schedule.warmup_steps: must be in [0, training.steps]");
  ERWIN_CHECK(schedule.min_lr >= 0 && schedule.min_lr <= optimizer.lr,
              "schedule.min_lr: must be in [0, optimizer.lr]");
  ERWIN_CHECK(batch_size >= 1 && batch_size <= Limits::kBatchSize,
              "training.batch_size: must be in [1, " << Limits::kBatchSize << "]");
  ERWIN_CHECK(steps >= 1 && steps <= Limits::kSteps,
              "training.steps: must be in [1, " << Limits::kSteps << "]");
  ERWIN_CHECK(log_interval >= 1, "training.log_interval: must be at least 1");
  ERWIN_CHECK(val_interval >= 0, "training.val_interval: must not be negative");
  ERWIN_CHECK(val_batches >= 0, "training.val_batches: must not be negative");
  ERWIN_CHECK(checkpoint_interval >= 0, "training.checkpoint_interval: must not be negative");
  try {
    (void)torch::Device(device);
  } catch (const c10::Error&) {
    throw std::invalid_argument("training.device: unknown device '" + device + "'");
  }
  try {
    (void)parse_precision(precision);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("training.precision: ") + e.what());
  }
}

RunConfig RunConfig::from_json(const std::string& json_text) {
  const auto root =
      detail::require_object(detail::parse_json(json_text, "run config"), "run config");
  detail::reject_unknown_keys(
      root, {"name", "task", "data", "model", "optimizer", "schedule", "training"}, "run config");
  RunConfig c;
  detail::read_field(root, "name", "run config", c.name);
  std::string task = task_kind_name(c.task);
  detail::read_field(root, "task", "run config", task);
  c.task = parse_task_kind(task);
  if (!root.contains("model")) throw std::invalid_argument("model: missing");
  try {
    c.model = ErwinConfig::from_json(detail::require_object(root["model"], "model").dump());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(std::string("model: ") + e.what());
  }
  read_data(section(root, "data"), c.data);
  read_optimizer(section(root, "optimizer"), c.optimizer);
  read_schedule(section(root, "schedule"), c.schedule);
  read_training(section(root, "training"), c);
  c.validate();
  return c;
}

RunConfig RunConfig::from_json_file(const std::string& path) {
  const std::string text = read_regular_file(path);
  try {
    return from_json(text);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

std::string RunConfig::to_json() const {
  nlohmann::json root;
  root["name"] = name;
  root["task"] = task_kind_name(task);
  root["data"] = {{"root", data.root},
                  {"train_split", data.train_split},
                  {"val_split", data.val_split},
                  {"window", data.window},
                  {"val_window", data.val_window},
                  {"eval_start", data.eval_start},
                  {"knn", data.knn},
                  {"fourier_sigma", data.fourier_sigma},
                  {"use_pe", data.use_pe}};
  root["model"] = nlohmann::json::parse(model.to_json());
  root["optimizer"] = {{"lr", optimizer.lr},       {"weight_decay", optimizer.weight_decay},
                       {"beta1", optimizer.beta1}, {"beta2", optimizer.beta2},
                       {"eps", optimizer.eps},     {"max_grad_norm", optimizer.max_grad_norm}};
  root["schedule"] = {{"warmup_steps", schedule.warmup_steps}, {"min_lr", schedule.min_lr}};
  root["training"] = {{"batch_size", batch_size},
                      {"steps", steps},
                      {"log_interval", log_interval},
                      {"val_interval", val_interval},
                      {"val_batches", val_batches},
                      {"checkpoint_interval", checkpoint_interval},
                      {"checkpoint_path", checkpoint_path},
                      {"device", device},
                      {"precision", precision},
                      {"seed", seed}};
  return root.dump(2);
}

}  // namespace erwin
