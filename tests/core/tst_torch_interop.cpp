// Checkpoints both ways, against PyTorch itself (the project's .venv): our training checkpoints
// and state_dicts opened by torch.load(weights_only=True) and resumed by torch.optim.AdamW and
// SequentialLR; files written by torch.save (published training checkpoints, state_dicts with
// their _metadata, torch.compile'd names) opened here; the published fixtures' checkpoints
// resumed here take the same AdamW step as in PyTorch; a resumed run equals an uninterrupted one
// bit for bit.
#include <QTemporaryDir>
#include <QTest>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "erwin/checkpoint.h"
#include "erwin/npy.h"
#include "erwin/training/eagle_model.h"
#include "erwin/training/optimization.h"
#include "erwin/training/shapenet_model.h"
#include "erwin/training/trainer.h"
#include "erwin/training/training_checkpoint.h"
#include "process_support.h"
#include "test_support.h"

using namespace erwin;
using erwin::test::reference_file;

#define REQUIRE_JSON(actual, expected)                                  \
  QVERIFY2((actual) == (expected),                                      \
           qPrintable(QString("%1 != %2")                               \
                          .arg(QString::fromStdString((actual).dump()), \
                               QString::fromStdString((expected).dump()))))

namespace {

constexpr int64_t kEagleNodeTypes = 9;  // the published EagleModel's one-hot width

QString q(const std::string& text) { return QString::fromStdString(text); }

std::shared_ptr<torch::nn::Module> task_model(const RunConfig& run) {
  if (run.task == TaskKind::Eagle)
    return EagleModel(run.model, kEagleNodeTypes, run.data.use_pe).ptr();
  return ShapenetCarModel(run.model, run.data.fourier_sigma).ptr();
}

std::vector<std::string> parameter_names(const torch::nn::Module& model) {
  std::vector<std::string> names;
  for (const auto& item : model.named_parameters()) names.push_back(item.key());
  return names;
}

void write_json(const std::string& path, const nlohmann::json& json) {
  std::ofstream(path) << json.dump();
}

// Runs `script` in the .venv's Python; its last stdout line is JSON, returned parsed.
nlohmann::json run_python_json(const char* script, const QStringList& args) {
  const test::Run run = test::run_python(QString::fromUtf8(script), args);
  if (run.crashed || run.exit_code != 0) {
    QTest::qFail(qPrintable(test::describe(run)), __FILE__, __LINE__);
    return nullptr;
  }
  const QStringList lines = run.out.trimmed().split('\n');
  return nlohmann::json::parse(lines.last().toStdString());
}

// max |a - b| / max(1, max |b|): one number per tensor pair, for tolerances and reports.
double scaled_difference(const torch::Tensor& a, const torch::Tensor& b) {
  const double scale = std::max(1.0, b.abs().max().item<double>());
  return (a.to(torch::kDouble) - b.to(torch::kDouble)).abs().max().item<double>() / scale;
}

// A small regression task with BatchNorm buffers, for resume checks that need no data set.
class RegressionTask : public TrainingTask {
 public:
  RegressionTask() {
    torch::manual_seed(3);
    model_ = torch::nn::Sequential(torch::nn::Linear(3, 16), torch::nn::BatchNorm1d(16),
                                   torch::nn::ReLU(), torch::nn::Linear(16, 1));
    inputs_ = torch::randn({10, 8, 3});
    targets_ = inputs_.sin().sum(-1, true);
  }
  torch::nn::Module& model() override { return *model_; }
  void to(const torch::Device& device) override { model_->to(device); }
  int64_t train_size() const override { return 8; }
  int64_t val_size() const override { return 2; }
  torch::Tensor train_loss(const std::vector<int64_t>& indices, uint64_t) override {
    return loss(indices, 0);
  }
  torch::Tensor val_loss(const std::vector<int64_t>& indices) override { return loss(indices, 8); }

