// The `erwin` command-line tool as a user runs it: real processes, files in a temporary
// directory, outputs compared with the reference fixtures, and the errors a user can cause.
#include <torch/version.h>

#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>

#include "erwin/npy.h"
#include "process_support.h"
#include "test_support.h"

using erwin::test::reference_file;
using erwin::test::Run;
using erwin::test::run_erwin;

namespace {

QString q(const std::string& text) { return QString::fromStdString(text); }

// Entries of `entries` (int64) in consecutive balls of `ball_size`, each sorted.
std::vector<std::vector<int64_t>> sorted_balls(const torch::Tensor& entries, int64_t ball_size) {
  const torch::Tensor flat = entries.contiguous();
  const int64_t* p = flat.data_ptr<int64_t>();
  std::vector<std::vector<int64_t>> balls(flat.numel() / ball_size);
  for (size_t b = 0; b < balls.size(); ++b) {
    balls[b].assign(p + b * ball_size, p + (b + 1) * ball_size);
    std::sort(balls[b].begin(), balls[b].end());
  }
  return balls;
}

void write_text(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

}  // namespace

class CliTest : public QObject {
  Q_OBJECT

 private:
  QTemporaryDir dir_;
  std::string path(const std::string& name) const { return dir_.filePath(q(name)).toStdString(); }

  // C.json from the fixture's __meta__.config, as the user would extract it.
  std::string write_config(const erwin::NpzArchive& archive) const {
    const std::string config = path("C.json");
    write_text(config, nlohmann::json::parse(archive.meta_json()).at("config").dump());
    return config;
  }

  // `erwin tree` on the 3-D ball-tree fixture's points with its options, into `output`.
  Run write_fixture_tree(const std::string& fixture, const char* order, const std::string& output) {
    return run_erwin({"tree", "--input", q(fixture), "--strides", "2,2,2", "--ball-sizes",
                      "32,32,16,16", "--angle", "45", "--order", order, "--output", q(output)});
  }

  void check_forward(bool train) {
    const std::string fixture = reference_file("erwin_3d_unet.npz");
    ERWIN_REQUIRE_FIXTURE(fixture);
    const auto archive = erwin::NpzArchive::load(fixture);
    const std::string output = path(train ? "O_train.npy" : "O_eval.npy");
    QStringList args{"forward",   "--config", q(write_config(archive)),
                     "--weights", q(fixture), "--input",
                     q(fixture),  "--output", q(output)};
    if (train) args << "--train";
    const Run run = run_erwin(args);
    REQUIRE_SUCCESS(run);
    QVERIFY2(run.out.contains("ms"), qPrintable(run.out));
    const torch::Tensor ours = erwin::load_npy(output);
    const torch::Tensor expected = archive.get(train ? "output_train" : "output_eval");
    QCOMPARE(ours.sizes().vec(), expected.sizes().vec());
    const double difference = (ours - expected).abs().max().item<double>();
    QVERIFY2(difference < 1e-4, qPrintable(QString("max |difference| %1").arg(difference)));
  }

 private Q_SLOTS:
  void initTestCase() { QVERIFY(dir_.isValid()); }

  void info_prints_versions() {
    const Run run = run_erwin({"info"});
    REQUIRE_SUCCESS(run);
    const QString libtorch = QString("LibTorch %1.%2.%3")
                                 .arg(TORCH_VERSION_MAJOR)
                                 .arg(TORCH_VERSION_MINOR)
                                 .arg(TORCH_VERSION_PATCH);
    QVERIFY2(run.out.contains(libtorch), qPrintable(run.out));
    QVERIFY2(run.out.contains("CUDA available"), qPrintable(run.out));
  }

  void help_for_every_command() {
    const Run top = run_erwin({"--help"});
    REQUIRE_SUCCESS(top);
    for (const char* command : {"info", "tree", "forward", "export", "bench", "demo"}) {
      QVERIFY2(top.out.contains(command), qPrintable(top.out));
      const Run run = run_erwin({command, "--help"});
      REQUIRE_SUCCESS(run);
      QVERIFY2(run.out.contains(QString("usage: erwin %1").arg(command)), qPrintable(run.out));
    }
  }

