#pragma once
// Writing files that Python's torch.load opens, with its default weights_only=True: a protocol-2
// pickle of plain Python values (None, bool, int, float, str, list, tuple, dict,
// collections.OrderedDict) and CPU tensors, in torch.save's zip layout. No TorchScript, no code:
// only the globals weights_only allows (collections.OrderedDict, torch._utils._rebuild_tensor_v2,
// torch.<Type>Storage).
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace erwin::pickle {

struct Value;
using Items = std::vector<Value>;
using Entries = std::vector<std::pair<Value, Value>>;  // in insertion order

struct List {
  Items items;
};
struct Tuple {
  Items items;
};
struct Dict {
  Entries entries;
  bool ordered = false;  // collections.OrderedDict instead of dict
};

// One Python value. Tensors are saved as contiguous CPU copies without autograd history.
struct Value {
  std::variant<std::monostate, bool, int64_t, double, std::string, torch::Tensor, List, Tuple, Dict>
      data;

  Value() = default;  // None
  Value(bool b) : data(b) {}
  Value(int i) : data(int64_t{i}) {}
  Value(int64_t i) : data(i) {}
  Value(double d) : data(d) {}
  Value(std::string s) : data(std::move(s)) {}
  Value(const char* s) : data(std::string(s)) {}
  Value(torch::Tensor t) : data(std::move(t)) {}
  Value(List l) : data(std::move(l)) {}
  Value(Tuple t) : data(std::move(t)) {}
  Value(Dict d) : data(std::move(d)) {}
};

Value list(Items items);
Value tuple(Items items);
Value dict(Entries entries);
Value ordered_dict(Entries entries);
template <typename T>
Value list_of(const std::vector<T>& values) {
  Items items;
  for (const auto& v : values) items.emplace_back(v);
  return list(std::move(items));
}

// The bytes of a torch.save archive holding `value` (zip; records data.pkl, data/<n>, byteorder).
std::string torch_save_bytes(const Value& value);

// torch_save_bytes written atomically to `path` (erwin::write_file_atomically).
void torch_save(const std::string& path, const Value& value);

}  // namespace erwin::pickle
