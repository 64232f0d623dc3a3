// Weights files: our checkpoint round trip, format detection, and rejection of weights that do
// not fit the model (unknown / missing keys, wrong shapes) with messages naming the key; the
// training checkpoints that earlier versions wrote as TorchScript archives, read without their
// code; torch.compile's names; damaged training checkpoints.
#include <caffe2/serialize/inline_container.h>

#include <QTemporaryDir>
#include <QTest>

#include "erwin/atomic_file.h"
#include "erwin/torch_pickle.h"
#include "erwin/training/eagle_model.h"
#include "erwin/training/training_checkpoint.h"
#include "model_fixture.h"
#include "process_support.h"

using namespace erwin;
using namespace erwin::test;

namespace {

template <typename Error>
std::string error_of(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

bool contains(const std::string& text, const std::string& needle) {
  return text.find(needle) != std::string::npos;
}

ErwinConfig small_config() {
  ErwinConfig c;
  c.c_in = 8;
  c.c_hidden = {8, 16};
  c.ball_sizes = {16, 16};
  c.enc_num_heads = {1, 2};
  c.enc_depths = {1, 1};
  c.dec_num_heads = {1};
  c.dec_depths = {1};
  c.strides = {2};
  c.rotate = 45;
  c.dimensionality = 2;
  c.mp_steps = 1;
  return c;
}

// What `erwin train` wrote before it wrote the published layout: a TorchScript archive
// (torch::serialize::OutputArchive) of the run state, the model and the optimizer.
void write_legacy_training_checkpoint(const std::string& path, const TrainingState& state,
                                      const torch::nn::Module& model,
                                      const torch::optim::Optimizer& optimizer) {
  torch::serialize::OutputArchive archive, model_archive, optimizer_archive;
  archive.write("format", c10::IValue(std::string("erwin-training-checkpoint")));
  archive.write("version", c10::IValue(int64_t{1}));
  archive.write("run_config", c10::IValue(state.run_config.to_json()));
  archive.write("schedule", c10::IValue(state.schedule.to_json()));
  archive.write("step", c10::IValue(state.step));
  archive.write("seed", c10::IValue(static_cast<int64_t>(state.seed)));
  archive.write("elapsed_seconds", c10::IValue(state.elapsed_seconds));
  archive.write("metrics", c10::IValue(state.history.to_json()));
  model.save(model_archive);
  optimizer.save(optimizer_archive);
  archive.write("model", model_archive);
  archive.write("optimizer", optimizer_archive);
  archive.save_to(path);
}

// A copy of the zip archive `from` whose code records (TorchScript source) are not Python.
void copy_with_garbage_code(const std::string& from, const std::string& to) {
  caffe2::serialize::PyTorchStreamReader reader(from);
  caffe2::serialize::PyTorchStreamWriter writer(to);
  const std::string garbage = "def (((( this is not code\n";
  for (const std::string& name : reader.getAllRecords()) {
    if (name == "version" || name.rfind(".data/", 0) == 0) continue;  // the writer adds them
    auto [data, size] = reader.getRecord(name);
    if (name.rfind("code/", 0) == 0)
      writer.writeRecord(name, garbage.data(), garbage.size());
    else
      writer.writeRecord(name, data.get(), size);
  }
  writer.writeEndOfFile();
}

const torch::optim::AdamWParamState& adam_state(const torch::optim::Optimizer& optimizer,
                                                const torch::Tensor& param) {
  return static_cast<const torch::optim::AdamWParamState&>(
      *optimizer.state().at(param.unsafeGetTensorImpl()));
}

}  // namespace

class CheckpointTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void round_trip_preserves_config_weights_and_extras() {
    ERWIN_REQUIRE_FIXTURE(reference_file("erwin_3d_unet.npz"));
    const auto f = load_model_fixture("erwin_3d_unet");
    auto model = fixture_model(f);
    torch::NoGradGuard no_grad;
    const auto expected = model->forward(f.inputs).features;