 private:
  torch::Tensor loss(const std::vector<int64_t>& indices, int64_t offset) {
    std::vector<torch::Tensor> x, y;
    for (int64_t i : indices) {
      x.push_back(inputs_[offset + i]);
      y.push_back(targets_[offset + i]);
    }
    return torch::mse_loss(model_->forward(torch::cat(x)), torch::cat(y));
  }
  torch::nn::Sequential model_{nullptr};
  torch::Tensor inputs_, targets_;
};

RunConfig regression_run() {
  RunConfig run;
  run.name = "regression";
  run.data.root = "synthetic";
  run.model.c_in = 3;  // recorded in the checkpoint's config; RegressionTask has its own model
  run.model.c_hidden = {16, 32};
  run.model.ball_sizes = {16, 16};
  run.model.enc_num_heads = {2, 4};
  run.model.enc_depths = {1, 1};
  run.model.dec_num_heads = {2};
  run.model.dec_depths = {1};
  run.model.strides = {2};
  run.optimizer.lr = 1e-2;
  run.schedule.warmup_steps = 3;
  run.schedule.min_lr = 1e-4;
  run.batch_size = 2;
  run.steps = 20;
  run.log_interval = 2;
  run.val_interval = 4;
  run.checkpoint_interval = 0;
  run.seed = 11;
  return run;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const auto& name : names) out += name + " ";
  return out;
}

bool bitwise_equal(const torch::Tensor& a, const torch::Tensor& b) {
  return a.sizes() == b.sizes() && a.scalar_type() == b.scalar_type() && torch::equal(a, b);
}

// ---- Python sides

// Opens our checkpoint with torch.load's defaults, checks its layout against the published
// fixture checkpoint of the same model and against PyTorch's own AdamW / SequentialLR, loads the
// state dicts into them, and reports what it found.
const char* kOpenOurCheckpoint = R"PY(
import collections, json, pickletools, sys, warnings, zipfile
import numpy as np, torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
warnings.simplefilter("ignore")
path, expected_path, reference_path, meta_path = sys.argv[1:5]
meta = json.load(open(meta_path))
ck = torch.load(path)  # PyTorch's default: weights_only=True
ref = torch.load(reference_path)
names = zipfile.ZipFile(path).namelist()
pickle = zipfile.ZipFile(path).read([n for n in names if n.endswith("/data.pkl")][0])
globals_ = sorted({arg for op, arg, _ in pickletools.genops(pickle) if op.name == "GLOBAL"})
expected = np.load(expected_path)
sd = ck["model_state_dict"]
report = {
    "keys": list(ck),
    "records": sorted({n.split("/", 1)[1].split("/")[0] for n in names}),
    "globals": globals_,
    "ordered": type(sd) is collections.OrderedDict,
    "same_keys_as_published": list(sd) == list(ref["model_state_dict"]),
    "same_shapes_and_dtypes": all(sd[k].shape == v.shape and sd[k].dtype == v.dtype
                                  for k, v in ref["model_state_dict"].items()),
    "weights_equal": all(np.array_equal(sd[k].numpy(), expected["model." + k]) for k in sd),
    "config_keys_as_published": list(ck["config"]) == list(ref["config"]),
    "config": ck["config"], "val_loss": ck["val_loss"], "global_step": ck["global_step"],
    "erwin_keys": sorted(ck["erwin"]),
}
params = [sd[k].clone().requires_grad_() for k in meta["parameters"]]
def make(opt_params):
    opt = torch.optim.AdamW(opt_params, lr=meta["lr"], weight_decay=meta["weight_decay"])
    sched = SequentialLR(opt, [LinearLR(opt, start_factor=1e-8, end_factor=1.0,
                                        total_iters=meta["warmup"]),
                               CosineAnnealingLR(opt, T_max=meta["steps"] - meta["warmup"],
                                                 eta_min=meta["min_lr"])],
                         milestones=[meta["warmup"]])
    return opt, sched
