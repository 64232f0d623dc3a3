#include "erwin/training/lr_schedule.h"

#include <cmath>
#include <stdexcept>

#include "json_fields.h"

namespace erwin {

WarmupCosineSchedule::WarmupCosineSchedule(double base_lr, int64_t warmup_steps,
                                           int64_t total_steps, double min_lr)
    : base_lr_(base_lr), warmup_steps_(warmup_steps), total_steps_(total_steps), min_lr_(min_lr) {
  if (!(base_lr > 0)) throw std::invalid_argument("schedule: base_lr must be positive");
  if (total_steps < 1) throw std::invalid_argument("schedule: total_steps must be at least 1");
  if (warmup_steps < 0 || warmup_steps > total_steps)
    throw std::invalid_argument("schedule: warmup_steps must be in [0, total_steps]");
  if (!(min_lr >= 0) || min_lr > base_lr)
    throw std::invalid_argument("schedule: min_lr must be in [0, base_lr]");
}

double WarmupCosineSchedule::lr_at(int64_t step) const {
  // PyTorch computes these recursively (chainable form); the closed forms below are the same
  // values up to rounding (checked against PyTorch itself in tst_training).
  constexpr double kStartFactor = 1e-8;  // published LinearLR(start_factor=1e-8)
  if (step < warmup_steps_)
    return base_lr_ * (kStartFactor + (1.0 - kStartFactor) * static_cast<double>(step) /
                                          static_cast<double>(warmup_steps_));
  const int64_t t_max = total_steps_ - warmup_steps_;
  if (t_max == 0) return min_lr_;
  const double phase =
      M_PI * static_cast<double>(step - warmup_steps_) / static_cast<double>(t_max);
  return min_lr_ + (base_lr_ - min_lr_) * (1.0 + std::cos(phase)) / 2.0;
}

std::string WarmupCosineSchedule::to_json() const {
  return nlohmann::json{{"base_lr", base_lr_},
                        {"warmup_steps", warmup_steps_},
                        {"total_steps", total_steps_},
                        {"min_lr", min_lr_}}
      .dump();
}

WarmupCosineSchedule WarmupCosineSchedule::from_json(const std::string& json_text) {
  const auto obj = detail::require_object(detail::parse_json(json_text, "schedule"), "schedule");
  detail::reject_unknown_keys(obj, {"base_lr", "warmup_steps", "total_steps", "min_lr"},
                              "schedule");
  for (const char* key : {"base_lr", "warmup_steps", "total_steps", "min_lr"})
    if (!obj.contains(key))
      throw std::invalid_argument(std::string("schedule.") + key + ": missing");
  double base_lr = 0, min_lr = 0;
  int64_t warmup = 0, total = 0;
  detail::read_field(obj, "base_lr", "schedule", base_lr);
  detail::read_field(obj, "warmup_steps", "schedule", warmup);
  detail::read_field(obj, "total_steps", "schedule", total);
  detail::read_field(obj, "min_lr", "schedule", min_lr);
  return WarmupCosineSchedule(base_lr, warmup, total, min_lr);
}

bool WarmupCosineSchedule::operator==(const WarmupCosineSchedule& other) const {
  return base_lr_ == other.base_lr_ && warmup_steps_ == other.warmup_steps_ &&
         total_steps_ == other.total_steps_ && min_lr_ == other.min_lr_;
}

}  // namespace erwin
