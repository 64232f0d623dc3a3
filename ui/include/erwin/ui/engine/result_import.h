#pragma once
// Model results saved by the Studio or by `erwin rollout` / `erwin predict` (result_export.h,
// erwin/datasets/export.h), read back for the rollout player. Judged by content, not by name:
//   HDF5: the root attribute erwin_export_version (whatever the extension), then its group;
//   ParaView collection (.pvd): frames carrying the export's point arrays (EAGLE:
//     {vx,vy,ps,pg}_{predicted,truth} and node_type on triangle cells; ShapeNet-Car:
//     pressure_{predicted,truth}, one frame). The first timestep is the first frame; the
//     simulation or car is not in these files (-1), the per-step RMSE and the MSE are recomputed.
#include <optional>
#include <string>

#include "erwin/ui/engine/inference_result.h"

namespace erwin::ui {

// std::nullopt for a file that holds no model result (an MD trajectory's .h5, a point file, a
// ParaView series of other data); erwin::FormatError naming the file (and frame, array or
// attribute) when it holds a broken one.
std::optional<InferenceResult> read_result_file(const std::string& path);

}  // namespace erwin::ui
