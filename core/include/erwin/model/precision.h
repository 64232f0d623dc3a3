#pragma once
// Mixed precision as torch.autocast gives it: inside a PrecisionGuard for bf16, matrix products
// (the Linear layers, matmul) run in bfloat16 on the guard's device while parameters, gradients
// and optimizer state stay float32 (the master weights), and the fused ball attention takes its
// bfloat16 q, k, v with float32 arithmetic inside.
#include <torch/torch.h>

#include <string>

namespace erwin {

enum class Precision { Float32, BFloat16 };

// "fp32" | "bf16"; std::invalid_argument naming the choices otherwise.
Precision parse_precision(const std::string& name);
const char* precision_name(Precision precision);

// Autocast to bfloat16 on `device`'s type (CPU or CUDA) while alive, for Precision::BFloat16;
// nothing for Float32. Restores the previous autocast state and drops autocast's weight cache
// (as leaving torch.autocast does).
class PrecisionGuard {
 public:
  PrecisionGuard(Precision precision, const torch::Device& device);
  ~PrecisionGuard();
  PrecisionGuard(const PrecisionGuard&) = delete;
  PrecisionGuard& operator=(const PrecisionGuard&) = delete;

 private:
  bool active_;
  at::DeviceType device_type_;
  bool previous_enabled_ = false;
  at::ScalarType previous_dtype_ = at::kFloat;
};

}  // namespace erwin
