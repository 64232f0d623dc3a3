// Weights files: our checkpoint round trip, format detection, and rejection of weights that do
// not fit the model (unknown / missing keys, wrong shapes) with messages naming the key.
#include <QTemporaryDir>
#include <QTest>

#include "erwin/atomic_file.h"
#include "model_fixture.h"

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
};

QTEST_APPLESS_MAIN(CheckpointTest)
#include "tst_checkpoint.moc"