  // The default (published) order writes the fixture's members slot for slot.
  void tree_matches_fixture() {
    const std::string fixture = reference_file("balltree_3d.npz");
    ERWIN_REQUIRE_FIXTURE(fixture);
    const std::string output = path("T_published.npz");
    const Run run = write_fixture_tree(fixture, "published", output);
    REQUIRE_SUCCESS(run);
    QVERIFY2(run.out.contains("built in") && run.out.contains("published order"),
             qPrintable(run.out));
    const auto reference = erwin::NpzArchive::load(fixture);
    const auto ours = erwin::NpzArchive::load(output);
    for (const std::string member : {"tree_idx", "tree_mask", "tree_idx_rot.0", "tree_idx_rot.1",
                                     "tree_idx_rot.2", "tree_idx_rot.3"})
      QVERIFY2(torch::equal(ours.get(member), reference.get(member)), member.c_str());
  }

  // The fast order: the same balls (compared as the reference README says).
  void fast_tree_has_the_fixture_balls() {
    const std::string fixture = reference_file("balltree_3d.npz");
    ERWIN_REQUIRE_FIXTURE(fixture);
    const std::string output = path("T_fast.npz");
    const Run run = write_fixture_tree(fixture, "fast", output);
    REQUIRE_SUCCESS(run);
    QVERIFY2(run.out.contains("fast order"), qPrintable(run.out));
    const auto ours = erwin::NpzArchive::load(output);
    const auto reference = erwin::NpzArchive::load(fixture);
    QCOMPARE(sorted_balls(ours.get("tree_idx"), 32), sorted_balls(reference.get("tree_idx"), 32));
    QCOMPARE(ours.get("tree_mask").sum().item<int64_t>(),
             reference.get("tree_mask").sum().item<int64_t>());
    // Rotated level 0 holds slots: compare the points they stand for (reference README).
    const auto rotated_points = [](const erwin::NpzArchive& a) {
      return a.get("tree_idx").index({a.get("tree_idx_rot.0")});
    };
    QCOMPARE(sorted_balls(rotated_points(ours), 32), sorted_balls(rotated_points(reference), 32));
    const std::vector<int64_t> ball_sizes{32, 32, 16, 16};
    for (size_t level = 1; level < ball_sizes.size(); ++level) {
      const std::string member = "tree_idx_rot." + std::to_string(level);
      QCOMPARE(sorted_balls(ours.get(member), ball_sizes[level]),
               sorted_balls(reference.get(member), ball_sizes[level]));
    }
  }

  // End to end from Python's side of the interchange: an input without a tree, so the CLI builds
  // one, gives the published outputs.
  void forward_with_its_own_tree_matches_fixture() {
    const std::string fixture = reference_file("erwin_3d_unet.npz");
    ERWIN_REQUIRE_FIXTURE(fixture);
    const auto archive = erwin::NpzArchive::load(fixture);
    const std::string input = path("I_without_tree.npz");
    std::map<std::string, torch::Tensor> members;
    for (const char* name : {"node_features", "node_positions", "batch_idx", "edge_index"})
      members[name] = archive.get(name);
    erwin::save_npz(input, members);
    const std::string output = path("O_own_tree.npy");
    const Run run = run_erwin({"forward", "--config", q(write_config(archive)), "--weights",
                               q(fixture), "--input", q(input), "--output", q(output)});
    REQUIRE_SUCCESS(run);
    const double difference =
        (erwin::load_npy(output) - archive.get("output_eval")).abs().max().item<double>();
    QVERIFY2(difference < 1e-4, qPrintable(QString("max |difference| %1").arg(difference)));
  }

  void forward_eval_matches_fixture() { check_forward(false); }
  void forward_train_matches_fixture() { check_forward(true); }

