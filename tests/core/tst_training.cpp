// The training loop on synthetic tensors (no data-set code): schedule, data order, metrics and
// run-config JSON, the task heads and losses, loss decrease, checkpoint resume and interrupted
// saves, pause/stop.
#include <QTemporaryDir>
#include <QTest>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "erwin/atomic_file.h"
#include "erwin/errors.h"
#include "erwin/file_lock.h"
#include "erwin/training/data_order.h"
#include "erwin/training/eagle_model.h"
#include "erwin/training/lr_schedule.h"
#include "erwin/training/metrics.h"
#include "erwin/training/run_config.h"
#include "erwin/training/run_control.h"
#include "erwin/training/shapenet_model.h"
#include "erwin/training/trainer.h"
#include "erwin/training/training_checkpoint.h"
#include "test_support.h"

namespace {

using namespace erwin;

ErwinConfig tiny_backbone(int64_t dimensionality) {
  ErwinConfig c;
  c.c_in = 16;
  c.c_hidden = {16, 32};
  c.ball_sizes = {16, 16};
  c.enc_num_heads = {2, 4};
  c.enc_depths = {1, 1};
  c.dec_num_heads = {2};
  c.dec_depths = {1};
  c.strides = {2};
  c.mp_steps = 0;
  c.dimensionality = dimensionality;
  return c;
}

RunConfig tiny_run(int64_t steps) {
  RunConfig r;
  r.name = "synthetic";
  r.data.root = "synthetic";
  r.model = tiny_backbone(3);
  r.optimizer.lr = 3e-3;
  r.schedule.warmup_steps = 5;
  r.schedule.min_lr = 1e-4;
  r.batch_size = 2;
  r.steps = steps;
  r.log_interval = 5;
  r.val_interval = 20;
  r.checkpoint_interval = 0;
  r.seed = 7;
  return r;
}

// Point clouds with a smooth "pressure" field, fed to the ShapeNet-Car head.
class SyntheticPressureTask : public TrainingTask {
 public:
  explicit SyntheticPressureTask(const RunConfig& config)
      : model_((torch::manual_seed(config.seed), ShapenetCarModel(config.model))) {
    torch::Generator gen = at::detail::createCPUGenerator(1234);
    for (int i = 0; i < 8; ++i) {
      torch::Tensor p = torch::rand({64, 3}, gen) * 2 - 1;
      positions_.push_back(p);
      targets_.push_back(torch::sin(2 * p.select(1, 0)) + p.select(1, 1) * p.select(1, 2));
    }
  }
  torch::nn::Module& model() override { return *model_; }
  void to(const torch::Device& device) override { model_->to(device); }
  int64_t train_size() const override { return 6; }
  int64_t val_size() const override { return 2; }
  torch::Tensor train_loss(const std::vector<int64_t>& indices, uint64_t) override {
    return loss(indices, 0);
  }
  torch::Tensor val_loss(const std::vector<int64_t>& indices) override { return loss(indices, 6); }

 private:
  torch::Tensor loss(const std::vector<int64_t>& indices, int64_t offset) {
    std::vector<torch::Tensor> p, t, b;
    for (size_t i = 0; i < indices.size(); ++i) {
      p.push_back(positions_[offset + indices[i]]);
      t.push_back(targets_[offset + indices[i]]);
      b.push_back(torch::full({64}, static_cast<int64_t>(i), torch::kInt64));
    }
    return shapenet_pressure_loss(model_->forward(torch::cat(p), torch::cat(b), {}), torch::cat(t));
  }
  ShapenetCarModel model_;
  std::vector<torch::Tensor> positions_, targets_;
};

std::unique_ptr<Trainer> make_trainer(const RunConfig& config) {
  return std::make_unique<Trainer>(config, std::make_unique<SyntheticPressureTask>(config));
}

std::vector<double> run_steps(Trainer& trainer, int n) {
  std::vector<double> losses;
  for (int i = 0; i < n; ++i) losses.push_back(trainer.train_step());
  return losses;
}

double mean(const std::vector<double>& v, size_t begin, size_t end) {
  double sum = 0;
  for (size_t i = begin; i < end; ++i) sum += v[i];
  return sum / static_cast<double>(end - begin);
}

}  // namespace