    QTemporaryDir dir;
    const auto path = dir.filePath("model.ckpt").toStdString();
    const std::map<std::string, torch::Tensor> extra{{"feature_mean", torch::arange(4.0)}};
    save_checkpoint(path, *model, f.config, extra);
    QCOMPARE(detect_weights_format(path), WeightsFormat::ErwinCheckpoint);

    const auto checkpoint = load_checkpoint(path);
    QCOMPARE(checkpoint.config.to_json(), f.config.to_json());
    QVERIFY(torch::equal(checkpoint.extra.at("feature_mean"), extra.at("feature_mean")));
    ErwinTransformer restored(checkpoint.config);
    load_state_dict(*restored, checkpoint.model_state);
    restored->eval();
    QVERIFY(torch::equal(restored->forward(f.inputs).features, expected));

    ErwinTransformer via_load_weights(f.config);
    load_weights(*via_load_weights, path);
    via_load_weights->eval();
    QVERIFY(torch::equal(via_load_weights->forward(f.inputs).features, expected));
  }

  void unknown_missing_and_misshapen_keys_are_rejected() {
    ERWIN_REQUIRE_FIXTURE(reference_file("erwin_3d_unet.npz"));
    const auto f = load_model_fixture("erwin_3d_unet");
    ErwinTransformer model(f.config);
    const auto good = read_weights(f.archive.path());

    auto unknown = good;
    unknown["encoder.9.blocks.0.norm1.weight"] = torch::ones({16});
    auto message = error_of<std::invalid_argument>([&] { load_state_dict(*model, unknown); });
    QVERIFY2(contains(message, "encoder.9.blocks.0.norm1.weight"), message.c_str());
    load_state_dict(*model, unknown, /*strict=*/false);  // tolerated when not strict

    auto missing = good;
    missing.erase("bottleneck.blocks.1.BMSA.sigma_att");
    message = error_of<std::invalid_argument>([&] { load_state_dict(*model, missing); });
    QVERIFY2(contains(message, "bottleneck.blocks.1.BMSA.sigma_att"), message.c_str());

    auto misshapen = good;
    misshapen["embed.embed_fn.weight"] = torch::zeros({16, 9});
    const auto before = state_dict(*model).at("embed.embed_fn.bias").clone();
    message = error_of<std::invalid_argument>([&] { load_state_dict(*model, misshapen, false); });
    QVERIFY2(contains(message, "embed.embed_fn.weight") && contains(message, "[16, 9]") &&
                 contains(message, "[16, 8]"),
             message.c_str());
    QVERIFY(torch::equal(state_dict(*model).at("embed.embed_fn.bias"), before));  // untouched

    // Through a file: the message names the file too.
    QTemporaryDir dir;
    const auto path = dir.filePath("bad.npz").toStdString();
    std::map<std::string, torch::Tensor> members;
    for (const auto& [name, tensor] : misshapen) members["param." + name] = tensor;
    save_npz(path, members);
    message = error_of<std::invalid_argument>([&] { load_weights(*model, path); });
    QVERIFY2(contains(message, path) && contains(message, "embed.embed_fn.weight"),
             message.c_str());
  }

  void wrong_architecture_is_rejected() {
    ERWIN_REQUIRE_FIXTURE(reference_file("erwin_3d_unet.npz"));
    const auto f = load_model_fixture("erwin_3d_resnet_knn");
    ErwinTransformer model(f.config);
    const auto message = error_of<std::invalid_argument>(
        [&] { load_weights(*model, reference_file("erwin_3d_unet.npz")); });
    QVERIFY2(contains(message, "erwin_3d_unet.npz"), message.c_str());
  }

