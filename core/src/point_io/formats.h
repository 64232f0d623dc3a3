#pragma once
// The per-format readers and writers behind erwin/point_io.h (internal to erwin_core).
#include <string>

#include "erwin/point_io.h"

namespace erwin::point_io {

inline const char* const kCoordinateNames[] = {"x", "y", "z"};

[[noreturn]] void fail(const std::string& what, const std::string& message);

// The name a writer gives feature column `j`: cloud.feature_names[j], else "f<j>".
std::string feature_name(const PointCloud& cloud, int64_t j);

// `bytes` is the whole file, `path` names it in errors.
PointCloud parse_ply(const std::string& bytes, const std::string& path);
PointCloud parse_text(const std::string& bytes, const std::string& path, bool comma_separated);

std::string serialize_ply(const PointCloud& cloud);
std::string serialize_text(const PointCloud& cloud, bool csv);

}  // namespace erwin::point_io