  void missing_input_file_is_named() {
    const std::string missing = path("no-such-cloud.npz");
    REQUIRE_FAILURE_NAMING(run_erwin({"tree", "--input", q(missing)}), q(missing));
    const std::string fixture = reference_file("erwin_3d_unet.npz");
    ERWIN_REQUIRE_FIXTURE(fixture);
    const auto archive = erwin::NpzArchive::load(fixture);
    REQUIRE_FAILURE_NAMING(
        run_erwin({"forward", "--config", q(write_config(archive)), "--weights", q(missing),
                   "--input", q(fixture), "--output", q(path("O.npy"))}),
        q(missing));
  }

  void truncated_npz_is_named() {
    const std::string fixture = reference_file("erwin_3d_unet.npz");
    ERWIN_REQUIRE_FIXTURE(fixture);
    std::ifstream in(fixture, std::ios::binary);
    const std::string bytes((std::istreambuf_iterator<char>(in)), {});
    const std::string truncated = path("truncated.npz");
    write_text(truncated, bytes.substr(0, bytes.size() / 2));
    const auto archive = erwin::NpzArchive::load(fixture);
    REQUIRE_FAILURE_NAMING(
        run_erwin({"forward", "--config", q(write_config(archive)), "--weights", q(fixture),
                   "--input", q(truncated), "--output", q(path("O.npy"))}),
        q(truncated));
    REQUIRE_FAILURE_NAMING(run_erwin({"tree", "--input", q(truncated)}), q(truncated));
  }

  void input_without_required_member_is_named() {
    const std::string fixture = reference_file("erwin_3d_unet.npz");
    ERWIN_REQUIRE_FIXTURE(fixture);
    const auto archive = erwin::NpzArchive::load(fixture);
    const std::string input = path("no_features.npz");
    erwin::save_npz(input, {{"node_positions", archive.get("node_positions")},
                            {"batch_idx", archive.get("batch_idx")}});
    REQUIRE_FAILURE_NAMING(
        run_erwin({"forward", "--config", q(write_config(archive)), "--weights", q(fixture),
                   "--input", q(input), "--output", q(path("O.npy"))}),
        "node_features");
  }

  // generate -> train (one step of a small model) -> rollout with both exports.
  void rollout_of_a_trained_checkpoint_is_exported() {
    if (!run_erwin({"--help"}).out.contains("rollout")) QSKIP("erwin built without datasets/");
    const std::string data = path("eagle"), checkpoint = path("eagle.ckpt");
    REQUIRE_SUCCESS(run_erwin({"generate", "--dataset", "eagle", "--output", q(data)}));
    nlohmann::json config = nlohmann::json::parse(
        std::ifstream(erwin::test::source_dir() + "/resources/configs/eagle_smoke.json"));
    config["model"].update({{"c_hidden", {16, 32}},
                            {"ball_sizes", {32, 32}},
                            {"enc_num_heads", {2, 4}},
                            {"enc_depths", {1, 1}},
                            {"dec_num_heads", {2}},
                            {"dec_depths", {1}},
                            {"strides", {2}},
                            {"mp_steps", 1}});
    config["schedule"]["warmup_steps"] = 0;
    config["training"].update({{"steps", 1}, {"val_interval", 0}, {"checkpoint_interval", 0}});
    write_text(path("tiny.json"), config.dump());
    REQUIRE_SUCCESS(run_erwin({"train", "--config", q(path("tiny.json")), "--data", q(data),
                               "--checkpoint", q(checkpoint)}));

    // Regression (issue 13, case 9): a missing output folder is named, not created, and nothing
    // runs; the series folder of --pvd (one level) is created.
    const Run missing_folder = run_erwin({"rollout", "--checkpoint", q(checkpoint), "--data",
                                          q(data), "--output", q(path("nowhere/deeper/out.h5"))});
    REQUIRE_FAILURE_NAMING(missing_folder, "does not exist");
    QVERIFY(!QFileInfo::exists(q(path("nowhere"))));
    std::filesystem::create_directory(path("r"));
    const Run run = run_erwin({"rollout", "--checkpoint", q(checkpoint), "--data", q(data),
                               "--start", "3", "--steps", "2", "--output", q(path("r/out.h5")),
                               "--pvd", q(path("r/pv/out.pvd"))});
    REQUIRE_SUCCESS(run);
    QVERIFY2(run.out.contains("rmse_velocity") && run.out.contains("wrote"), qPrintable(run.out));
    QVERIFY(QFileInfo(q(path("r/out.h5"))).size() > 0);
    for (const char* frame : {"3", "4", "5"})
      QVERIFY(QFileInfo(q(path("r/pv/out_000") + frame + ".vtu")).size() > 0);
    std::ifstream pvd(path("r/pv/out.pvd"));
    const std::string collection((std::istreambuf_iterator<char>(pvd)), {});
    QVERIFY2(collection.find("file=\"out_0005.vtu\"") != std::string::npos, collection.c_str());

    const Run bad_pvd = run_erwin(
        {"rollout", "--checkpoint", q(checkpoint), "--data", q(data), "--pvd", q(path("out.vtu"))});
    REQUIRE_FAILURE_NAMING(bad_pvd, "--pvd");
    QCOMPARE(bad_pvd.exit_code, 2);
    REQUIRE_FAILURE_NAMING(run_erwin({"predict", "--checkpoint", q(checkpoint), "--data", q(data)}),
                           "expected shapenet_car");
  }

