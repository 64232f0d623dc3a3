// PLY (Stanford polygon format) point clouds and meshes: ascii and binary, either byte order.
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <sstream>

#include "formats.h"

namespace erwin::point_io {
namespace {

enum class Encoding { Ascii, LittleEndian, BigEndian };

struct ScalarType {
  const char* names[2];
  size_t size;
  bool is_float;
  bool is_signed;
};

const ScalarType kTypes[] = {
    {{"char", "int8"}, 1, false, true},    {{"uchar", "uint8"}, 1, false, false},
    {{"short", "int16"}, 2, false, true},  {{"ushort", "uint16"}, 2, false, false},
    {{"int", "int32"}, 4, false, true},    {{"uint", "uint32"}, 4, false, false},
    {{"float", "float32"}, 4, true, true}, {{"double", "float64"}, 8, true, true},
};

const ScalarType* find_type(const std::string& name) {
  for (const ScalarType& t : kTypes)
    if (name == t.names[0] || name == t.names[1]) return &t;
  return nullptr;
}

struct Property {
  std::string name;
  const ScalarType* type;
  const ScalarType* count_type = nullptr;  // list properties only
};

struct Element {
  std::string name;
  int64_t count;
  std::vector<Property> properties;
};

struct Header {
  Encoding encoding;
  std::vector<Element> elements;
  size_t data_start;
  size_t lines;  // header lines, for ascii line numbers
};

Header parse_header(const std::string& bytes, const std::string& path) {
  if (bytes.compare(0, 3, "ply") != 0 || bytes.size() < 4 || (bytes[3] != '\n' && bytes[3] != '\r'))
    fail(path, "not a PLY file (first line is not 'ply')");
  Header header{};
  bool format_seen = false;
  size_t pos = bytes.find('\n') + 1;  // after the "ply" line
  header.lines = 1;
  while (true) {
    const size_t end = bytes.find('\n', pos);
    if (end == std::string::npos) fail(path, "truncated header (no end_header line)");
    std::istringstream line(bytes.substr(pos, end - pos));
    pos = end + 1;
    const std::string where = path + ":" + std::to_string(++header.lines);
    std::string keyword;
    line >> keyword;
    if (keyword == "end_header") break;
    if (keyword == "format") {
      std::string format, version;
      line >> format >> version;
      if (format == "ascii")
        header.encoding = Encoding::Ascii;
      else if (format == "binary_little_endian")
        header.encoding = Encoding::LittleEndian;
      else if (format == "binary_big_endian")
        header.encoding = Encoding::BigEndian;
      else
        fail(where, "unknown format '" + format + "'");
      format_seen = true;
    } else if (keyword == "element") {
      Element element{"", -1, {}};
      line >> element.name >> element.count;
      if (!line || element.count < 0) fail(where, "malformed element line");
      header.elements.push_back(element);
    } else if (keyword == "property") {
      if (header.elements.empty()) fail(where, "property before any element");
      std::string type, name;
      line >> type;
      Property property{};
      if (type == "list") {
        std::string count_type;
        line >> count_type >> type;
        property.count_type = find_type(count_type);
        if (!property.count_type || property.count_type->is_float)
          fail(where, "bad list count type '" + count_type + "'");
      }
      line >> property.name;
      property.type = find_type(type);
      if (!property.type) fail(where, "unknown property type '" + type + "'");
      if (property.name.empty()) fail(where, "property without a name");
      // A name given twice (e.g. `x y z x`) would give one axis two columns.
      for (const Property& other : header.elements.back().properties)
        if (other.name == property.name)
          fail(where, "property '" + property.name + "' declared twice in element '" +
                          header.elements.back().name + "'");
      header.elements.back().properties.push_back(property);
    } else if (keyword != "comment" && keyword != "obj_info" && !keyword.empty()) {
      fail(where, "unexpected header keyword '" + keyword + "' (missing end_header?)");
    }
  }
  if (!format_seen) fail(path, "header has no format line");
  header.data_start = pos;
  return header;
}

// Reads the values of the body one at a time, as doubles, in either encoding. In ascii files
// every element instance is one line.
class BodyReader {
 public:
  BodyReader(const std::string& bytes, const Header& header, const std::string& path)
      : bytes_(bytes),
        pos_(header.data_start),
        encoding_(header.encoding),
        path_(path),
        line_(header.lines + 1) {}

