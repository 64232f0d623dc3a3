#include "erwin/torch_pickle.h"

#include <torch/csrc/jit/api/compilation_unit.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <cmath>
#include <cstring>
#include <deque>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <set>
#include <string_view>

#include "erwin/errors.h"
#include "erwin/io_util.h"
#include "zip.h"

namespace erwin {
namespace {

constexpr const char* kBuildStateKey = "__erwin_pickle_build_state__";

struct Op {
  char code;
  size_t begin, end;  // byte range of the opcode and its argument
  uint32_t memo = 0;  // BINGET/BINPUT/LONG_* index
  std::string text;   // GLOBAL "module\nname"
};

uint32_t little_endian(const std::string& p, size_t at, size_t bytes) {
  uint32_t v = 0;
  for (size_t i = 0; i < bytes; ++i) v |= uint32_t(uint8_t(p[at + i])) << (8 * i);
  return v;
}

// Splits a protocol-2 pickle (what torch.save writes) into opcodes.
std::vector<Op> tokenize(const std::string& p, const std::string& what) {
  std::vector<Op> ops;
  size_t at = 0;
  auto need = [&](size_t n) {
    if (at + n > p.size()) throw FormatError(what + ": truncated pickle");
  };
  auto line = [&] {
    const size_t nl = p.find('\n', at);
    if (nl == std::string::npos) throw FormatError(what + ": truncated pickle");
    std::string s = p.substr(at, nl - at);
    at = nl + 1;
    return s;
  };
  while (at < p.size()) {
    Op op{p[at], at, 0, 0, {}};
    ++at;
    switch (op.code) {
      case '(':
      case '.':
      case '0':
      case '1':
      case '2':
      case 'N':
      case 'Q':
      case 'R':
      case 'a':
      case 'b':
      case 'd':
      case '}':
      case 'e':
      case 'l':
      case ']':
      case 'o':
      case 's':
      case 't':
      case ')':
      case 'u':
      case '\x85':
      case '\x86':
      case '\x87':
      case '\x88':
      case '\x89':
      case '\x81':
        break;
      case 'K':
      case '\x80':
        need(1), at += 1;
        break;
      case 'h':
      case 'q':
        need(1), op.memo = uint8_t(p[at]), at += 1;
        break;
      case 'M':
        need(2), at += 2;
        break;
      case 'J':
        need(4), at += 4;
        break;
      case 'j':
      case 'r':
        need(4), op.memo = little_endian(p, at, 4), at += 4;
        break;
      case 'G':
        need(8), at += 8;
        break;
      case 'U':
      case 'C':
      case '\x8a':
        need(1), at += 1 + uint8_t(p[at]);
        need(0);
        break;
      case 'X':
      case 'T':
      case 'B':
      case '\x8b':
        need(4), at += 4 + size_t(little_endian(p, at, 4));
        need(0);
        break;
      case 'c': {
        auto module = line();
        op.text = module + "\n" + line();
        break;
      }
      case 'I':
      case 'L':
      case 'F':
      case 'S':
      case 'V':
      case 'p':
      case 'g':
      case 'P':
        line();
        break;
      default:
        throw FormatError(what + ": unsupported pickle opcode 0x" +
                          c10::str(std::hex, int(uint8_t(op.code))));
    }
    op.end = at;
    ops.push_back(op);
    if (op.code == '.') break;
  }
  return ops;
}

// For each BUILD (by op index), the op index where its state argument starts: a replay of the
// pickle's stack effects that tracks where each stack item began.
std::map<size_t, size_t> build_state_starts(const std::vector<Op>& ops, const std::string& what) {
  struct Item {
    size_t start;
    bool mark;
  };
  std::vector<Item> stack;
  std::map<size_t, size_t> starts;
  auto pop = [&](size_t n) {
    if (stack.size() < n) throw FormatError(what + ": malformed pickle (stack underflow)");
    const size_t start = n ? stack[stack.size() - n].start : 0;
    stack.resize(stack.size() - n);
    return start;
  };
  auto pop_to_mark = [&] {
    while (!stack.empty() && !stack.back().mark) stack.pop_back();
    if (stack.empty()) throw FormatError(what + ": malformed pickle (no MARK)");
    const size_t start = stack.back().start;
    stack.pop_back();
    return start;
  };
  for (size_t i = 0; i < ops.size(); ++i) {
    switch (ops[i].code) {
      case '\x80':
      case '.':
      case 'p':
      case 'q':
      case 'r':
        break;
      case '(':
        stack.push_back({i, true});
        break;
      case 't':
      case 'l':
      case 'd':
      case 'o':
        stack.push_back({pop_to_mark(), false});
        break;
      case 'e':
      case 'u':
      case '1':
        pop_to_mark();
        break;
      case '0':
      case 'a':
        pop(1);
        break;
      case 's':
        pop(2);
        break;
      case 'b':
        starts[i] = pop(1);
        break;
      case '2':
        stack.push_back({i, false});
        break;
      case '\x85':
      case 'Q':
        stack.push_back({pop(1), false});
        break;
      case '\x86':
      case 'R':
      case '\x81':
        stack.push_back({pop(2), false});
        break;
      case '\x87':
        stack.push_back({pop(3), false});
        break;
      default:  // the opcodes that push one value
        stack.push_back({i, false});
    }
  }
  return starts;
}

// LibTorch's unpickler turns every collections.OrderedDict() into None (it expects them only
// as a tensor's empty backward hooks), which loses state_dicts. Rewrite each
// `OrderedDict` `()` REDUCE into EMPTY_DICT so that the entries that follow land in a dict.
// A state_dict's OrderedDict also carries attributes (`_metadata`: module versions), set by a
// BUILD that LibTorch reserves for TorchScript objects; torch.save pickles use BUILD for nothing
// else it reads. LibTorch has no opcode that drops a value, so each BUILD becomes SETITEM under
// the key kBuildStateKey, pushed before the state (memoised values inside the state stay
// valid), and drop_build_states removes those entries after unpickling.
std::string ordered_dicts_as_dicts(const std::string& p, const std::string& what) {
  const auto ops = tokenize(p, what);
  std::multiset<size_t> key_before;
  for (const auto& [build, start] : build_state_starts(ops, what)) key_before.insert(start);
  std::set<uint32_t> memo_slots;  // where the OrderedDict class was memoised
  std::string out;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    for (size_t n = key_before.count(i); n > 0; --n) {
      out += 'X';
      const uint32_t length = static_cast<uint32_t>(std::strlen(kBuildStateKey));
      for (int byte = 0; byte < 4; ++byte) out += static_cast<char>(length >> (8 * byte));
      out += kBuildStateKey;
    }
    const bool is_class = (op.code == 'c' && op.text == "collections\nOrderedDict") ||
                          ((op.code == 'h' || op.code == 'j') && memo_slots.count(op.memo));
    if (op.code == 'b') {
      out += 's';
      continue;
    }
    if (!is_class) {
      out.append(p, op.begin, op.end - op.begin);
      continue;
    }
    size_t next = i + 1;
    if (op.code == 'c' && next < ops.size() && (ops[next].code == 'q' || ops[next].code == 'r'))
      memo_slots.insert(ops[next++].memo);
    if (next + 1 >= ops.size() || ops[next].code != ')' || ops[next + 1].code != 'R')
      throw FormatError(what + ": collections.OrderedDict used other than as OrderedDict()");
    out += '}';
    i = next + 1;
  }
  return out;
}

// LibTorch's message without the source location and internal detail it appends.
std::string first_line(const std::string& message) { return message.substr(0, message.find('\n')); }

void drop_build_states(const torch::IValue& value) {
  if (value.isGenericDict()) {
    auto dict = value.toGenericDict();
    static_cast<void>(dict.erase(std::string(kBuildStateKey)));
    for (const auto& entry : dict) drop_build_states(entry.value());
  } else if (value.isList()) {
    for (const auto& item : value.toListRef()) drop_build_states(item);
  } else if (value.isTuple()) {
    for (const auto& item : value.toTupleRef().elements()) drop_build_states(item);
  }
}

// ---- The zip layer (zip.cpp), checked before any record is used ----
// LibTorch's zip reader checks no CRC and trusts the sizes and offsets it reads (a truncated or
// edited archive makes it read past its buffer), so archives are read with the project's own:
// every record must lie within the file and match its CRC. torch.save stores its records;
// torch.jit.save deflates its code.

// A torch.save / torch.jit.save archive whose records have all been checked (see above).
// Record names are relative to the archive's top folder, as PyTorchStreamReader names them.
class CheckedArchive {
 public:
  explicit CheckedArchive(const std::string& path) : path_(path), bytes_(read_regular_file(path)) {
    for (const zip::Member& member : zip::read_members(bytes_, path_)) {
      std::string& inflated = inflated_.emplace_back();
      const std::string_view data =
          zip::content(member, inflated, path_ + ": record " + member.name);
      const size_t slash = member.name.find('/');
      if (slash != std::string::npos) records_[member.name.substr(slash + 1)] = data;
    }
  }
  const std::string& path() const { return path_; }
  bool has(const std::string& name) const { return records_.count(name) != 0; }
  std::string_view record(const std::string& name) const {
    const auto found = records_.find(name);
    if (found == records_.end()) throw FormatError(path_ + ": record " + name + " is missing");
    return found->second;
  }
  // The serialization format version (record .data/version, or version before PyTorch 1.13).
  uint64_t version() const {
    const std::string name = has(".data/version") ? ".data/version" : "version";
    const std::string text(record(name));
    try {
      return std::stoull(text);
    } catch (const std::exception&) {
      throw FormatError(path_ + ": record " + name + " is not a number");
    }
  }

