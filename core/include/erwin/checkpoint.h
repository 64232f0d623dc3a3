#pragma once
// Model weights in and out: reference fixtures (.npz of `param.<name>`), PyTorch files written
// by torch.save (a state_dict, or the published training script's checkpoint dict), and this
// project's own checkpoints (config + weights + extra tensors, readable by torch.load too).
#include <torch/torch.h>

#include <map>
#include <string>

#include "erwin/config.h"

namespace erwin {

using StateDict = std::map<std::string, torch::Tensor>;

// Every parameter and (defined) buffer of `module`, under its state_dict name.
StateDict state_dict(const torch::nn::Module& module);

// Copies `state` into the module's parameters and buffers (no autograd). Shapes must match
// (std::invalid_argument naming the key and both shapes). With `strict`, keys the module lacks
// and module entries the state lacks are rejected too, naming them. Nothing is copied on error.
void load_state_dict(torch::nn::Module& module, const StateDict& state, bool strict = true);

enum class WeightsFormat {
  Npz,                      // reference fixture: `param.<name>` members
  TorchStateDict,           // torch.save(model.state_dict())
  TorchTrainingCheckpoint,  // torch.save({"model_state_dict": ..., ...})
  ErwinCheckpoint,          // save_checkpoint below
};

// Decides by content, not by file name. erwin::FormatError when it is none of the above.
WeightsFormat detect_weights_format(const std::string& path);

// The model weights held by any of the formats above.
StateDict read_weights(const std::string& path);

// read_weights + load_state_dict; errors name `path`.
void load_weights(torch::nn::Module& module, const std::string& path, bool strict = true);

struct Checkpoint {
  ErwinConfig config;
  StateDict model_state;
  std::map<std::string, torch::Tensor> extra;  // e.g. optimiser moments, normalisation stats
};

// Writes a torch.save-compatible zip holding {"format", "version", "config" (JSON text),
// "model_state_dict", "extra"}, atomically.
void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const ErwinConfig& config,
                     const std::map<std::string, torch::Tensor>& extra = {});
Checkpoint load_checkpoint(const std::string& path);

}  // namespace erwin