  void non_weight_files_are_rejected() {
    QTemporaryDir dir;
    const auto text = dir.filePath("notes.txt").toStdString();
    write_file_atomically(text, "not weights");
    QVERIFY(contains(error_of<FormatError>([&] { detect_weights_format(text); }), text));

    const auto npz = dir.filePath("data.npz").toStdString();
    save_npz(npz, {{"positions", torch::zeros({3, 3})}});
    QVERIFY(contains(error_of<FormatError>([&] { read_weights(npz); }), "param."));

    const auto pt = dir.filePath("tensor.pt").toStdString();
    const auto bytes = torch::pickle_save(torch::zeros({2}));
    write_file_atomically(pt, std::string(bytes.begin(), bytes.end()));
    QVERIFY(contains(error_of<FormatError>([&] { read_weights(pt); }), pt));
  }

  // Earlier `erwin train` checkpoints still load everywhere (weights, state, AdamW moments), and
  // their TorchScript code is never read: here it is garbage, which torch::jit would refuse.
  void legacy_training_archives_load_without_their_code() {
    torch::manual_seed(4);
    EagleModel model(small_config(), 9);
    torch::optim::AdamW optimizer(model->parameters(), torch::optim::AdamWOptions(1e-3));
    for (int step = 0; step < 2; ++step) {
      for (auto& p : model->parameters()) p.mutable_grad() = torch::randn_like(p);
      optimizer.step();
    }
    TrainingState state;
    state.run_config.name = "legacy";
    state.run_config.task = TaskKind::Eagle;
    state.run_config.data.root = "data/eagle";
    state.run_config.model = small_config();
    state.run_config.steps = 50;
    state.schedule = WarmupCosineSchedule(1e-3, 0, 50, 1e-7);
    state.step = 2;
    state.seed = 9;
    state.elapsed_seconds = 3.25;
    state.history.append({2, 0.75, 0.5, 1e-3, 4.0, 3.25});
    QTemporaryDir dir;
    const std::string written = dir.filePath("written.ckpt").toStdString();
    const std::string legacy = dir.filePath("legacy.ckpt").toStdString();
    write_legacy_training_checkpoint(written, state, *model, optimizer);
    copy_with_garbage_code(written, legacy);
    QVERIFY(is_torchscript_archive(legacy));
    bool jit_refuses = false;
    try {
      torch::serialize::InputArchive archive;
      archive.load_from(legacy);
    } catch (const c10::Error&) {
      jit_refuses = true;
    }
    QVERIFY(jit_refuses);

    QCOMPARE(detect_weights_format(legacy), WeightsFormat::LegacyTrainingArchive);
    const OrderedStateDict weights = read_weights_in_order(legacy);
    const OrderedStateDict expected = ordered_state_dict(*model);
    QCOMPARE(weights.size(), expected.size());
    for (size_t i = 0; i < weights.size(); ++i) {
      QCOMPARE(weights[i].first, expected[i].first);
      QVERIFY(torch::equal(weights[i].second, expected[i].second));
    }
    QCOMPARE(read_weights_config(legacy)->to_json(), small_config().to_json());

    torch::manual_seed(5);
    EagleModel restored(small_config(), 9);
    torch::optim::AdamW restored_optimizer(restored->parameters(),
                                           torch::optim::AdamWOptions(1e-3));
    QVERIFY(is_training_checkpoint(legacy));
    const TrainingState read =
        load_training_checkpoint(legacy, restored.ptr().get(), &restored_optimizer);
    QCOMPARE(read.run_config.to_json(), state.run_config.to_json());
    QVERIFY(read.schedule == state.schedule);
    QCOMPARE(read.step, int64_t{2});
    QCOMPARE(read.seed, uint64_t{9});
    QCOMPARE(read.elapsed_seconds, 3.25);
    QCOMPARE(read.history.to_json(), state.history.to_json());
    const auto params = model->parameters(), restored_params = restored->parameters();
    for (size_t i = 0; i < params.size(); ++i) {
      QVERIFY(torch::equal(params[i], restored_params[i]));
      const auto& a = adam_state(optimizer, params[i]);
      const auto& b = adam_state(restored_optimizer, restored_params[i]);
      QCOMPARE(a.step(), b.step());
      QVERIFY(torch::equal(a.exp_avg(), b.exp_avg()));
      QVERIFY(torch::equal(a.exp_avg_sq(), b.exp_avg_sq()));
    }
  }