opt, sched = make(params)
osd = ck["optimizer_state_dict"]
report["group_keys_as_pytorch"] = list(osd["param_groups"][0]) == list(opt.state_dict()["param_groups"][0])
report["state_indices"] = sorted(osd["state"])
report["step_dtypes"] = sorted({str(s["step"].dtype) + str(tuple(s["step"].shape)) for s in osd["state"].values()})
opt.load_state_dict(osd)
moments_equal = True
for i, p in enumerate(params):
    if "exp_avg.%d" % i not in expected:
        moments_equal &= p not in opt.state
        continue
    s = opt.state[p]
    moments_equal &= bool(np.array_equal(s["exp_avg"].numpy(), expected["exp_avg.%d" % i]))
    moments_equal &= bool(np.array_equal(s["exp_avg_sq"].numpy(), expected["exp_avg_sq.%d" % i]))
    moments_equal &= float(s["step"]) == meta["global_step"]
report["moments_equal"] = moments_equal
report["lr_after_load"] = opt.param_groups[0]["lr"]
# What PyTorch's own scheduler holds after the same number of steps.
ref_opt, ref_sched = make([torch.zeros(1, requires_grad=True)])
for _ in range(meta["global_step"]):
    ref_opt.step(); ref_sched.step()
def differences(a, b, where=""):
    if isinstance(a, dict):
        if list(a) != list(b): return ["%s keys %s vs %s" % (where, list(a), list(b))]
        return [d for k in a for d in differences(a[k], b[k], where + "." + k)]
    if isinstance(a, list):
        if len(a) != len(b): return ["%s length" % where]
        return [d for x, y, i in zip(a, b, range(len(a))) for d in differences(x, y, "%s[%d]" % (where, i))]
    if type(a) is not type(b): return ["%s type %s vs %s" % (where, type(a), type(b))]
    if isinstance(a, float): return [] if abs(a - b) <= 1e-12 * max(abs(b), 1e-30) else ["%s %r vs %r" % (where, a, b)]
    return [] if a == b else ["%s %r vs %r" % (where, a, b)]
report["scheduler_differences"] = differences(ck["scheduler_state_dict"], ref_sched.state_dict())
sched.load_state_dict(ck["scheduler_state_dict"])
lrs = []
for _ in range(4):
    sched.step()
    lrs.append(opt.param_groups[0]["lr"])
report["lrs_after"] = lrs
print(json.dumps(report))
)PY";

// A training checkpoint as the published save_checkpoint writes it for a torch.compile'd model,
// after two AdamW + SequentialLR steps from the fixture's weights; and a state_dict of a real
// nn.Module (with its _metadata). The tensors go to an .npz for comparison.
const char* kWritePublishedCheckpoint = R"PY(
import collections, json, sys, warnings
import numpy as np, torch
from torch.optim.lr_scheduler import CosineAnnealingLR, LinearLR, SequentialLR
warnings.simplefilter("ignore")
reference_path, names_path, checkpoint_path, state_dict_path, expected_path = sys.argv[1:6]
ref = torch.load(reference_path)
names = json.load(open(names_path))
torch.manual_seed(0)
sd = collections.OrderedDict((k, v.clone()) for k, v in ref["model_state_dict"].items())
params = [sd[k].requires_grad_() for k in names]
opt = torch.optim.AdamW(params, lr=2e-3, weight_decay=0.05, betas=(0.8, 0.99), eps=1e-7)
sched = SequentialLR(opt, [LinearLR(opt, start_factor=1e-8, end_factor=1.0, total_iters=1),
                           CosineAnnealingLR(opt, T_max=6, eta_min=1e-5)], milestones=[1])
for step in range(3):
    for i, p in enumerate(params):
        p.grad = None if i == 3 else torch.randn_like(p)
    opt.step(); sched.step()
compiled = collections.OrderedDict(("_orig_mod." + k, v.detach()) for k, v in sd.items())
config = dict(ref["config"], seed=4, batch_size=3, lr=2e-3)
torch.save({"model_state_dict": compiled, "optimizer_state_dict": opt.state_dict(),
            "scheduler_state_dict": sched.state_dict(), "val_loss": 0.25,
            "global_step": 2,  # fit() saves the index of the step just taken
            "config": config}, checkpoint_path)
module = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.BatchNorm1d(4))
module(torch.randn(5, 3))
torch.save(module.state_dict(), state_dict_path)
out = {"model." + k: v.detach().numpy() for k, v in sd.items()}
out.update({"module." + k: v.numpy() for k, v in module.state_dict().items()})
for i, p in enumerate(params):
    if p in opt.state:
        out["exp_avg.%d" % i] = opt.state[p]["exp_avg"].numpy()
        out["exp_avg_sq.%d" % i] = opt.state[p]["exp_avg_sq"].numpy()
        out["step.%d" % i] = np.array(float(opt.state[p]["step"]))
np.savez(expected_path, **out)
print(json.dumps({"lr": opt.param_groups[0]["lr"]}))
)PY";

// One more AdamW step in PyTorch from a checkpoint's optimizer state, on plain tensors (the
// checkpoint's weights, named as given), with the given gradients and lr.
const char* kAdamWStep = R"PY(
import json, sys
import numpy as np, torch
checkpoint_path, inputs_path, meta_path, output_path = sys.argv[1:5]
ck = torch.load(checkpoint_path)
meta = json.load(open(meta_path))
inputs = np.load(inputs_path)
params = [ck["model_state_dict"][k].clone().requires_grad_() for k in meta["parameters"]]
opt = torch.optim.AdamW(params, lr=1.0)
opt.load_state_dict(ck["optimizer_state_dict"])
stored_lr = opt.param_groups[0]["lr"]
opt.param_groups[0]["lr"] = meta["lr"]
for k, p in zip(meta["parameters"], params):
    p.grad = torch.from_numpy(inputs["grad." + k])
opt.step()
out = {}
for k, p in zip(meta["parameters"], params):
    out["param." + k] = p.detach().numpy()
    out["exp_avg." + k] = opt.state[p]["exp_avg"].numpy()
    out["exp_avg_sq." + k] = opt.state[p]["exp_avg_sq"].numpy()
np.savez(output_path, **out)
print(json.dumps({"stored_lr": stored_lr, "weight_decay": opt.param_groups[0]["weight_decay"]}))
)PY";

}  // namespace

class TorchInteropTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string path(const std::string& name) const { return dir_.filePath(q(name)).toStdString(); }

 private Q_SLOTS:
  void initTestCase() {
    QVERIFY(dir_.isValid());
    torch::set_num_threads(1);
  }

  // The optimizer's parameter indices are named_parameters() order, which must be PyTorch's
  // order of the published models: the fixtures' state_dicts without their buffers.
  void parameter_order_is_the_published_order() {
    for (const char* name : {"task_eagle", "task_shapenet", "erwin_3d_unet"}) {
      const std::string fixture = reference_file(std::string(name) + ".training_checkpoint.pt");
      ERWIN_REQUIRE_FIXTURE(fixture);
      std::shared_ptr<torch::nn::Module> model =
          std::string(name) == "erwin_3d_unet"
              ? ErwinTransformer(*read_weights_config(fixture)).ptr()
              : task_model(load_training_checkpoint(fixture).run_config);
      std::vector<std::string> published, published_parameters, ours;
      std::set<std::string> buffers;
      for (const auto& item : model->named_buffers()) buffers.insert(item.key());
      for (const auto& [key, tensor] : read_weights_in_order(fixture)) {
        published.push_back(key);
        if (!buffers.count(key)) published_parameters.push_back(key);
      }
      for (const auto& [key, tensor] : ordered_state_dict(*model)) ours.push_back(key);
      QVERIFY2(ours == published, (joined(ours) + "\nvs\n" + joined(published)).c_str());
      QVERIFY2(parameter_names(*model) == published_parameters, name);
    }
  }

  void our_checkpoint_opens_and_resumes_in_pytorch() {
    REQUIRE_VENV_PYTHON();
    const std::string reference = reference_file("task_eagle.training_checkpoint.pt");
    ERWIN_REQUIRE_FIXTURE(reference);
    TrainingState state;
    state.run_config = load_training_checkpoint(reference).run_config;
    state.run_config.name = "interop";
    state.run_config.data.root = "data/eagle";
    state.run_config.optimizer.lr = 8e-4;
    state.run_config.schedule = {2, 1e-7};
    state.run_config.steps = 12;
    state.schedule = WarmupCosineSchedule(8e-4, 2, 12, 1e-7);
    state.step = 3;
    state.seed = 5;
    state.elapsed_seconds = 1.5;
    state.history.append({2, 0.9, 0.5, 4e-4, 10.0, 1.0});
    state.history.append({3, 0.8, std::nullopt, 8e-4, 10.0, 1.5});

    torch::manual_seed(2);
    auto model = task_model(state.run_config);
    auto optimizer = make_adamw(*model, state.run_config.optimizer);
    const auto names = parameter_names(*model);
    const int64_t without_grad = 5;  // never stepped: PyTorch keeps no state for it
    for (int64_t step = 0; step < state.step; ++step) {
      for (auto& group : optimizer->param_groups())
        group.options().set_lr(state.schedule.lr_at(step));
      const auto params = model->parameters();
      for (size_t i = 0; i < params.size(); ++i)
        params[i].mutable_grad() = static_cast<int64_t>(i) == without_grad
                                       ? torch::Tensor()
                                       : torch::randn_like(params[i]);
      optimizer->step();
    }
    const std::string checkpoint = path("ours.pt");
    save_training_checkpoint(checkpoint, state, *model, *optimizer);

    std::map<std::string, torch::Tensor> expected;
    for (const auto& [key, tensor] : ordered_state_dict(*model)) expected["model." + key] = tensor;
    const auto params = model->parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      const auto found = optimizer->state().find(params[i].unsafeGetTensorImpl());
      if (found == optimizer->state().end()) continue;
      const auto& s = static_cast<const torch::optim::AdamWParamState&>(*found->second);
      expected["exp_avg." + std::to_string(i)] = s.exp_avg();
      expected["exp_avg_sq." + std::to_string(i)] = s.exp_avg_sq();
    }
    save_npz(path("ours_expected.npz"), expected);
    write_json(path("ours_meta.json"), {{"parameters", names},
                                        {"lr", 8e-4},
                                        {"weight_decay", state.run_config.optimizer.weight_decay},
                                        {"warmup", 2},
                                        {"steps", 12},
                                        {"min_lr", 1e-7},
                                        {"global_step", state.step}});
    const nlohmann::json report = run_python_json(
        kOpenOurCheckpoint,
        {q(checkpoint), q(path("ours_expected.npz")), q(reference), q(path("ours_meta.json"))});
    if (QTest::currentTestFailed()) return;
    qInfo("%s", report.dump().c_str());

    REQUIRE_JSON(report.at("keys"),
                 nlohmann::json({"model_state_dict", "optimizer_state_dict", "scheduler_state_dict",
                                 "val_loss", "global_step", "config", "erwin"}));
    // Only torch.save's records, and only the globals weights_only allows: no TorchScript, no code.
    REQUIRE_JSON(report.at("records"),
                 nlohmann::json({".data", ".format_version", ".storage_alignment", "byteorder",
                                 "data", "data.pkl", "version"}));
    REQUIRE_JSON(report.at("globals"),
                 nlohmann::json({"collections OrderedDict", "torch FloatStorage",
                                 "torch LongStorage", "torch._utils _rebuild_tensor_v2"}));
    for (const char* check :
         {"ordered", "same_keys_as_published", "same_shapes_and_dtypes", "weights_equal",
          "config_keys_as_published", "group_keys_as_pytorch", "moments_equal"})
      QVERIFY2(report.at(check).get<bool>(), check);
    QCOMPARE(report.at("config").at("experiment").get<std::string>(), std::string("eagle"));
    REQUIRE_JSON(report.at("config").at("c_hidden"), nlohmann::json({8, 16, 32}));
    QCOMPARE(report.at("val_loss").get<double>(), 0.5);
    QCOMPARE(report.at("global_step").get<int64_t>(), int64_t{3});
    REQUIRE_JSON(report.at("erwin_keys"),
                 nlohmann::json({"elapsed_seconds", "format", "metrics", "run_config", "schedule",
                                 "seed", "version"}));
    nlohmann::json indices = nlohmann::json::array();
    for (int64_t i = 0; i < static_cast<int64_t>(names.size()); ++i)
      if (i != without_grad) indices.push_back(i);
    REQUIRE_JSON(report.at("state_indices"), indices);
    REQUIRE_JSON(report.at("step_dtypes"), nlohmann::json({"torch.float32()"}));
    REQUIRE_JSON(report.at("scheduler_differences"), nlohmann::json::array());
    QCOMPARE(report.at("lr_after_load").get<double>(), state.schedule.lr_at(3));
    const auto lrs = report.at("lrs_after").get<std::vector<double>>();
    for (size_t k = 0; k < lrs.size(); ++k) {
      const double ours = state.schedule.lr_at(state.step + 1 + static_cast<int64_t>(k));
      QVERIFY2(
          std::abs(lrs[k] - ours) <= 1e-12 * ours,
          qPrintable(QString("step %1: PyTorch %2, ours %3").arg(4 + k).arg(lrs[k]).arg(ours)));
    }

    // And back: the same state, weights and moments.
    auto restored = task_model(state.run_config);
    auto restored_optimizer = make_adamw(*restored, state.run_config.optimizer);
    const TrainingState read =
        load_training_checkpoint(checkpoint, restored.get(), restored_optimizer.get());
    QCOMPARE(read.step, state.step);
    QCOMPARE(read.seed, state.seed);
    QCOMPARE(read.elapsed_seconds, state.elapsed_seconds);
    QCOMPARE(read.run_config.to_json(), state.run_config.to_json());
    QVERIFY(read.schedule == state.schedule);
    QCOMPARE(read.history.to_json(), state.history.to_json());
    for (const auto& [key, tensor] : ordered_state_dict(*restored))
      QVERIFY2(bitwise_equal(tensor, expected.at("model." + key)), key.c_str());
    QCOMPARE(restored_optimizer->state().size(), optimizer->state().size());
  }

  void pytorch_checkpoints_and_state_dicts_open_here() {
    REQUIRE_VENV_PYTHON();
    const std::string reference = reference_file("task_shapenet.training_checkpoint.pt");
    ERWIN_REQUIRE_FIXTURE(reference);
    const RunConfig fixture_run = load_training_checkpoint(reference).run_config;
    auto model = task_model(fixture_run);
    write_json(path("names.json"), parameter_names(*model));
    const std::string checkpoint = path("published.pt"), module = path("module.pt");
    const nlohmann::json written = run_python_json(
        kWritePublishedCheckpoint, {q(reference), q(path("names.json")), q(checkpoint), q(module),
                                    q(path("published_expected.npz"))});
    if (QTest::currentTestFailed()) return;
    const NpzArchive expected = NpzArchive::load(path("published_expected.npz"));

    QCOMPARE(detect_weights_format(checkpoint), WeightsFormat::TorchTrainingCheckpoint);
    auto optimizer = make_adamw(*model, fixture_run.optimizer);
    const TrainingState state = load_training_checkpoint(checkpoint, model.get(), optimizer.get());
    QCOMPARE(state.run_config.task, TaskKind::ShapenetCar);
    QCOMPARE(state.run_config.model.to_json(), fixture_run.model.to_json());
    QCOMPARE(state.step, int64_t{3});  // the scheduler's steps, not fit()'s global_step
    QCOMPARE(state.seed, uint64_t{4});
    QCOMPARE(state.run_config.batch_size, int64_t{3});
    QCOMPARE(state.run_config.data.knn, int64_t{8});
    QCOMPARE(state.run_config.optimizer.lr, 2e-3);
    QCOMPARE(state.run_config.optimizer.weight_decay, 0.05);
    QCOMPARE(state.run_config.optimizer.beta1, 0.8);
    QCOMPARE(state.run_config.optimizer.beta2, 0.99);
    QCOMPARE(state.run_config.optimizer.eps, 1e-7);
    QVERIFY(state.schedule == WarmupCosineSchedule(2e-3, 1, 7, 1e-5));
    QVERIFY(std::abs(state.schedule.lr_at(state.step) - written.at("lr").get<double>()) <=
            1e-12 * written.at("lr").get<double>());
    for (const auto& [key, tensor] : ordered_state_dict(*model))
      QVERIFY2(bitwise_equal(tensor, expected.get("model." + key)), key.c_str());
    const auto params = model->parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      const auto found = optimizer->state().find(params[i].unsafeGetTensorImpl());
      const std::string index = std::to_string(i);
      QCOMPARE(found != optimizer->state().end(), expected.contains("exp_avg." + index));
      if (found == optimizer->state().end()) continue;
      const auto& s = static_cast<const torch::optim::AdamWParamState&>(*found->second);
      QCOMPARE(static_cast<double>(s.step()), expected.get("step." + index).item<double>());
      QVERIFY(bitwise_equal(s.exp_avg(), expected.get("exp_avg." + index)));
      QVERIFY(bitwise_equal(s.exp_avg_sq(), expected.get("exp_avg_sq." + index)));
    }

    // A state_dict of a real nn.Module, with the _metadata attribute PyTorch attaches.
    QCOMPARE(detect_weights_format(module), WeightsFormat::TorchStateDict);
    const OrderedStateDict module_state = read_weights_in_order(module);
    std::vector<std::string> keys;
    for (const auto& [key, tensor] : module_state) {
      keys.push_back(key);
      QVERIFY2(bitwise_equal(tensor, expected.get("module." + key)), key.c_str());
    }
    QVERIFY2(keys == (std::vector<std::string>{"0.weight", "0.bias", "1.weight", "1.bias",
                                               "1.running_mean", "1.running_var",
                                               "1.num_batches_tracked"}),
             joined(keys).c_str());
  }

  // The published fixtures' checkpoints, resumed here: one more AdamW step in C++ equals one more
  // step of torch.optim.AdamW loaded with the same optimizer_state_dict.
  void published_checkpoints_resume_with_pytorchs_adamw_step() {
    REQUIRE_VENV_PYTHON();
    for (const char* name : {"task_eagle", "task_shapenet"}) {
      const std::string checkpoint = reference_file(std::string(name) + ".training_checkpoint.pt");
      ERWIN_REQUIRE_FIXTURE(checkpoint);
      const TrainingState state = load_training_checkpoint(checkpoint);
      QCOMPARE(state.step, int64_t{4});
      auto model = task_model(state.run_config);
      auto optimizer = make_adamw(*model, state.run_config.optimizer);
      load_training_checkpoint(checkpoint, model.get(), optimizer.get());
      const double lr = state.schedule.lr_at(state.step);
      for (auto& group : optimizer->param_groups()) group.options().set_lr(lr);

      torch::manual_seed(7);
      std::map<std::string, torch::Tensor> grads;
      for (auto& item : model->named_parameters()) {
        item.value().mutable_grad() = torch::randn_like(item.value());
        grads["grad." + item.key()] = item.value().grad();
      }
      optimizer->step();
      const std::string inputs = path(std::string(name) + "_grads.npz");
      const std::string meta = path(std::string(name) + "_meta.json");
      const std::string output = path(std::string(name) + "_pytorch.npz");
      save_npz(inputs, grads);
      write_json(meta, {{"parameters", parameter_names(*model)}, {"lr", lr}});
      const nlohmann::json report =
          run_python_json(kAdamWStep, {q(checkpoint), q(inputs), q(meta), q(output)});
      if (QTest::currentTestFailed()) return;
      QVERIFY(std::abs(report.at("stored_lr").get<double>() - lr) <= 1e-12 * lr);
      QCOMPARE(report.at("weight_decay").get<double>(), state.run_config.optimizer.weight_decay);

      const NpzArchive pytorch = NpzArchive::load(output);
      double worst_param = 0, worst_moment = 0;
      for (auto& item : model->named_parameters()) {
        const auto found = optimizer->state().find(item.value().unsafeGetTensorImpl());
        const auto& s = static_cast<const torch::optim::AdamWParamState&>(*found->second);
        worst_param = std::max(worst_param, scaled_difference(item.value().detach(),
                                                              pytorch.get("param." + item.key())));
        worst_moment = std::max(
            {worst_moment, scaled_difference(s.exp_avg(), pytorch.get("exp_avg." + item.key())),
             scaled_difference(s.exp_avg_sq(), pytorch.get("exp_avg_sq." + item.key()))});
      }
      qInfo(
          "%s: one more AdamW step, C++ vs PyTorch: parameters %.3g, moments %.3g (scaled max "
          "|difference|)",
          name, worst_param, worst_moment);
      QVERIFY2(worst_param <= 1e-7 && worst_moment <= 1e-7,
               qPrintable(QString("%1: %2 %3").arg(name).arg(worst_param).arg(worst_moment)));
    }
  }

  void resume_of_our_checkpoint_is_bit_identical() {
    const RunConfig run = regression_run();
    Trainer uninterrupted(run, std::make_unique<RegressionTask>());
    std::vector<double> expected;
    for (int i = 0; i < 14; ++i) expected.push_back(uninterrupted.train_step());

    Trainer first(run, std::make_unique<RegressionTask>());
    for (int i = 0; i < 9; ++i) first.train_step();
    first.save_checkpoint(path("regression.pt"));
    Trainer resumed(run, std::make_unique<RegressionTask>());
    resumed.resume_from(path("regression.pt"));
    QCOMPARE(resumed.step(), int64_t{9});
    for (int i = 9; i < 14; ++i) QVERIFY(resumed.train_step() == expected[i]);

    const OrderedStateDict a = ordered_state_dict(uninterrupted.task().model());
    const OrderedStateDict b = ordered_state_dict(resumed.task().model());
    QCOMPARE(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i)
      QVERIFY2(bitwise_equal(a[i].second, b[i].second), a[i].first.c_str());
    const auto pa = uninterrupted.task().model().parameters();
    const auto pb = resumed.task().model().parameters();
    for (size_t i = 0; i < pa.size(); ++i) {
      const auto& sa = static_cast<const torch::optim::AdamWParamState&>(
          *uninterrupted.optimizer().state().at(pa[i].unsafeGetTensorImpl()));
      const auto& sb = static_cast<const torch::optim::AdamWParamState&>(
          *resumed.optimizer().state().at(pb[i].unsafeGetTensorImpl()));
      QCOMPARE(sa.step(), sb.step());
      QVERIFY(bitwise_equal(sa.exp_avg(), sb.exp_avg()));
      QVERIFY(bitwise_equal(sa.exp_avg_sq(), sb.exp_avg_sq()));
    }
  }

  void export_opens_in_pytorch_as_the_published_state_dict() {
    REQUIRE_VENV_PYTHON();
    const std::string reference = reference_file("erwin_3d_unet.state_dict.pt");
    ERWIN_REQUIRE_FIXTURE(reference);
    // The weights of our own checkpoint of the fixture's model, as a plain state_dict.
    ErwinTransformer model(*read_weights_config(reference_file("erwin_3d_unet.npz")));
    load_weights(*model, reference);
    const std::string exported = path("unet_state_dict.pt");
    save_state_dict(exported, ordered_state_dict(*model));
    const test::Run run = test::run_python(
        "import collections, sys, torch\n"
        "ours, ref = torch.load(sys.argv[1]), torch.load(sys.argv[2])\n"
        "assert type(ours) is collections.OrderedDict, type(ours)\n"
        "assert list(ours) == list(ref), 'keys or their order differ'\n"
        "for k in ref:\n"
        "    assert ours[k].dtype == ref[k].dtype and torch.equal(ours[k], ref[k]), k\n"
        "print('same', len(ours))\n",
        {q(exported), q(reference)});
    REQUIRE_SUCCESS(run);
    QVERIFY(run.out.contains("same 196"));
  }
};

QTEST_APPLESS_MAIN(TorchInteropTest)
#include "tst_torch_interop.moc"
