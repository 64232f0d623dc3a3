// Training on generated EAGLE- and ShapeNet-like data through the data-set glue: the loss drops,
// resume is exact, the shipped smoke configurations train, and the rollout / prediction APIs.
#include <QTemporaryDir>
#include <QTest>
#include <cmath>

#include "erwin/datasets/eagle.h"
#include "erwin/datasets/generate.h"
#include "erwin/datasets/inference.h"
#include "erwin/datasets/shapenet_car.h"
#include "erwin/datasets/training_tasks.h"
#include "erwin/training/trainer.h"
#include "test_support.h"

namespace {

using namespace erwin;
using namespace erwin::datasets;

ErwinConfig small_backbone(int64_t dimensionality, int64_t mp_steps) {
  ErwinConfig c;
  c.c_in = 16;
  c.c_hidden = {16, 32};
  c.ball_sizes = {32, 32};
  c.enc_num_heads = {2, 4};
  c.enc_depths = {1, 1};
  c.dec_num_heads = {2};
  c.dec_depths = {1};
  c.strides = {2};
  c.mp_steps = mp_steps;
  c.dimensionality = dimensionality;
  return c;
}

RunConfig base_run(TaskKind task, const std::string& root, int64_t steps) {
  RunConfig r;
  r.name = "test";
  r.task = task;
  r.data.root = root;
  r.optimizer.lr = 3e-3;
  r.schedule.warmup_steps = 5;
  r.schedule.min_lr = 1e-4;
  r.batch_size = 2;
  r.steps = steps;
  r.log_interval = 10;
  r.val_interval = 0;
  r.checkpoint_interval = 0;
  r.seed = 3;
  return r;
}

RunConfig eagle_run(const std::string& root, int64_t steps) {
  RunConfig r = base_run(TaskKind::Eagle, root, steps);
  r.model = small_backbone(2, 1);
  r.data.window = 3;
  r.data.eval_start = 4;
  return r;
}

RunConfig shapenet_run(const std::string& root, int64_t steps) {
  RunConfig r = base_run(TaskKind::ShapenetCar, root, steps);
  r.model = small_backbone(3, 1);
  r.data.val_split = "train";  // a few generated cars may have no published test index
  return r;
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

Trainer make_trainer(const RunConfig& config) {
  return Trainer(config, make_training_task(config));
}

}  // namespace

class TestTrainingRuns : public QObject {
  Q_OBJECT

  QTemporaryDir dir_;
  std::string eagle_root_, shapenet_root_;

 private Q_SLOTS:
  void initTestCase() {
    torch::set_num_threads(2);
    QVERIFY(dir_.isValid());
    eagle_root_ = dir_.filePath("eagle").toStdString();
    shapenet_root_ = dir_.filePath("shapenet").toStdString();
    EagleGenerateOptions eagle;
    eagle.simulations = 6;
    eagle.steps = 12;
    eagle.grid_x = 16;
    eagle.grid_y = 8;
    generate_eagle_like(eagle_root_, eagle);
    ShapenetGenerateOptions shapenet;
    shapenet.cars = 12;
    shapenet.points = 256;
    generate_shapenet_like(shapenet_root_, shapenet);
  }

  // Stated criterion: the mean loss of the last 10 of 60 steps is below 0.5 x the first 10's.
  void shapenet_loss_drops() {
    Trainer trainer = make_trainer(shapenet_run(shapenet_root_, 60));
    const auto losses = run_steps(trainer, 60);
    const double first = mean(losses, 0, 10), last = mean(losses, 50, 60);
    qInfo("shapenet-like: first-10 mean %.4f, last-10 mean %.4f, ratio %.3f", first, last,
          last / first);
    QVERIFY2(last < 0.5 * first, qPrintable(QString("first %1 last %2").arg(first).arg(last)));
  }

  // Stated criterion: the mean loss of the last 10 of 60 steps is below 0.5 x the first 10's.
  void eagle_loss_drops() {
    Trainer trainer = make_trainer(eagle_run(eagle_root_, 60));
    const auto losses = run_steps(trainer, 60);
    const double first = mean(losses, 0, 10), last = mean(losses, 50, 60);
    qInfo("eagle-like: first-10 mean %.4f, last-10 mean %.4f, ratio %.3f", first, last,
          last / first);
    QVERIFY2(last < 0.5 * first, qPrintable(QString("first %1 last %2").arg(first).arg(last)));
    QVERIFY(std::isfinite(trainer.validate()));
  }

  void eagle_resume_is_exact() {
    QTemporaryDir dir;
    const std::string path = dir.filePath("eagle.ckpt").toStdString();
    const RunConfig config = eagle_run(eagle_root_, 30);
    Trainer uninterrupted = make_trainer(config);
    run_steps(uninterrupted, 6);
    const auto expected = run_steps(uninterrupted, 4);
    Trainer first = make_trainer(config);
    run_steps(first, 6);
    first.save_checkpoint(path);
    Trainer resumed = make_trainer(config);
    resumed.resume_from(path);
    const auto losses = run_steps(resumed, 4);
    for (size_t i = 0; i < losses.size(); ++i)
      QVERIFY2(std::abs(losses[i] - expected[i]) <= 1e-6 * std::max(1.0, std::abs(expected[i])),
               qPrintable(QString("%1 vs %2").arg(losses[i]).arg(expected[i])));
  }