  // torch.compile's OptimizedModule prefixes every name with `_orig_mod.`; task checkpoints hold
  // the backbone under `main_model.`.
  void compiled_names_and_task_backbones() {
    torch::manual_seed(6);
    EagleModel model(small_config(), 9);
    pickle::Entries compiled;
    for (const auto& [name, tensor] : ordered_state_dict(*model))
      compiled.emplace_back("_orig_mod." + name, tensor);
    QTemporaryDir dir;
    const std::string path = dir.filePath("compiled.pt").toStdString();
    pickle::torch_save(path, pickle::dict({{"model_state_dict", pickle::ordered_dict(compiled)}}));
    QCOMPARE(detect_weights_format(path), WeightsFormat::TorchTrainingCheckpoint);
    EagleModel restored(small_config(), 9);
    load_weights(*restored, path);
    QVERIFY(torch::equal(restored->pred_head->weight, model->pred_head->weight));
    QVERIFY(!read_weights_config(path));

    const StateDict backbone = backbone_weights(read_weights(path));
    ErwinTransformer erwin(small_config());
    load_state_dict(*erwin, backbone);  // strict: exactly the backbone's keys
    QVERIFY(
        torch::equal(erwin->embed->embed_fn->weight, model->main_model->embed->embed_fn->weight));
    QCOMPARE(backbone_weights(backbone).size(), backbone.size());  // already a backbone
  }

  void damaged_training_checkpoints_are_named() {
    torch::manual_seed(7);
    EagleModel model(small_config(), 9);
    QTemporaryDir dir;
    const std::string plain = dir.filePath("plain.pt").toStdString();
    save_state_dict(plain, ordered_state_dict(*model));
    erwin::test::expect_format_error([&] { load_training_checkpoint(plain); },
                                     {plain, "model_state_dict"});
    QVERIFY(!is_training_checkpoint(plain));

    // A published-layout checkpoint whose optimizer state covers fewer parameters than the model.
    const std::string short_state = dir.filePath("short.pt").toStdString();
    pickle::torch_save(
        short_state,
        pickle::dict({{"model_state_dict", pickled_state_dict(ordered_state_dict(*model))},
                      {"optimizer_state_dict",
                       pickle::dict({{"state", pickle::dict({})},
                                     {"param_groups", pickle::list({pickle::dict(
                                                          {{"lr", 1e-3},
                                                           {"betas", pickle::tuple({0.9, 0.999})},
                                                           {"eps", 1e-8},
                                                           {"weight_decay", 0.01},
                                                           {"params", pickle::list({0, 1})}})})}})},
                      {"scheduler_state_dict", pickle::Value()},
                      {"val_loss", 1.0},
                      {"global_step", 3},
                      {"config", pickle::dict(pickled_erwin_config(small_config()))}}));
    const TrainingState state = load_training_checkpoint(short_state);
    QCOMPARE(state.run_config.task, TaskKind::Eagle);
    QCOMPARE(state.step, int64_t{3});  // no scheduler: global_step
    torch::optim::AdamW optimizer(model->parameters());
    erwin::test::expect_format_error(
        [&] { load_training_checkpoint(short_state, model.ptr().get(), &optimizer); },
        {short_state, "2 parameters"});

    // The published train_eagle.py: CosineAnnealingLR alone, a val_loss tensor, and a config
    // with the script's other arguments.
    const std::string cosine = dir.filePath("cosine.pt").toStdString();
    pickle::Entries config = pickled_erwin_config(small_config());
    config.emplace_back("data_path", "/data/eagle");
    config.emplace_back("lr", 8e-4);
    config.emplace_back("stats", torch::zeros({2}));
    pickle::torch_save(
        cosine,
        pickle::dict({{"model_state_dict", pickled_state_dict(ordered_state_dict(*model))},
                      {"optimizer_state_dict", pickle::Value()},
                      {"scheduler_state_dict", pickle::dict({{"T_max", 10},
                                                             {"eta_min", 1e-7},
                                                             {"base_lrs", pickle::list({8e-4})},
                                                             {"last_epoch", 4}})},
                      {"val_loss", torch::tensor(0.5)},
                      {"global_step", 3},
                      {"config", pickle::dict(config)}}));
    const TrainingState cosine_state = load_training_checkpoint(cosine);
    QCOMPARE(cosine_state.step, int64_t{4});
    QVERIFY(cosine_state.schedule == WarmupCosineSchedule(8e-4, 0, 10, 1e-7));
    QCOMPARE(cosine_state.run_config.model.to_json(), small_config().to_json());

    // A model of another configuration: the key is named.
    ErwinConfig wider = small_config();
    wider.c_in = 16;
    EagleModel other(wider, 9);
    erwin::test::expect_invalid_argument(
        [&] { load_training_checkpoint(short_state, other.ptr().get()); }, "embedding_model");
  }

