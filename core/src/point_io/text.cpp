// Plain-text point tables (.xyz, .txt, .csv): one point per line, an optional header line.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "erwin/io_util.h"
#include "formats.h"

namespace erwin::point_io {
namespace {

std::vector<std::string> split(const std::string& line, bool commas) {
  std::vector<std::string> tokens;
  if (commas) {
    size_t start = 0;
    for (size_t comma; (comma = line.find(',', start)) != std::string::npos; start = comma + 1)
      tokens.push_back(trim(line.substr(start, comma - start)));
    tokens.push_back(trim(line.substr(start)));
  } else {
    size_t pos = 0;
    while (true) {
      while (pos < line.size() && std::isspace(static_cast<unsigned char>(line[pos]))) ++pos;
      if (pos == line.size()) break;
      const size_t start = pos;
      while (pos < line.size() && !std::isspace(static_cast<unsigned char>(line[pos]))) ++pos;
      tokens.push_back(line.substr(start, pos - start));
    }
  }
  return tokens;
}

// Locale-independent; accepts a leading '+' (which std::from_chars does not).
bool parse_number(const std::string& token, double& value) {
  const char* begin = token.data() + (!token.empty() && token[0] == '+' ? 1 : 0);
  const char* end = token.data() + token.size();
  const auto result = std::from_chars(begin, end, value);
  return begin != end && result.ec == std::errc() && result.ptr == end;
}

struct Line {
  size_t number;  // 1-based
  std::vector<std::string> tokens;
};

// Non-empty, non-comment lines split into tokens.
std::vector<Line> data_lines(const std::string& bytes, bool commas) {
  std::vector<Line> lines;
  size_t number = 0;
  for (size_t start = 0; start < bytes.size();) {
    size_t end = bytes.find('\n', start);
    if (end == std::string::npos) end = bytes.size();
    ++number;
    const std::string line = trim(bytes.substr(start, end - start));
    start = end + 1;
    if (line.empty() || line[0] == '#') continue;
    lines.push_back({number, split(line, commas)});
  }
  return lines;
}

struct Columns {
  std::vector<std::string> names;  // from the header, else empty
  int64_t dims = 3;
  int64_t batch_column = -1;
};

Columns column_layout(const std::vector<std::string>& header, size_t count) {
  Columns layout;
  layout.names = header;
  for (auto& name : layout.names) name = lower_case(name);
  const bool xy_header =
      count >= 2 && !header.empty() && layout.names[0] == "x" && layout.names[1] == "y";
  const bool no_z = count < 3 || (xy_header && layout.names[2] != "z");
  layout.dims = no_z ? 2 : 3;
  for (size_t c = layout.dims; c < layout.names.size(); ++c)
    if (layout.names[c] == "batch_idx" || layout.names[c] == "batch") layout.batch_column = c;
  return layout;
}

std::string column_label(const Columns& layout, size_t column) {
  std::string label = "column " + std::to_string(column + 1);
  if (column < layout.names.size()) label += " ('" + layout.names[column] + "')";
  return label;
}

}  // namespace

PointCloud parse_text(const std::string& bytes, const std::string& path, bool comma_separated) {
  const bool commas = comma_separated || bytes.find(',') != std::string::npos;
  std::vector<Line> lines = data_lines(bytes, commas);
  if (lines.empty()) fail(path, "empty point cloud (no data lines)");

  double unused;
  const std::vector<std::string> first = lines.front().tokens;
  // A header line holds names only: a line mixing names and numbers is a malformed data line.
  const bool has_header = std::none_of(
      first.begin(), first.end(), [&](const std::string& t) { return parse_number(t, unused); });
  const size_t columns = first.size();
  const Columns layout = column_layout(has_header ? first : std::vector<std::string>{}, columns);
  if (has_header) lines.erase(lines.begin());
  if (columns < 2)
    fail(path + ":" + std::to_string(lines.empty() ? 1 : lines[0].number),
         "expected at least 2 coordinate columns, found " + std::to_string(columns));
  if (lines.empty()) fail(path, "empty point cloud (only a header line)");

  const int64_t n = static_cast<int64_t>(lines.size());
  const int64_t feature_count =
      static_cast<int64_t>(columns) - layout.dims - (layout.batch_column >= 0 ? 1 : 0);
  auto positions = torch::empty({n, layout.dims}, torch::kFloat);
  auto features = torch::empty({n, feature_count}, torch::kFloat);
  auto batch = torch::zeros({n}, torch::kLong);
  auto pos_a = positions.accessor<float, 2>();
  auto feat_a = features.accessor<float, 2>();
  auto batch_a = batch.accessor<int64_t, 1>();

  for (int64_t i = 0; i < n; ++i) {
    const Line& line = lines[i];
    const std::string where = path + ":" + std::to_string(line.number);
    if (line.tokens.size() != columns)
      fail(where, std::to_string(line.tokens.size()) + " columns, expected " +
                      std::to_string(columns) + " like the first line");
    int64_t feature = 0;
    for (size_t c = 0; c < columns; ++c) {
      double value;
      if (!parse_number(line.tokens[c], value))
        fail(where, column_label(layout, c) + ": '" + line.tokens[c] + "' is not a number");
      if (static_cast<int64_t>(c) < layout.dims) {
        if (!std::isfinite(value))
          fail(where, column_label(layout, c) + ": coordinate is not finite");
        pos_a[i][c] = static_cast<float>(value);
      } else if (static_cast<int64_t>(c) == layout.batch_column) {
        if (value != std::floor(value) || value < 0)
          fail(where, column_label(layout, c) + ": batch index must be a non-negative integer");
        batch_a[i] = static_cast<int64_t>(value);
      } else {
        feat_a[i][feature++] = static_cast<float>(value);
      }
    }
  }

  PointCloud cloud;
  cloud.positions = positions;
  if (feature_count > 0) {
    cloud.features = features;
    for (size_t c = layout.dims; c < layout.names.size(); ++c)
      if (static_cast<int64_t>(c) != layout.batch_column) cloud.feature_names.push_back(first[c]);
  }
  if (layout.batch_column >= 0) cloud.batch_idx = batch;
  return cloud;
}

std::string serialize_text(const PointCloud& cloud, bool csv) {
  const char separator = csv ? ',' : ' ';
  const int64_t n = cloud.positions.size(0), d = cloud.positions.size(1);
  const auto pos = cloud.positions.to(torch::kDouble).contiguous();
  const auto features = cloud.features ? cloud.features->to(torch::kDouble).contiguous()
                                       : torch::empty({n, 0}, torch::kDouble);
  const int64_t c = features.size(1);
  const bool several_clouds = cloud.batch_idx && cloud.batch_idx->max().item<int64_t>() > 0;
  if (several_clouds && !csv)
    throw std::invalid_argument(
        "save_point_file: .xyz has no header to hold batch_idx; use .csv or .npz");

  std::string out;
  if (csv) {
    out += d == 3 ? "x,y,z" : "x,y";
    for (int64_t j = 0; j < c; ++j) {
      out += ',';
      out += feature_name(cloud, j);
    }
    if (cloud.batch_idx) out += ",batch_idx";
    out += '\n';
  }
  const double* p = pos.data_ptr<double>();
  const double* f = features.data_ptr<double>();
  const auto batch = cloud.batch_idx ? cloud.batch_idx->to(torch::kLong).contiguous()
                                     : torch::zeros({n}, torch::kLong);
  const int64_t* b = batch.data_ptr<int64_t>();
  char buffer[32];
  // 9 significant digits restore a float32 exactly; std::to_chars ignores the C locale.
  auto append = [&](double value, bool first) {
    if (!first) out += separator;
    out.append(
        buffer,
        std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::general, 9).ptr);
  };
  for (int64_t i = 0; i < n; ++i) {
    for (int64_t j = 0; j < d; ++j) append(p[i * d + j], j == 0);
    for (int64_t j = 0; j < c; ++j) append(f[i * c + j], false);
    if (csv && cloud.batch_idx) out += separator + std::to_string(b[i]);
    out += '\n';
  }
  return out;
}

}  // namespace erwin::point_io
