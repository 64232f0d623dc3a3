// `erwin train`: trains a run configuration (erwin/training/run_config.h) with a progress bar.
// Before the first step it prepares the run (erwin/training/run_preparation.h: run folder created
// and writable, warm-up fitted to the run). The run's record (metrics.jsonl, TensorBoard events)
// goes beside the checkpoint. Ctrl-C or SIGTERM stops after the current step and writes the
// checkpoint, so `--resume` continues; a failure during the run saves the steps done first.
#ifdef ERWIN_HAVE_DATASETS
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <string>

#include "args.h"
#include "commands.h"
#include "erwin/datasets/training_tasks.h"
#include "erwin/training/run_log.h"
#include "erwin/training/run_preparation.h"
#include "erwin/training/trainer.h"
#include "progress.h"

namespace erwin::cli {
namespace {

std::atomic<bool> interrupted{false};

void on_interrupt(int) { interrupted = true; }

std::string format_duration(double seconds) {
  const auto s = static_cast<long long>(seconds);
  char text[32];
  std::snprintf(text, sizeof text, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
  return text;
}

std::string step_note(double loss, double lr, double samples_per_second, double eta_seconds) {
  char text[128];
  std::snprintf(text, sizeof text, "loss %.4g  lr %.3g  %.1f samples/s  ETA %s", loss, lr,
                samples_per_second, format_duration(eta_seconds).c_str());
  return text;
}

// The configuration file with the command line's overrides, prepared for the run.
RunConfig config_from(const ArgParser& parser) {
  RunConfig config = RunConfig::from_json_file(parser.text("config"));
  if (parser.has("device")) config.device = parser.text("device");
  if (parser.has("data")) config.data.root = parser.text("data");
  if (parser.has("checkpoint")) config.checkpoint_path = parser.text("checkpoint");
  if (parser.has("steps")) config.steps = parser.integer("steps");
  if (parser.has("warmup")) {
    config.schedule.warmup_steps = parser.integer("warmup");
    if (config.schedule.warmup_steps < 0 || config.schedule.warmup_steps > config.steps)
      throw UsageError("erwin train: --warmup " + std::to_string(config.schedule.warmup_steps) +
                       " must be in [0, " + std::to_string(config.steps) + "] (the run's steps)");
  }
  const bool warmup_too_long = config.schedule.warmup_steps > config.steps;
  for (const std::string& warning : prepare_run(config, "runs"))
    std::fprintf(stderr, "warning: %s\n", warning.c_str());
  if (warmup_too_long) std::fprintf(stderr, "(--warmup N chooses the warm-up)\n");
  return config;
}

}  // namespace

int run_train(const Arguments& args) {
  ArgParser parser("train",
                   "Trains a run configuration (JSON, see resources/configs/) with AdamW and a "
                   "warm-up + cosine schedule, validating and checkpointing at its intervals. "
                   "Ctrl-C stops after the current step and saves the checkpoint.");
  parser.option("config", "file", "run configuration (JSON)")
      .option("resume", "ckpt", "continue from this training checkpoint")
      .option("device", "cpu|cuda", "overrides training.device")
      .option("steps", "n", "overrides training.steps (total, including resumed steps)")
      .option("warmup", "n", "overrides schedule.warmup_steps")
      .option("data", "dir", "overrides data.root")
      .option("checkpoint", "file",
              "overrides training.checkpoint_path; its folder also receives the run's record "
              "(metrics.jsonl, TensorBoard event files, run.json). Without any: "
              "runs/<name>-<time>/<name>.ckpt");
  if (!parser.parse(args)) return 0;

  const RunConfig config = config_from(parser);
  Trainer trainer(config, datasets::make_training_task(config));
  if (parser.has("resume")) trainer.resume_from(parser.text("resume"));
  std::printf("training %s (%s) on %s, steps %lld..%lld, run folder %s\n", config.name.c_str(),
              task_kind_name(config.task).c_str(), config.device.c_str(),
              static_cast<long long>(trainer.step()), static_cast<long long>(config.steps),
              run_folder_of(config.checkpoint_path).c_str());

  const bool terminal = isatty(fileno(stdout)) != 0;
  ProgressBar bar("train", config.steps);
  RunControl control;
  TrainingProgress last;
  TrainerCallbacks callbacks;
  callbacks.on_step = [&](const TrainingProgress& p) {
    if (interrupted) control.request_stop();
    last = p;
    if (terminal) bar.update(p.step, step_note(p.loss, p.lr, p.samples_per_second, p.eta_seconds));
  };
  // Off a terminal the bar prints a line per update: one per metrics record, not per step.
  callbacks.on_metrics = [&](const MetricsRecord& r) {
    if (!terminal)
      bar.update(r.step, step_note(r.train_loss, r.lr, r.samples_per_second, last.eta_seconds));
    if (r.val_loss)
      std::printf("%sstep %lld  train loss %.5g  val loss %.5g\n", terminal ? "\n" : "",
                  static_cast<long long>(r.step), r.train_loss, *r.val_loss);
  };
  callbacks.on_checkpoint = [&](const std::string& path) {
    std::printf("%scheckpoint %s (step %lld)\n", terminal ? "\n" : "", path.c_str(),
                static_cast<long long>(trainer.step()));
  };
  std::signal(SIGINT, on_interrupt);
  std::signal(SIGTERM, on_interrupt);
  const StopReason reason = trainer.run(&control, callbacks);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  if (reason == StopReason::Cancelled) {
    std::printf("\nstopped at step %lld\n", static_cast<long long>(trainer.step()));
    return 130;
  }
  bar.finish();
  const MetricsRecord& final_record = trainer.history().back();
  std::printf("finished %lld steps in %s, final train loss %.5g\n",
              static_cast<long long>(trainer.step()),
              format_duration(final_record.elapsed_seconds).c_str(), final_record.train_loss);
  return 0;
}

}  // namespace erwin::cli
#endif
