// NumPy .npy (format versions 1-3) and .npz (zip, stored or deflated, ZIP64) readers and
// writers. Format references: numpy/lib/format.py docstring and PKWARE APPNOTE.TXT §4.3.
#include "erwin/npy.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

#include "erwin/atomic_file.h"
#include "erwin/io_util.h"
#include "zip.h"

namespace erwin {
namespace {

constexpr char kNpyMagic[] = "\x93NUMPY";
constexpr size_t kNpyMagicSize = 6;
constexpr size_t kNpyAlignment = 64;  // numpy pads headers so that data starts 64-aligned

[[noreturn]] void fail(const std::string& what, const std::string& message) {
  throw FormatError(what + ": " + message);
}

// ---- little-endian byte access with bounds checks ----

class ByteReader {
 public:
  ByteReader(const char* data, size_t size, std::string what)
      : data_(data), size_(size), what_(std::move(what)) {}

  uint64_t uint(size_t offset, int bytes, const char* field) const {
    require(offset, bytes, field);
    uint64_t value = 0;
    for (int i = bytes - 1; i >= 0; --i)
      value = (value << 8) | static_cast<unsigned char>(data_[offset + i]);
    return value;
  }
  const char* at(size_t offset, size_t bytes, const char* field) const {
    require(offset, bytes, field);
    return data_ + offset;
  }
  size_t size() const { return size_; }
  const std::string& what() const { return what_; }

 private:
  void require(size_t offset, size_t bytes, const char* field) const {
    if (offset > size_ || bytes > size_ - offset)
      fail(what_, std::string("truncated (") + field + " at byte " + std::to_string(offset) +
                      " runs past the end, size " + std::to_string(size_) + ")");
  }
  const char* data_;
  size_t size_;
  std::string what_;
};

void put_le(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out.push_back(static_cast<char>((value >> (8 * i)) & 0xff));
}

// ---- dtypes ----

struct DType {
  torch::ScalarType scalar;  // the tensor type the data becomes
  size_t item_size;          // bytes per element on disk
  bool big_endian;
  bool
      widen_unsigned;  // u2/u4 stored as the next wider signed type (torch lacks full uint support)
};

DType parse_descr(const std::string& descr, const std::string& what) {
  struct Entry {
    const char* code;
    torch::ScalarType scalar;
    size_t size;
    bool widen;
  };
  static const Entry table[] = {
      {"f2", torch::kHalf, 2, false},   {"f4", torch::kFloat, 4, false},
      {"f8", torch::kDouble, 8, false}, {"i1", torch::kInt8, 1, false},
      {"i2", torch::kInt16, 2, false},  {"i4", torch::kInt32, 4, false},
      {"i8", torch::kInt64, 8, false},  {"u1", torch::kUInt8, 1, false},
      {"u2", torch::kInt32, 2, true},   {"u4", torch::kInt64, 4, true},
      {"b1", torch::kBool, 1, false},
  };
  const char order = descr.empty() ? '\0' : descr[0];
  if (order == '<' || order == '>' || order == '|' || order == '=') {
    for (const Entry& e : table)
      if (descr.compare(1, std::string::npos, e.code) == 0)
        return DType{e.scalar, e.size, order == '>' && e.size > 1, e.widen};
  }
  fail(what, "unsupported dtype '" + descr +
                 "' in header field 'descr' (supported: f2 f4 f8 i1 i2 i4 i8 u1 u2 u4 b1)");
}

std::string descr_for(torch::ScalarType scalar) {
  switch (scalar) {
    case torch::kHalf:
      return "<f2";
    case torch::kFloat:
      return "<f4";
    case torch::kDouble:
      return "<f8";
    case torch::kInt8:
      return "|i1";
    case torch::kInt16:
      return "<i2";
    case torch::kInt32:
      return "<i4";
    case torch::kInt64:
      return "<i8";
    case torch::kUInt8:
      return "|u1";
    case torch::kBool:
      return "|b1";
    default:
      throw std::invalid_argument(std::string("serialize_npy: dtype ") + c10::toString(scalar) +
                                  " has no NumPy equivalent");
  }
}

// ---- the header: a Python dict literal such as
//      {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

class HeaderParser {
 public:
  HeaderParser(const std::string& text, const std::string& what) : text_(text), what_(what) {}

