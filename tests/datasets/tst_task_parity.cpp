// Parity with the published *training* code on the task fixtures (../shared/reference/README.md,
// "Task fixtures"): the EAGLE data pipeline, the EAGLE and ShapeNet-Car task models with their
// losses and gradients, the learning-rate schedule (against PyTorch itself), and `erwin step`,
// the command-line harness that reproduces a fixture from its files as they are.
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "erwin/checkpoint.h"
#include "erwin/datasets/training_tasks.h"
#include "erwin/npy.h"
#include "erwin/training/lr_schedule.h"
#include "gradient_check.h"
#include "process_support.h"
#include "test_support.h"

using namespace erwin;
using namespace erwin::test;
using json = nlohmann::json;

namespace {

// The issue's bounds: outputs absolute, losses and the trajectory relative, gradients relative
// (all together and per weight).
constexpr double kOutputTolerance = 1e-4;
constexpr double kLossTolerance = 1e-5;
constexpr double kTrajectoryTolerance = 1e-4;
constexpr GradientTolerances kGradientTolerances{1e-3, 1e-4};

struct TaskFixture {
  NpzArchive archive;
  json meta;
};

TaskFixture load_task_fixture(const std::string& name) {
  NpzArchive archive = NpzArchive::load(reference_file(name + ".npz"));
  json meta = json::parse(archive.meta_json());
  return {std::move(archive), std::move(meta)};
}

ErwinConfig fixture_config(const TaskFixture& f) {
  return ErwinConfig::from_json(f.meta.at("config").dump());
}

double relative_difference(double value, double reference) {
  return std::abs(value - reference) / std::max(std::abs(reference), 1e-300);
}

void expect_close(const torch::Tensor& ours, const torch::Tensor& reference, double tolerance,
                  const QString& what) {
  QVERIFY2(ours.sizes() == reference.sizes(), qPrintable(what + ": shapes differ"));
  const double error =
      (ours.detach().to(torch::kDouble) - reference.to(torch::kDouble)).abs().max().item<double>();
  qInfo("  %s: max abs error %.3g", qPrintable(what), error);
  QVERIFY2(error <= tolerance, qPrintable(QString("%1: max abs error %2").arg(what).arg(error)));
}

void expect_relative(double ours, double reference, double tolerance, const QString& what) {
  const double error = relative_difference(ours, reference);
  qInfo("  %s: %.9g vs %.9g, relative error %.3g", qPrintable(what), ours, reference, error);
  QVERIFY2(error <= tolerance, qPrintable(QString("%1: %2 vs %3 (relative error %4)")
                                              .arg(what)
                                              .arg(ours, 0, 'g', 9)
                                              .arg(reference, 0, 'g', 9)
                                              .arg(error)));
}

// Directed edges of step t of an edges tensor [2, T, E], sorted: the multiset of pairs.
std::vector<std::pair<int64_t, int64_t>> edge_multiset(const torch::Tensor& edges, int64_t t) {
  const torch::Tensor step = edges.select(1, t).contiguous();
  std::vector<std::pair<int64_t, int64_t>> pairs;
  for (int64_t e = 0; e < step.size(1); ++e)
    pairs.emplace_back(step[0][e].item<int64_t>(), step[1][e].item<int64_t>());
  std::sort(pairs.begin(), pairs.end());
  return pairs;
}

// The EAGLE fixture's batch through our loader and its model inputs.
struct EagleCase {
  TaskFixture fixture;
  datasets::Batch batch;
  int64_t start = 0;
};

EagleCase load_eagle_case() {
  EagleCase c{load_task_fixture("task_eagle"), {}, 0};
  c.start = c.fixture.meta.at("start_frame").get<int64_t>();
  c.batch =
      datasets::eagle_split_batch(reference_file(c.fixture.meta.at("data").get<std::string>()),
                                  c.fixture.meta.at("split").get<std::string>(),
                                  c.fixture.meta.at("window_length").get<int64_t>(), c.start);
  return c;
}

EagleModel eagle_fixture_model(const TaskFixture& f) {
  EagleModel model(fixture_config(f), datasets::kEagleNodeClasses,
                   f.meta.at("use_pe").get<int64_t>() != 0);
  load_weights(*model, f.archive.path());
  return model;
}

datasets::EagleLosses eagle_train_forward(EagleModel& model, const EagleWindow& input,
                                          EagleUnroll* unroll = nullptr) {
  model->train();
  const EagleUnroll result = model->unroll(input);
  if (unroll) *unroll = result;
  return datasets::eagle_losses(result, input.state);
}

EagleWindow to_double(EagleWindow w) {
  w.state = w.state.to(torch::kDouble);
  w.node_type_onehot = w.node_type_onehot.to(torch::kDouble);
  w.positions = w.positions.to(torch::kDouble);
  return w;
}

void write_json(const std::string& path, const json& value) {
  std::ofstream(path, std::ios::binary) << value.dump();
}

QString q(const std::string& text) { return QString::fromStdString(text); }

}  // namespace