 private:
  std::string path_;
  std::string bytes_;
  std::deque<std::string> inflated_;  // deflated records' content (stable addresses)
  std::map<std::string, std::string_view> records_;
};

// ---- Storages: the sizes data.pkl declares are checked against the records ----

// Identifies the record a storage was read from, through its DataPtr's context.
struct StorageRecord {
  std::string key;  // the record is data/<key>
  uint64_t bytes;
  std::unique_ptr<char[]> data;
};

void delete_storage_record(void* context) { delete static_cast<StorageRecord*>(context); }

at::DataPtr storage_from_record(const CheckedArchive& archive, const std::string& key) {
  const std::string name = "data/" + key;
  const std::string_view data = archive.record(name);
  auto* record = new StorageRecord{key, data.size(), std::make_unique<char[]>(data.size() + 1)};
  std::memcpy(record->data.get(), data.data(), data.size());
  return at::DataPtr(record->data.get(), record, delete_storage_record, torch::Device(torch::kCPU));
}

// Throws unless `tensor`'s storage has exactly the size of the record it came from and
// `tensor`'s sizes, strides and offset stay within it: torch builds tensors from the sizes in
// data.pkl without looking at the records, so an edited size would read past them.
void check_tensor_storage(const torch::Tensor& tensor, const std::string& path) {
  if (!tensor.has_storage()) return;
  const c10::Storage& storage = tensor.storage();
  if (storage.data_ptr().get_deleter() != &delete_storage_record) return;
  const auto* record = static_cast<const StorageRecord*>(storage.data_ptr().get_context());
  const std::string what = path + ": record data/" + record->key;
  const int64_t item = static_cast<int64_t>(tensor.element_size());
  // LibTorch sizes the storage by the element count in data.pkl's persistent id.
  if (storage.nbytes() != record->bytes)
    throw FormatError(what + " holds " + std::to_string(record->bytes) +
                      " bytes, but data.pkl declares a storage of " +
                      std::to_string(storage.nbytes()) + " bytes");
  if (tensor.storage_offset() < 0) throw FormatError(what + ": negative storage offset");
  __int128 last = tensor.storage_offset();  // the highest element index the tensor touches
  for (int64_t d = 0; d < tensor.dim(); ++d) {
    if (tensor.size(d) < 0 || tensor.stride(d) < 0)
      throw FormatError(what + ": negative size or stride in data.pkl");
    if (tensor.size(d) == 0) return;
    last += static_cast<__int128>(tensor.size(d) - 1) * tensor.stride(d);
  }
  if ((last + 1) * item > static_cast<__int128>(record->bytes))
    throw FormatError(what + ": the tensor's size, stride and offset in data.pkl reach past its " +
                      std::to_string(record->bytes) + " bytes");
}

void check_tensor_storages(const torch::IValue& value, const std::string& path) {
  if (value.isTensor()) {
    check_tensor_storage(value.toTensor(), path);
  } else if (value.isGenericDict()) {
    for (const auto& entry : value.toGenericDict()) {
      check_tensor_storages(entry.key(), path);
      check_tensor_storages(entry.value(), path);
    }
  } else if (value.isList()) {
    for (const auto& item : value.toListRef()) check_tensor_storages(item, path);
  } else if (value.isTuple()) {
    for (const auto& item : value.toTupleRef().elements()) check_tensor_storages(item, path);
  }
}

// Unpickles `pickle` (tensors from the records data/<key> of `archive`, on the CPU).
torch::IValue unpickle(const CheckedArchive& archive, const std::string& pickle,
                       torch::jit::TypeResolver type_resolver, torch::jit::ObjLoader obj_loader,
                       c10::TypePtr (*type_parser)(const std::string&)) {
  size_t offset = 0;
  auto read = [&](char* buffer, size_t n) {
    n = std::min(n, pickle.size() - offset);
    std::memcpy(buffer, pickle.data() + offset, n);
    offset += n;
    return n;
  };
  const auto read_record = [&](const std::string& key) {
    return storage_from_record(archive, key);
  };
  torch::jit::Unpickler unpickler(read, std::move(type_resolver), std::move(obj_loader),
                                  read_record, torch::Device(torch::kCPU), false, type_parser);
  unpickler.set_version(archive.version());
  return unpickler.parse_ivalue();
}

// TorchScript archives without their code: each class becomes an empty class whose objects
// keep their pickled state (the dict of attributes) in one slot, which objects_as_dicts unwraps.
c10::StrongTypePtr stateful_class(const c10::QualifiedName& name,
                                  const std::shared_ptr<torch::jit::CompilationUnit>& unit) {
  auto type = c10::ClassType::create(name, unit);
  type->addAttribute("state", c10::AnyType::get());
  return c10::StrongTypePtr(unit, type);
}

c10::intrusive_ptr<c10::ivalue::Object> object_with_state(const c10::StrongTypePtr& type,
                                                          torch::IValue state) {
  auto object = c10::ivalue::Object::create(type, 1);
  object->setSlot(0, std::move(state));
  return object;
}

// Container type tags (torch.jit._pickle.restore_type_tag, e.g. "Dict[str, Tensor]") as untyped
// containers, instead of LibTorch's TorchScript type parser.
c10::TypePtr untyped_container(const std::string& annotation) {
  if (annotation.rfind("Dict[", 0) == 0)
    return c10::DictType::create(c10::AnyType::get(), c10::AnyType::get());
  if (annotation.rfind("List[", 0) == 0) return c10::ListType::create(c10::AnyType::get());
  TORCH_CHECK(false, "unsupported container type tag '", annotation, "'");
}

torch::IValue objects_as_dicts(const torch::IValue& value) {
  if (value.isObject()) return objects_as_dicts(value.toObjectRef().getSlot(0));
  if (value.isGenericDict()) {
    auto dict = value.toGenericDict();
    for (const auto& entry : dict)
      dict.insert_or_assign(entry.key(), objects_as_dicts(entry.value()));
    return dict;
  }
  if (value.isList()) {
    auto list = value.toList();
    for (size_t i = 0; i < list.size(); ++i) list.set(i, objects_as_dicts(list.get(i)));
    return list;
  }
  return value;
}

}  // namespace

