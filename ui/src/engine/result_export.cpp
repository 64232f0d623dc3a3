#include "erwin/ui/engine/result_export.h"

#include <filesystem>
#include <stdexcept>

#include "erwin/datasets/export.h"

namespace erwin::ui {

void write_result_file(const InferenceResult& result, const std::string& path) {
  const std::string extension = std::filesystem::path(path).extension().string();
  const bool hdf5 = extension == ".h5" || extension == ".hdf5";
  if (!hdf5 && extension != ".pvd")
    throw std::invalid_argument(path + ": choose a .h5, .hdf5 or .pvd file");
  if (result.eagle) {
    hdf5 ? datasets::write_eagle_rollout_h5(path, *result.eagle)
         : (void)datasets::write_eagle_rollout_pvd(path, *result.eagle);
  } else if (result.shapenet) {
    hdf5 ? datasets::write_shapenet_prediction_h5(path, *result.shapenet)
         : (void)datasets::write_shapenet_prediction_pvd(path, *result.shapenet);
  } else {
    throw std::invalid_argument(path + ": nothing to export yet");
  }
}

}  // namespace erwin::ui
