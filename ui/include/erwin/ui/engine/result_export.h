#pragma once
// Saving a player's result for other tools through the data-set exports (erwin/datasets/export.h):
// the format follows the file name, .h5 / .hdf5 (HDF5) or .pvd (ParaView collection of .vtu).
#include <string>

#include "erwin/ui/engine/inference_result.h"

namespace erwin::ui {

// std::invalid_argument for another extension or an empty result.
void write_result_file(const InferenceResult& result, const std::string& path);

}  // namespace erwin::ui
