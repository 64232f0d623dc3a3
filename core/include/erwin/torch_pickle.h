#pragma once
// Reading files written by Python's torch.save (zip format, PyTorch >= 1.6) without Python.
#include <torch/torch.h>

#include <string>

namespace erwin {

// The object torch.save pickled, with tensors on the CPU. Dicts (including
// collections.OrderedDict, e.g. a state_dict) become GenericDicts. Throws erwin::FormatError
// naming `path` when the file is not such an archive or uses unsupported pickle features.
torch::IValue load_torch_pickle(const std::string& path);

}  // namespace erwin
