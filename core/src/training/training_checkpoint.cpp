#include "erwin/training/training_checkpoint.h"

#include <fstream>

#include "erwin/atomic_file.h"
#include "erwin/npy.h"

namespace erwin {
namespace {

constexpr const char* kFormat = "erwin-training-checkpoint";
constexpr int64_t kVersion = 1;

std::string read_string(torch::serialize::InputArchive& archive, const char* key) {
  c10::IValue value;
  archive.read(key, value);
  return value.toStringRef();
}

int64_t read_int(torch::serialize::InputArchive& archive, const char* key) {
  c10::IValue value;
  archive.read(key, value);
  return value.toInt();
}

double read_double(torch::serialize::InputArchive& archive, const char* key) {
  c10::IValue value;
  archive.read(key, value);
  return value.toDouble();
}

}  // namespace

void write_training_checkpoint(const std::string& file, const TrainingState& state,
                               const torch::nn::Module& model,
                               const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive;
  archive.write("format", c10::IValue(std::string(kFormat)));
  archive.write("version", c10::IValue(kVersion));
  archive.write("run_config", c10::IValue(state.run_config.to_json()));
  archive.write("schedule", c10::IValue(state.schedule.to_json()));
  archive.write("step", c10::IValue(state.step));
  // IValue has no unsigned integers: the seed's bits travel as int64.
  archive.write("seed", c10::IValue(static_cast<int64_t>(state.seed)));
  archive.write("elapsed_seconds", c10::IValue(state.elapsed_seconds));
  archive.write("metrics", c10::IValue(state.history.to_json()));
  torch::serialize::OutputArchive model_archive, optimizer_archive;
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.save_to(file);
}

void save_training_checkpoint(const std::string& path, const TrainingState& state,
                              const torch::nn::Module& model,
                              const torch::optim::Optimizer& optimizer) {
  write_file_atomically(path, [&](const std::string& temp) {
    write_training_checkpoint(temp, state, model, optimizer);
  });
}

TrainingState load_training_checkpoint(const std::string& path, torch::nn::Module* model,
                                       torch::optim::Optimizer* optimizer,
                                       std::optional<torch::Device> device) {
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, device);
    if (read_string(archive, "format") != kFormat || read_int(archive, "version") != kVersion)
      throw FormatError(path + ": not an erwin training checkpoint (format/version)");
    TrainingState state;
    state.run_config = RunConfig::from_json(read_string(archive, "run_config"));
    state.schedule = WarmupCosineSchedule::from_json(read_string(archive, "schedule"));
    state.step = read_int(archive, "step");
    state.seed = static_cast<uint64_t>(read_int(archive, "seed"));
    state.elapsed_seconds = read_double(archive, "elapsed_seconds");
    state.history = MetricsHistory::from_json(read_string(archive, "metrics"));
    if (model) {
      torch::serialize::InputArchive model_archive;
      archive.read("model", model_archive);
      model->load(model_archive);
    }
    if (optimizer) {
      torch::serialize::InputArchive optimizer_archive;
      archive.read("optimizer", optimizer_archive);
      optimizer->load(optimizer_archive);
    }
    return state;
  } catch (const FormatError&) {
    throw;
  } catch (const c10::Error& e) {  // damaged zip, missing key, wrong type, other module
    throw FormatError(path +
                      ": cannot read the training checkpoint: " + e.what_without_backtrace());
  } catch (const std::invalid_argument& e) {  // invalid JSON members
    throw FormatError(path + ": cannot read the training checkpoint: " + e.what());
  }
}

bool is_training_checkpoint(const std::string& path) {
  try {
    torch::serialize::InputArchive archive;
    archive.load_from(path);
    return read_string(archive, "format") == kFormat;
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace erwin