class TaskParity : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void initTestCase() { torch::set_num_threads(1); }  // as the fixtures were made

  void eagle_loader_gives_the_published_batch() {
    ERWIN_REQUIRE_FIXTURE(reference_file("task_eagle.npz"));
    const EagleCase c = load_eagle_case();
    const auto ours = datasets::published_eagle_batch(c.batch, c.start);
    for (const char* field : {"mesh_pos", "velocity", "pressure"})
      expect_close(ours.at(field), c.fixture.archive.get(std::string("batch.") + field), 1e-6,
                   field);
    for (const char* field : {"node_type", "num_nodes", "num_edges", "timestep", "batch_idx"})
      QVERIFY2(torch::equal(ours.at(field), c.fixture.archive.get(std::string("batch.") + field)),
               field);

    // Edges: per step the same multiset of directed pairs (node offsets per simulation applied),
    // multiplicities included: the fixture repeats edges across slots.
    const torch::Tensor edges = ours.at("edges"), reference = c.fixture.archive.get("batch.edges");
    QCOMPARE(edges.sizes().vec(), reference.sizes().vec());
    for (int64_t t = 0; t < edges.size(1); ++t) {
      const auto pairs = edge_multiset(edges, t);
      QVERIFY2(pairs == edge_multiset(reference, t), qPrintable(QString("step %1").arg(t)));
      auto distinct = pairs;
      distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
      qInfo("  step %lld: %zu edges, %zu distinct", static_cast<long long>(t), pairs.size(),
            distinct.size());
      QVERIFY2(distinct.size() < pairs.size(), "the fixture's repeated edges were lost");
    }
  }

  void eagle_task_matches_published() {
    ERWIN_REQUIRE_FIXTURE(reference_file("task_eagle.npz"));
    const EagleCase c = load_eagle_case();
    const NpzArchive& a = c.fixture.archive;
    const EagleWindow input = datasets::eagle_window_from_batch(c.batch);
    EagleModel model = eagle_fixture_model(c.fixture);
    EagleUnroll unroll;
    const datasets::EagleLosses losses = eagle_train_forward(model, input, &unroll);
    expect_close(unroll.states, a.get("state_hat_train"), kOutputTolerance, "state_hat_train");
    expect_close(unroll.increments, a.get("output_train"), kOutputTolerance, "output_train");
    expect_close(unroll.target_increments, a.get("target_train"), kOutputTolerance, "target_train");
    expect_relative(losses.loss.item<double>(), a.get("loss_train").item<double>(), kLossTolerance,
                    "loss_train");
    expect_relative(losses.loss_pressure.item<double>(),
                    a.get("loss_pressure_train").item<double>(), kLossTolerance,
                    "loss_pressure_train");
    expect_relative(losses.loss_velocity.item<double>(),
                    a.get("loss_velocity_train").item<double>(), kLossTolerance,
                    "loss_velocity_train");
    losses.loss.backward();

    EagleModel exact = eagle_fixture_model(c.fixture);
    exact->to(torch::kDouble);
    eagle_train_forward(exact, to_double(input)).loss.backward();
    expect_gradients_match(*model, *exact, a, kGradientTolerances);

    // The fixtures take the eval values after two train-mode passes (the forward that gives
    // their outputs, then training_step): BatchNorm's running statistics updated twice.
    torch::NoGradGuard no_grad;
    eagle_train_forward(model, input);
    model->eval();
    const auto eval = datasets::eagle_losses(model->unroll(input), input.state);
    expect_relative(eval.loss.item<double>(), a.get("loss_eval").item<double>(), kLossTolerance,
                    "loss_eval");
  }

  void shapenet_task_matches_published() {
    ERWIN_REQUIRE_FIXTURE(reference_file("task_shapenet.npz"));
    const TaskFixture f = load_task_fixture("task_shapenet");
    const NpzArchive& a = f.archive;
    const auto forward = [&](ShapenetCarModel& model, torch::Dtype dtype) {
      model->train();
      const torch::Tensor predicted =
          model->forward(a.get("input.node_positions").to(dtype), a.get("input.batch_idx"),
                         a.get("input.edge_index"));
      return predicted;
    };
    ShapenetCarModel model(fixture_config(f));
    load_weights(*model, a.path());
    const torch::Tensor target = a.get("input.target");
    const torch::Tensor predicted = forward(model, torch::kFloat);
    const torch::Tensor loss = shapenet_pressure_loss(predicted, target);
    expect_close(predicted, a.get("pred_train"), kOutputTolerance, "pred_train");
    expect_relative(loss.item<double>(), a.get("loss_train").item<double>(), kLossTolerance,
                    "loss_train");
    expect_relative(datasets::shapenet_denormalised_mse(predicted.detach(), target).item<double>(),
                    a.get("mse_train").item<double>(), kLossTolerance, "mse_train");
    loss.backward();

    ShapenetCarModel exact(fixture_config(f));
    load_weights(*exact, a.path());
    exact->to(torch::kDouble);
    shapenet_pressure_loss(forward(exact, torch::kDouble), target.to(torch::kDouble)).backward();
    expect_gradients_match(*model, *exact, a, kGradientTolerances);

    // The fixtures take the eval values after two train-mode passes (the forward that gives
    // their outputs, then training_step): BatchNorm's running statistics updated twice.
    torch::NoGradGuard no_grad;
    forward(model, torch::kFloat);
    model->eval();
    const torch::Tensor eval = model->forward(a.get("input.node_positions"),
                                              a.get("input.batch_idx"), a.get("input.edge_index"));
    expect_close(eval, a.get("pred_eval"), kOutputTolerance, "pred_eval");
    expect_relative(shapenet_pressure_loss(eval, target).item<double>(),
                    a.get("loss_eval").item<double>(), kLossTolerance, "loss_eval");
    expect_relative(datasets::shapenet_denormalised_mse(eval, target).item<double>(),
                    a.get("mse_eval").item<double>(), kLossTolerance, "mse_eval");
  }

  // PyTorch's own SequentialLR(LinearLR(start_factor=1e-8), CosineAnnealingLR) as the published
  // create_scheduler_with_warmup builds it, stepped after each optimiser step: our lr_at(step)
  // for every step, including no warm-up and steps past total_steps (the cosine rises again).
  void schedule_equals_pytorch() {
    REQUIRE_VENV_PYTHON();
    const json cases =
        json::array({json::array({8e-4, 2, 10, 1e-7, 14}), json::array({1e-3, 1, 8, 5e-5, 20}),
                     json::array({1e-3, 0, 5, 0.0, 12}), json::array({3e-3, 5, 30, 1e-4, 70}),
                     json::array({5e-4, 100, 1000, 1e-7, 1100})});
    const QString script = R"(
import json, sys, warnings, torch
warnings.simplefilter("ignore")
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
out = []
for lr, warmup, total, eta_min, steps in json.loads(sys.argv[1]):
    opt = torch.optim.AdamW([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheduler = SequentialLR(opt, [LinearLR(opt, start_factor=1e-8, end_factor=1.0, total_iters=warmup),
                                   CosineAnnealingLR(opt, T_max=total - warmup, eta_min=eta_min)],
                             milestones=[warmup])
    lrs = []
    for _ in range(steps):
        lrs.append(opt.param_groups[0]["lr"])
        opt.step()
        scheduler.step()
    out.append(lrs)
print(json.dumps(out))
)";
    const Run run = run_python(script, {q(cases.dump())});
    REQUIRE_SUCCESS(run);
    const json pytorch = json::parse(run.out.toStdString());
    for (size_t i = 0; i < cases.size(); ++i) {
      const json& k = cases[i];
      const WarmupCosineSchedule ours(k[0].get<double>(), k[1].get<int64_t>(), k[2].get<int64_t>(),
                                      k[3].get<double>());
      double worst = 0;
      for (size_t step = 0; step < pytorch[i].size(); ++step)
        worst = std::max(worst, relative_difference(ours.lr_at(static_cast<int64_t>(step)),
                                                    pytorch[i][step].get<double>()));
      qInfo("  %s: %zu steps, largest relative difference %.3g", k.dump().c_str(),
            pytorch[i].size(), worst);
      QVERIFY2(worst <= 1e-12, qPrintable(q(k.dump())));
    }
  }

  // `erwin step` on the fixtures' files as they are: C.json = __meta__.config (+ use_pe / knn),
  // W.npz = the param.* members, I.npz = the input.* members, OPT.json = __meta__.optimizer.
  // Every result member the fixture holds must be in O.npz and agree with it.
  void step_harness_reproduces_fixture_data() {
    QTest::addColumn<QString>("task");
    QTest::newRow("eagle") << "eagle";
    QTest::newRow("shapenet") << "shapenet";
  }
  void step_harness_reproduces_fixture() {
    QFETCH(QString, task);
    const std::string name = "task_" + task.toStdString();
    ERWIN_REQUIRE_FIXTURE(reference_file(name + ".npz"));
    const TaskFixture f = load_task_fixture(name);
    QTemporaryDir dir;
    const auto path = [&](const char* file) { return dir.filePath(file); };
    json config = f.meta.at("config");
    std::map<std::string, torch::Tensor> weights, inputs;
    for (const auto& member : f.archive.names()) {
      if (member.rfind("param.", 0) == 0) weights[member] = f.archive.get(member);
      if (member.rfind("input.", 0) == 0) inputs[member] = f.archive.get(member);
    }
    save_npz(path("W.npz").toStdString(), weights);
    write_json(path("OPT.json").toStdString(), f.meta.at("optimizer"));
    QStringList args{"step",
                     "--task",
                     task,
                     "--config",
                     path("C.json"),
                     "--weights",
                     path("W.npz"),
                     "--output",
                     path("O.npz"),
                     "--steps",
                     QString::number(f.meta.at("steps").get<int64_t>()),
                     "--optimizer",
                     path("OPT.json")};
    if (task == "eagle") {
      config["use_pe"] = f.meta.at("use_pe");
      args << "--data" << q(reference_file(f.meta.at("data").get<std::string>())) << "--split"
           << q(f.meta.at("split").get<std::string>()) << "--window"
           << QString::number(f.meta.at("window_length").get<int64_t>()) << "--start"
           << QString::number(f.meta.at("start_frame").get<int64_t>());
    } else {
      config["knn"] = f.meta.at("knn");
      save_npz(path("I.npz").toStdString(), inputs);
      args << "--input" << path("I.npz");
    }
    write_json(path("C.json").toStdString(), config);
    const Run run = run_erwin(args);
    REQUIRE_SUCCESS(run);
    const NpzArchive out = NpzArchive::load(path("O.npz").toStdString());

    int compared = 0;
    std::vector<torch::Tensor> grads, reference_grads;
    for (const auto& member : f.archive.names()) {
      if (member == "__meta__" || member.rfind("param.", 0) == 0 || member.rfind("input.", 0) == 0)
        continue;
      QVERIFY2(out.contains(member), qPrintable(q("O.npz lacks " + member)));
      const torch::Tensor ours = out.get(member), reference = f.archive.get(member);
      QVERIFY2(ours.sizes() == reference.sizes(), qPrintable(q(member + ": shapes differ")));
      ++compared;
      if (member.rfind("grad.", 0) == 0) {
        grads.push_back(ours.flatten().to(torch::kDouble));
        reference_grads.push_back(reference.flatten().to(torch::kDouble));
      } else if (member.rfind("trajectory.", 0) == 0) {
        for (int64_t s = 0; s < reference.numel(); ++s)
          expect_relative(ours[s].item<double>(), reference[s].item<double>(), kTrajectoryTolerance,
                          q(member + "[" + std::to_string(s) + "]"));
      } else if (member.rfind("loss", 0) == 0 || member.rfind("mse", 0) == 0) {
        expect_relative(ours.item<double>(), reference.item<double>(), kLossTolerance, q(member));
      } else if (member == "batch.edges") {
        for (int64_t t = 0; t < reference.size(1); ++t)
          QVERIFY2(edge_multiset(ours, t) == edge_multiset(reference, t), "batch.edges");
      } else if (ours.is_floating_point()) {
        expect_close(ours, reference, kOutputTolerance, q(member));
      } else {
        QVERIFY2(torch::equal(ours, reference), qPrintable(q(member)));
      }
    }
    const double overall = relative_error(torch::cat(grads), torch::cat(reference_grads));
    qInfo("  %d members compared; all gradients together: relative error %.3g", compared, overall);
    QVERIFY2(overall <= kGradientTolerances.overall, qPrintable(QString::number(overall)));
  }

  void step_harness_rejects_bad_arguments() {
    ERWIN_REQUIRE_FIXTURE(reference_file("task_shapenet.npz"));
    QTemporaryDir dir;
    const QString config = dir.filePath("C.json");
    write_json(config.toStdString(), json{{"c_in", 8}});
    REQUIRE_FAILURE_NAMING(run_erwin({"step", "--task", "fluid", "--config", config, "--weights",
                                      "W", "--output", "O"}),
                           "--task");
    REQUIRE_FAILURE_NAMING(run_erwin({"step", "--task", "shapenet", "--config", config, "--weights",
                                      "W", "--input", "I", "--output", "O"}),
                           config);
  }
};

QTEST_GUILESS_MAIN(TaskParity)
#include "tst_task_parity.moc"
