#include "export_options.h"

#include <cstdio>
#include <filesystem>

#include "erwin/atomic_file.h"
#include "erwin/datasets/export.h"
#include "progress.h"

namespace erwin::cli {
namespace {

// The folder of a ParaView series (it holds one file per frame) is created when missing, but
// only that one level: a mistyped path must not create a chain of folders (e.g. /nonexistent).
void create_series_folder(const std::string& path) {
  const std::filesystem::path folder = std::filesystem::path(path).parent_path();
  if (folder.empty() ||
      !std::filesystem::is_directory(folder.parent_path().empty() ? std::filesystem::path(".")
                                                                  : folder.parent_path()))
    return;  // check_writable_target names the missing folder
  std::error_code error;
  std::filesystem::create_directory(folder, error);
  if (error)
    throw std::runtime_error(path + ": cannot create the folder '" + folder.string() +
                             "': " + error.message());
}

template <typename Result, typename WriteH5, typename WritePvd>
void export_with(const ArgParser& parser, const Result& result, WriteH5 write_h5,
                 WritePvd write_pvd) {
  if (parser.has("output")) {
    const std::string path = parser.text("output");
    write_h5(path, result);
    std::printf("wrote %s\n", path.c_str());
  }
  if (parser.has("pvd")) {
    const std::string path = parser.text("pvd");
    const auto files = write_pvd(path, result);
    std::printf("wrote %s (%zu .vtu files)\n", path.c_str(), files.size());
  }
}

}  // namespace

void add_model_result_options(ArgParser& parser) {
  parser.option("checkpoint", "file", "training checkpoint (erwin train)")
      .option("data", "dir", "data set root")
      .option("split", "train|valid|test", "split of the data set", "test")
      .option("device", "cpu|cuda", "where the model runs", "cpu")
      .option("precision", "fp32|bf16", "bf16: autocast to bfloat16 (float32 weights)", "fp32")
      .option("output", "file.h5", "write the results to this HDF5 file")
      .option("pvd", "dir/name.pvd", "write ParaView files: name.pvd and name_<frame>.vtu");
}

void prepare_outputs(const ArgParser& parser, const std::string& command) {
  if (parser.has("pvd") && std::filesystem::path(parser.text("pvd")).extension() != ".pvd")
    throw UsageError("erwin " + command + ": option --pvd: '" + parser.text("pvd") +
                     "' does not end in .pvd");
  if (parser.has("pvd")) create_series_folder(parser.text("pvd"));
  for (const char* option : {"output", "pvd"})
    if (parser.has(option)) check_writable_target(parser.text(option));
}

void export_results(const ArgParser& parser, const datasets::EagleRollout& rollout) {
  export_with(parser, rollout, datasets::write_eagle_rollout_h5,
              [](const std::string& path, const datasets::EagleRollout& r) {
                ProgressBar bar("vtu", r.positions.size(0));
                auto files = datasets::write_eagle_rollout_pvd(
                    path, r, [&](int64_t done, int64_t) { bar.update(done); });
                bar.finish();
                return files;
              });
}

void export_results(const ArgParser& parser, const datasets::ShapenetPrediction& prediction) {
  export_with(parser, prediction, datasets::write_shapenet_prediction_h5,
              [](const std::string& path, const datasets::ShapenetPrediction& p) {
                return datasets::write_shapenet_prediction_pvd(path, p);
              });
}

}  // namespace erwin::cli
