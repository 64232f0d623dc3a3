#pragma once
// Learning-rate schedule of the training loop: linear warm-up, then cosine decay (the published
// experiments/training.py create_scheduler_with_warmup, without its near-zero first step).
#include <cstdint>
#include <string>

namespace erwin {

class WarmupCosineSchedule {
 public:
  // lr(step) for step < warmup_steps: base_lr * (step + 1) / warmup_steps; then cosine from
  // base_lr at warmup_steps down to min_lr at total_steps, and min_lr after. Throws
  // std::invalid_argument for non-positive base_lr or total_steps, negative warmup_steps or
  // min_lr, warmup_steps > total_steps or min_lr > base_lr.
  WarmupCosineSchedule(double base_lr, int64_t warmup_steps, int64_t total_steps, double min_lr);

  double lr_at(int64_t step) const;

  double base_lr() const { return base_lr_; }
  int64_t warmup_steps() const { return warmup_steps_; }
  int64_t total_steps() const { return total_steps_; }
  double min_lr() const { return min_lr_; }

  // {"base_lr", "warmup_steps", "total_steps", "min_lr"}; from_json validates like the
  // constructor and names a missing or mistyped field.
  std::string to_json() const;
  static WarmupCosineSchedule from_json(const std::string& json_text);

  bool operator==(const WarmupCosineSchedule& other) const;

 private:
  double base_lr_;
  int64_t warmup_steps_;
  int64_t total_steps_;
  double min_lr_;
};

}  // namespace erwin