  const std::string& path() const { return path_; }

  // Rejects element counts that cannot fit in the rest of the file before anything is
  // allocated for them (an ascii value takes at least one byte).
  void require(const Element& e, uint64_t min_bytes_per_instance) const {
    const uint64_t per =
        encoding_ == Encoding::Ascii ? e.properties.size() : min_bytes_per_instance;
    const uint64_t remaining = bytes_.size() - pos_;
    if (per > 0 && static_cast<uint64_t>(e.count) > remaining / per)
      fail(path_, "truncated: " + std::to_string(e.count) + " " + e.name + " elements need " +
                      "more than the " + std::to_string(remaining) + " bytes left");
  }

  void begin_instance() { at_instance_start_ = true; }

  // `where` names the element and field for errors.
  double next(const ScalarType& type, const std::string& where) {
    const double value =
        encoding_ == Encoding::Ascii ? next_ascii(where) : next_binary(type, where);
    at_instance_start_ = false;
    return value;
  }

  void end_instance(const std::string& where) {
    if (encoding_ != Encoding::Ascii) return;
    while (pos_ < bytes_.size() &&
           (bytes_[pos_] == ' ' || bytes_[pos_] == '\t' || bytes_[pos_] == '\r'))
      ++pos_;
    if (pos_ < bytes_.size() && bytes_[pos_] != '\n')
      fail(path_ + ":" + std::to_string(line_),
           where + ": more values on the line than the header declares");
  }

 private:
  double next_ascii(const std::string& where) {
    while (pos_ < bytes_.size() && std::isspace(static_cast<unsigned char>(bytes_[pos_]))) {
      if (bytes_[pos_] == '\n') {
        if (!at_instance_start_)
          fail(path_ + ":" + std::to_string(line_),
               "too few values on the line: " + where + " missing");
        ++line_;
      }
      ++pos_;
    }
    if (pos_ == bytes_.size()) fail(path_, "truncated: end of file reading " + where);
    const size_t start = pos_;
    while (pos_ < bytes_.size() && !std::isspace(static_cast<unsigned char>(bytes_[pos_]))) ++pos_;
    double value = 0;
    const char* begin = bytes_.data() + start + (bytes_[start] == '+' ? 1 : 0);
    const auto result = std::from_chars(begin, bytes_.data() + pos_, value);
    if (result.ec != std::errc() || result.ptr != bytes_.data() + pos_)
      fail(path_ + ":" + std::to_string(line_),
           where + ": '" + bytes_.substr(start, pos_ - start) + "' is not a number");
    return value;
  }

  double next_binary(const ScalarType& type, const std::string& where) {
    if (type.size > bytes_.size() - pos_) fail(path_, "truncated: end of file reading " + where);
    unsigned char raw[8];
    std::memcpy(raw, bytes_.data() + pos_, type.size);
    pos_ += type.size;
    if (encoding_ == Encoding::BigEndian) std::reverse(raw, raw + type.size);
    uint64_t bits = 0;
    for (size_t i = type.size; i-- > 0;) bits = (bits << 8) | raw[i];
    if (type.is_float) {
      if (type.size == 4) {
        float f;
        const auto b32 = static_cast<uint32_t>(bits);
        std::memcpy(&f, &b32, 4);
        return f;
      }
      double d;
      std::memcpy(&d, &bits, 8);
      return d;
    }
    if (type.is_signed && type.size < 8 && (bits >> (8 * type.size - 1)) & 1)
      return static_cast<double>(static_cast<int64_t>(bits) - (int64_t{1} << (8 * type.size)));
    return static_cast<double>(bits);
  }

