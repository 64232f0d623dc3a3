#pragma once
// VTK XML files written without VTK: an UnstructuredGrid (.vtu) with base64 binary arrays
// (UInt64 headers, little-endian) and a collection (.pvd) of such files over time.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

namespace erwin::datasets::detail {

// VTK cell type codes (vtkCellType.h).
constexpr uint8_t kVtkVertex = 1;
constexpr uint8_t kVtkTriangle = 5;

struct VtuArray {
  std::string name;
  torch::Tensor values;  // [P] or [P, components]; float32, float64, int32, int64 or uint8
};

struct VtuGrid {
  torch::Tensor points;        // float32 [P, 3]
  torch::Tensor connectivity;  // int64 [sum of cell sizes]: point indices, cell after cell
  torch::Tensor offsets;       // int64 [C]: end of each cell in connectivity
  torch::Tensor types;         // uint8 [C]: VTK cell types
  std::vector<VtuArray> point_data;
};

std::string vtu_document(const VtuGrid& grid);

struct PvdEntry {
  double time;
  std::string file;  // relative to the .pvd
};
std::string pvd_document(const std::vector<PvdEntry>& entries);

}  // namespace erwin::datasets::detail
