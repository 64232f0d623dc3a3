#include "erwin/training/run_preparation.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "erwin/errors.h"
#include "erwin/training/run_log.h"

namespace erwin {
namespace {

namespace fs = std::filesystem;

std::string timestamp() {
  const std::time_t now = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm local{};
  localtime_r(&now, &local);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%d-%H%M%S", &local);
  return text;
}

std::string fit_warmup(RunConfig& config) {
  ScheduleSettings& schedule = config.schedule;
  if (schedule.warmup_steps <= config.steps) return "";
  const std::string warning = "the warm-up (" + std::to_string(schedule.warmup_steps) +
                              " steps) is longer than the run (" + std::to_string(config.steps) +
                              " steps): shortened to " + std::to_string(config.steps) + " steps";
  schedule.warmup_steps = config.steps;
  return warning;
}

std::string default_checkpoint(const RunConfig& config, const std::string& runs_root) {
  const std::string name = config.name.empty() ? "run" : config.name;
  return (fs::path(runs_root) / (name + "-" + timestamp()) / (name + ".ckpt")).string();
}

void create_writable_folder(const std::string& folder) {
  std::error_code error;
  fs::create_directories(folder, error);
  if (error)
    throw std::invalid_argument(folder + ": cannot create the run folder (" + error.message() +
                                ")");
  // Checkpoints are written next to themselves and renamed (atomic_file.h): try exactly that.
  const std::string probe =
      (fs::path(folder) / (".write-test." + std::to_string(getpid()))).string();
  std::FILE* file = std::fopen(probe.c_str(), "wb");
  if (!file)
    throw std::invalid_argument(folder + ": the run folder is not writable (" +
                                std::strerror(errno) + ")");
  std::fclose(file);
  std::remove(probe.c_str());
}

// "" when the folder holds no record, or the record of this same checkpoint.
std::string other_record(const std::string& folder, const std::string& checkpoint) {
  if (!fs::exists(fs::path(folder) / kRunFileName)) return "";
  try {
    const RunSummary summary = read_run_summary(folder);
    if (summary.checkpoint == checkpoint) return "";
    return folder + " held the record of " + summary.checkpoint + " (run '" + summary.config.name +
           "'); this run replaces it";
  } catch (const std::invalid_argument& e) {  // a record that does not parse
    return std::string(e.what()) + "; this run replaces it";
  } catch (const FormatError& e) {  // one that cannot be read (not a regular file, too large)
    return std::string(e.what()) + "; this run replaces it";
  }
}

}  // namespace

std::vector<std::string> prepare_run(RunConfig& config, const std::string& default_runs_root) {
  std::vector<std::string> warnings;
  if (std::string warning = fit_warmup(config); !warning.empty()) warnings.push_back(warning);
  if (config.checkpoint_path.empty()) {
    config.checkpoint_path = default_checkpoint(config, default_runs_root);
    warnings.push_back("no checkpoint path configured: the run is saved in " +
                       run_folder_of(config.checkpoint_path));
  }
  config.validate();
  if (fs::is_directory(config.checkpoint_path))
    throw std::invalid_argument(config.checkpoint_path +
                                ": the checkpoint path is a folder (give a file name in it)");
  const std::string folder = run_folder_of(config.checkpoint_path);
  create_writable_folder(folder);
  const std::string other =
      other_record(folder, fs::path(config.checkpoint_path).filename().string());
  if (!other.empty()) warnings.push_back(other);
  return warnings;
}

}  // namespace erwin
