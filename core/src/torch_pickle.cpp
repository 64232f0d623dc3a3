#include "erwin/torch_pickle.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <cstring>
#include <set>

#include "erwin/npy.h"

namespace erwin {
namespace {

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
    Op op{p[at], at, 0};
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

// LibTorch's unpickler turns every collections.OrderedDict() into None (it expects them only
// as a tensor's empty backward hooks), which loses state_dicts. Rewrite each
// `OrderedDict` `()` REDUCE into EMPTY_DICT so that the entries that follow land in a dict.
std::string ordered_dicts_as_dicts(const std::string& p, const std::string& what) {
  const auto ops = tokenize(p, what);
  std::set<uint32_t> memo_slots;  // where the OrderedDict class was memoised
  std::string out;
  for (size_t i = 0; i < ops.size(); ++i) {
    const Op& op = ops[i];
    const bool is_class = (op.code == 'c' && op.text == "collections\nOrderedDict") ||
                          ((op.code == 'h' || op.code == 'j') && memo_slots.count(op.memo));
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

}  // namespace

torch::IValue load_torch_pickle(const std::string& path) {
  try {
    caffe2::serialize::PyTorchStreamReader reader(path);
    auto [pickle_data, pickle_size] = reader.getRecord("data.pkl");
    const std::string pickle = ordered_dicts_as_dicts(
        std::string(static_cast<const char*>(pickle_data.get()), pickle_size), path + ":data.pkl");
    size_t offset = 0;
    auto read = [&](char* buffer, size_t n) {
      n = std::min(n, pickle.size() - offset);
      std::memcpy(buffer, pickle.data() + offset, n);
      offset += n;
      return n;
    };
    auto read_record = [&](const std::string& name) {
      return std::get<0>(reader.getRecord("data/" + name));
    };
    torch::jit::Unpickler unpickler(read, nullptr, nullptr, read_record,
                                    torch::Device(torch::kCPU));
    unpickler.set_version(reader.version());
    return unpickler.parse_ivalue();
  } catch (const c10::Error& e) {
    throw FormatError(path + ": not a readable torch.save archive: " + e.what_without_backtrace());
  }
}

}  // namespace erwin