  NpyHeader parse() {
    NpyHeader header;
    bool seen_descr = false, seen_order = false, seen_shape = false;
    expect('{');
    while (!try_consume('}')) {
      const std::string key = string_literal("a key");
      expect(':');
      if (key == "descr") {
        skip_space();
        if (peek() == '[')
          fail(what_, "unsupported dtype: structured arrays (header field 'descr' is a list)");
        header.descr = string_literal("field 'descr'");
        seen_descr = true;
      } else if (key == "fortran_order") {
        header.fortran_order = boolean("field 'fortran_order'");
        seen_order = true;
      } else if (key == "shape") {
        header.shape = int_tuple();
        seen_shape = true;
      } else {
        fail(what_, "bad header: unexpected key '" + key + "'");
      }
      if (!try_consume(',')) {
        expect('}');
        break;
      }
    }
    if (!seen_descr) fail(what_, "bad header: missing field 'descr'");
    if (!seen_order) fail(what_, "bad header: missing field 'fortran_order'");
    if (!seen_shape) fail(what_, "bad header: missing field 'shape'");
    return header;
  }

 private:
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  bool try_consume(char c) {
    skip_space();
    if (peek() != c) return false;
    ++pos_;
    return true;
  }
  void expect(char c) {
    if (!try_consume(c))
      fail(what_, std::string("bad header: expected '") + c + "' at character " +
                      std::to_string(pos_) + " of \"" + text_ + "\"");
  }
  std::string string_literal(const char* field) {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"')
      fail(what_, std::string("bad header: ") + field + " is not a string");
    const size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string::npos) fail(what_, std::string("bad header: unterminated ") + field);
    std::string value = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return value;
  }
  bool boolean(const char* field) {
    skip_space();
    for (const char* word : {"True", "False"}) {
      if (text_.compare(pos_, std::strlen(word), word) == 0) {
        pos_ += std::strlen(word);
        return word[0] == 'T';
      }
    }
    fail(what_, std::string("bad header: ") + field + " is not True or False");
  }
  std::vector<int64_t> int_tuple() {
    std::vector<int64_t> values;
    expect('(');
    while (!try_consume(')')) {
      skip_space();
      const size_t start = pos_;
      while (std::isdigit(static_cast<unsigned char>(peek()))) ++pos_;
      if (pos_ == start || pos_ - start > 18)
        fail(what_, "bad header: field 'shape' holds something other than a dimension");
      values.push_back(std::stoll(text_.substr(start, pos_ - start)));
      try_consume('L');  // written by Python 2
      if (!try_consume(',')) {
        expect(')');
        break;
      }
    }
    return values;
  }

