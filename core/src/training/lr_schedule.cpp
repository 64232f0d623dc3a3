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
  if (step < warmup_steps_)
    return base_lr_ * static_cast<double>(step + 1) / static_cast<double>(warmup_steps_);
  if (step >= total_steps_) return min_lr_;
  const double decay_steps = static_cast<double>(total_steps_ - warmup_steps_);
  const double progress = static_cast<double>(step - warmup_steps_) / decay_steps;
  return min_lr_ + 0.5 * (base_lr_ - min_lr_) * (1.0 + std::cos(M_PI * progress));
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
