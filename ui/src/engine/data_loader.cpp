#include "erwin/ui/engine/data_loader.h"

#include <vtkAlgorithm.h>
#include <vtkCallbackCommand.h>
#include <vtkCell.h>
#include <vtkCellArray.h>
#include <vtkCellType.h>
#include <vtkDataSet.h>
#include <vtkFloatArray.h>
#include <vtkGenericCell.h>
#include <vtkGenericDataObjectReader.h>
#include <vtkGeometryFilter.h>
#include <vtkIdTypeArray.h>
#include <vtkNew.h>
#include <vtkOBJReader.h>
#include <vtkPointData.h>
#include <vtkPointSet.h>
#include <vtkPoints.h>
#include <vtkPolyData.h>
#include <vtkPolyDataReader.h>
#include <vtkSTLReader.h>
#include <vtkStructuredGrid.h>
#include <vtkStructuredGridReader.h>
#include <vtkUnsignedCharArray.h>
#include <vtkUnstructuredGrid.h>
#include <vtkUnstructuredGridReader.h>
#include <vtkXMLGenericDataObjectReader.h>
#include <vtkXMLPolyDataReader.h>
#include <vtkXMLUnstructuredGridReader.h>

#include <QFile>
#include <QXmlStreamReader>
#include <algorithm>
#include <array>
#include <charconv>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <vtksys/SystemTools.hxx>

#include "erwin/datasets/eagle.h"
#include "erwin/datasets/md_polymer.h"
#include "erwin/datasets/shapenet_car.h"
#include "erwin/io_util.h"
#include "erwin/point_io.h"
#include "erwin/ui/engine/result_import.h"

