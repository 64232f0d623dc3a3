#pragma once
// Model weights in and out: reference fixtures (.npz of `param.<name>`), PyTorch files written
// by torch.save (a state_dict, or a training checkpoint dict as the published training script and
// `erwin train` write it), this project's older checkpoints, and plain state_dicts that the
// published models load (save_state_dict).
#include <torch/torch.h>

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "erwin/config.h"
#include "erwin/torch_save.h"

namespace erwin {

using StateDict = std::map<std::string, torch::Tensor>;
// A state_dict in PyTorch's order (what Module.state_dict() lists).
using OrderedStateDict = std::vector<std::pair<std::string, torch::Tensor>>;

// Every parameter and (defined) buffer of `module`, under its state_dict name.
StateDict state_dict(const torch::nn::Module& module);

// The same in PyTorch's state_dict order: each module, parents first and children in
// registration order, lists its parameters, then its buffers. The parameters alone are in
// named_parameters() order, which is the order of the optimizer's parameter indices.
OrderedStateDict ordered_state_dict(const torch::nn::Module& module);

// Copies `state` into the module's parameters and buffers (no autograd). Shapes must match
// (std::invalid_argument naming the key and both shapes). With `strict`, keys the module lacks
// and module entries the state lacks are rejected too, naming them. Nothing is copied on error.
void load_state_dict(torch::nn::Module& module, const StateDict& state, bool strict = true);

enum class WeightsFormat {
  Npz,                      // reference fixture: `param.<name>` members
  TorchStateDict,           // torch.save(model.state_dict())
  TorchTrainingCheckpoint,  // torch.save({"model_state_dict": ..., ...}): published, erwin train
  ErwinCheckpoint,          // save_checkpoint below ("erwin-studio-checkpoint")
  LegacyTrainingArchive,    // erwin train before it wrote the published layout (TorchScript zip)
};

// Decides by content, not by file name. erwin::FormatError when it is none of the above.
WeightsFormat detect_weights_format(const std::string& path);

// A pickled state_dict (name -> tensor dict) in its order, without torch.compile's `_orig_mod.`
// name prefix. erwin::FormatError naming `what` for other values.
OrderedStateDict to_ordered_state_dict(const torch::IValue& value, const std::string& what);

// The model weights held by any of the formats above, in the file's order (without
// `_orig_mod.` prefixes).
OrderedStateDict read_weights_in_order(const std::string& path);
StateDict read_weights(const std::string& path);

// read_weights + load_state_dict; errors name `path`.
void load_weights(torch::nn::Module& module, const std::string& path, bool strict = true);

// The ErwinTransformer configuration a weights file records (training checkpoints of every kind,
// Erwin checkpoints, a fixture .npz's __meta__.config); nullopt for files without one.
std::optional<ErwinConfig> read_weights_config(const std::string& path);

// The backbone of a task model's weights (EagleModel, ShapenetCarModel): the `main_model.`
// entries without that prefix. Weights without such entries are returned as they are.
StateDict backbone_weights(const StateDict& weights);

// The ErwinTransformer arguments of a published experiment config dict (which also holds
// `model`, `experiment`, `use_pe`, `knn`, learning rates, ...: other keys are ignored).
ErwinConfig erwin_config_from_pickled(const torch::IValue& config, const std::string& what);
// `config` as the published ErwinTransformer keyword arguments (dict entries, in its order).
pickle::Entries pickled_erwin_config(const ErwinConfig& config);

// Writes `weights` as torch.save(OrderedDict) does, atomically: a plain state_dict that
// torch.load(path) (weights_only=True) opens and Module.load_state_dict accepts.
void save_state_dict(const std::string& path, const OrderedStateDict& weights);
pickle::Value pickled_state_dict(const OrderedStateDict& weights);

struct Checkpoint {
  ErwinConfig config;
  StateDict model_state;
  std::map<std::string, torch::Tensor> extra;  // e.g. optimiser moments, normalisation stats
};

// Writes a torch.save archive holding {"format": "erwin-studio-checkpoint", "version",
// "config" (JSON text), "model_state_dict", "extra"}, atomically.
void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const ErwinConfig& config,
                     const std::map<std::string, torch::Tensor>& extra = {});
Checkpoint load_checkpoint(const std::string& path);

}  // namespace erwin
