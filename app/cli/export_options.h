#pragma once
// The options `erwin rollout` and `erwin predict` share: which checkpoint and data, and where
// the results go (erwin/datasets/export.h).
#include "args.h"
#include "erwin/datasets/inference.h"

namespace erwin::cli {

// --checkpoint, --data, --split, --device, --output, --pvd.
void add_model_result_options(ArgParser& parser);

// Checks that --pvd ends in .pvd (UsageError naming `command`), creates the folder of --pvd
// (one level), and checks that --output and --pvd can be written (erwin::check_writable_target),
// so that a bad output path fails before the model runs.
void prepare_outputs(const ArgParser& parser, const std::string& command);

// Writes the HDF5 (--output) and ParaView (--pvd) exports that were asked for, with a progress
// bar over the .vtu files; prints each file written.
void export_results(const ArgParser& parser, const datasets::EagleRollout& rollout);
void export_results(const ArgParser& parser, const datasets::ShapenetPrediction& prediction);

}  // namespace erwin::cli