  // Erwin checkpoints as the earlier writer (torch::pickle_save) wrote them still load.
  void earlier_erwin_checkpoints_still_load() {
    torch::manual_seed(8);
    ErwinTransformer model(small_config());
    c10::impl::GenericDict root(c10::StringType::get(), c10::AnyType::get());
    c10::impl::GenericDict weights(c10::StringType::get(), c10::TensorType::get());
    for (const auto& [name, tensor] : ordered_state_dict(*model)) weights.insert(name, tensor);
    root.insert("format", std::string("erwin-studio-checkpoint"));
    root.insert("version", int64_t{1});
    root.insert("config", small_config().to_json());
    root.insert("model_state_dict", weights);
    root.insert("extra", c10::impl::GenericDict(c10::StringType::get(), c10::TensorType::get()));
    QTemporaryDir dir;
    const auto path = dir.filePath("earlier.ckpt").toStdString();
    const auto bytes = torch::pickle_save(root);
    write_file_atomically(path, std::string(bytes.begin(), bytes.end()));
    QCOMPARE(detect_weights_format(path), WeightsFormat::ErwinCheckpoint);
    const Checkpoint checkpoint = load_checkpoint(path);
    QCOMPARE(checkpoint.config.to_json(), small_config().to_json());
    ErwinTransformer restored(checkpoint.config);
    load_state_dict(*restored, checkpoint.model_state);
    QVERIFY(torch::equal(restored->embed->embed_fn->weight, model->embed->embed_fn->weight));
  }

  // The Erwin checkpoint of save_checkpoint opens in PyTorch with its default weights_only=True.
  void erwin_checkpoint_opens_in_pytorch() {
    REQUIRE_VENV_PYTHON();
    ERWIN_REQUIRE_FIXTURE(reference_file("erwin_3d_unet.npz"));
    const auto f = load_model_fixture("erwin_3d_unet");
    auto model = fixture_model(f);
    QTemporaryDir dir;
    const auto path = dir.filePath("model.ckpt").toStdString();
    save_checkpoint(path, *model, f.config, {{"feature_mean", torch::arange(4.0)}});
    const auto run = erwin::test::run_python(
        "import sys, torch\n"
        "ck = torch.load(sys.argv[1])\n"
        "print(ck['format'], ck['version'], len(ck['model_state_dict']), "
        "ck['extra']['feature_mean'].tolist())\n",
        {dir.filePath("model.ckpt")});
    REQUIRE_SUCCESS(run);
    QVERIFY2(run.out.contains("erwin-studio-checkpoint 1 196 [0.0, 1.0, 2.0, 3.0]"),
             qPrintable(run.out));
  }
};

QTEST_APPLESS_MAIN(CheckpointTest)
#include "tst_checkpoint.moc"