  const std::string& bytes_;
  size_t pos_;
  Encoding encoding_;
  const std::string& path_;
  size_t line_;
  bool at_instance_start_ = true;
};

std::string element_field(const Element& e, int64_t i, const std::string& field) {
  return "element '" + e.name + "' " + std::to_string(i) + " field '" + field + "'";
}

// Minimum bytes of one element instance in binary files (lists counted as empty).
uint64_t min_instance_bytes(const Element& e) {
  uint64_t bytes = 0;
  for (const Property& p : e.properties) bytes += p.count_type ? p.count_type->size : p.type->size;
  return bytes;
}

int64_t list_length(BodyReader& body, const Element& e, int64_t i, const Property& p) {
  const double count = body.next(*p.count_type, element_field(e, i, p.name) + " (list length)");
  if (count < 0 || count != std::floor(count) || count > 1e6)
    fail(body.path(), element_field(e, i, p.name) + ": bad list length " + std::to_string(count));
  return static_cast<int64_t>(count);
}

void read_vertices(BodyReader& body, const Element& e, PointCloud& cloud, const std::string& path) {
  int64_t axis_of[3] = {-1, -1, -1};
  std::vector<int64_t> feature_of(e.properties.size(), -1);
  for (size_t k = 0; k < e.properties.size(); ++k) {
    const Property& p = e.properties[k];
    if (p.count_type) continue;  // per-vertex lists are skipped
    const auto axis = std::find(std::begin(kCoordinateNames), std::end(kCoordinateNames), p.name);
    if (axis != std::end(kCoordinateNames)) {
      axis_of[axis - std::begin(kCoordinateNames)] = k;
    } else {
      feature_of[k] = cloud.feature_names.size();
      cloud.feature_names.push_back(p.name);
    }
  }
  if (axis_of[0] < 0 || axis_of[1] < 0) fail(path, "element 'vertex' has no x and y properties");
  const int64_t dims = axis_of[2] >= 0 ? 3 : 2;
  const int64_t channels = cloud.feature_names.size();
  body.require(e, min_instance_bytes(e));
  auto positions = torch::empty({e.count, dims}, torch::kFloat);
  auto features = torch::empty({e.count, channels}, torch::kFloat);
  auto pos_a = positions.accessor<float, 2>();
  auto feat_a = features.accessor<float, 2>();
  for (int64_t i = 0; i < e.count; ++i) {
    body.begin_instance();
    for (size_t k = 0; k < e.properties.size(); ++k) {
      const Property& p = e.properties[k];
      if (p.count_type) {
        for (int64_t n = list_length(body, e, i, p); n > 0; --n)
          body.next(*p.type, element_field(e, i, p.name));
        continue;
      }
      const double value = body.next(*p.type, element_field(e, i, p.name));
      if (feature_of[k] >= 0) {
        feat_a[i][feature_of[k]] = static_cast<float>(value);
        continue;
      }
      if (!std::isfinite(value)) fail(path, element_field(e, i, p.name) + " is not finite");
      const int64_t axis = std::find(axis_of, axis_of + 3, int64_t(k)) - axis_of;
      pos_a[i][axis] = static_cast<float>(value);
    }
    body.end_instance(element_field(e, i, e.properties.back().name));
  }
  cloud.positions = positions;
  if (channels > 0) cloud.features = features;
}

bool is_index_list(const Property& p) {
  return p.count_type && (p.name == "vertex_indices" || p.name == "vertex_index");
}

// A vertex index read as a double: a whole number whose magnitude fits int64 (the range against the
// vertex count is checked later), else FormatError (a cast would be undefined behaviour).
int64_t vertex_index(double value, const std::string& path, const std::string& field) {
  constexpr double kLimit = 9.2e18;
  if (!(std::abs(value) < kLimit) || value != std::trunc(value))
    fail(path,
         field + ": vertex index " + std::to_string(value) + " is not a whole number in range");
  return static_cast<int64_t>(value);
}

void read_faces(BodyReader& body, const Element& e, PointCloud& cloud) {
  body.require(e, min_instance_bytes(e));
  std::vector<int64_t> triangles;
  std::vector<int64_t> values;
  for (int64_t i = 0; i < e.count; ++i) {
    body.begin_instance();
    for (const Property& p : e.properties) {
      const int64_t n = p.count_type ? list_length(body, e, i, p) : 1;
      const std::string field = element_field(e, i, p.name);
      values.clear();
      for (int64_t k = 0; k < n; ++k) {
        const double value = body.next(*p.type, field);
        if (is_index_list(p)) values.push_back(vertex_index(value, body.path(), field));
      }
      if (!is_index_list(p)) continue;
      if (values.size() < 3)
        fail(body.path(), element_field(e, i, p.name) + ": a face needs at least 3 vertices");
      for (size_t k = 1; k + 1 < values.size(); ++k)  // fan triangulation
        triangles.insert(triangles.end(), {values[0], values[k], values[k + 1]});
    }
    body.end_instance(element_field(e, i, e.properties.back().name));
  }
  cloud.faces = torch::tensor(triangles, torch::kLong).reshape({-1, 3});
}

void skip_element(BodyReader& body, const Element& e) {
  body.require(e, min_instance_bytes(e));
  for (int64_t i = 0; i < e.count; ++i) {
    body.begin_instance();
    for (const Property& p : e.properties) {
      const int64_t n = p.count_type ? list_length(body, e, i, p) : 1;
      for (int64_t k = 0; k < n; ++k) body.next(*p.type, element_field(e, i, p.name));
    }
    if (!e.properties.empty()) body.end_instance(element_field(e, i, e.properties.back().name));
  }
}

}  // namespace

PointCloud parse_ply(const std::string& bytes, const std::string& path) {
  const Header header = parse_header(bytes, path);
  BodyReader body(bytes, header, path);
  PointCloud cloud;
  bool has_vertices = false;
  for (const Element& e : header.elements) {
    if (e.name == "vertex") {
      read_vertices(body, e, cloud, path);
      has_vertices = true;
    } else if (e.name == "face" &&
               std::any_of(e.properties.begin(), e.properties.end(), is_index_list)) {
      read_faces(body, e, cloud);
    } else {
      skip_element(body, e);
    }
  }
  if (!has_vertices) fail(path, "no 'vertex' element");
  return cloud;
}

std::string serialize_ply(const PointCloud& cloud) {
  const int64_t n = cloud.positions.size(0), d = cloud.positions.size(1);
  const auto features = cloud.features ? cloud.features->to(torch::kFloat).contiguous()
                                       : torch::empty({n, 0}, torch::kFloat);
  const int64_t c = features.size(1);
  std::ostringstream head;
  head << "ply\nformat binary_little_endian 1.0\ncomment written by Erwin Studio\n"
       << "element vertex " << n << "\n";
  for (int64_t j = 0; j < d; ++j) head << "property float " << kCoordinateNames[j] << "\n";
  for (int64_t j = 0; j < c; ++j) head << "property float " << feature_name(cloud, j) << "\n";
  const int64_t f = cloud.faces ? cloud.faces->size(0) : 0;
  if (cloud.faces) head << "element face " << f << "\nproperty list uchar int vertex_indices\n";
  head << "end_header\n";

  // Little-endian host assumed (x86-64, aarch64), as in the .npy writer.
  std::string out = head.str();
  const auto vertices = torch::cat({cloud.positions.to(torch::kFloat), features}, 1).contiguous();
  out.append(static_cast<const char*>(vertices.data_ptr()), vertices.numel() * sizeof(float));
  if (cloud.faces) {
    const auto faces = cloud.faces->to(torch::kInt).contiguous();
    const int32_t* v = faces.data_ptr<int32_t>();
    for (int64_t i = 0; i < f; ++i) {
      out.push_back(3);
      out.append(reinterpret_cast<const char*>(v + 3 * i), 3 * sizeof(int32_t));
    }
  }
  return out;
}

}  // namespace erwin::point_io