torch::IValue load_torch_pickle(const std::string& path) {
  const CheckedArchive archive(path);
  try {
    const std::string pickle =
        ordered_dicts_as_dicts(std::string(archive.record("data.pkl")), path + ":data.pkl");
    torch::IValue value =
        unpickle(archive, pickle, nullptr, nullptr, torch::jit::Unpickler::defaultTypeParser);
    drop_build_states(value);
    check_tensor_storages(value, path);
    return value;
  } catch (const c10::Error& e) {
    throw FormatError(path + ": data.pkl is not a readable torch.save pickle: " +
                      first_line(e.what_without_backtrace()));
  }
}

bool is_torchscript_archive(const std::string& path) {
  try {
    const CheckedArchive archive(path);
    return archive.has("constants.pkl") && archive.has("data.pkl");
  } catch (const FormatError&) {
    return false;
  }
}

torch::IValue load_torchscript_attributes(const std::string& path) {
  const CheckedArchive archive(path);
  try {
    auto unit = std::make_shared<torch::jit::CompilationUnit>();
    const torch::IValue root = unpickle(
        archive, std::string(archive.record("data.pkl")),
        [&](const c10::QualifiedName& name) { return stateful_class(name, unit); },
        object_with_state, untyped_container);
    torch::IValue attributes = objects_as_dicts(root);
    check_tensor_storages(attributes, path);
    return attributes;
  } catch (const c10::Error& e) {
    throw FormatError(path + ": data.pkl is not a readable TorchScript pickle: " +
                      first_line(e.what_without_backtrace()));
  }
}

