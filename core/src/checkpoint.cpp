#include "erwin/checkpoint.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "erwin/atomic_file.h"
#include "erwin/npy.h"
#include "erwin/torch_pickle.h"

namespace erwin {
namespace {

constexpr const char* kCheckpointFormat = "erwin-studio-checkpoint";
constexpr int64_t kCheckpointVersion = 1;
constexpr const char* kNpzParamPrefix = "param.";

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

std::vector<char> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("cannot open weights file " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Name of the first member of a zip archive: numpy writes `<name>.npy` members, torch.save
// `<archive>/data.pkl` first. Empty when the bytes are not a zip local file header.
std::string first_zip_member(const std::vector<char>& bytes) {
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

using GenericDict = c10::impl::GenericDict;

GenericDict as_dict(const torch::IValue& value, const std::string& what) {
  if (!value.isGenericDict()) throw FormatError(what + " is not a dict (" + value.tagKind() + ")");
  return value.toGenericDict();
}

std::optional<torch::IValue> lookup(const GenericDict& dict, const std::string& key) {
  for (const auto& entry : dict)
    if (entry.key().isString() && entry.key().toStringRef() == key) return entry.value();
  return std::nullopt;
}

bool is_tensor_dict(const GenericDict& dict) {
  for (const auto& entry : dict)
    if (!entry.key().isString() || !entry.value().isTensor()) return false;
  return true;
}

StateDict to_state_dict(const torch::IValue& value, const std::string& what) {
  StateDict state;
  for (const auto& entry : as_dict(value, what)) {
    if (!entry.key().isString() || !entry.value().isTensor())
      throw FormatError(what + ": entry " + entry.key().tagKind() +
                        " is not a name -> tensor pair");
    state[entry.key().toStringRef()] = entry.value().toTensor();
  }
  return state;
}

WeightsFormat classify_torch_dict(const GenericDict& dict, const std::string& path) {
  if (auto format = lookup(dict, "format");
      format && format->isString() && format->toStringRef() == kCheckpointFormat)
    return WeightsFormat::ErwinCheckpoint;
  if (lookup(dict, "model_state_dict")) return WeightsFormat::TorchTrainingCheckpoint;
  if (is_tensor_dict(dict)) return WeightsFormat::TorchStateDict;
  throw FormatError(path +
                    ": a torch.save dict that is neither a state_dict (name -> tensor) nor a "
                    "training checkpoint (no 'model_state_dict' key)");
}

StateDict read_npz_weights(const std::string& path) {
  const auto archive = NpzArchive::load(path);
  StateDict state;
  for (const auto& name : archive.names())
    if (name.rfind(kNpzParamPrefix, 0) == 0)
      state[name.substr(std::string(kNpzParamPrefix).size())] = archive.get(name);
  if (state.empty()) throw FormatError(path + ": no 'param.<name>' members in this .npz");
  return state;
}

GenericDict make_tensor_dict(const std::map<std::string, torch::Tensor>& tensors) {
  GenericDict dict(c10::StringType::get(), c10::TensorType::get());
  for (const auto& [name, tensor] : tensors) dict.insert(name, tensor.detach().cpu());
  return dict;
}

}  // namespace

StateDict state_dict(const torch::nn::Module& module) {
  StateDict state;
  for (const auto& item : module.named_parameters()) state[item.key()] = item.value();
  for (const auto& item : module.named_buffers())
    if (item.value().defined()) state[item.key()] = item.value();
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
  const auto bytes = read_bytes(path);
  const auto member = first_zip_member(bytes);
  if (member.empty())
    throw FormatError(path +
                      ": not a zip archive (.npz, or torch.save's default format since "
                      "PyTorch 1.6; the legacy torch.save format is not supported)");
  if (ends_with(member, ".npy")) return WeightsFormat::Npz;
  return classify_torch_dict(as_dict(load_torch_pickle(path), path), path);
}

StateDict read_weights(const std::string& path) {
  if (detect_weights_format(path) == WeightsFormat::Npz) return read_npz_weights(path);
  const auto dict = as_dict(load_torch_pickle(path), path);
  switch (classify_torch_dict(dict, path)) {
    case WeightsFormat::TorchStateDict:
      return to_state_dict(dict, path);
    case WeightsFormat::TorchTrainingCheckpoint:
    case WeightsFormat::ErwinCheckpoint:
      return to_state_dict(*lookup(dict, "model_state_dict"), path + ": model_state_dict");
    case WeightsFormat::Npz:
      break;
  }
  throw FormatError(path + ": unrecognised weights file");
}

void load_weights(torch::nn::Module& module, const std::string& path, bool strict) {
  const auto state = read_weights(path);
  try {
    load_state_dict(module, state, strict);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

void save_checkpoint(const std::string& path, const torch::nn::Module& model,
                     const ErwinConfig& config, const std::map<std::string, torch::Tensor>& extra) {
  GenericDict root(c10::StringType::get(), c10::AnyType::get());
  root.insert("format", std::string(kCheckpointFormat));
  root.insert("version", kCheckpointVersion);
  root.insert("config", config.to_json());
  root.insert("model_state_dict", make_tensor_dict(state_dict(model)));
  root.insert("extra", make_tensor_dict(extra));
  const auto bytes = torch::pickle_save(root);
  write_file_atomically(path, std::string(bytes.begin(), bytes.end()));
}

Checkpoint load_checkpoint(const std::string& path) {
  const auto dict = as_dict(load_torch_pickle(path), path);
  if (classify_torch_dict(dict, path) != WeightsFormat::ErwinCheckpoint)
    throw FormatError(path + ": not an Erwin Studio checkpoint (no format '" +
                      std::string(kCheckpointFormat) + "')");
  const auto version = lookup(dict, "version");
  if (!version || !version->isInt() || version->toInt() != kCheckpointVersion)
    throw FormatError(path + ": unsupported checkpoint version");
  const auto config = lookup(dict, "config");
  if (!config || !config->isString()) throw FormatError(path + ": checkpoint lacks 'config'");

  Checkpoint checkpoint;
  try {
    checkpoint.config = ErwinConfig::from_json(config->toStringRef());
  } catch (const std::invalid_argument& e) {
    throw FormatError(path + ": config: " + e.what());
  }
  checkpoint.model_state = to_state_dict(*lookup(dict, "model_state_dict"), path);
  if (auto extra = lookup(dict, "extra"))
    checkpoint.extra = to_state_dict(*extra, path + ": extra");
  return checkpoint;
}

}  // namespace erwin
