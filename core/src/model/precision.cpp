#include "erwin/model/precision.h"

#include <ATen/autocast_mode.h>

#include <stdexcept>

namespace erwin {

Precision parse_precision(const std::string& name) {
  if (name == "fp32") return Precision::Float32;
  if (name == "bf16") return Precision::BFloat16;
  throw std::invalid_argument("unknown precision '" + name + "' (fp32, bf16)");
}

const char* precision_name(Precision precision) {
  return precision == Precision::BFloat16 ? "bf16" : "fp32";
}

PrecisionGuard::PrecisionGuard(Precision precision, const torch::Device& device)
    : active_(precision == Precision::BFloat16), device_type_(device.type()) {
  if (!active_) return;
  previous_enabled_ = at::autocast::is_autocast_enabled(device_type_);
  previous_dtype_ = at::autocast::get_autocast_dtype(device_type_);
  at::autocast::set_autocast_enabled(device_type_, true);
  at::autocast::set_autocast_dtype(device_type_, at::kBFloat16);
  at::autocast::increment_nesting();
}

PrecisionGuard::~PrecisionGuard() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(device_type_, previous_enabled_);
  at::autocast::set_autocast_dtype(device_type_, previous_dtype_);
}

}  // namespace erwin