PickledDict pickled_dict(const torch::IValue& value, const std::string& what) {
  if (!value.isGenericDict()) throw FormatError(what + " is not a dict (" + value.tagKind() + ")");
  return value.toGenericDict();
}

std::optional<torch::IValue> pickled_item(const PickledDict& dict, const std::string& key) {
  for (const auto& entry : dict)
    if (entry.key().isString() && entry.key().toStringRef() == key) return entry.value();
  return std::nullopt;
}

torch::IValue required_item(const PickledDict& dict, const std::string& key,
                            const std::string& what) {
  auto item = pickled_item(dict, key);
  if (!item) throw FormatError(what + " lacks '" + key + "'");
  return *item;
}

std::vector<torch::IValue> pickled_sequence(const torch::IValue& value, const std::string& what) {
  if (value.isList()) return value.toListRef().vec();
  if (value.isTuple()) {
    const auto items = value.toTupleRef().elements();
    return std::vector<torch::IValue>(items.begin(), items.end());
  }
  throw FormatError(what + " is not a list (" + value.tagKind() + ")");
}

double pickled_number(const torch::IValue& value, const std::string& what) {
  if (value.isDouble()) return value.toDouble();
  if (value.isInt()) return static_cast<double>(value.toInt());
  if (value.isBool()) return value.toBool() ? 1.0 : 0.0;
  if (value.isTensor() && value.toTensor().numel() == 1) return value.toTensor().item<double>();
  throw FormatError(what + " is not a number (" + value.tagKind() + ")");
}

