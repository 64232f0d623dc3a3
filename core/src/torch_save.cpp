#include "erwin/torch_save.h"

#include <caffe2/serialize/inline_container.h>

#include <cstring>
#include <stdexcept>

#include "erwin/atomic_file.h"

namespace erwin::pickle {
namespace {

// Pickle opcodes (Python's pickletools names) of protocol 2.
constexpr char kProto = '\x80', kStop = '.', kMark = '(', kNone = 'N', kTrue = '\x88',
               kFalse = '\x89', kBinInt1 = 'K', kBinInt2 = 'M', kBinInt = 'J', kLong1 = '\x8a',
               kBinFloat = 'G', kBinUnicode = 'X', kGlobal = 'c', kReduce = 'R', kBinPersId = 'Q',
               kEmptyTuple = ')', kTuple = 't', kEmptyList = ']', kAppends = 'e', kEmptyDict = '}',
               kSetItems = 'u';
constexpr char kTupleOfSize[] = {kEmptyTuple, '\x85', '\x86', '\x87'};

// The legacy storage class torch.save names for each dtype (torch/_utils.py, weights_only).
const char* storage_class(c10::ScalarType type) {
  switch (type) {
    case c10::kFloat:
      return "FloatStorage";
    case c10::kDouble:
      return "DoubleStorage";
    case c10::kHalf:
      return "HalfStorage";
    case c10::kBFloat16:
      return "BFloat16Storage";
    case c10::kLong:
      return "LongStorage";
    case c10::kInt:
      return "IntStorage";
    case c10::kShort:
      return "ShortStorage";
    case c10::kChar:
      return "CharStorage";
    case c10::kByte:
      return "ByteStorage";
    case c10::kBool:
      return "BoolStorage";
    default:
      throw std::invalid_argument(std::string("torch_save: unsupported tensor dtype ") +
                                  c10::toString(type));
  }
}

class Pickler {
 public:
  std::string pickle(const Value& root) {
    out_ = {kProto, '\x02'};
    write(root);
    out_ += kStop;
    return out_;
  }
  // Contiguous CPU tensors, one storage each, saved as data/<index>.
  const std::vector<torch::Tensor>& storages() const { return storages_; }

 private:
  void write(const Value& value) {
    std::visit([this](const auto& v) { write_value(v); }, value.data);
  }
  void write_value(std::monostate) { out_ += kNone; }
  void write_value(bool b) { out_ += b ? kTrue : kFalse; }
  void write_value(double d) {
    out_ += kBinFloat;
    uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    for (int shift = 56; shift >= 0; shift -= 8) out_ += static_cast<char>(bits >> shift);
  }
  void write_value(int64_t i) {
    if (i >= 0 && i < 256) {
      out_ += kBinInt1;
      little_endian(static_cast<uint64_t>(i), 1);
    } else if (i >= 0 && i < 65536) {
      out_ += kBinInt2;
      little_endian(static_cast<uint64_t>(i), 2);
    } else if (i >= INT32_MIN && i <= INT32_MAX) {
      out_ += kBinInt;
      little_endian(static_cast<uint64_t>(i), 4);
    } else {  // LibTorch's unpickler reads LONG1 of exactly 8 bytes
      out_ += kLong1;
      out_ += '\x08';
      little_endian(static_cast<uint64_t>(i), 8);
    }
  }
  void write_value(const std::string& s) {
    out_ += kBinUnicode;
    little_endian(s.size(), 4);
    out_ += s;
  }
  void write_value(const List& list) {
    out_ += kEmptyList;
    if (list.items.empty()) return;
    out_ += kMark;
    for (const auto& item : list.items) write(item);
    out_ += kAppends;
  }
  void write_value(const Tuple& tuple) {
    if (tuple.items.size() < 4) {
      for (const auto& item : tuple.items) write(item);
      out_ += kTupleOfSize[tuple.items.size()];
      return;
    }
    out_ += kMark;
    for (const auto& item : tuple.items) write(item);
    out_ += kTuple;
  }
  void write_value(const Dict& dict) {
    if (dict.ordered)
      empty_ordered_dict();
    else
      out_ += kEmptyDict;
    if (dict.entries.empty()) return;
    out_ += kMark;
    for (const auto& [key, value] : dict.entries) {
      write(key);
      write(value);
    }
    out_ += kSetItems;
  }
  // torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks), the
  // storage as persistent id ('storage', torch.<Type>Storage, key, 'cpu', numel).
  void write_value(const torch::Tensor& tensor) {
    const torch::Tensor data = tensor.detach().to(torch::kCPU).contiguous();
    const std::string storage_type = storage_class(data.scalar_type());
    const std::string key = std::to_string(storages_.size());
    storages_.push_back(data);
    global("torch._utils", "_rebuild_tensor_v2");
    out_ += kMark;
    out_ += kMark;
    write_value(std::string("storage"));
    global("torch", storage_type);
    write_value(key);
    write_value(std::string("cpu"));
    write_value(static_cast<int64_t>(data.numel()));
    out_ += kTuple;
    out_ += kBinPersId;
    write_value(int64_t{0});
    write_value(Tuple{Items(data.sizes().begin(), data.sizes().end())});
    write_value(Tuple{Items(data.strides().begin(), data.strides().end())});
    write_value(false);
    empty_ordered_dict();  // backward hooks
    out_ += kTuple;
    out_ += kReduce;
  }

  void empty_ordered_dict() {
    global("collections", "OrderedDict");
    out_ += kEmptyTuple;
    out_ += kReduce;
  }
  void global(const std::string& module, const std::string& name) {
    out_ += kGlobal;
    out_ += module + "\n" + name + "\n";
  }
  void little_endian(uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out_ += static_cast<char>(v >> (8 * i));
  }

  std::string out_;
  std::vector<torch::Tensor> storages_;
};

}  // namespace

Value list(Items items) { return List{std::move(items)}; }
Value tuple(Items items) { return Tuple{std::move(items)}; }
Value dict(Entries entries) { return Dict{std::move(entries), false}; }
Value ordered_dict(Entries entries) { return Dict{std::move(entries), true}; }

std::string torch_save_bytes(const Value& value) {
  Pickler pickler;
  const std::string pickle = pickler.pickle(value);
  std::string bytes;
  caffe2::serialize::PyTorchStreamWriter writer([&](const void* data, size_t size) {
    bytes.append(static_cast<const char*>(data), size);
    return size;
  });
  // The records torch.save writes, in its order.
  const auto record = [&](const std::string& name, const std::string& text) {
    writer.writeRecord(name, text.data(), text.size());
  };
  record("data.pkl", pickle);
  record(".format_version", "1");
  record(".storage_alignment", "64");
  record("byteorder", "little");
  for (size_t i = 0; i < pickler.storages().size(); ++i) {
    const torch::Tensor& storage = pickler.storages()[i];
    writer.writeRecord("data/" + std::to_string(i), storage.data_ptr(), storage.nbytes());
  }
  writer.writeEndOfFile();
  return bytes;
}

void torch_save(const std::string& path, const Value& value) {
  write_file_atomically(path, torch_save_bytes(value));
}

}  // namespace erwin::pickle