  void eagle_rollout_from_checkpoint() {
    QTemporaryDir dir;
    RunConfig config = eagle_run(eagle_root_, 10);
    config.checkpoint_path = dir.filePath("eagle.ckpt").toStdString();
    Trainer trainer = make_trainer(config);
    QCOMPARE(trainer.run(), StopReason::Finished);

    EagleModel model = load_eagle_model(config.checkpoint_path);
    const EagleRollout r = eagle_rollout(model, eagle_root_, "test", 0, 2, 5);
    const int64_t n = r.truth.size(1);
    QCOMPARE(r.predicted.sizes(), torch::IntArrayRef({6, n, 4}));
    QCOMPARE(r.positions.sizes(), torch::IntArrayRef({6, n, 2}));
    QCOMPARE(r.node_type.sizes(), torch::IntArrayRef({6, n}));
    QCOMPARE(r.rmse_velocity.sizes(), torch::IntArrayRef({6}));
    QVERIFY(torch::equal(r.predicted[0], r.truth[0]));
    QCOMPARE(r.rmse_velocity[0].item<double>(), 0.0);
    for (int64_t t = 1; t < 6; ++t) {
      const auto boundary = eagle_boundary_mask(r.node_type[t]);
      QVERIFY(boundary.any().item<bool>());
      QVERIFY(torch::equal(r.predicted[t].index({boundary}), r.truth[t].index({boundary})));
      QVERIFY(r.rmse_velocity[t].item<double>() > 0);
      QVERIFY(std::isfinite(r.rmse_pressure[t].item<double>()));
    }
    // The raw files hold the same truth (denormalised state of frames 2..7).
    const EagleSimulation sim =
        load_eagle_simulation(EagleDataset::open(eagle_root_, "test").folders()[0]);
    QVERIFY(torch::allclose(r.truth, sim.state.slice(0, 2, 8), 1e-4, 1e-4));
    QVERIFY(torch::allclose(r.rmse_velocity, per_step_rmse(r.predicted.transpose(0, 1),
                                                           r.truth.transpose(0, 1), {0, 1})));
    erwin::test::expect_invalid_argument(
        [&] { eagle_rollout(model, eagle_root_, "test", 0, 10, 50); }, "outside");
    erwin::test::expect_invalid_argument([&] { load_shapenet_model(config.checkpoint_path); },
                                         "eagle");
  }

  void shapenet_prediction_from_checkpoint() {
    QTemporaryDir dir;
    RunConfig config = shapenet_run(shapenet_root_, 10);
    config.checkpoint_path = dir.filePath("car.ckpt").toStdString();
    config.val_interval = 10;
    Trainer trainer = make_trainer(config);
    QCOMPARE(trainer.run(), StopReason::Finished);

    ShapenetCarModel model = load_shapenet_model(config.checkpoint_path);
    const auto dataset = ShapenetCarDataset::open(shapenet_root_, "train");
    const ShapenetPrediction p = predict_shapenet_car(model, dataset, 1);
    QCOMPARE(p.predicted.sizes(), torch::IntArrayRef({256}));
    QCOMPARE(p.truth.sizes(), torch::IntArrayRef({256}));
    const torch::Tensor stored = load_torch_file(dataset.cars()[1] + "/pressure.th", "pressure");
    QVERIFY(torch::allclose(p.truth, stored, 1e-3, 1e-3));
    QVERIFY(std::abs(p.mse - (p.predicted - p.truth).pow(2).mean().item<double>()) < 1e-6 * p.mse);
    // The published denormalised MSE is the normalised loss times the pressure std squared.
    ShapenetCarTask task(config);
    load_training_checkpoint(config.checkpoint_path, &task.model());
    task.model().eval();
    torch::NoGradGuard no_grad;
    const double normalised = task.val_loss({1}).item<double>();
    QVERIFY(std::abs(p.mse - normalised * 48.5743 * 48.5743) < 1e-3 * p.mse);
  }

  void shipped_smoke_configs_train() {
    const std::string configs = erwin::test::source_dir() + "/resources/configs/";
    for (const auto& [file, root] : {std::pair{"eagle_smoke.json", eagle_root_},
                                     std::pair{"shapenet_car_smoke.json", shapenet_root_}}) {
      RunConfig config = RunConfig::from_json_file(configs + file);
      config.data.root = root;
      config.data.val_split = "train";
      config.data.eval_start = 4;
      config.steps = 30;  // at least the warm-up; one step is taken
      config.checkpoint_path.clear();
      Trainer trainer = make_trainer(config);
      QVERIFY(std::isfinite(trainer.train_step()));
    }
  }
};

QTEST_APPLESS_MAIN(TestTrainingRuns)
#include "tst_training_runs.moc"
