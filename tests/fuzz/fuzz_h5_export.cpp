// HDF5 exports of model results (erwin rollout / predict, the Studio): what the file holds, then
// the EAGLE rollout or ShapeNet-Car prediction reader it names.
// The readers run libhdf5 in a forked child first (check_hdf5_in_child,
// datasets/src/hdf5_support.h): libhdf5's own crashes, huge mallocs and hangs there become the
// reader's FormatError, so this exercises that protection too; what remains a finding is a fault in
// the process itself.
#include "erwin/datasets/export.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace erwin::datasets;
  const std::string path =
      erwin::fuzz::write_scratch("input.h5", erwin::fuzz::as_string(data, size));
  erwin::fuzz::expect_clean([&] {
    const std::optional<ExportKind> kind = hdf5_export_kind(path);
    if (kind == ExportKind::EagleRollout) read_eagle_rollout_h5(path);
    if (kind == ExportKind::ShapenetPrediction) read_shapenet_prediction_h5(path);
  });
  return 0;
}