namespace erwin::ui {
namespace {

// VTK readers report problems through ErrorEvent/WarningEvent, not exceptions: collect them.
struct ReaderErrors {
  std::string text;
  static void on_error(vtkObject*, unsigned long, void* client, void* message) {
    auto* self = static_cast<ReaderErrors*>(client);
    if (message && self->text.empty()) self->text = static_cast<const char*>(message);
  }
};

std::string cell_name(const std::string& section, vtkIdType cell) {
  return section + " cell " + std::to_string(cell);
}

// VTK's readers copy cell point ids as the file states them; filters and mappers then index the
// points with them unchecked. Every cell's ids must name existing points and its offsets must
// partition the connectivity array.
void check_cell_array(vtkCellArray* cells, vtkIdType points, const std::string& section,
                      const std::string& path) {
  if (!cells) return;
  vtkDataArray* offsets = cells->GetOffsetsArray();
  vtkDataArray* ids = cells->GetConnectivityArray();
  const vtkIdType size = ids->GetNumberOfValues(), ends = offsets->GetNumberOfValues();
  if (ends == 0 && size == 0) return;
  if (ends == 0 || offsets->GetComponent(0, 0) != 0 ||
      offsets->GetComponent(ends - 1, 0) != double(size))
    throw FormatError(path + ": the " + section + " offsets do not span their " +
                      std::to_string(size) + " point ids");
  for (vtkIdType cell = 0; cell + 1 < ends; ++cell) {
    const double begin = offsets->GetComponent(cell, 0), end = offsets->GetComponent(cell + 1, 0);
    if (end < begin)
      throw FormatError(path + ": " + cell_name(section, cell) + " has a negative size");
    for (auto at = vtkIdType(begin); at < vtkIdType(end); ++at) {
      const double id = ids->GetComponent(at, 0);
      if (id < 0 || id >= double(points))
        throw FormatError(path + ": " + cell_name(section, cell) + " refers to point " +
                          std::to_string(int64_t(id)) + ", but the file has " +
                          std::to_string(points) + " points");
    }
  }
}

// The number of points a cell of `type` has, 0 when it varies (polygons, poly-lines, strips,
// polyhedra, higher-order cells), -1 for a type VTK does not know.
int points_of_cell_type(int type) {
  static std::array<int, 256> counts = [] {
    std::array<int, 256> table{};
    for (int t = 0; t < 256; ++t) {
      const vtkSmartPointer<vtkCell> cell =
          vtkSmartPointer<vtkCell>::Take(vtkGenericCell::InstantiateCell(t));
      table[t] = cell && cell->GetCellType() == t ? int(cell->GetNumberOfPoints()) : -1;
    }
    return table;
  }();
  return type >= 0 && type < 256 ? counts[type] : -1;
}

// A polyhedron's faces in the grid's face stream: <faces> then (<points> <ids>...) per face.
void check_polyhedron(vtkUnstructuredGrid* grid, vtkIdType cell, const std::string& path) {
  vtkIdTypeArray* faces = grid->GetFaces();
  vtkIdTypeArray* locations = grid->GetFaceLocations();
  const std::string name = cell_name("polyhedron", cell);
  if (!faces || !locations || locations->GetNumberOfValues() <= cell)
    throw FormatError(path + ": " + name + " has no faces");
  const vtkIdType size = faces->GetNumberOfValues();
  vtkIdType at = locations->GetValue(cell);
  if (at < 0 || at >= size) throw FormatError(path + ": " + name + " has no faces");
  const vtkIdType face_count = faces->GetValue(at++);
  for (vtkIdType face = 0; face < face_count; ++face) {
    const vtkIdType count = at < size ? faces->GetValue(at++) : -1;
    if (count < 0 || count > size - at)
      throw FormatError(path + ": " + name + " face " + std::to_string(face) +
                        " runs past the face list");
    for (const vtkIdType end = at + count; at < end; ++at)
      if (faces->GetValue(at) < 0 || faces->GetValue(at) >= grid->GetNumberOfPoints())
        throw FormatError(path + ": " + name + " face " + std::to_string(face) +
                          " refers to point " + std::to_string(faces->GetValue(at)) +
                          ", but the file has " + std::to_string(grid->GetNumberOfPoints()) +
                          " points");
  }
}

// Each cell of a grid has a known type, and as many points as its type has.
void check_cell_types(vtkUnstructuredGrid* grid, const std::string& path) {
  vtkCellArray* cells = grid->GetCells();
  vtkUnsignedCharArray* types = grid->GetCellTypesArray();
  const vtkIdType count = cells ? cells->GetNumberOfCells() : 0;
  if ((types ? types->GetNumberOfValues() : 0) != count)
    throw FormatError(path + ": " + std::to_string(count) + " cells but " +
                      std::to_string(types ? types->GetNumberOfValues() : 0) + " cell types");
  for (vtkIdType cell = 0; cell < count; ++cell) {
    const int type = types->GetValue(cell);
    const int points = points_of_cell_type(type);
    if (points < 0)
      throw FormatError(path + ": " + cell_name("grid", cell) + " has the unknown type " +
                        std::to_string(type));
    if (points > 0 && cells->GetCellSize(cell) != points)
      throw FormatError(path + ": " + cell_name("grid", cell) + " of type " + std::to_string(type) +
                        " has " + std::to_string(cells->GetCellSize(cell)) + " points, not " +
                        std::to_string(points));
    if (type == VTK_POLYHEDRON) check_polyhedron(grid, cell, path);
  }
}

void check_connectivity(vtkDataObject* data, const std::string& path) {
  if (auto* poly = vtkPolyData::SafeDownCast(data)) {
    const vtkIdType points = poly->GetNumberOfPoints();
    check_cell_array(poly->GetVerts(), points, "vertex", path);
    check_cell_array(poly->GetLines(), points, "line", path);
    check_cell_array(poly->GetPolys(), points, "polygon", path);
    check_cell_array(poly->GetStrips(), points, "triangle strip", path);
  } else if (auto* grid = vtkUnstructuredGrid::SafeDownCast(data)) {
    check_cell_array(grid->GetCells(), grid->GetNumberOfPoints(), "grid", path);
    check_cell_types(grid, path);
  } else if (auto* structured = vtkStructuredGrid::SafeDownCast(data)) {
    int dimensions[3];
    structured->GetDimensions(dimensions);
    if (int64_t(dimensions[0]) * dimensions[1] * dimensions[2] != structured->GetNumberOfPoints())
      throw FormatError(path + ": the grid's DIMENSIONS do not match its " +
                        std::to_string(structured->GetNumberOfPoints()) + " points");
  }
}

// `reader` must be the reader that parses the file: VTK raises errors on the object that meets
// them, so an observer on a wrapper (vtkGenericDataObjectReader) misses its inner reader's.
vtkSmartPointer<vtkDataObject> run_reader(vtkAlgorithm* reader, const std::string& path) {
  ReaderErrors errors;
  vtkNew<vtkCallbackCommand> command;
  command->SetCallback(&ReaderErrors::on_error);
  command->SetClientData(&errors);
  reader->AddObserver(vtkCommand::ErrorEvent, command);
  reader->Update();
  if (reader->GetErrorCode() != 0 || !errors.text.empty())
    throw FormatError(path + ": the VTK reader failed" +
                      (errors.text.empty() ? std::string() : ": " + errors.text));
  vtkDataObject* data = reader->GetOutputDataObject(0);
  check_connectivity(data, path);
  return data;
}

template <typename Reader>
vtkSmartPointer<vtkDataObject> read_with(const std::string& path) {
  vtkNew<Reader> reader;
  reader->SetFileName(path.c_str());
  return run_reader(reader, path);
}

// The sections of a legacy .vtk walked before VTK reads it (ASCII token by token, binary by size):
// VTK 9.1's legacy readers carry on after a short or malformed section with their stream closed and
// then crash in vtkDataReader::ReadString, and they allocate whatever count a section declares.
// Each count is checked against the bytes left (an ASCII value takes at least two) and each ASCII
// value must be a number of its section's type, so VTK only sees files whose sections are complete.
class LegacyVtkSections {
 public:
  LegacyVtkSections(std::string path, std::string text, bool binary)
      : path_(std::move(path)), text_(std::move(text)), binary_(binary) {}

  void walk() {
    skip_lines(3);  // "# vtk DataFile Version", the title, ASCII
    while (skip_space(), at_ < text_.size()) section(lower_case(token("a section keyword")));
  }

 private:
  std::string path_, text_;
  bool binary_;  // values as big-endian bytes on the lines after their section's line
  size_t at_ = 0;
  int64_t attribute_count_ = 0;  // the count of the current POINT_DATA / CELL_DATA

  [[noreturn]] void fail(const std::string& what) const {
    throw FormatError(path_ + ": " + what + " (byte " + std::to_string(at_) + ")");
  }

