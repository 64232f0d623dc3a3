#pragma once
// Reading files written by Python's torch.save (zip format, PyTorch >= 1.6) without Python, and
// access to the unpickled values with errors that name the file and the key.
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

namespace erwin {

// The object torch.save pickled, with tensors on the CPU. Dicts (including
// collections.OrderedDict, e.g. a state_dict, whose attributes such as `_metadata` are dropped)
// become GenericDicts. Throws erwin::FormatError naming `path` when the file is not such an
// archive or uses unsupported pickle features, and when it is damaged: every zip record must lie
// within the file and match its CRC32, and every tensor's storage must have the size data.pkl
// declares (its element count) with the tensor's sizes, strides and offset inside it. The error
// names the file and the record. LibTorch's own zip reader never sees the file.
torch::IValue load_torch_pickle(const std::string& path);

// True when `path` is a TorchScript archive (torch.jit.save / torch::serialize::OutputArchive:
// it holds code), false for torch.save archives and any other file. Such archives are never
// compiled here: their code can crash the process that parses it.
bool is_torchscript_archive(const std::string& path);

// The attribute values of a TorchScript archive's root object, with every nested object
// (submodule, nested OutputArchive) as a GenericDict of its attributes, read without compiling
// or parsing the archive's code. erwin::FormatError naming `path` when it is not readable or
// damaged (zip records and tensor extents are checked as for load_torch_pickle).
torch::IValue load_torchscript_attributes(const std::string& path);

using PickledDict = c10::impl::GenericDict;

// `value` as a dict; erwin::FormatError "<what> is not a dict" otherwise.
PickledDict pickled_dict(const torch::IValue& value, const std::string& what);
// The entry under string key `key`, if any.
std::optional<torch::IValue> pickled_item(const PickledDict& dict, const std::string& key);
// The entry under `key`; erwin::FormatError "<what> lacks '<key>'" when absent.
torch::IValue required_item(const PickledDict& dict, const std::string& key,
                            const std::string& what);
// The items of a list or tuple; FormatError naming `what` for other values.
std::vector<torch::IValue> pickled_sequence(const torch::IValue& value, const std::string& what);
// A number (int, float, bool or a one-element tensor) as double; FormatError naming `what`.
double pickled_number(const torch::IValue& value, const std::string& what);
int64_t pickled_int(const torch::IValue& value, const std::string& what);

// None, bools, numbers, strings, lists, tuples and string-keyed dicts as JSON text (tuples
// become arrays); FormatError naming `what` for anything else (tensors, ...).
std::string pickled_to_json(const torch::IValue& value, const std::string& what);

}  // namespace erwin
