#include "erwin/datasets/shapenet_car.h"

#include <algorithm>
#include <filesystem>
#include <stdexcept>

#include "checks.h"
#include "erwin/atomic_file.h"
#include "erwin/graphs.h"
#include "erwin/torch_pickle.h"

namespace erwin::datasets {

using detail::Kind;
namespace fs = std::filesystem;

const std::vector<int64_t>& shapenet_car_test_indices() {
  // torch.randperm(889, generator=torch.Generator().manual_seed(0))[:189], sorted.
  static const std::vector<int64_t> indices = {
      4,   5,   8,   11,  14,  15,  16,  21,  38,  41,  55,  62,  65,  72,  73,  81,  84,  87,  88,
      96,  98,  99,  101, 108, 109, 111, 112, 113, 114, 116, 118, 120, 121, 123, 129, 133, 134, 135,
      140, 142, 155, 156, 162, 163, 168, 174, 177, 181, 182, 188, 189, 190, 195, 203, 209, 210, 212,
      216, 218, 222, 227, 229, 239, 250, 257, 259, 274, 294, 303, 316, 317, 318, 320, 333, 334, 338,
      341, 344, 346, 348, 349, 352, 353, 356, 363, 367, 373, 384, 385, 387, 399, 401, 407, 411, 412,
      417, 427, 445, 447, 462, 464, 474, 479, 495, 496, 500, 505, 508, 512, 515, 517, 518, 523, 525,
      528, 531, 537, 542, 546, 547, 550, 551, 555, 580, 584, 592, 602, 607, 615, 620, 623, 628, 631,
      632, 641, 644, 645, 646, 650, 651, 653, 656, 658, 662, 663, 664, 665, 669, 671, 676, 678, 699,
      708, 713, 714, 720, 723, 725, 732, 734, 745, 746, 749, 758, 764, 765, 767, 770, 773, 779, 786,
      788, 790, 798, 805, 808, 809, 821, 828, 829, 836, 837, 840, 843, 849, 854, 876, 877, 878};
  return indices;
}

std::vector<std::string> shapenet_car_folders(const std::string& root) {
  std::vector<std::string> cars;
  for (int64_t param = 0; param < kShapenetParamFolders; ++param) {
    const std::string folder = root + "/param" + std::to_string(param);
    if (!fs::is_directory(folder)) detail::format_error(folder, "param folder", "not found");
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(folder))
      if (entry.is_directory()) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());  // byte order, as Python's sorted(os.listdir())
    for (const std::string& name : names) cars.push_back(folder + "/" + name);
  }
  return cars;
}

std::vector<int64_t> shapenet_car_split_indices(int64_t car_count, Split split) {
  const auto& test = shapenet_car_test_indices();
  std::vector<bool> is_test(car_count, false);
  for (int64_t index : test)
    if (index < car_count) is_test[index] = true;
  std::vector<int64_t> chosen;
  for (int64_t index = 0; index < car_count; ++index)
    if (is_test[index] == (split != Split::Train)) chosen.push_back(index);
  return chosen;
}

torch::Tensor shapenet_normalise_positions(const torch::Tensor& positions) {
  const torch::Tensor low = torch::tensor({-2.0, -1.0, -4.5}, positions.options());
  const torch::Tensor high = torch::tensor({2.0, 4.5, 6.0}, positions.options());
  return ((positions - low) / (high - low) - 0.4063) / 0.1531;
}

namespace {
constexpr double kPressureMean = -36.3099;
constexpr double kPressureStd = 48.5743;
}  // namespace

torch::Tensor shapenet_normalise_pressure(const torch::Tensor& pressure) {
  return (pressure - kPressureMean) / kPressureStd;
}

torch::Tensor shapenet_denormalise_pressure(const torch::Tensor& pressure) {
  return pressure * kPressureStd + kPressureMean;
}

torch::Tensor shapenet_denormalised_mse(const torch::Tensor& predicted,
                                        const torch::Tensor& target) {
  return (predicted * kPressureStd - target * kPressureStd).pow(2).mean();
}

torch::Tensor load_torch_file(const std::string& path, const std::string& field) {
  detail::require_file(path, field);
  // The project's checked reader: torch::pickle_load trusts the archive's sizes and CRCs.
  torch::IValue value;
  try {
    value = load_torch_pickle(path);
  } catch (const FormatError& error) {
    throw FormatError(std::string(error.what()) + " (field '" + field + "')");
  }
  if (!value.isTensor())
    detail::format_error(path, field, "expected a tensor, found " + value.tagKind());
  return value.toTensor();
}

void save_torch_file(const std::string& path, const torch::Tensor& tensor) {
  const std::vector<char> bytes = torch::pickle_save(tensor.contiguous());
  write_file_atomically(path, std::string(bytes.begin(), bytes.end()));
}

ShapenetCarDataset ShapenetCarDataset::open(const std::string& root, const std::string& split,
                                            ShapenetCarOptions options) {
  const Split parsed = parse_split(split);
  if (parsed == Split::Valid)
    throw std::invalid_argument(
        "ShapeNet-Car has train and test splits only (the published "
        "experiments validate on test)");
  const std::vector<std::string> all = shapenet_car_folders(root);
  if (all.empty()) detail::format_error(root, "param folders", "contain no car folders");
  std::vector<std::string> cars;
  for (int64_t index : shapenet_car_split_indices(static_cast<int64_t>(all.size()), parsed))
    cars.push_back(all[index]);
  if (cars.empty())
    detail::format_error(
        root, "param folders",
        "too few cars (" + std::to_string(all.size()) + ") for a " + split + " split");
  return ShapenetCarDataset(std::move(cars), parsed, options);
}

Sample ShapenetCarDataset::get(int64_t index) const {
  if (index < 0 || index >= size())
    throw std::out_of_range("ShapenetCarDataset: index " + std::to_string(index) + " out of " +
                            std::to_string(size()));
  const std::string points_path = cars_[index] + "/mesh_points.th";
  const std::string pressure_path = cars_[index] + "/pressure.th";
  const torch::Tensor points = load_torch_file(points_path, "mesh_points");
  detail::require_array(points, Kind::Floating, {-1, 3}, points_path, "mesh_points");
  const torch::Tensor pressure = load_torch_file(pressure_path, "pressure");
  detail::require_array(pressure, Kind::Floating, {points.size(0)}, pressure_path, "pressure");

  Sample sample;
  sample.node_positions = shapenet_normalise_positions(points.to(torch::kFloat));
  sample.node_features = sample.node_positions;
  sample.targets = shapenet_normalise_pressure(pressure.to(torch::kFloat)).unsqueeze(1);
  return sample;
}

Batch ShapenetCarDataset::collate(const std::vector<Sample>& samples) const {
  Batch batch = datasets::collate(samples);
  if (options_.knn > 0)
    batch.edge_index =
        knn_graph(batch.node_positions, batch.batch_idx, options_.knn, options_.self_loops);
  return batch;
}

}  // namespace erwin::datasets
