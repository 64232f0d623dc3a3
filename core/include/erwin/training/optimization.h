#pragma once
// The optimiser and the optimisation step of the published training loop
// (experiments/training.py train_step), shared by the Trainer and `erwin step`.
#include <torch/torch.h>

#include <functional>
#include <memory>

#include "erwin/training/run_config.h"

namespace erwin {

// torch.optim.AdamW over every parameter of `model` with `settings` (the published scripts set
// lr and weight_decay and keep PyTorch's defaults for betas and eps).
std::unique_ptr<torch::optim::AdamW> make_adamw(torch::nn::Module& model,
                                                const OptimizerSettings& settings);

// One published train_step at learning rate `lr`: train mode, zero_grad, loss.backward(),
// clip_grad_norm_(max_grad_norm) when it is positive, optimizer.step(). `loss` computes the
// loss; the returned tensor is that loss (before the update, detached). `after_backward`, when
// given, runs between backward and clipping (data-parallel runs average the gradients there).
torch::Tensor optimisation_step(torch::nn::Module& model, torch::optim::Optimizer& optimizer,
                                double lr, double max_grad_norm,
                                const std::function<torch::Tensor()>& loss,
                                const std::function<void()>& after_backward = {});

}  // namespace erwin
