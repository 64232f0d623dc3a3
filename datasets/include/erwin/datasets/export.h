#pragma once
// Exports of model results (inference.h) for other tools, and the reader that opens them again.
//
// HDF5 (one file per export, all arrays little-endian; T frames, N nodes, F triangles):
//   /                         attribute erwin_export_version (int64, 1)
//   (strings are variable-length UTF-8, as h5py writes them: h5py reads them back as str)
//   /eagle                    attributes simulation, start (first frame), steps (T - 1) (int64),
//                             checkpoint (string, may be empty)
//   /eagle/positions          float32 [T, N, 2]
//   /eagle/node_type          int64   [T, N]
//   /eagle/triangles          int64   [T, F, 3]   node indices; the mesh of each frame
//   /eagle/predicted/{vx,vy,ps,pg}   float32 [T, N]   frame 0 is the true state
//   /eagle/truth/{vx,vy,ps,pg}       float32 [T, N]
//   /eagle/error/{vx,vy,ps,pg}       float32 [T, N]   predicted - truth
//   /eagle/rmse_velocity, /eagle/rmse_pressure   float32 [T]
//   /shapenet                 attributes car (int64), mse (float64), checkpoint (string)
//   /shapenet/positions       float32 [N, 3] (normalised, as the model sees them)
//   /shapenet/{predicted,truth,error}   float32 [N] pressure; error = predicted - truth
//
// ParaView: VTK XML UnstructuredGrid files (.vtu, base64 binary, UInt64 headers), one per frame,
// named <stem>_<frame>.vtu beside the collection <stem>.pvd whose timesteps are the frames.
//   EAGLE: points (x, y, 0), triangle cells (triangles repeating a node are left out), point data
//     {vx,vy,ps,pg}_{predicted,truth,error}, velocity_magnitude_{predicted,truth},
//     velocity_error_magnitude (|v_predicted - v_truth|), node_type.
//   ShapeNet-Car: points, one vertex cell per point, pressure_{predicted,truth,error}.
//
// Every file is written atomically (erwin/atomic_file.h); the .pvd last, and when a step fails
// the step files already written by the call are removed. Inconsistent inputs throw
// std::invalid_argument, failed writes std::runtime_error naming the file.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "erwin/datasets/inference.h"

namespace erwin::datasets {

void write_eagle_rollout_h5(const std::string& path, const EagleRollout& rollout);
void write_shapenet_prediction_h5(const std::string& path, const ShapenetPrediction& prediction);

// Read an export back; erwin::FormatError naming the file and the dataset or attribute when the
// file is not an HDF5 file, lacks the group, or holds arrays of the wrong type or shape.
// Strings (checkpoint) may be variable- or fixed-length, ASCII or UTF-8, so that files written
// or rewritten with h5py read too.
EagleRollout read_eagle_rollout_h5(const std::string& path);
ShapenetPrediction read_shapenet_prediction_h5(const std::string& path);

// What an HDF5 file holds, judged by its content, whatever its name: an export (the root
// attribute erwin_export_version) of an EAGLE rollout or a ShapeNet-Car prediction, or nothing
// (std::nullopt) for a file that is not HDF5 or has no such attribute (e.g. an MD trajectory's
// files). FormatError naming the file for an HDF5 file that cannot be opened (truncated) or an
// export holding neither group.
enum class ExportKind { EagleRollout, ShapenetPrediction };
std::optional<ExportKind> hdf5_export_kind(const std::string& path);

// Called after each written .vtu with (files written, files in all).
using ExportProgress = std::function<void(int64_t done, int64_t total)>;

// Write the .vtu files and `pvd_path` (which must end in .pvd, in an existing directory);
// return the paths of the .vtu files.
std::vector<std::string> write_eagle_rollout_pvd(const std::string& pvd_path,
                                                 const EagleRollout& rollout,
                                                 const ExportProgress& progress = {});
std::vector<std::string> write_shapenet_prediction_pvd(const std::string& pvd_path,
                                                       const ShapenetPrediction& prediction);

}  // namespace erwin::datasets