  // export and forward take every kind of weights file: published training checkpoints, fixture
  // .npz files, run configurations as --config, and the configuration the checkpoint records.
  void export_and_forward_take_every_checkpoint() {
    REQUIRE_VENV_PYTHON();
    const std::string eagle = reference_file("task_eagle.training_checkpoint.pt");
    const std::string shapenet = reference_file("task_shapenet.training_checkpoint.pt");
    ERWIN_REQUIRE_FIXTURE(eagle);
    const std::string eagle_pt = path("eagle_export.pt"), unet_pt = path("unet_export.pt");
    const Run exported = run_erwin({"export", "--weights", q(eagle), "--output", q(eagle_pt)});
    REQUIRE_SUCCESS(exported);
    QVERIFY2(exported.out.contains("208 tensors"), qPrintable(exported.out));
    REQUIRE_SUCCESS(run_erwin(
        {"export", "--weights", q(reference_file("erwin_3d_unet.npz")), "--output", q(unet_pt)}));
    // The published state_dicts: same names, order, dtypes and values.
    const Run same = erwin::test::run_python(
        "import collections, sys, torch\n"
        "for ours, ref in [(sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])]:\n"
        "    a, b = torch.load(ours), torch.load(ref)\n"
        "    b = b.get('model_state_dict', b)\n"
        "    assert type(a) is collections.OrderedDict and list(a) == list(b), ours\n"
        "    assert all(a[k].dtype == b[k].dtype and torch.equal(a[k], b[k]) for k in b), ours\n"
        "print('same')\n",
        {q(eagle_pt), q(eagle), q(unet_pt), q(reference_file("erwin_3d_unet.state_dict.pt"))});
    REQUIRE_SUCCESS(same);

    // The ShapeNet-Car checkpoint's backbone on random points: configured by the checkpoint
    // itself, or by a run configuration with its exported weights.
    torch::manual_seed(0);
    erwin::save_npz(path("points.npz"), {{"node_features", torch::randn({64, 16})},
                                         {"node_positions", torch::rand({64, 3})},
                                         {"batch_idx", torch::zeros({64}, torch::kInt64)}});
    const std::string shapenet_pt = path("shapenet_export.pt");
    REQUIRE_SUCCESS(run_erwin({"export", "--weights", q(shapenet), "--output", q(shapenet_pt)}));
    nlohmann::json run_config = nlohmann::json::parse(
        std::ifstream(erwin::test::source_dir() + "/resources/configs/shapenet_car_smoke.json"));
    run_config["model"] = {{"c_in", 16},
                           {"c_hidden", {16, 16}},
                           {"ball_sizes", {32, 32}},
                           {"enc_num_heads", {2, 2}},
                           {"enc_depths", {2, 2}},
                           {"dec_num_heads", {2}},
                           {"dec_depths", {2}},
                           {"strides", {1}},
                           {"rotate", 45},
                           {"mlp_ratio", 4},
                           {"dimensionality", 3},
                           {"mp_steps", 3}};
    write_text(path("shapenet_run.json"), run_config.dump());
    const QStringList common{"--input", q(path("points.npz")), "--radius", "0.3"};
    REQUIRE_SUCCESS(run_erwin(QStringList{"forward", "--weights", q(shapenet), "--output",
                                          q(path("from_checkpoint.npy"))} +
                              common));
    REQUIRE_SUCCESS(run_erwin(QStringList{"forward", "--weights", q(shapenet_pt), "--config",
                                          q(path("shapenet_run.json")), "--output",
                                          q(path("from_export.npy"))} +
                              common));
    const torch::Tensor a = erwin::load_npy(path("from_checkpoint.npy"));
    QCOMPARE(a.sizes().vec(), (std::vector<int64_t>{64, 16}));
    QVERIFY(torch::equal(a, erwin::load_npy(path("from_export.npy"))));
    REQUIRE_FAILURE_NAMING(
        run_erwin(QStringList{"forward", "--weights", q(unet_pt), "--output", q(path("x.npy"))} +
                  common),
        "--config");
  }