  void skip_space() {
    while (at_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
  }

  void skip_lines(int lines) {
    for (int line = 0; line < lines; ++line) {
      const size_t end = text_.find('\n', at_);
      if (end == std::string::npos) fail("the legacy VTK header ends early");
      at_ = end + 1;
    }
  }

  std::string token(const std::string& what) {
    skip_space();
    const size_t start = at_;
    while (at_ < text_.size() && !std::isspace(static_cast<unsigned char>(text_[at_]))) ++at_;
    if (start == at_) fail("the file ends where " + what + " should be");
    if (at_ - start > 255) fail(what + " is longer than 255 characters");
    return text_.substr(start, at_ - start);
  }

  // The next section keyword: on the next line in binary files (whose data lines are not text).
  std::string next_keyword() {
    if (!binary_) return peek();
    const size_t line = text_.find('\n', at_);
    return line == std::string::npos ? "" : lower_case(text_.substr(line + 1, 7));
  }

  // The next token in lower case, without consuming it ("" at the end of the file).
  std::string peek() {
    skip_space();
    const size_t start = at_;
    const std::string next = start < text_.size() ? lower_case(token("a token")) : "";
    at_ = start;
    return next;
  }

  int64_t count(const std::string& field) {
    const std::string text = token("the count of " + field);
    if (text.find_first_not_of("0123456789") != std::string::npos || text.size() > 15)
      fail(field + " declares the count '" + text + "'");
    return std::stoll(text);
  }

  // `units` times `each` values fit in the bytes left, an ASCII value taking at least two.
  void require_room(int64_t units, int64_t each, const std::string& field) const {
    const int64_t room = int64_t(text_.size() - at_) / 2 + 1;
    if (units > 0 && each > 0 && units > room / each)
      fail(field + " declares " + std::to_string(units) +
           (each == 1 ? std::string() : " x " + std::to_string(each)) +
           " values, more than the file's remaining " + std::to_string(text_.size() - at_) +
           " bytes hold");
  }

  // `units` times `each` values of the VTK type `type`, refused before reading when they cannot
  // fit in the bytes left.
  void values(int64_t units, int64_t each, const std::string& type, const std::string& field) {
    const bool real = value_type_is_real(lower_case(type), field);
    if (binary_) return skip_binary(units, each, lower_case(type), field);
    require_room(units, each, field);
    for (int64_t i = 0; i < units * each; ++i) {
      const std::string text = token(field + " value " + std::to_string(i));
      if (!is_number(text, real))
        fail(field + " value " + std::to_string(i) + " is '" + text + "', not a number");
    }
  }

  // Binary values start on the line after their section's line.
  void skip_binary(int64_t units, int64_t each, const std::string& type, const std::string& field) {
    const size_t line_end = text_.find('\n', at_);
    if (line_end == std::string::npos) fail("the file ends before the values of " + field);
    at_ = line_end + 1;
    const int64_t left = int64_t(text_.size() - at_);
    const int64_t width = byte_width(type);
    const bool fits = units == 0 || each == 0 ||
                      (type == "bit" ? units <= (left * 8) / each : units <= left / each / width);
    if (!fits)
      fail(field + " declares " + std::to_string(units) + " x " + std::to_string(each) +
           " values, more than the file's remaining " + std::to_string(left) + " bytes hold");
    at_ += type == "bit" ? (units * each + 7) / 8 : units * each * width;
  }

  static int64_t byte_width(const std::string& type) {
    if (type == "double" || type == "long" || type == "unsigned_long" || type == "vtkidtype" ||
        type == "vtktypeint64" || type == "vtktypeuint64" || type == "vtktypefloat64")
      return 8;
    if (type == "short" || type == "unsigned_short" || type == "vtktypeint16" ||
        type == "vtktypeuint16")
      return 2;
    if (type.find("char") != std::string::npos || type == "vtktypeint8" || type == "vtktypeuint8" ||
        type == "bit")
      return 1;
    return 4;
  }

  // The big-endian 32-bit integer at the current byte.
  int64_t binary_int(const std::string& field) {
    if (text_.size() - at_ < 4) fail("the file ends inside " + field);
    uint32_t value = 0;
    for (int b = 0; b < 4; ++b) value = (value << 8) | static_cast<unsigned char>(text_[at_++]);
    return int32_t(value);
  }

  bool value_type_is_real(const std::string& type, const std::string& field) const {
    static const std::set<std::string> integers = {
        "bit",           "char",           "signed_char",   "unsigned_char",
        "short",         "unsigned_short", "int",           "unsigned_int",
        "long",          "unsigned_long",  "vtkidtype",     "vtktypeint8",
        "vtktypeuint8",  "vtktypeint16",   "vtktypeuint16", "vtktypeint32",
        "vtktypeuint32", "vtktypeint64",   "vtktypeuint64"};
    if (type == "float" || type == "double" || type == "vtktypefloat32" || type == "vtktypefloat64")
      return true;
    if (!integers.count(type)) fail(field + " has the value type '" + type + "'");
    return false;
  }

  static bool is_number(const std::string& text, bool real) {
    const size_t digits = text.find_first_not_of("+-");
    if (digits > 1 || digits == std::string::npos) return false;
    if (!real) return text.find_first_not_of("0123456789", digits) == std::string::npos;
    if (text.find_first_not_of("0123456789.eE+-") != std::string::npos) return false;
    char* end = nullptr;
    std::strtod(text.c_str(), &end);
    return end == text.c_str() + text.size();
  }

  // <n> <size> then size ints (before VTK 9), or VTK 9's OFFSETS <type> with n values and
  // CONNECTIVITY <type> with size values.
  void cells(const std::string& field) {
    const int64_t first = count(field);
    const int64_t size = count(field + " size");
    if (next_keyword() != "offsets") return legacy_cells(first, size, field);
    token(field + " OFFSETS");
    values(first, 1, token(field + " OFFSETS type"), field + " OFFSETS");
    if (lower_case(token(field + " CONNECTIVITY")) != "connectivity")
      fail(field + " lacks its CONNECTIVITY");
    values(size, 1, token(field + " CONNECTIVITY type"), field + " CONNECTIVITY");
  }

  // Before VTK 9: each cell is its point count and its ids; together exactly `size` values.
  void legacy_cells(int64_t cells, int64_t size, const std::string& field) {
    if (binary_) {  // the cells are big-endian ints from the next line on
      skip_binary(size, 1, "int", field);
      at_ -= size * 4;
    } else {
      require_room(size, 1, field);
    }
    if (cells > size)
      fail(field + " declares " + std::to_string(cells) + " cells in " + std::to_string(size) +
           " values");
    int64_t used = 0;
    for (int64_t c = 0; c < cells; ++c) {
      const int64_t points =
          binary_ ? binary_int(field) : count(field + " cell " + std::to_string(c));
      if (points < 0 || points >= size - used)
        fail(field + " cell " + std::to_string(c) + " declares " + std::to_string(points) +
             " points, past the section's " + std::to_string(size) + " values");
      binary_ ? void(at_ += 4 * points) : values(points, 1, "int", field);
      used += 1 + points;
    }
    if (used != size)
      fail(field + " declares " + std::to_string(size) + " values but its cells hold " +
           std::to_string(used));
  }

  // FIELD <name> <arrays>, each <name> <components> <tuples> <type> and its values.
  void field() {
    token("the FIELD name");
    const int64_t arrays = count("FIELD");
    for (int64_t a = 0; a < arrays; ++a) {
      const std::string name = token("a FIELD array name");
      if (name == "NULL_ARRAY") continue;
      const int64_t components = count("FIELD array " + name);
      const int64_t tuples = count("FIELD array " + name);
      values(tuples, components, token("the type of FIELD array " + name), "FIELD array " + name);
    }
  }

  // SCALARS <name> <type> [<components>] LOOKUP_TABLE <table> and the values.
  void scalars() {
    token("the SCALARS name");
    const std::string type = token("the SCALARS type");
    const int64_t components = peek() == "lookup_table" ? 1 : count("SCALARS components");
    if (lower_case(token("LOOKUP_TABLE")) != "lookup_table")
      fail("SCALARS lack their LOOKUP_TABLE");
    token("the LOOKUP_TABLE name");
    values(attribute_count_, components, type, "SCALARS");
  }

  // METADATA runs to the next empty line.
  void skip_metadata() {
    while (at_ < text_.size()) {
      const size_t end = std::min(text_.find('\n', at_), text_.size());
      const bool empty = text_.find_first_not_of(" \t\r", at_) >= end;
      at_ = std::min(end + 1, text_.size());
      if (empty) return;
    }
  }

  void section(const std::string& keyword) {
    static const std::set<std::string> cell_sections = {"vertices", "lines", "polygons",
                                                        "triangle_strips", "cells"};
    // Attributes with a name, a type and a fixed number of values per point or cell.
    static const std::map<std::string, int64_t> typed_attributes = {
        {"vectors", 3},  {"normals", 3},    {"tensors", 9},
        {"tensors6", 6}, {"global_ids", 1}, {"pedigree_ids", 1}};
    const std::string field = upper(keyword);
    if (keyword == "dataset") {
      token("the DATASET type");
    } else if (keyword == "points") {
      const int64_t n = count(field);
      values(n, 3, token("the POINTS type"), field);
    } else if (keyword == "dimensions") {
      values(3, 1, "int", field);
    } else if (cell_sections.count(keyword)) {
      cells(field);
    } else if (keyword == "cell_types") {
      values(count(field), 1, "int", field);
    } else if (keyword == "point_data" || keyword == "cell_data") {
      attribute_count_ = count(field);
    } else if (keyword == "field") {
      this->field();
    } else if (keyword == "metadata") {
      skip_metadata();
    } else if (keyword == "scalars") {
      scalars();
    } else if (typed_attributes.count(keyword)) {
      token("the " + field + " name");
      values(attribute_count_, typed_attributes.at(keyword), token("the " + field + " type"),
             field);
    } else if (keyword == "texture_coordinates") {
      token("the " + field + " name");
      const int64_t dimension = count(field + " dimension");
      values(attribute_count_, dimension, token("the " + field + " type"), field);
    } else if (keyword == "color_scalars") {
      token("the " + field + " name");
      values(attribute_count_, count(field), "float", field);
    } else if (keyword == "lookup_table") {
      token("the " + field + " name");
      values(count(field), 4, "float", field);
    } else {
      fail("unknown section '" + field + "'");
    }
  }

  static std::string upper(std::string text) {
    std::transform(text.begin(), text.end(), text.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    return text;
  }
};

// The third line of a legacy .vtk says ASCII or BINARY.
bool is_ascii_legacy_vtk(const std::string& text) {
  const size_t second = text.find('\n');
  const size_t third = second == std::string::npos ? second : text.find('\n', second + 1);
  if (third == std::string::npos) return false;
  const size_t end = text.find('\n', third + 1);
  return lower_case(text.substr(third + 1, end - third - 1)).rfind("ascii", 0) == 0;
}

// Legacy .vtk through the reader of its data set type (so that its errors are observed), walked
// first (LegacyVtkSections).
vtkSmartPointer<vtkDataObject> read_legacy_vtk(const std::string& path) {
  vtkNew<vtkGenericDataObjectReader> header;
  header->SetFileName(path.c_str());
  const int type = header->ReadOutputType();
  if (type != VTK_POLY_DATA && type != VTK_UNSTRUCTURED_GRID && type != VTK_STRUCTURED_GRID)
    throw FormatError(path + ": not a legacy VTK file with points (polydata or grid)");
  std::string text = read_regular_file(path);
  const bool binary = !is_ascii_legacy_vtk(text);
  LegacyVtkSections(path, std::move(text), binary).walk();
  if (type == VTK_POLY_DATA) return read_with<vtkPolyDataReader>(path);
  if (type == VTK_UNSTRUCTURED_GRID) return read_with<vtkUnstructuredGridReader>(path);
  return read_with<vtkStructuredGridReader>(path);
}

// VTK 9.1's OBJ reader indexes its texture-coordinate and normal lists with a face's `/vt/vn`
// numbers unchecked (`f 1/1 2/2 3/3` without a `vt` line crashed it), so those numbers are checked
// against the file's `vt` and `vn` lines before it reads; vertex numbers are checked with every
// cell after the read.
vtkSmartPointer<vtkDataObject> read_obj(const std::string& path) {
  const std::string text = read_regular_file(path);
  const auto words_of = [](const std::string& line) {
    std::vector<std::string> words;
    std::istringstream in(line);
    for (std::string word; in >> word;) words.push_back(word);
    return words;
  };
  std::vector<std::vector<std::string>> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(words_of(line));
  int64_t texture_coordinates = 0, normals = 0;
  for (const auto& words : lines) {
    if (!words.empty() && words[0] == "vt") ++texture_coordinates;
    if (!words.empty() && words[0] == "vn") ++normals;
  }
  for (size_t number = 0; number < lines.size(); ++number) {
    const auto& words = lines[number];
    if (words.empty() || (words[0] != "f" && words[0] != "l" && words[0] != "p")) continue;
    for (size_t i = 1; i < words.size(); ++i) {
      const std::string& word = words[i];
      const size_t first = word.find('/');
      if (first == std::string::npos) continue;
      const size_t second = word.find('/', first + 1);
      const std::string parts[2] = {
          word.substr(first + 1,
                      second == std::string::npos ? std::string::npos : second - first - 1),
          second == std::string::npos ? std::string() : word.substr(second + 1)};
      const int64_t counts[2] = {texture_coordinates, normals};
      const char* names[2] = {"texture coordinate", "normal"};
      // v/vt, v/vt/vn or v//vn: a slash is followed by a number ("1/" and "1/2/" crash VTK).
      const bool malformed = (second == std::string::npos && parts[0].empty()) ||
                             (second != std::string::npos && parts[1].empty());
      if (malformed)
        throw FormatError(path + ": line " + std::to_string(number + 1) + ": '" + word +
                          "' is not v/vt, v/vt/vn or v//vn");
      for (int k = 0; k < 2; ++k) {
        if (parts[k].empty()) continue;
        int64_t index = 0;
        const auto [end, error] =
            std::from_chars(parts[k].data(), parts[k].data() + parts[k].size(), index);
        if (error != std::errc() || end != parts[k].data() + parts[k].size() || index == 0 ||
            index > counts[k] || index < -counts[k])
          throw FormatError(path + ": line " + std::to_string(number + 1) + ": '" + word +
                            "' refers to " + names[k] + " '" + parts[k] + "', but the file has " +
                            std::to_string(counts[k]));
      }
    }
  }
  return read_with<vtkOBJReader>(path);
}

// A binary STL is an 80-byte header, a triangle count and 50 bytes per triangle. VTK allocates for
// the count before it reads (4 bytes can ask for 200 GB), so a count the file cannot hold is
// refused first. VTK reads a file as ASCII when vtksys judges it text, as here.
vtkSmartPointer<vtkDataObject> read_stl(const std::string& path) {
  if (vtksys::SystemTools::DetectFileType(path.c_str()) != vtksys::SystemTools::FileTypeText) {
    const std::string head = read_regular_file(path, 84);
    if (head.size() < 84) throw FormatError(path + ": binary STL shorter than its 84-byte header");
    uint64_t count = 0;
    for (int i = 3; i >= 0; --i) count = (count << 8) | static_cast<unsigned char>(head[80 + i]);
    const uint64_t needed = 84 + 50 * count;
    const auto size = static_cast<uint64_t>(std::filesystem::file_size(path));
    if (needed > size)
      throw FormatError(path + ": binary STL declares " + std::to_string(count) + " triangles (" +
                        std::to_string(needed) + " bytes) but has " + std::to_string(size) +
                        " bytes (truncated or damaged)");
  }
  return read_with<vtkSTLReader>(path);
}

// Cells of a mesh over the points of `data` (same point ids), or null for a bare cloud.
vtkSmartPointer<vtkPolyData> surface_of(vtkDataObject* data) {
  vtkSmartPointer<vtkPolyData> poly = vtkPolyData::SafeDownCast(data);
  if (!poly) {
    vtkNew<vtkGeometryFilter> filter;
    filter->SetInputData(data);
    filter->MergingOff();
    filter->Update();
    poly = filter->GetOutput();
    // The surface must index the same points as the data set, or it cannot be coloured per point.
    if (poly->GetNumberOfPoints() != vtkDataSet::SafeDownCast(data)->GetNumberOfPoints())
      return nullptr;
  }
  if (poly->GetNumberOfPolys() + poly->GetNumberOfStrips() + poly->GetNumberOfLines() == 0)
    return nullptr;
  auto surface = vtkSmartPointer<vtkPolyData>::New();
  surface->SetPolys(poly->GetPolys());
  surface->SetStrips(poly->GetStrips());
  surface->SetLines(poly->GetLines());
  return surface;
}

// A VTK array as float [N] (one component) or [N, k].
torch::Tensor values_of(vtkDataArray* array) {
  const int64_t count = array->GetNumberOfTuples(), components = array->GetNumberOfComponents();
  torch::Tensor values = torch::empty({count, components}, torch::kFloat32);
  float* out = values.data_ptr<float>();
  for (int64_t i = 0; i < count; ++i)
    for (int64_t c = 0; c < components; ++c)
      out[i * components + c] = static_cast<float>(array->GetComponent(i, static_cast<int>(c)));
  return components == 1 ? values.squeeze(1) : values;
}

// The numeric point arrays of `data` with a value per point (at most 9 components: vectors and
// tensors), as fields by their names.
std::vector<PointField> point_fields_of(vtkDataObject* data) {
  std::vector<PointField> fields;
  auto* set = vtkDataSet::SafeDownCast(data);
  if (!set) return fields;
  vtkPointData* arrays = set->GetPointData();
  for (int a = 0; a < arrays->GetNumberOfArrays(); ++a) {
    vtkDataArray* array = arrays->GetArray(a);
    if (!array || array->GetNumberOfTuples() != set->GetNumberOfPoints() ||
        array->GetNumberOfComponents() < 1 || array->GetNumberOfComponents() > 9)
      continue;
    const char* name = array->GetName();
    fields.push_back({name && *name ? name : "array " + std::to_string(a), values_of(array)});
  }
  return fields;
}

PointSet from_vtk(vtkDataObject* data, const std::string& path) {
  PointSet set;
  set.pos = positions_of(vtkPointSet::SafeDownCast(data), path);
  set.surface = surface_of(data);
  set.fields = point_fields_of(data);
  return set;
}

// Drops a constant last coordinate (planar data is shown and partitioned as 2D).
torch::Tensor planar_to_2d(const torch::Tensor& pos) {
  if (pos.size(1) == 3 && pos.size(0) > 1 && (pos.select(1, 2) == pos[0][2]).all().item<bool>())
    return pos.slice(1, 0, 2).contiguous();
  return pos;
}

// Point files (erwin/point_io.h), with their clouds when there are several.
PointSet from_point_file(const std::string& path) {
  const PointCloud cloud = load_point_file(path);
  PointSet set;
  set.pos = cloud.positions;
  set.surface = cloud.faces ? triangles_of(*cloud.faces) : nullptr;
  if (cloud.batch_idx && cloud.batch_idx->numel() && (*cloud.batch_idx)[-1].item<int64_t>() > 0)
    set.file_batch_idx = *cloud.batch_idx;
  return set;
}

std::string folder_name(const std::filesystem::path& folder) {
  return std::filesystem::absolute(folder).lexically_normal().filename().string();
}

// The datasets' files (datasets/): each opens its sample's first frame, named after its folder.

// EAGLE: <simulation>/sim.npz beside triangles.npy; the first step's mesh.
bool is_eagle_simulation(const std::filesystem::path& file) {
  return file.filename() == "sim.npz" &&
         std::filesystem::exists(file.parent_path() / "triangles.npy");
}

// Every step, with the flow: velocity (VX, VY), the two pressure channels (PS, PG) and the node
// type; the mesh per step where it changes.
PointSet from_eagle_simulation(const std::filesystem::path& file) {
  const datasets::EagleSimulation sim =
      datasets::load_eagle_simulation(file.parent_path().string());
  PointSet set;
  set.pos = sim.positions[0];
  set.surface = triangles_of(sim.triangles[0]);
  set.frame_pos = sim.positions;
  if (!sim.triangles.eq(sim.triangles[0]).all().item<bool>()) set.frame_triangles = sim.triangles;
  set.frame_fields = {{"velocity", sim.state.slice(2, 0, 2)},
                      {"PS", sim.state.select(2, 2)},
                      {"PG", sim.state.select(2, 3)},
                      {"node type", sim.node_type.to(torch::kFloat32)}};
  set.series_name = "EAGLE " + folder_name(file.parent_path());
  set.frame_word = "step";
  return set;
}

PointSet from_npz(const std::string& path) {
  return is_eagle_simulation(path) ? from_eagle_simulation(path) : from_point_file(path);
}

// ShapeNet-Car: a car folder's mesh_points.th (pressure.th opens its car's points).
PointSet from_shapenet_car(const std::string& path) {
  std::filesystem::path file(path);
  if (file.filename() == "pressure.th") file.replace_filename("mesh_points.th");
  PointSet set;
  set.pos = datasets::load_torch_file(file.string(), "mesh_points");
  set.name = "ShapeNet-Car " + folder_name(file.parent_path());
  const std::filesystem::path pressure = file.parent_path() / "pressure.th";
  if (std::filesystem::exists(pressure)) {
    torch::Tensor values = datasets::load_torch_file(pressure.string(), "pressure").flatten();
    if (values.size(0) != set.pos.size(0))
      throw FormatError(pressure.string() + ": pressure: " + std::to_string(values.size(0)) +
                        " values for " + std::to_string(set.pos.size(0)) + " points");
    set.fields.push_back({"pressure", values.to(torch::kFloat32)});
  }
  return set;
}

// MD polymer: any of a trajectory folder's ptype.h5, bond.h5, position.h5; the first frame's
// beads with the bonds as lines.
PointSet from_md_trajectory(const std::string& path) {
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  const std::string name = std::filesystem::path(path).filename().string();
  if (name != "ptype.h5" && name != "bond.h5" && name != "position.h5")
    throw FormatError(path +
                      ": neither an Erwin export (no erwin_export_version attribute) nor a file "
                      "of an MD trajectory (ptype.h5, bond.h5, position.h5)");
  const datasets::MdTrajectory md = datasets::load_md_trajectory(folder.string());
  const torch::Tensor bonds = md.bonds.contiguous();
  const int64_t* ends = bonds.data_ptr<int64_t>();
  auto lines = vtkSmartPointer<vtkCellArray>::New();
  for (int64_t b = 0; b < bonds.size(0); ++b) {
    const vtkIdType cell[2] = {ends[2 * b], ends[2 * b + 1]};
    lines->InsertNextCell(2, cell);
  }
  auto beads = vtkSmartPointer<vtkCellArray>::New();
  for (vtkIdType i = 0; i < md.positions.size(1); ++i) beads->InsertNextCell(1, &i);
  PointSet set;
  set.pos = md.positions[0];
  set.surface = vtkSmartPointer<vtkPolyData>::New();
  set.surface->SetVerts(beads);
  set.surface->SetLines(lines);
  set.frame_pos = md.positions;
  const int64_t frames = md.positions.size(0);
  set.frame_fields = {{"bead type", md.node_type.to(torch::kFloat32).expand({frames, -1})}};
  set.series_name = "MD polymer " + folder_name(folder);
  return set;
}

// A model result's export (judged by content): its first frame's points and mesh.
PointSet from_result_export(const std::string& path, const InferenceResult& result) {
  const torch::Tensor triangles = result.triangles();
  PointSet set;
  set.pos = result.positions()[0];
  set.surface = triangles.defined() ? triangles_of(triangles[0]) : nullptr;
  set.name = std::filesystem::path(path).filename().string() + ", frame 1 of " +
             std::to_string(result.frame_count());
  return set;
}

// HDF5: an export of a model result, or a file of an MD trajectory.
PointSet from_hdf5(const std::string& path) {
  if (const std::optional<InferenceResult> result = read_result_file(path))
    return from_result_export(path, *result);
  return from_md_trajectory(path);
}

// The (timestep, file) entries of a .pvd, files resolved beside it.
std::vector<SeriesFrame> pvd_entries(const std::string& path) {
  QFile file(QString::fromStdString(path));
  if (!file.open(QIODevice::ReadOnly)) throw FormatError(path + ": cannot read the file");
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  QXmlStreamReader xml(&file);
  std::vector<SeriesFrame> frames;
  bool collection = false;
  while (!xml.atEnd()) {
    if (xml.readNext() != QXmlStreamReader::StartElement) continue;
    collection = collection || xml.name() == QLatin1String("Collection");
    if (xml.name() != QLatin1String("DataSet")) continue;
    const std::string name = xml.attributes().value("file").toString().toStdString();
    if (name.empty())
      throw FormatError(path + ": line " + std::to_string(xml.lineNumber()) +
                        ": a DataSet without a file");
    bool timed = false;
    const double time = xml.attributes().value("timestep").toDouble(&timed);
    frames.push_back({timed ? time : double(frames.size()), (folder / name).string(), nullptr});
  }
  if (xml.hasError())
    throw FormatError(path + ": not a ParaView collection: line " +
                      std::to_string(xml.lineNumber()) + ": " + xml.errorString().toStdString());
  if (!collection || frames.empty())
    throw FormatError(path + ": a ParaView collection (.pvd) without frames");
  return frames;
}

// The fields every frame has with the same shape, stacked over the frames.
std::vector<PointField> series_fields(const std::vector<PointSet>& frames) {
  std::vector<PointField> stacked;
  for (const PointField& field : frames[0].fields) {
    std::vector<torch::Tensor> values;
    for (const PointSet& frame : frames)
      for (const PointField& candidate : frame.fields)
        if (candidate.name == field.name && candidate.values.sizes() == field.values.sizes())
          values.push_back(candidate.values);
    if (values.size() == frames.size()) stacked.push_back({field.name, torch::stack(values)});
  }
  return stacked;
}

// A ParaView series whose frames have the same number of points is a time series (the first
// frame's mesh, the fields all frames have); other series are shown as clouds, one at a time.
PointSet from_paraview_series(const std::string& path) {
  const std::vector<SeriesFrame> frames = read_paraview_series(path);
  if (frames.size() == 1) return from_vtk(frames[0].data, frames[0].file);
  std::vector<PointSet> sets;
  for (const SeriesFrame& frame : frames) sets.push_back(from_vtk(frame.data, frame.file));
  const bool same_points = std::all_of(sets.begin(), sets.end(), [&](const PointSet& set) {
    return set.pos.sizes() == sets[0].pos.sizes();
  });
  if (same_points) {
    PointSet series;
    series.pos = sets[0].pos;
    series.surface = sets[0].surface;
    std::vector<torch::Tensor> positions;
    for (const PointSet& set : sets) positions.push_back(set.pos);
    series.frame_pos = torch::stack(positions);
    series.frame_fields = series_fields(sets);
    series.series_name = std::filesystem::path(path).filename().string();
    return series;
  }
  std::vector<torch::Tensor> positions, clouds;
  for (size_t t = 0; t < frames.size(); ++t) {
    positions.push_back(positions_of(vtkPointSet::SafeDownCast(frames[t].data), frames[t].file));
    clouds.push_back(torch::full({positions.back().size(0)}, int64_t(t), torch::kInt64));
  }
  PointSet set;
  set.pos = torch::cat(positions);
  set.file_batch_idx = torch::cat(clouds);
  return set;
}

using Loader = std::function<PointSet(const std::string&)>;

const std::map<std::string, Loader>& loaders() {
  static const std::map<std::string, Loader> table = {
      {".obj", [](const std::string& p) { return from_vtk(read_obj(p), p); }},
      {".stl", [](const std::string& p) { return from_vtk(read_stl(p), p); }},
      {".vtp",
       [](const std::string& p) { return from_vtk(read_with<vtkXMLPolyDataReader>(p), p); }},
      {".vtu",
       [](const std::string& p) {
         return from_vtk(read_with<vtkXMLUnstructuredGridReader>(p), p);
       }},
      {".vtk", [](const std::string& p) { return from_vtk(read_legacy_vtk(p), p); }},
      {".ply", from_point_file},
      {".npy", from_point_file},
      {".npz", from_npz},
      {".th", from_shapenet_car},
      {".h5", from_hdf5},
      {".hdf5", from_hdf5},
      {".pvd", from_paraview_series},
      {".xyz", from_point_file},
      {".csv", from_point_file},
      {".txt", from_point_file},
  };
  return table;
}

}  // namespace

namespace {

// Every frame's positions checked as the first's are, planar ones as 2D.
PointSet as_series(PointSet set, const std::string& path) {
  const int64_t frames = set.frame_pos.size(0), points = set.frame_pos.size(1);
  torch::Tensor all = set.frame_pos.to(torch::kFloat32).reshape({frames * points, -1});
  validate_point_cloud(PointCloud{all, {}, {}, {}, {}}, path);
  all = planar_to_2d(all.contiguous());
  set.frame_pos = all.reshape({frames, points, all.size(1)}).contiguous();
  for (PointField& field : set.frame_fields)
    if (field.values.size(0) != frames || field.values.size(1) != points)
      throw FormatError(path + ": " + field.name + ": values do not match the frames' points");
  if (set.series_name.empty()) set.series_name = set.file_name;
  return set;
}

}  // namespace

PointSet load_point_set(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw FormatError(path + ": no such file");
  const auto loader = loaders().find(lower_extension(path));
  if (loader == loaders().end())
    throw FormatError(path + ": unknown file type '" + lower_extension(path) + "'");
  PointSet set = loader->second(path);
  set.pos = set.pos.to(torch::kFloat32).contiguous();
  validate_point_cloud(PointCloud{set.pos, {}, {}, {}, {}}, path);
  set.pos = planar_to_2d(set.pos);
  set.file_name = std::filesystem::path(path).filename().string();
  if (set.name.empty()) set.name = set.file_name;
  if (set.frame_pos.defined()) return select_frame(as_series(std::move(set), path), 0);
  if (!set.file_batch_idx.defined()) return set;
  set.file_pos = set.pos;
  return select_cloud(set, 0);
}

torch::Tensor positions_of(vtkPointSet* data, const std::string& path) {
  vtkPoints* points = data ? data->GetPoints() : nullptr;
  const vtkIdType count = points ? points->GetNumberOfPoints() : 0;
  if (count == 0) throw FormatError(path + ": the file holds no points");
  torch::Tensor pos = torch::empty({count, 3}, torch::kFloat32);
  float* out = pos.data_ptr<float>();
  double p[3];
  for (vtkIdType i = 0; i < count; ++i) {
    points->GetPoint(i, p);
    for (int c = 0; c < 3; ++c) out[3 * i + c] = static_cast<float>(p[c]);
  }
  return pos;
}

std::vector<SeriesFrame> read_paraview_series(const std::string& path) {
  if (!std::filesystem::is_regular_file(path)) throw FormatError(path + ": no such file");
  std::vector<SeriesFrame> frames = pvd_entries(path);
  for (size_t t = 0; t < frames.size(); ++t) {
    const std::string& file = frames[t].file;
    if (!std::filesystem::is_regular_file(file))
      throw FormatError(path + ": frame " + std::to_string(t) + ": " + file + " is missing");
    try {
      frames[t].data = read_with<vtkXMLGenericDataObjectReader>(file);
    } catch (const FormatError& error) {
      throw FormatError(path + ": frame " + std::to_string(t) + ": " + error.what());
    }
    if (!vtkPointSet::SafeDownCast(frames[t].data))
      throw FormatError(path + ": frame " + std::to_string(t) + ": " + file +
                        " holds no point set (unstructured grid or polydata)");
  }
  return frames;
}

std::vector<std::string> supported_patterns() {
  std::vector<std::string> patterns;
  for (const auto& [extension, loader] : loaders()) patterns.push_back("*" + extension);
  return patterns;
}

}  // namespace erwin::ui
