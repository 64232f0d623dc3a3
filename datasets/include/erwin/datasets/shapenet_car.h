#pragma once
// ShapeNet-Car (the UPT preprocessing used by Erwin): <root>/param0 … param8, each holding car
// folders with mesh_points.th (float [3586, 3]) and pressure.th (float [3586]) written by
// torch.save. Cars are numbered in folder order: param0..param8, each one's subfolders sorted by
// name; the published split tests on 189 of the 889 cars and trains on the other 700.
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>

#include "erwin/datasets/sample.h"

namespace erwin::datasets {

constexpr int64_t kShapenetCarCount = 889;
constexpr int64_t kShapenetParamFolders = 9;

// The published test indices (ascending), into the folder order above.
const std::vector<int64_t>& shapenet_car_test_indices();

// The car folders under root in the published order (erwin::FormatError when a param folder is
// missing).
std::vector<std::string> shapenet_car_folders(const std::string& root);

// Indices of `split` among `car_count` cars: for 889 cars exactly the published split; for a
// smaller (synthetic) set the published test indices below car_count, the rest training.
std::vector<int64_t> shapenet_car_split_indices(int64_t car_count, Split split);

// SPEC §4: positions to [0, 1] over the domain [-2,-1,-4.5]..[2,4.5,6], then
// (p - 0.4063) / 0.1531; pressure (p + 36.3099) / 48.5743.
torch::Tensor shapenet_normalise_positions(const torch::Tensor& positions);
torch::Tensor shapenet_normalise_pressure(const torch::Tensor& pressure);
torch::Tensor shapenet_denormalise_pressure(const torch::Tensor& pressure);
// The published ShapenetCarModel.denorm_mse: the MSE of normalised pressures in the data's
// units, (48.5743 (p - q))^2 averaged (the mean cancels).
torch::Tensor shapenet_denormalised_mse(const torch::Tensor& predicted, const torch::Tensor& target);

// A tensor file in torch.save's format (LibTorch pickle), read and written; `field` names the
// content in error messages.
torch::Tensor load_torch_file(const std::string& path, const std::string& field);
void save_torch_file(const std::string& path, const torch::Tensor& tensor);  // atomic

struct ShapenetCarOptions {
  int64_t knn = 8;         // neighbours of the k-NN graph built in collate (0: no graph)
  bool self_loops = true;  // the published graph includes each node itself
};

// A sample is one car: node_positions = node_features = normalised positions [N, 3],
// targets = normalised pressure [N, 1]; no edges (collate builds the k-NN graph of the batch).
class ShapenetCarDataset {
 public:
  static ShapenetCarDataset open(const std::string& root, const std::string& split,
                                 ShapenetCarOptions options = {});

  int64_t size() const { return static_cast<int64_t>(cars_.size()); }
  Sample get(int64_t index) const;
  Batch collate(const std::vector<Sample>& samples) const;

  const std::vector<std::string>& cars() const { return cars_; }
  Split split() const { return split_; }

 private:
  ShapenetCarDataset(std::vector<std::string> cars, Split split, ShapenetCarOptions options)
      : cars_(std::move(cars)), split_(split), options_(options) {}

  std::vector<std::string> cars_;
  Split split_;
  ShapenetCarOptions options_;
};

}  // namespace erwin::datasets