  // The published save_checkpoint's EagleModel / ShapenetCarModel checkpoints: rollout, predict,
  // and training resumed from their optimizer state.
  void published_checkpoints_roll_out_predict_and_resume() {
    if (!run_erwin({"--help"}).out.contains("rollout")) QSKIP("erwin built without datasets/");
    REQUIRE_VENV_PYTHON();
    const std::string eagle = reference_file("task_eagle.training_checkpoint.pt");
    const std::string data = reference_file("eagle_task");
    ERWIN_REQUIRE_FIXTURE(eagle);
    const Run rollout = run_erwin({"rollout", "--checkpoint", q(eagle), "--data", q(data),
                                   "--split", "test", "--steps", "2"});
    REQUIRE_SUCCESS(rollout);
    QVERIFY2(rollout.out.contains("150 nodes, 2 steps"), qPrintable(rollout.out));

    const std::string cars = path("cars");
    REQUIRE_SUCCESS(run_erwin({"generate", "--dataset", "shapenet", "--output", q(cars)}));
    const Run predict = run_erwin({"predict", "--checkpoint",
                                   q(reference_file("task_shapenet.training_checkpoint.pt")),
                                   "--data", q(cars), "--split", "test"});
    REQUIRE_SUCCESS(predict);
    QVERIFY2(predict.out.contains("pressure MSE"), qPrintable(predict.out));

    // Resume: the run's model is the checkpoint's; training goes on from step 4 of 8.
    nlohmann::json config = nlohmann::json::parse(
        std::ifstream(erwin::test::source_dir() + "/resources/configs/eagle_smoke.json"));
    config["model"] = {{"c_in", 8},
                       {"c_hidden", {8, 16, 32}},
                       {"ball_sizes", {16, 16, 16}},
                       {"enc_num_heads", {1, 2, 4}},
                       {"enc_depths", {2, 2, 2}},
                       {"dec_num_heads", {2, 2}},
                       {"dec_depths", {2, 2}},
                       {"strides", {2, 2}},
                       {"rotate", 45},
                       {"mlp_ratio", 4},
                       {"dimensionality", 2},
                       {"mp_steps", 3}};
    config["data"].update({{"window", 3}, {"eval_start", 0}});
    config["optimizer"]["lr"] = 8e-4;
    config["schedule"] = {{"warmup_steps", 2}, {"min_lr", 1e-7}};
    config["training"].update({{"steps", 8}, {"val_interval", 0}, {"checkpoint_interval", 0}});
    write_text(path("eagle_run.json"), config.dump());
    const std::string resumed = path("resumed/eagle.pt");
    const Run train = run_erwin({"train", "--config", q(path("eagle_run.json")), "--data", q(data),
                                 "--checkpoint", q(resumed), "--resume", q(eagle)});
    REQUIRE_SUCCESS(train);
    QVERIFY2(train.out.contains("steps 4..8"), qPrintable(train.out));
    const Run check = erwin::test::run_python(
        "import sys, torch\n"
        "ck, ref = torch.load(sys.argv[1]), torch.load(sys.argv[2])\n"
        "steps = {float(s['step']) for s in ck['optimizer_state_dict']['state'].values()}\n"
        "print(ck['global_step'], sorted(steps), ck['scheduler_state_dict']['last_epoch'],\n"
        "      list(ck['model_state_dict']) == list(ref['model_state_dict']))\n",
        {q(resumed), q(eagle)});
    REQUIRE_SUCCESS(check);
    QVERIFY2(check.out.contains("8 [8.0] 8 True"), qPrintable(check.out));

    config["model"]["c_in"] = 16;  // another model: refused, naming the checkpoint
    write_text(path("other_run.json"), config.dump());
    REQUIRE_FAILURE_NAMING(
        run_erwin({"train", "--config", q(path("other_run.json")), "--data", q(data),
                   "--checkpoint", q(path("other.pt")), "--resume", q(eagle)}),
        "model configuration");
  }