  const std::string& text_;
  const std::string& what_;
  size_t pos_ = 0;
};

// ---- .npy ----

// The number of elements. The product of the non-zero dimensions must stay addressable in bytes
// at the largest item size: a zero dimension does not make an overflowing shape harmless (its
// strides still overflow), nor may the byte count wrap.
int64_t element_count(const std::vector<int64_t>& shape, const std::string& what) {
  constexpr int64_t kMaxElements = std::numeric_limits<int64_t>::max() / 16;
  int64_t extent = 1;
  bool empty = false;
  for (int64_t dim : shape) {
    if (dim == 0) {
      empty = true;
    } else if (extent > kMaxElements / dim) {
      fail(what, "bad header: field 'shape' is too large");
    } else {
      extent *= dim;
    }
  }
  return empty ? 0 : extent;
}

torch::Tensor tensor_from_data(const char* data, const DType& dtype,
                               const std::vector<int64_t>& shape, int64_t count) {
  if (dtype.widen_unsigned) {
    auto out = torch::empty({count}, torch::kInt64);
    int64_t* dst = out.data_ptr<int64_t>();
    for (int64_t i = 0; i < count; ++i) {
      uint64_t value = 0;
      const auto* src = reinterpret_cast<const unsigned char*>(data) + i * dtype.item_size;
      for (size_t b = 0; b < dtype.item_size; ++b) {
        const size_t shift = dtype.big_endian ? dtype.item_size - 1 - b : b;
        value |= static_cast<uint64_t>(src[b]) << (8 * shift);
      }
      dst[i] = static_cast<int64_t>(value);
    }
    return out.to(dtype.scalar).reshape(shape);
  }
  // Booleans are read as bytes and normalised: a byte other than 0/1 is not a valid C++ bool.
  const auto storage_type = dtype.scalar == torch::kBool ? torch::kUInt8 : dtype.scalar;
  auto out = torch::empty({count}, storage_type);
  if (count > 0) std::memcpy(out.data_ptr(), data, count * dtype.item_size);  // else no buffer
  if (dtype.big_endian) {
    auto* bytes = static_cast<unsigned char*>(out.data_ptr());
    for (int64_t i = 0; i < count; ++i)
      std::reverse(bytes + i * dtype.item_size, bytes + (i + 1) * dtype.item_size);
  }
  if (dtype.scalar == torch::kBool) out = out.ne(0);
  return out.reshape(shape);
}

torch::Tensor parse_npy_bytes(const char* bytes, size_t size, const std::string& what) {
  ByteReader reader(bytes, size, what);
  if (size < kNpyMagicSize || std::memcmp(bytes, kNpyMagic, kNpyMagicSize) != 0)
    fail(what, "not a .npy file (bad magic)");
  const int major = static_cast<int>(reader.uint(6, 1, "format version"));
  if (major < 1 || major > 3)
    fail(what, "unsupported .npy format version " + std::to_string(major));
  const int length_bytes = major == 1 ? 2 : 4;
  const size_t header_length = reader.uint(8, length_bytes, "header length");
  const size_t header_start = 8 + length_bytes;
  const std::string header_text(reader.at(header_start, header_length, "header"), header_length);
  const NpyHeader header = HeaderParser(header_text, what).parse();
  const DType dtype = parse_descr(header.descr, what);
  const int64_t count = element_count(header.shape, what);
  const size_t data_start = header_start + header_length;
  const uint64_t expected = static_cast<uint64_t>(count) * dtype.item_size;
  const size_t available = size - data_start;
  if (available < expected)
    fail(what, "data shorter than shape: " + std::to_string(available) + " bytes, shape needs " +
                   std::to_string(expected));
  if (available > expected)
    fail(what, std::to_string(available - expected) + " unexpected bytes after the array data");
  if (!header.fortran_order)
    return tensor_from_data(bytes + data_start, dtype, header.shape, count);
  // Column-major data (numpy saves a transposed view so, e.g. the published fixtures' edges):
  // read it as the row-major array of the reversed shape, then reverse the axes.
  const std::vector<int64_t> reversed(header.shape.rbegin(), header.shape.rend());
  std::vector<int64_t> axes(reversed.size());
  for (size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<int64_t>(axes.size() - 1 - i);
  return tensor_from_data(bytes + data_start, dtype, reversed, count).permute(axes).contiguous();
}

// The header dict, padded with spaces and a final newline so that magic, version, length
// field and header together are a multiple of 64 bytes. Version 2 only for headers > 64 KiB.
std::string npy_header(const torch::Tensor& tensor, int& major) {
  std::string shape = "(";
  for (int64_t i = 0; i < tensor.dim(); ++i) shape += std::to_string(tensor.size(i)) + ", ";
  if (tensor.dim() == 1)
    shape.pop_back();  // "(3,)": a Python 1-tuple keeps its comma
  else if (tensor.dim() > 1)
    shape.resize(shape.size() - 2);
  shape += ")";
  std::string dict = "{'descr': '" + descr_for(tensor.scalar_type()) +
                     "', 'fortran_order': False, 'shape': " + shape + ", }";
  auto padded_size = [&](size_t prefix) {
    const size_t unpadded = prefix + dict.size() + 1;
    return unpadded + (kNpyAlignment - unpadded % kNpyAlignment) % kNpyAlignment - prefix;
  };
  major = padded_size(kNpyMagicSize + 4) <= zip::kMax16 ? 1 : 2;
  const size_t size = padded_size(kNpyMagicSize + (major == 1 ? 4 : 6));
  dict.append(size - dict.size() - 1, ' ');
  dict.push_back('\n');
  return dict;
}

// ---- .npz (zip; reading in zip.cpp) ----

std::string member_name(const std::string& file_name) {
  const std::string suffix = ".npy";
  if (file_name.size() > suffix.size() &&
      file_name.compare(file_name.size() - suffix.size(), suffix.size(), suffix) == 0)
    return file_name.substr(0, file_name.size() - suffix.size());
  return file_name;
}

// Zip writer for save_npz: stored members, ZIP64 records only where sizes demand them.
class StoredZipWriter {
 public:
  explicit StoredZipWriter(std::ofstream& out) : out_(out) {}

  void add(const std::string& name, const std::string& data) {
    const uint32_t crc = zip::crc32_of(data.data(), data.size());
    const bool zip64 = data.size() >= zip::kMax32 || offset_ >= zip::kMax32;
    std::string local;
    put_le(local, zip::kLocalHeaderSignature, 4);
    put_le(local, zip64 ? 45 : 20, 2);  // version needed
    put_le(local, 0, 2);                // flags
    put_le(local, 0, 2);                // method: stored
    put_le(local, 0, 2);                // time 00:00
    put_le(local, 0x21, 2);             // date 1980-01-01
    put_le(local, crc, 4);
    put_le(local, zip64 ? zip::kMax32 : data.size(), 4);
    put_le(local, zip64 ? zip::kMax32 : data.size(), 4);
    put_le(local, name.size(), 2);
    put_le(local, zip64 ? 20 : 0, 2);
    local += name;
    if (zip64) {
      put_le(local, zip::kZip64ExtraId, 2);
      put_le(local, 16, 2);
      put_le(local, data.size(), 8);
      put_le(local, data.size(), 8);
    }
    write(local);
    write(data);
    append_central_entry(name, crc, data.size(), offset_ - local.size() - data.size());
    ++entries_;
  }

  void finish() {
    const uint64_t cd_offset = offset_;
    write(central_);
    const uint64_t cd_size = central_.size();
    const bool zip64 =
        entries_ >= zip::kMax16 || cd_offset >= zip::kMax32 || cd_size >= zip::kMax32;
    std::string end;
    if (zip64) {
      const uint64_t record = offset_;
      put_le(end, zip::kZip64EndSignature, 4);
      put_le(end, 44, 8);  // size of the remaining record
      put_le(end, 45, 2);
      put_le(end, 45, 2);
      put_le(end, 0, 4);
      put_le(end, 0, 4);
      put_le(end, entries_, 8);
      put_le(end, entries_, 8);
      put_le(end, cd_size, 8);
      put_le(end, cd_offset, 8);
      put_le(end, zip::kZip64LocatorSignature, 4);
      put_le(end, 0, 4);
      put_le(end, record, 8);
      put_le(end, 1, 4);
    }
    put_le(end, zip::kEndOfDirectorySignature, 4);
    put_le(end, 0, 4);  // disk numbers
    put_le(end, zip64 ? zip::kMax16 : entries_, 2);
    put_le(end, zip64 ? zip::kMax16 : entries_, 2);
    put_le(end, zip64 ? zip::kMax32 : cd_size, 4);
    put_le(end, zip64 ? zip::kMax32 : cd_offset, 4);
    put_le(end, 0, 2);  // comment length
    write(end);
  }

 private:
  void write(const std::string& bytes) {
    out_.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    offset_ += bytes.size();
  }

  void append_central_entry(const std::string& name, uint32_t crc, uint64_t size,
                            uint64_t local_offset) {
    const bool big = size >= zip::kMax32;
    const bool far = local_offset >= zip::kMax32;
    std::string extra;
    if (big || far) {
      put_le(extra, zip::kZip64ExtraId, 2);
      put_le(extra, (big ? 16 : 0) + (far ? 8 : 0), 2);
      if (big) {
        put_le(extra, size, 8);
        put_le(extra, size, 8);
      }
      if (far) put_le(extra, local_offset, 8);
    }
    std::string& c = central_;
    put_le(c, zip::kCentralHeaderSignature, 4);
    put_le(c, 45, 2);  // version made by
    put_le(c, big || far ? 45 : 20, 2);
    put_le(c, 0, 2);
    put_le(c, 0, 2);
    put_le(c, 0, 2);
    put_le(c, 0x21, 2);
    put_le(c, crc, 4);
    put_le(c, big ? zip::kMax32 : size, 4);
    put_le(c, big ? zip::kMax32 : size, 4);
    put_le(c, name.size(), 2);
    put_le(c, extra.size(), 2);
    put_le(c, 0, 2);  // comment
    put_le(c, 0, 2);  // disk
    put_le(c, 0, 2);  // internal attributes
    put_le(c, 0, 4);  // external attributes
    put_le(c, far ? zip::kMax32 : local_offset, 4);
    c += name;
    c += extra;
  }

  std::ofstream& out_;
  std::string central_;
  uint64_t offset_ = 0;
  uint64_t entries_ = 0;
};

}  // namespace

torch::Tensor parse_npy(const std::string& bytes, const std::string& what) {
  return parse_npy_bytes(bytes.data(), bytes.size(), what);
}

std::string serialize_npy(const torch::Tensor& tensor) {
  const auto data = tensor.detach().to(torch::kCPU).contiguous();
  int major = 1;
  const std::string header = npy_header(data, major);
  std::string out(kNpyMagic, kNpyMagicSize);
  out.push_back(static_cast<char>(major));
  out.push_back(0);
  put_le(out, header.size(), major == 1 ? 2 : 4);
  out += header;
  if (data.numel() > 0)
    out.append(static_cast<const char*>(data.data_ptr()), data.numel() * data.element_size());
  return out;
}

torch::Tensor load_npy(const std::string& path) { return parse_npy(read_regular_file(path), path); }

void save_npy(const std::string& path, const torch::Tensor& tensor) {
  write_file_atomically(path, serialize_npy(tensor));
}

NpzArchive NpzArchive::load(const std::string& path) {
  const std::string bytes = read_regular_file(path);
  NpzArchive archive;
  archive.path_ = path;
  std::string inflated;
  for (const zip::Member& member : zip::read_members(bytes, path)) {
    const std::string name = member_name(member.name);
    if (archive.members_.count(name)) fail(path, "duplicate member '" + member.name + "'");
    const std::string what = path + ":" + member.name;
    const std::string_view data = zip::content(member, inflated, what);
    archive.members_.emplace(name, parse_npy_bytes(data.data(), data.size(), what));
  }
  return archive;
}

bool NpzArchive::contains(const std::string& name) const { return members_.count(name) > 0; }

torch::Tensor NpzArchive::get(const std::string& name) const {
  auto it = members_.find(name);
  if (it == members_.end()) fail(path_, "missing member '" + name + "'");
  return it->second;
}

std::vector<std::string> NpzArchive::names() const {
  std::vector<std::string> out;
  for (const auto& entry : members_) out.push_back(entry.first);
  return out;
}

std::string NpzArchive::meta_json() const {
  auto it = members_.find("__meta__");
  if (it == members_.end()) return {};
  const torch::Tensor& meta = it->second;
  if (meta.scalar_type() != torch::kUInt8 || meta.dim() != 1)
    fail(path_ + ":__meta__", "expected a 1-d uint8 array of UTF-8 JSON");
  return std::string(static_cast<const char*>(meta.data_ptr()), meta.numel());
}

void save_npz(const std::string& path, const std::map<std::string, torch::Tensor>& members) {
  write_file_atomically(path, [&](const std::string& temp_path) {
    std::ofstream out(temp_path, std::ios::binary | std::ios::trunc);
    if (!out) throw std::runtime_error("cannot create " + temp_path);
    StoredZipWriter zip(out);
    for (const auto& [name, tensor] : members) zip.add(name + ".npy", serialize_npy(tensor));
    zip.finish();
    out.flush();
    if (!out) throw std::runtime_error("write failed: " + temp_path);
  });
}

}  // namespace erwin
