#pragma once
// Learning-rate schedule of the training loop: the published experiments/training.py
// create_scheduler_with_warmup, i.e. PyTorch's SequentialLR of LinearLR(start_factor=1e-8,
// total_iters=warmup_steps) and CosineAnnealingLR(T_max=total_steps - warmup_steps, eta_min),
// stepped once after every optimiser step.
#include <cstdint>
#include <string>

namespace erwin {

class WarmupCosineSchedule {
 public:
  // Throws std::invalid_argument for non-positive base_lr or total_steps, negative warmup_steps
  // or min_lr, warmup_steps > total_steps or min_lr > base_lr.
  WarmupCosineSchedule(double base_lr, int64_t warmup_steps, int64_t total_steps, double min_lr);

  // The lr that PyTorch's scheduler holds after `step` scheduler steps, i.e. the lr of
  // optimisation step `step` (0-based): base_lr * (1e-8 + (1 - 1e-8) * step / warmup_steps)
  // during the warm-up (so step 0 trains at 1e-8 * base_lr), then
  // min_lr + (base_lr - min_lr) * (1 + cos(pi * (step - warmup_steps) / T_max)) / 2 with
  // T_max = total_steps - warmup_steps. As in PyTorch the cosine goes on past total_steps (it
  // rises again after T_max); with T_max = 0, where PyTorch divides by zero, it is min_lr.
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