  // The benchmark compares attention computations and precisions in one run, one row each, and
  // times a single pass when asked (its peak RSS then that pass's).
  void bench_compares_attention_and_precision() {
    const Run run = run_erwin({"bench", "--device", "cpu", "--sizes", "1024", "--batch", "2",
                               "--attention", "fused,reference", "--precision", "fp32,bf16",
                               "--pass", "fwd", "--repeats", "1", "--warmup", "0"});
    REQUIRE_SUCCESS(run);
    for (const char* row : {"fused     fp32        1024", "reference fp32        1024",
                            "fused     bf16        1024", "reference bf16        1024"})
      QVERIFY2(run.out.contains(row), qPrintable(QString(row) + "\n" + run.out));
    QVERIFY2(run.out.contains("peak RSS of this process:"), qPrintable(run.out));
    REQUIRE_FAILURE_NAMING(run_erwin({"bench", "--attention", "flash"}), "--attention");
    REQUIRE_FAILURE_NAMING(run_erwin({"bench", "--precision", "fp16"}), "--precision");
    REQUIRE_FAILURE_NAMING(run_erwin({"bench", "--pass", "bwd"}), "--pass");
  }

  // --precision bf16 runs the forward under autocast: output close to, not equal to, float32's.
  void forward_in_bfloat16() {
    const std::string fixture = reference_file("erwin_3d_unet.npz");
    ERWIN_REQUIRE_FIXTURE(fixture);
    const auto archive = erwin::NpzArchive::load(fixture);
    const std::string output = path("O_bf16.npy");
    const Run run =
        run_erwin({"forward", "--config", q(write_config(archive)), "--weights", q(fixture),
                   "--input", q(fixture), "--output", q(output), "--precision", "bf16"});
    REQUIRE_SUCCESS(run);
    const auto expected = archive.get("output_eval");
    const double relative =
        (erwin::load_npy(output) - expected).norm().item<double>() / expected.norm().item<double>();
    QVERIFY2(relative > 1e-4 && relative < 2e-2, qPrintable(QString::number(relative)));
    REQUIRE_FAILURE_NAMING(
        run_erwin({"forward", "--config", q(write_config(archive)), "--weights", q(fixture),
                   "--input", q(fixture), "--output", q(output), "--precision", "half"}),
        "--precision");
  }

  void bad_arguments_exit_with_usage_error() {
    const Run unknown = run_erwin({"tree", "--input", "x.npz", "--bogus", "1"});
    REQUIRE_FAILURE_NAMING(unknown, "--bogus");
    QCOMPARE(unknown.exit_code, 2);
    REQUIRE_FAILURE_NAMING(run_erwin({"tree", "--input"}), "--input");
    REQUIRE_FAILURE_NAMING(run_erwin({"tree", "--input", "x.npz", "--strides", "2,two"}),
                           "--strides");
    REQUIRE_FAILURE_NAMING(run_erwin({"tree"}), "--input");
    REQUIRE_FAILURE_NAMING(run_erwin({"tree", "--input", "x.npz", "--order", "random"}), "--order");
    REQUIRE_FAILURE_NAMING(run_erwin({"no-such-command"}), "no-such-command");
  }
};

QTEST_APPLESS_MAIN(CliTest)
#include "tst_cli.moc"