int64_t pickled_int(const torch::IValue& value, const std::string& what) {
  const double number = pickled_number(value, what);
  if (number != std::floor(number)) throw FormatError(what + " is not an integer");
  return static_cast<int64_t>(number);
}

namespace {

nlohmann::json to_json(const torch::IValue& value, const std::string& what) {
  if (value.isNone()) return nullptr;
  if (value.isBool()) return value.toBool();
  if (value.isInt()) return value.toInt();
  if (value.isDouble()) return value.toDouble();
  if (value.isString()) return value.toStringRef();
  if (value.isList() || value.isTuple()) {
    nlohmann::json array = nlohmann::json::array();
    for (const auto& item : pickled_sequence(value, what)) array.push_back(to_json(item, what));
    return array;
  }
  if (value.isGenericDict()) {
    nlohmann::json object = nlohmann::json::object();
    for (const auto& entry : value.toGenericDict()) {
      if (!entry.key().isString())
        throw FormatError(what + ": a dict key is not a string (" + entry.key().tagKind() + ")");
      object[entry.key().toStringRef()] =
          to_json(entry.value(), what + "." + entry.key().toStringRef());
    }
    return object;
  }
  throw FormatError(what + " holds a " + value.tagKind() + ", not a plain value");
}

}  // namespace

std::string pickled_to_json(const torch::IValue& value, const std::string& what) {
  return to_json(value, what).dump();
}

}  // namespace erwin
