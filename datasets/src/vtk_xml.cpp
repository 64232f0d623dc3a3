#include "vtk_xml.h"

#include <sstream>
#include <stdexcept>

namespace erwin::datasets::detail {
namespace {

static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
              "the .vtu files declare byte_order=\"LittleEndian\" and store host bytes");

std::string base64(const std::string& bytes) {
  static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k)
      group = group << 8 | (k < n ? static_cast<unsigned char>(bytes[i + k]) : 0u);
    for (size_t k = 0; k < 4; ++k) out += k <= n ? alphabet[(group >> (18 - 6 * k)) & 63] : '=';
  }
  return out;
}

std::string xml_escaped(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string vtk_type_name(torch::ScalarType type) {
  switch (type) {
    case torch::kFloat:
      return "Float32";
    case torch::kDouble:
      return "Float64";
    case torch::kInt:
      return "Int32";
    case torch::kLong:
      return "Int64";
    case torch::kByte:
      return "UInt8";
    default:
      throw std::invalid_argument(std::string("VTK XML: unsupported dtype ") + c10::toString(type));
  }
}

// <DataArray> with the tensor's bytes after a UInt64 byte count, base64 encoded together.
void write_data_array(std::ostringstream& out, const std::string& name, const torch::Tensor& t) {
  const torch::Tensor data = t.contiguous().cpu();
  const uint64_t size = data.numel() * data.element_size();
  std::string bytes(reinterpret_cast<const char*>(&size), sizeof size);
  bytes.append(static_cast<const char*>(data.data_ptr()), size);
  out << "        <DataArray type=\"" << vtk_type_name(data.scalar_type()) << "\" Name=\""
      << xml_escaped(name) << "\" NumberOfComponents=\"" << (data.dim() > 1 ? data.size(1) : 1)
      << "\" format=\"binary\">\n          " << base64(bytes) << "\n        </DataArray>\n";
}

}  // namespace

std::string vtu_document(const VtuGrid& grid) {
  std::ostringstream out;
  out << "<?xml version=\"1.0\"?>\n"
      << "<VTKFile type=\"UnstructuredGrid\" version=\"1.0\" byte_order=\"LittleEndian\" "
         "header_type=\"UInt64\">\n"
      << "  <UnstructuredGrid>\n"
      << "    <Piece NumberOfPoints=\"" << grid.points.size(0) << "\" NumberOfCells=\""
      << grid.types.size(0) << "\">\n"
      << "      <PointData>\n";
  for (const VtuArray& array : grid.point_data) write_data_array(out, array.name, array.values);
  out << "      </PointData>\n      <Points>\n";
  write_data_array(out, "Points", grid.points);
  out << "      </Points>\n      <Cells>\n";
  write_data_array(out, "connectivity", grid.connectivity);
  write_data_array(out, "offsets", grid.offsets);
  write_data_array(out, "types", grid.types);
  out << "      </Cells>\n    </Piece>\n  </UnstructuredGrid>\n</VTKFile>\n";
  return out.str();
}

std::string pvd_document(const std::vector<PvdEntry>& entries) {
  std::ostringstream out;
  out.precision(17);
  out << "<?xml version=\"1.0\"?>\n"
      << "<VTKFile type=\"Collection\" version=\"0.1\" byte_order=\"LittleEndian\">\n"
      << "  <Collection>\n";
  for (const PvdEntry& entry : entries)
    out << "    <DataSet timestep=\"" << entry.time << "\" group=\"\" part=\"0\" file=\""
        << xml_escaped(entry.file) << "\"/>\n";
  out << "  </Collection>\n</VTKFile>\n";
  return out.str();
}

}  // namespace erwin::datasets::detail