class TestTraining : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { torch::set_num_threads(2); }

  void schedule_warmup_then_cosine() {
    // The published create_scheduler_with_warmup; tst_task_parity compares it with PyTorch.
    const WarmupCosineSchedule s(1e-3, 10, 110, 1e-5);
    QCOMPARE(s.lr_at(0), 1e-3 * 1e-8);
    QVERIFY(std::abs(s.lr_at(4) - 1e-3 * (1e-8 + (1 - 1e-8) * 0.4)) < 1e-18);
    QCOMPARE(s.lr_at(10), 1e-3);
    QVERIFY(std::abs(s.lr_at(60) - (1e-3 + 1e-5) / 2) < 1e-15);
    QVERIFY(std::abs(s.lr_at(35) - (1e-5 + 0.5 * (1e-3 - 1e-5) * (1 + std::cos(M_PI / 4)))) <
            1e-15);
    QCOMPARE(s.lr_at(110), 1e-5);
    for (int64_t step = 0; step < 10; ++step) QVERIFY(s.lr_at(step + 1) > s.lr_at(step));
    for (int64_t step = 10; step < 110; ++step) QVERIFY(s.lr_at(step + 1) <= s.lr_at(step));
    // As PyTorch's CosineAnnealingLR, the cosine rises again after T_max.
    QVERIFY(s.lr_at(111) > s.lr_at(110));
    QVERIFY(WarmupCosineSchedule::from_json(s.to_json()) == s);
    const WarmupCosineSchedule no_warmup(2.0, 0, 4, 0.0);
    QCOMPARE(no_warmup.lr_at(0), 2.0);
    QVERIFY(std::abs(no_warmup.lr_at(2) - 1.0) < 1e-15);
  }

  void schedule_rejects_bad_arguments() {
    erwin::test::expect_invalid_argument([] { WarmupCosineSchedule(0, 0, 10, 0); }, "base_lr");
    erwin::test::expect_invalid_argument([] { WarmupCosineSchedule(1, 11, 10, 0); },
                                         "warmup_steps");
    erwin::test::expect_invalid_argument([] { WarmupCosineSchedule(1, 0, 10, 2); }, "min_lr");
    erwin::test::expect_invalid_argument(
        [] { WarmupCosineSchedule::from_json(R"({"base_lr": 1, "warmup_steps": 0})"); },
        "total_steps");
  }

  void data_order_depends_on_seed_and_epoch_only() {
    // 10 samples, batches of 3: 3 batches per epoch, the 10th sample of each epoch left out.
    std::set<int64_t> epoch0;
    for (int64_t step = 0; step < 3; ++step)
      for (int64_t i : batch_for_step(5, step, 10, 3)) QVERIFY(epoch0.insert(i).second);
    QCOMPARE(epoch0.size(), size_t{9});
    QCOMPARE(batch_for_step(5, 4, 10, 3), batch_for_step(5, 4, 10, 3));
    QVERIFY(epoch_permutation(5, 0, 10) != epoch_permutation(5, 1, 10));
    QVERIFY(epoch_permutation(5, 0, 10) != epoch_permutation(6, 0, 10));
    QCOMPARE(batch_for_step(1, 3, 2, 4).size(), size_t{2});
    QVERIFY(step_seed(1, 2) != step_seed(1, 3));
    erwin::test::expect_invalid_argument([] { batch_for_step(0, 0, 0, 1); }, "size");
  }

  void metrics_json_round_trip() {
    MetricsHistory h;
    h.append({10, 0.5, std::nullopt, 1e-3, 12.5, 3.0});
    h.append({20, 0.25, 0.3, 9e-4, 13.0, 6.5});
    const MetricsHistory back = MetricsHistory::from_json(h.to_json());
    QCOMPARE(back.records().size(), size_t{2});
    QVERIFY(back.records()[0] == h.records()[0]);
    QVERIFY(back.records()[1] == h.records()[1]);
    erwin::test::expect_invalid_argument([] { MetricsHistory::from_json(R"([{"step": "x"}])"); },
                                         "metrics[0].step");
  }

  void run_config_json() {
    RunConfig config = tiny_run(100);
    config.task = TaskKind::Eagle;
    config.model.dimensionality = 2;
    config.device = "cuda:0";
    config.precision = "bf16";
    const RunConfig back = RunConfig::from_json(config.to_json());
    QCOMPARE(back.to_json(), config.to_json());
    QCOMPARE(back.task, TaskKind::Eagle);
    erwin::test::expect_invalid_argument(
        [&] {
          auto j = config.to_json();
          j.insert(1, "\"bogus\": 1,");
          RunConfig::from_json(j);
        },
        "bogus");
    erwin::test::expect_invalid_argument(
        [&] {
          std::string j = config.to_json();
          const std::string window = "\"window\": 6";
          QVERIFY(j.find(window) != std::string::npos);
          RunConfig::from_json(j.replace(j.find(window), window.size(), "\"window\": \"six\""));
        },
        "data.window");
    erwin::test::expect_invalid_argument([] { RunConfig::from_json(R"({"task": "x"})"); },
                                         "unknown task");
    erwin::test::expect_invalid_argument(
        [&] {
          std::string j = config.to_json();
          const std::string precision = "\"precision\": \"bf16\"";
          QVERIFY(j.find(precision) != std::string::npos);
          RunConfig::from_json(
              j.replace(j.find(precision), precision.size(), "\"precision\": \"fp16\""))
              .validate();
        },
        "training.precision");
  }

  void shipped_configs_parse() {
    const auto dir = std::filesystem::path(erwin::test::source_dir()) / "resources" / "configs";
    for (const char* name : {"shapenet_car_paper", "shapenet_car_code_small", "shapenet_car_smoke",
                             "eagle_small", "eagle_medium", "eagle_large", "eagle_smoke"}) {
      const RunConfig config =
          RunConfig::from_json_file((dir / (std::string(name) + ".json")).string());
      QCOMPARE(config.name, std::string(name));
      QCOMPARE(config.task,
               std::string(name).rfind("eagle", 0) == 0 ? TaskKind::Eagle : TaskKind::ShapenetCar);
    }
  }

  void eagle_unroll_resets_boundary_and_loss_weights_pressure() {
    torch::manual_seed(3);
    ErwinConfig c = tiny_backbone(2);
    EagleModel model(c, 9);
    const int64_t n = 40, steps = 3;
    EagleWindow w;
    w.state = torch::randn({n, steps, 4});
    w.node_type_onehot = torch::one_hot(torch::randint(0, 9, {n, steps}), 9).to(torch::kFloat);
    w.positions = torch::rand({n, steps, 2});
    w.boundary = torch::rand({n, steps}) < 0.3;
    w.edges.assign(steps, torch::zeros({2, 0}, torch::kInt64));
    w.batch_idx = torch::zeros({n}, torch::kInt64);
    const EagleUnroll u = model->unroll(w);
    QCOMPARE(u.states.sizes(), torch::IntArrayRef({n, steps, 4}));
    QCOMPARE(u.increments.sizes(), torch::IntArrayRef({n, steps - 1, 4}));
    QVERIFY(torch::equal(u.states.select(1, 0), w.state.select(1, 0)));
    for (int64_t t = 1; t < steps; ++t) {
      const auto b = w.boundary.select(1, t);
      QVERIFY(torch::equal(u.states.select(1, t).index({b}), w.state.select(1, t).index({b})));
      const auto free_nodes = b.logical_not();
      QVERIFY(torch::allclose(
          u.states.select(1, t).index({free_nodes}),
          (u.states.select(1, t - 1) + u.increments.select(1, t - 1)).index({free_nodes})));
      QVERIFY(torch::allclose(u.target_increments.select(1, t - 1),
                              w.state.select(1, t) - u.states.select(1, t - 1)));
    }
    // Loss = MSE(velocity) + 0.1 MSE(pressure): scale the pressure error alone by 10.
    EagleUnroll v = u;
    v.increments = u.target_increments.clone();
    v.increments.index_put_({"...", 2}, u.target_increments.index({"...", 2}) + 1.0);
    QVERIFY(std::abs(eagle_increment_loss(v).item<double>() - 0.1 * 0.5) < 1e-6);
    v.increments.index_put_({"...", 0}, u.target_increments.index({"...", 0}) + 1.0);
    QVERIFY(std::abs(eagle_increment_loss(v).item<double>() - (0.5 + 0.05)) < 1e-6);
  }

  // The published Positional_Encoder(16): per coordinate cos(2^k pi x), k < 8, then the sines,
  // cut to 16 features, so in 2D the second coordinate does not enter (as published).
  void eagle_position_features_are_the_published_encoding() {
    const torch::Tensor positions = torch::tensor({{0.3f, -0.7f}, {0.125f, 0.9f}});
    const torch::Tensor features = eagle_position_features(positions);
    QCOMPARE(features.sizes(), torch::IntArrayRef({2, kEaglePositionFeatures}));
    for (int64_t n = 0; n < 2; ++n)
      for (int64_t k = 0; k < 8; ++k) {
        const double angle = std::pow(2.0, k) * M_PI * positions[n][0].item<double>();
        QVERIFY(std::abs(features[n][k].item<double>() - std::cos(angle)) < 1e-4);
        QVERIFY(std::abs(features[n][8 + k].item<double>() - std::sin(angle)) < 1e-4);
      }
    const torch::Tensor moved_y = positions.clone().index_put_({torch::indexing::Slice(), 1}, 5.0);
    QVERIFY(torch::equal(eagle_position_features(moved_y), features));

    torch::manual_seed(4);
    EagleModel with_pe(tiny_backbone(2), 9, /*use_pe=*/true);
    QCOMPARE(with_pe->embedding_model->weight.size(1), 4 + 9 + kEaglePositionFeatures);
  }

  void per_step_rmse_is_mean_of_node_rmse() {
    const torch::Tensor truth = torch::zeros({2, 3, 4});
    torch::Tensor pred = truth.clone();
    pred.index_put_({0, 1, 0}, 3.0);
    pred.index_put_({0, 1, 1}, 4.0);
    const torch::Tensor r = per_step_rmse(pred, truth, {0, 1});
    QCOMPARE(r.sizes(), torch::IntArrayRef({3}));
    QVERIFY(std::abs(r[1].item<double>() - std::sqrt(12.5) / 2) < 1e-6);
    QCOMPARE(r[0].item<double>(), 0.0);
    QCOMPARE(per_step_rmse(pred, truth, {2, 3})[1].item<double>(), 0.0);
  }

  void shapenet_head_has_published_parameter_names() {
    ShapenetCarModel model(tiny_backbone(3));
    const auto params = model->named_parameters();
    QVERIFY(params.contains("pos_enc.linear.weight"));
    QVERIFY(params.contains("pred_head.0.weight"));
    QVERIFY(params.contains("pred_head.2.bias"));
    QCOMPARE(params["pred_head.2.weight"].sizes(), torch::IntArrayRef({1, 16}));
    QCOMPARE(params["pos_enc.linear.weight"].sizes(), torch::IntArrayRef({8, 3}));
    erwin::test::expect_invalid_argument(
        [] {
          ErwinConfig c = tiny_backbone(3);
          c.c_in = 15;
          FourierFeatures(c.c_in, 3, 1.0);
        },
        "even");
  }

  // Stated criterion: the mean loss of the last 10 of 80 steps is below 0.5 x the first 10's.
  void loss_drops_on_synthetic_pressure() {
    auto trainer = make_trainer(tiny_run(80));
    const auto losses = run_steps(*trainer, 80);
    const double first = mean(losses, 0, 10), last = mean(losses, 70, 80);
    qInfo("synthetic pressure: first-10 mean %.4f, last-10 mean %.4f, ratio %.3f", first, last,
          last / first);
    QVERIFY2(last < 0.5 * first, qPrintable(QString("first %1 last %2").arg(first).arg(last)));
    QVERIFY(std::isfinite(trainer->validate()));
  }

  // training.precision bf16: the same run trains under autocast with float32 master weights and
  // AdamW state; its losses follow float32's (bfloat16 rounding only) and still fall.
  void bfloat16_training_follows_float32() {
    const auto fp32 = run_steps(*make_trainer(tiny_run(40)), 40);
    RunConfig config = tiny_run(40);
    config.precision = "bf16";
    auto trainer = make_trainer(config);
    const auto bf16 = run_steps(*trainer, 40);
    for (const auto& [name, param] : trainer->task().model().named_parameters().pairs())
      QVERIFY2(param.scalar_type() == torch::kFloat, name.c_str());
    const double first = mean(bf16, 0, 10), last = mean(bf16, 30, 40);
    const double gap = std::abs(last - mean(fp32, 30, 40)) / mean(fp32, 30, 40);
    qInfo("bf16: first-10 %.4f, last-10 %.4f (fp32 %.4f): %.3g relative", first, last,
          mean(fp32, 30, 40), gap);
    QVERIFY2(bf16 != fp32, "bf16 gave float32's losses: autocast did not apply");
    QVERIFY2(last < 0.5 * first, qPrintable(QString("first %1 last %2").arg(first).arg(last)));
    QVERIFY2(gap < 0.1, qPrintable(QString("last-10 mean %1 from float32's").arg(gap)));
  }

  void resume_continues_the_same_losses() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("run.ckpt").toStdString();
    const RunConfig config = tiny_run(40);
    auto uninterrupted = make_trainer(config);
    run_steps(*uninterrupted, 12);
    const auto expected = run_steps(*uninterrupted, 8);

    auto first = make_trainer(config);
    run_steps(*first, 12);
    first->save_checkpoint(path);
    first.reset();  // the "killed" run
    auto resumed = make_trainer(config);
    resumed->resume_from(path);
    QCOMPARE(resumed->step(), int64_t{12});
    const auto losses = run_steps(*resumed, 8);
    for (size_t i = 0; i < losses.size(); ++i)
      QVERIFY2(
          std::abs(losses[i] - expected[i]) <= 1e-6 * std::max(1.0, std::abs(expected[i])),
          qPrintable(QString("step %1: %2 vs %3").arg(12 + i).arg(losses[i]).arg(expected[i])));
    qInfo("resume: max |loss difference| over 8 steps = %g", [&] {
      double m = 0;
      for (size_t i = 0; i < losses.size(); ++i) m = std::max(m, std::abs(losses[i] - expected[i]));
      return m;
    }());
  }

  void resume_rejects_another_model() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("run.ckpt").toStdString();
    make_trainer(tiny_run(10))->save_checkpoint(path);
    RunConfig other = tiny_run(10);
    other.model.enc_depths = {2, 1};
    auto trainer = make_trainer(other);
    erwin::test::expect_invalid_argument([&] { trainer->resume_from(path); }, "model");
  }

  void interrupted_save_keeps_the_previous_checkpoint() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("run.ckpt").toStdString();
    auto trainer = make_trainer(tiny_run(40));
    run_steps(*trainer, 3);
    trainer->save_checkpoint(path);
    run_steps(*trainer, 2);
    // A save killed midway: the checkpoint bytes are half written when the writer dies.
    bool thrown = false;
    try {
      write_file_atomically(path, [&](const std::string& temp) {
        write_training_checkpoint(temp, trainer->state(), trainer->task().model(),
                                  trainer->optimizer());
        std::filesystem::resize_file(temp, std::filesystem::file_size(temp) / 2);
        throw std::runtime_error("killed while saving");
      });
    } catch (const std::runtime_error&) {
      thrown = true;
    }
    QVERIFY(thrown);
    for (const auto& entry : std::filesystem::directory_iterator(dir.path().toStdString()))
      QCOMPARE(entry.path().filename().string(), std::string("run.ckpt"));  // no temp left
    QVERIFY(is_training_checkpoint(path));
    auto resumed = make_trainer(tiny_run(40));
    resumed->resume_from(path);
    QCOMPARE(resumed->step(), int64_t{3});
    QVERIFY(std::isfinite(resumed->train_step()));
  }

  void damaged_checkpoint_is_a_format_error() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("run.ckpt").toStdString();
    make_trainer(tiny_run(10))->save_checkpoint(path);
    std::filesystem::resize_file(path, std::filesystem::file_size(path) / 2);
    QVERIFY(!is_training_checkpoint(path));
    bool format_error = false;
    try {
      load_training_checkpoint(path);
    } catch (const FormatError& e) {
      format_error = std::string(e.what()).find(path) != std::string::npos;
    }
    QVERIFY(format_error);
  }

  void checkpoint_round_trips_state() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("run.ckpt").toStdString();
    RunConfig config = tiny_run(30);
    config.checkpoint_path = path;
    config.val_interval = 10;
    auto trainer = make_trainer(config);
    QCOMPARE(trainer->run(), StopReason::Finished);
    const TrainingState state = load_training_checkpoint(path);
    QCOMPARE(state.step, int64_t{30});
    QCOMPARE(state.seed, uint64_t{7});
    QCOMPARE(state.run_config.to_json(), config.to_json());
    QCOMPARE(state.history.records().size(), trainer->history().records().size());
    QVERIFY(state.history.back() == trainer->history().back());
    QVERIFY(state.history.back().val_loss.has_value());
    QCOMPARE(state.history.back().step, int64_t{30});
    QVERIFY(state.history.back().samples_per_second > 0);
    QVERIFY(state.schedule == WarmupCosineSchedule(3e-3, 5, 30, 1e-4));
  }

  void run_pauses_and_stops_between_steps() {
    RunControl control;
    auto trainer = make_trainer(tiny_run(1000));
    std::atomic<int64_t> seen{0};
    TrainerCallbacks callbacks;
    callbacks.on_step = [&](const TrainingProgress& p) {
      seen = p.step;
      if (p.step == 3) control.pause();
    };
    StopReason reason = StopReason::Finished;
    std::thread worker([&] { reason = trainer->run(&control, callbacks); });
    while (seen < 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    QCOMPARE(seen.load(), int64_t{3});  // paused: no further steps
    control.resume();
    while (seen < 5) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    control.request_stop();
    worker.join();
    QCOMPARE(reason, StopReason::Cancelled);
    QVERIFY(trainer->step() >= 5 && trainer->step() < 1000);
  }

  // Regression (issue 13, case 9): two runs writing the same checkpoint both reported success.
  // A run holds a lock on its checkpoint; a second one is refused before its first step.
  void second_run_on_the_same_checkpoint_is_refused() {
    QTemporaryDir dir;
    RunConfig config = tiny_run(6);
    config.checkpoint_path = dir.filePath("run.ckpt").toStdString();
    {
      const FileLock running(config.checkpoint_path + ".lock", "a running run");
      auto second = make_trainer(config);
      try {
        second->run();
        QFAIL("a second run on a locked checkpoint was accepted");
      } catch (const std::runtime_error& e) {
        const std::string message = e.what();
        QVERIFY2(message.find("in use by another run") != std::string::npos &&
                     message.find(config.checkpoint_path) != std::string::npos,
                 e.what());
      }
      QCOMPARE(second->step(), int64_t{0});
      QVERIFY(!std::filesystem::exists(config.checkpoint_path));
    }
    // Released with its holder: the run goes ahead, and its own lock ends with it.
    auto run = make_trainer(config);
    QCOMPARE(run->run(), StopReason::Finished);
    QVERIFY(is_training_checkpoint(config.checkpoint_path));
    const FileLock after(config.checkpoint_path + ".lock", "the next run");
  }
};

QTEST_APPLESS_MAIN(TestTraining)
#include "tst_training.moc"
