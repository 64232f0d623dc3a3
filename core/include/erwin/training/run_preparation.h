#pragma once
// The checks `erwin train` and the Studio's Training dock make before the first step, so that a
// run does not fail, or lose what it trained, because of something that was known beforehand.
#include <string>
#include <vector>

#include "erwin/training/run_config.h"

namespace erwin {

// Makes `config` ready to train and returns the warnings to show:
// - a warm-up longer than the run (e.g. fewer steps asked for than the configuration's warm-up)
//   is shortened to the run's length;
// - without a checkpoint path, the run gets its own folder
//   `default_runs_root`/<name>-<yyyymmdd-hhmmss>/<name>.ckpt (a run always leaves a checkpoint
//   and its record, see run_log.h);
// - the checkpoint's folder is created and must be writable;
// - a folder holding the record of another checkpoint is named (this run replaces that record).
// Then validates `config`. std::invalid_argument naming the field or the path otherwise.
std::vector<std::string> prepare_run(RunConfig& config, const std::string& default_runs_root);

}  // namespace erwin
