#pragma once
// A training run as a JSON file: task and data, the Erwin backbone, optimiser, schedule and loop
// settings. The shipped configurations live in resources/configs/.
#include <cstdint>
#include <string>

#include "erwin/config.h"

namespace erwin {

enum class TaskKind { ShapenetCar, Eagle };
TaskKind parse_task_kind(const std::string& name);  // "shapenet_car" | "eagle"
std::string task_kind_name(TaskKind kind);

struct DataSettings {
  std::string root;  // dataset folder (relative paths: to the working directory)
  std::string train_split = "train";
  std::string val_split = "valid";  // ShapeNet-Car has no validation split: "test" (published)
  int64_t window = 6;               // EAGLE: steps per training window (published 6)
  int64_t val_window = 2;           // EAGLE: steps per validation window (published 2)
  int64_t eval_start = 100;         // EAGLE: first step of validation windows (clamped)
  int64_t knn = 8;                  // ShapeNet-Car: k of the k-NN graph (published 8)
  double fourier_sigma = 1.0;       // ShapeNet-Car: random Fourier features' N(0, 1/sigma)
  bool use_pe = false;              // EAGLE: the published --use_pe position features
};

struct OptimizerSettings {  // torch.optim.AdamW
  double lr = 1e-3;
  double weight_decay = 0.01;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
  double max_grad_norm = 1.0;  // clip_grad_norm_; 0 disables clipping
};

struct ScheduleSettings {  // WarmupCosineSchedule over `steps`
  int64_t warmup_steps = 0;
  double min_lr = 1e-7;
};

// Upper bounds that RunConfig::validate() enforces (the published runs: windows of 6, k = 8,
// batches of 12 to 32, 200,000 steps); the model's are ErwinConfig::validate's (README,
// "Robustness").
struct RunConfigLimits {
  static constexpr int64_t kWindow = 990;  // EAGLE simulations have 990 frames
  static constexpr int64_t kKnn = 256;
  static constexpr int64_t kBatchSize = 4096;
  static constexpr int64_t kSteps = 1'000'000'000;
};

struct RunConfig {
  std::string name;
  TaskKind task = TaskKind::ShapenetCar;
  DataSettings data;
  ErwinConfig model;
  OptimizerSettings optimizer;
  ScheduleSettings schedule;
  int64_t batch_size = 2;
  int64_t steps = 1000;
  int64_t log_interval = 10;           // steps per metrics record
  int64_t val_interval = 100;          // 0 disables validation
  int64_t val_batches = 0;             // validation batches per validation; 0: the whole split
  int64_t checkpoint_interval = 1000;  // 0: only at the end
  std::string checkpoint_path;         // empty: no checkpoints
  std::string device = "cpu";          // "cpu" | "cuda" | "cuda:N"
  std::string precision = "fp32";      // "fp32" | "bf16": autocast, float32 master weights
  uint64_t seed = 0;

  // Throws std::invalid_argument naming the offending field.
  void validate() const;

  // Object {"name", "task", "data": {...}, "model": ErwinConfig JSON, "optimizer": {...},
  // "schedule": {...}, "training": {"batch_size", "steps", "log_interval", "val_interval",
  // "val_batches", "checkpoint_interval", "checkpoint_path", "device", "precision", "seed"}}. Absent fields
  // keep the defaults above; unknown keys and wrong types are std::invalid_argument naming the
  // field (and the file for from_json_file).
  static RunConfig from_json(const std::string& json_text);
  static RunConfig from_json_file(const std::string& path);
  std::string to_json() const;
};

}  // namespace erwin
