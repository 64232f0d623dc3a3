#pragma once
// Point clouds from and to files, chosen by extension:
//   .npy  float array [N, 2] or [N, 3] (positions only)
//   .npz  members node_positions | pos | points (required), node_features, batch_idx, faces
//   .ply  ascii, binary_little_endian or binary_big_endian; vertex x y [z] (float or double),
//         every other scalar vertex property becomes a feature column; face vertex_indices
//         lists become triangles (polygons fan-triangulated)
//   .xyz .csv .txt  one point per line, whitespace or comma separated, '#' comments, an
//         optional header line; 2 or 3 coordinate columns (3 unless a header names only x, y
//         or there are only 2 columns), the remaining columns are features, a column headed
//         batch_idx gives the cloud of each point
// Every problem (missing or truncated file, malformed line, wrong shape, non-finite
// coordinate, empty cloud) throws erwin::FormatError naming the file, the line or element,
// and the field.
#include <torch/torch.h>

#include <optional>
#include <string>
#include <vector>

#include "erwin/errors.h"

namespace erwin {

struct PointCloud {
  torch::Tensor positions;                 // float32 [N, d], d = 2 or 3, finite, N > 0
  std::optional<torch::Tensor> features;   // float32 [N, C]
  std::vector<std::string> feature_names;  // C names where the format has them, else empty
  std::optional<torch::Tensor> batch_idx;  // int64 [N], non-decreasing from 0
  std::optional<torch::Tensor> faces;      // int64 [F, 3] vertex indices (meshes only)
};

PointCloud load_point_file(const std::string& path);

// Writes .npy (positions only), .npz, .ply (binary little-endian), .xyz (space separated)
// or .csv (with a header line); atomically. Checks the cloud first (std::invalid_argument).
void save_point_file(const std::string& path, const PointCloud& cloud);

// The checks load_point_file applies, for clouds built in memory; `what` names the source.
void validate_point_cloud(const PointCloud& cloud, const std::string& what);

}  // namespace erwin
