// `erwin train`: trains a run configuration (erwin/training/run_config.h) with a progress bar.
// Before the first step it prepares the run (erwin/training/run_preparation.h: run folder created
// and writable, warm-up fitted to the run). The run's record (metrics.jsonl, TensorBoard events)
// goes beside the checkpoint. Ctrl-C or SIGTERM stops after the current step and writes the
// checkpoint, so `--resume` continues; a failure during the run saves the steps done first.
// Data-parallel runs (train_launch.h): started by torchrun-style variables or by --nproc N;
// rank 0 alone prints, checkpoints and records.
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
#include "train_launch.h"

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

// The configuration file with the command line's overrides.
RunConfig config_from(const ArgParser& parser) {
  RunConfig config = RunConfig::from_json_file(parser.text("config"));
  if (parser.has("device")) config.device = parser.text("device");
  if (parser.has("precision")) config.precision = parser.text("precision");
  if (parser.has("data")) config.data.root = parser.text("data");
  if (parser.has("checkpoint")) config.checkpoint_path = parser.text("checkpoint");
  if (parser.has("steps")) config.steps = parser.integer("steps");
  if (parser.has("warmup")) {
    config.schedule.warmup_steps = parser.integer("warmup");
    if (config.schedule.warmup_steps < 0 || config.schedule.warmup_steps > config.steps)
      throw UsageError("erwin train: --warmup " + std::to_string(config.schedule.warmup_steps) +
                       " must be in [0, " + std::to_string(config.steps) + "] (the run's steps)");
  }
  return config;
}

// Prepares `config` for the run (run_preparation.h), printing the warnings.
void prepare(RunConfig& config) {
  const bool warmup_too_long = config.schedule.warmup_steps > config.steps;
  for (const std::string& warning : prepare_run(config, "runs"))
    std::fprintf(stderr, "warning: %s\n", warning.c_str());
  if (warmup_too_long) std::fprintf(stderr, "(--warmup N chooses the warm-up)\n");
}

// --check-replicas: after every step, every rank's weights must equal rank 0's bit for bit.
void check_replicas(DataParallel& group, Trainer& trainer) {
  const double difference = group.max_parameter_difference(trainer.task().model());
  if (difference != 0)
    throw std::runtime_error("after step " + std::to_string(trainer.step()) +
                             " the ranks' weights differ from rank 0's (max |w - w0| = " +
                             std::to_string(difference) + ")");
  if (group.is_main())
    std::printf("step %lld: all %d ranks hold identical weights\n",
                static_cast<long long>(trainer.step()), group.world_size());
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
      .option("precision", "fp32|bf16",
              "overrides training.precision (bf16: autocast, float32 weights and AdamW state)")
      .option("steps", "n", "overrides training.steps (total, including resumed steps)")
      .option("warmup", "n", "overrides schedule.warmup_steps")
      .option("data", "dir", "overrides data.root")
      .option("checkpoint", "file",
              "overrides training.checkpoint_path; its folder also receives the run's record "
              "(metrics.jsonl, TensorBoard event files, run.json). Without any: "
              "runs/<name>-<time>/<name>.ckpt")
      .option("nproc", "n",
              "starts n local processes training one run data-parallel over 127.0.0.1 (Gloo on "
              "the CPU, threads split between them; NCCL with one GPU each on CUDA)")
      .option("dist-timeout", "s",
              "data-parallel runs: how long a rank waits for the others (rendezvous, every "
              "collective) before it stops with an error",
              std::to_string(kDefaultDistributedTimeout.count()))
      .flag("check-replicas",
            "data-parallel runs: after every step, check that all ranks hold identical weights");
  if (!parser.parse(args)) return 0;
  const std::chrono::seconds timeout(parser.integer("dist-timeout"));
  if (timeout.count() < 1) throw UsageError("erwin train: --dist-timeout must be at least 1 s");
  if (parser.has("nproc") && !DistributedLaunch::from_environment()) {
    const int64_t nproc = parser.integer("nproc");
    if (nproc < 1 || nproc > 1024)
      throw UsageError("erwin train: --nproc " + std::to_string(nproc) + " is not in [1, 1024]");
    return launch_local_ranks(args, static_cast<int>(nproc), timeout + std::chrono::seconds(10));
  }

  RunConfig config = config_from(parser);
  const std::shared_ptr<DataParallel> group = join_launched_run(config, prepare, timeout);
  const bool main_rank = !group || group->is_main();
  Trainer trainer(config, datasets::make_training_task(config));
  if (group) trainer.set_data_parallel(group);
  if (parser.has("resume")) trainer.resume_from(parser.text("resume"));
  if (main_rank)
    std::printf("training %s (%s) on %s, steps %lld..%lld, run folder %s\n", config.name.c_str(),
                task_kind_name(config.task).c_str(), config.device.c_str(),
                static_cast<long long>(trainer.step()), static_cast<long long>(config.steps),
                run_folder_of(config.checkpoint_path).c_str());

  const bool terminal = main_rank && isatty(fileno(stdout)) != 0;
  const bool replicas = group && parser.flag_set("check-replicas");
  ProgressBar bar("train", config.steps);
  RunControl control;
  TrainingProgress last;
  TrainerCallbacks callbacks;
  callbacks.on_step = [&](const TrainingProgress& p) {
    if (interrupted) control.request_stop();
    if (replicas) check_replicas(*group, trainer);
    last = p;
    if (terminal) bar.update(p.step, step_note(p.loss, p.lr, p.samples_per_second, p.eta_seconds));
  };
  // Off a terminal the bar prints a line per update: one per metrics record, not per step.
  callbacks.on_metrics = [&](const MetricsRecord& r) {
    if (!main_rank) return;
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
    if (main_rank) std::printf("\nstopped at step %lld\n", static_cast<long long>(trainer.step()));
    return 130;
  }
  if (!main_rank) return 0;
  bar.finish();
  const MetricsRecord& final_record = trainer.history().back();
  std::printf("finished %lld steps in %s, final train loss %.5g\n",
              static_cast<long long>(trainer.step()),
              format_duration(final_record.elapsed_seconds).c_str(), final_record.train_loss);
  return 0;
}

}  // namespace erwin::cli
