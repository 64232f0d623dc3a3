#include "erwin/checkpoint.h"

#include <cmath>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "erwin/atomic_file.h"
#include "erwin/io_util.h"
#include "erwin/json_text.h"
#include "erwin/npy.h"
#include "erwin/torch_pickle.h"

namespace erwin {
namespace {

constexpr const char* kCheckpointFormat = "erwin-studio-checkpoint";
constexpr int64_t kCheckpointVersion = 1;
constexpr const char* kNpzParamPrefix = "param.";
constexpr const char* kCompiledPrefix = "_orig_mod.";   // torch.compile's OptimizedModule
constexpr const char* kBackbonePrefix = "main_model.";  // the task wrappers' ErwinTransformer
// What `erwin train` wrote before it wrote the published layout (a TorchScript archive).
constexpr const char* kLegacyTrainingFormat = "erwin-training-checkpoint";
// The ErwinTransformer constructor arguments (published models/erwin.py), in its order.
constexpr const char* kErwinArguments[] = {
    "c_in",          "c_hidden",       "ball_sizes", "enc_num_heads", "enc_depths",
    "dec_num_heads", "dec_depths",     "strides",    "rotate",        "decode",
    "mlp_ratio",     "dimensionality", "mp_steps"};

std::string shape_of(const torch::Tensor& t) {
  std::ostringstream out;
  out << t.sizes();
  return out.str();
}

std::string join_names(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out;
}

// Name of the first member of a zip archive: numpy writes `<name>.npy` members, torch.save
// `<archive>/data.pkl` first. Empty when the bytes are not a zip local file header.
std::string first_zip_member(const std::string& bytes) {
  if (bytes.size() < 30 || std::string(bytes.data(), 4) != std::string("PK\x03\x04", 4)) return {};
  const auto byte = [&](size_t i) { return static_cast<size_t>(static_cast<uint8_t>(bytes[i])); };
  const size_t name_length = byte(26) | (byte(27) << 8);
  if (bytes.size() < 30 + name_length) return {};
  return std::string(bytes.data() + 30, name_length);
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_tensor_dict(const PickledDict& dict) {
  for (const auto& entry : dict)
    if (!entry.key().isString() || !entry.value().isTensor()) return false;
  return true;
}

WeightsFormat classify_torch_dict(const PickledDict& dict, const std::string& path) {
  if (auto format = pickled_item(dict, "format");
      format && format->isString() && format->toStringRef() == kCheckpointFormat)
    return WeightsFormat::ErwinCheckpoint;
  if (pickled_item(dict, "model_state_dict")) return WeightsFormat::TorchTrainingCheckpoint;
  if (is_tensor_dict(dict)) return WeightsFormat::TorchStateDict;
  throw FormatError(path +
                    ": a torch.save dict that is neither a state_dict (name -> tensor) nor a "
                    "training checkpoint (no 'model_state_dict' key)");
}

// The attributes of a legacy `erwin train` checkpoint (a TorchScript archive, read without its
// code); FormatError for other TorchScript archives.
PickledDict legacy_training_attributes(const std::string& path) {
  const PickledDict attributes = pickled_dict(load_torchscript_attributes(path), path);
  const auto format = pickled_item(attributes, "format");
  if (!format || !format->isString() || format->toStringRef() != kLegacyTrainingFormat)
    throw FormatError(path +
                      ": a TorchScript archive (torch.jit.save), not weights; export the "
                      "model's state_dict with torch.save(model.state_dict(), path)");
  return attributes;
}

// A module saved by torch::nn::Module::save: its tensors, then its submodules' (nested dicts).
void flatten_module(const torch::IValue& module, const std::string& prefix, OrderedStateDict& out) {
  for (const auto& entry : pickled_dict(module, prefix.empty() ? "model" : prefix)) {
    const std::string name = prefix + entry.key().toStringRef();
    if (entry.value().isTensor())
      out.emplace_back(name, entry.value().toTensor());
    else if (entry.value().isGenericDict())
      flatten_module(entry.value(), name + ".", out);
  }
}

OrderedStateDict read_npz_weights(const std::string& path) {
  const auto archive = NpzArchive::load(path);
  OrderedStateDict state;
  for (const auto& name : archive.names())
    if (name.rfind(kNpzParamPrefix, 0) == 0)
      state.emplace_back(name.substr(std::string(kNpzParamPrefix).size()), archive.get(name));
  if (state.empty()) throw FormatError(path + ": no 'param.<name>' members in this .npz");
  return state;
}

pickle::Value pickled_tensors(const std::map<std::string, torch::Tensor>& tensors) {
  pickle::Entries entries;
  for (const auto& [name, tensor] : tensors) entries.emplace_back(name, tensor);
  return pickle::dict(std::move(entries));
}

ErwinConfig config_from_json(const std::string& json_text, const std::string& what) {
  try {
    return ErwinConfig::from_json(json_text);
  } catch (const std::invalid_argument& e) {
    throw FormatError(what + ": " + e.what());
  }
}

}  // namespace

StateDict state_dict(const torch::nn::Module& module) {
  StateDict state;
  for (auto& [name, tensor] : ordered_state_dict(module)) state[name] = tensor;
  return state;
}

OrderedStateDict ordered_state_dict(const torch::nn::Module& module) {
  OrderedStateDict state;
  for (const auto& item : module.named_modules()) {
    const std::string prefix = item.key().empty() ? "" : item.key() + ".";
    for (const auto& parameter : item.value()->named_parameters(/*recurse=*/false))
      state.emplace_back(prefix + parameter.key(), parameter.value());
    for (const auto& buffer : item.value()->named_buffers(/*recurse=*/false))
      if (buffer.value().defined()) state.emplace_back(prefix + buffer.key(), buffer.value());
  }
  return state;
}

void load_state_dict(torch::nn::Module& module, const StateDict& state, bool strict) {
  const StateDict targets = state_dict(module);
  std::vector<std::string> unknown, missing;
  for (const auto& [name, tensor] : state) {
    const auto target = targets.find(name);
    if (target == targets.end()) {
      unknown.push_back(name);
    } else if (!tensor.defined() || tensor.sizes() != target->second.sizes()) {
      throw std::invalid_argument("state dict entry '" + name + "' has shape " +
                                  (tensor.defined() ? shape_of(tensor) : "(undefined)") +
                                  " but the model expects " + shape_of(target->second));
    }
  }
  for (const auto& [name, tensor] : targets)
    if (!state.count(name)) missing.push_back(name);
  if (strict && !unknown.empty())
    throw std::invalid_argument("unknown state dict keys (not in the model): " +
                                join_names(unknown));
  if (strict && !missing.empty())
    throw std::invalid_argument("state dict lacks model keys: " + join_names(missing));

  torch::NoGradGuard no_grad;
  for (const auto& [name, tensor] : state) {
    const auto target = targets.find(name);
    if (target != targets.end()) target->second.copy_(tensor);
  }
}

WeightsFormat detect_weights_format(const std::string& path) {
  // The head of the file: enough for a zip local file header and its member name.
  const auto member = first_zip_member(read_regular_file(path, 30 + 4096));
  if (member.empty())
    throw FormatError(path +
                      ": not a zip archive (.npz, or torch.save's default format since "
                      "PyTorch 1.6; the legacy torch.save format is not supported)");
  if (ends_with(member, ".npy")) return WeightsFormat::Npz;
  if (is_torchscript_archive(path)) {
    legacy_training_attributes(path);
    return WeightsFormat::LegacyTrainingArchive;
  }
  return classify_torch_dict(pickled_dict(load_torch_pickle(path), path), path);
}

OrderedStateDict to_ordered_state_dict(const torch::IValue& value, const std::string& what) {
  OrderedStateDict state;
  const std::string compiled = kCompiledPrefix;
  for (const auto& entry : pickled_dict(value, what)) {
    if (!entry.key().isString() || !entry.value().isTensor())
      throw FormatError(what + ": entry " + entry.key().tagKind() +
                        " is not a name -> tensor pair");
    std::string name = entry.key().toStringRef();
    if (name.rfind(compiled, 0) == 0) name.erase(0, compiled.size());
    state.emplace_back(std::move(name), entry.value().toTensor());
  }
  return state;
}

OrderedStateDict read_weights_in_order(const std::string& path) {
  const WeightsFormat format = detect_weights_format(path);
  if (format == WeightsFormat::Npz) return read_npz_weights(path);
  if (format == WeightsFormat::LegacyTrainingArchive) {
    OrderedStateDict state;
    flatten_module(required_item(legacy_training_attributes(path), "model", path), "", state);
    return state;
  }
  const auto dict = pickled_dict(load_torch_pickle(path), path);
  if (format == WeightsFormat::TorchStateDict) return to_ordered_state_dict(dict, path);
  return to_ordered_state_dict(required_item(dict, "model_state_dict", path),
                               path + ": model_state_dict");
}

StateDict read_weights(const std::string& path) {
  const OrderedStateDict ordered = read_weights_in_order(path);
  return StateDict(ordered.begin(), ordered.end());
}

void load_weights(torch::nn::Module& module, const std::string& path, bool strict) {
  const auto state = read_weights(path);
  try {
    load_state_dict(module, state, strict);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

std::optional<ErwinConfig> read_weights_config(const std::string& path) {
  switch (detect_weights_format(path)) {
    case WeightsFormat::Npz: {  // the reference fixtures' __meta__.config
      const std::string text = NpzArchive::load(path).meta_json();
      if (text.empty()) return std::nullopt;
      const auto meta = parse_json_text(text, path + ": __meta__");
      if (!meta.is_object() || !meta.contains("config")) return std::nullopt;
      return config_from_json(meta.at("config").dump(), path + ": __meta__.config");
    }
    case WeightsFormat::TorchStateDict:
      return std::nullopt;
    case WeightsFormat::LegacyTrainingArchive: {
      const auto run_config = required_item(legacy_training_attributes(path), "run_config", path);
      if (!run_config.isString()) throw FormatError(path + ": run_config is not text");
      const auto model = parse_json_text(run_config.toStringRef(), path + ": run_config");
      if (!model.is_object() || !model.contains("model"))
        throw FormatError(path + ": run_config lacks 'model'");
      return config_from_json(model.at("model").dump(), path + ": run_config.model");
    }
    case WeightsFormat::ErwinCheckpoint:
      return load_checkpoint(path).config;
    case WeightsFormat::TorchTrainingCheckpoint:
      break;
  }
  const auto config = pickled_item(pickled_dict(load_torch_pickle(path), path), "config");
  if (!config || config->isNone()) return std::nullopt;
  return erwin_config_from_pickled(*config, path + ": config");
}

StateDict backbone_weights(const StateDict& weights) {
  const std::string prefix = kBackbonePrefix;
  StateDict backbone;
  for (const auto& [name, tensor] : weights)
    if (name.rfind(prefix, 0) == 0) backbone[name.substr(prefix.size())] = tensor;
  return backbone.empty() ? weights : backbone;
}

ErwinConfig erwin_config_from_pickled(const torch::IValue& config, const std::string& what) {
  const PickledDict all = pickled_dict(config, what);
  nlohmann::json arguments = nlohmann::json::object();
  for (const char* key : kErwinArguments)  // only these: the rest may hold anything
    if (auto value = pickled_item(all, key))
      arguments[key] = parse_json_text(pickled_to_json(*value, what + "." + key), what + "." + key);
  return config_from_json(arguments.dump(), what);
}

pickle::Entries pickled_erwin_config(const ErwinConfig& config) {
  const auto rotate = config.rotate == std::floor(config.rotate)
                          ? pickle::Value(static_cast<int64_t>(config.rotate))
                          : pickle::Value(config.rotate);
  pickle::Entries entries = {{"c_in", config.c_in},
                             {"c_hidden", pickle::list_of(config.c_hidden)},
                             {"ball_sizes", pickle::list_of(config.ball_sizes)},
                             {"enc_num_heads", pickle::list_of(config.enc_num_heads)},
                             {"enc_depths", pickle::list_of(config.enc_depths)},
                             {"dec_num_heads", pickle::list_of(config.dec_num_heads)},
                             {"dec_depths", pickle::list_of(config.dec_depths)},
                             {"strides", pickle::list_of(config.strides)},
                             {"rotate", rotate}};
  if (!config.decode) entries.emplace_back("decode", false);  // the published default is True
  entries.emplace_back("mlp_ratio", config.mlp_ratio);
  entries.emplace_back("dimensionality", config.dimensionality);
  entries.emplace_back("mp_steps", config.mp_steps);
  return entries;
}

pickle::Value pickled_state_dict(const OrderedStateDict& weights) {
  pickle::Entries entries;
  for (const auto& [name, tensor] : weights) entries.emplace_back(name, tensor);
  return pickle::ordered_dict(std::move(entries));
}

void save_state_dict(const std::string& path, const OrderedStateDict& weights) {
  pickle::torch_save(path, pickled_state_dict(weights));
}

void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const ErwinConfig& config, const std::map<std::string, torch::Tensor>& extra) {
  pickle::torch_save(
      path, pickle::dict({{"format", kCheckpointFormat},
                          {"version", kCheckpointVersion},
                          {"config", config.to_json()},
                          {"model_state_dict", pickled_state_dict(ordered_state_dict(model))},
                          {"extra", pickled_tensors(extra)}}));
}

Checkpoint load_checkpoint(const std::string& path) {
  const auto dict = pickled_dict(load_torch_pickle(path), path);
  if (classify_torch_dict(dict, path) != WeightsFormat::ErwinCheckpoint)
    throw FormatError(path + ": not an Erwin Studio checkpoint (no format '" +
                      std::string(kCheckpointFormat) + "')");
  const auto version = pickled_item(dict, "version");
  if (!version || !version->isInt() || version->toInt() != kCheckpointVersion)
    throw FormatError(path + ": unsupported checkpoint version");
  const auto config = pickled_item(dict, "config");
  if (!config || !config->isString()) throw FormatError(path + ": checkpoint lacks 'config'");

  Checkpoint checkpoint;
  checkpoint.config = config_from_json(config->toStringRef(), path + ": config");
  for (auto& [name, tensor] :
       to_ordered_state_dict(required_item(dict, "model_state_dict", path), path))
    checkpoint.model_state[name] = tensor;
  if (auto extra = pickled_item(dict, "extra"))
    for (auto& [name, tensor] : to_ordered_state_dict(*extra, path + ": extra"))
      checkpoint.extra[name] = tensor;
  return checkpoint;
}

}  // namespace erwin
