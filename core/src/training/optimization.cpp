#include "erwin/training/optimization.h"

namespace erwin {

std::unique_ptr<torch::optim::AdamW> make_adamw(torch::nn::Module& model,
                                                const OptimizerSettings& settings) {
  auto options = torch::optim::AdamWOptions(settings.lr)
                     .betas({settings.beta1, settings.beta2})
                     .eps(settings.eps)
                     .weight_decay(settings.weight_decay);
  return std::make_unique<torch::optim::AdamW>(model.parameters(), options);
}

torch::Tensor optimisation_step(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                                double lr, double max_grad_norm,
                                const std::function<torch::Tensor()>& loss,
                                const std::function<void()>& after_backward) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
  model.train();
  optimizer.zero_grad();
  const torch::Tensor value = loss();
  value.backward();
  if (after_backward) after_backward();
  if (max_grad_norm > 0) torch::nn::utils::clip_grad_norm_(model.parameters(), max_grad_norm);
  optimizer.step();
  return value.detach();
}

}  // namespace erwin
