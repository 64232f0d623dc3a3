// ErwinConfig: validation of the published constructor arguments and JSON round trips.
#include <QTest>
#include <functional>
#include <stdexcept>

#include "erwin/config.h"
#include "test_support.h"

using erwin::ErwinConfig;

namespace {

ErwinConfig valid_config() {
  ErwinConfig c;
  c.c_in = 8;
  c.c_hidden = {16, 32, 64};
  c.ball_sizes = {16, 16, 8};
  c.enc_num_heads = {2, 4, 8};
  c.enc_depths = {2, 2, 2};
  c.dec_num_heads = {2, 4};
  c.dec_depths = {2, 2};
  c.strides = {2, 2};
  c.rotate = 45;
  c.mp_steps = 2;
  return c;
}

// Runs `action`, requires std::invalid_argument whose message contains `needle`.
void expect_rejected(const std::function<void()>& action, const std::string& needle) {
  try {
    action();
  } catch (const std::invalid_argument& e) {
    const std::string message = e.what();
    QVERIFY2(message.find(needle) != std::string::npos,
             qPrintable(QString("message '%1' lacks '%2'")
                            .arg(QString::fromStdString(message), QString::fromStdString(needle))));
    return;
  }
  QFAIL(qPrintable(
      QString("accepted, expected an error naming '%1'").arg(QString::fromStdString(needle))));
}

void expect_invalid(const std::function<void(ErwinConfig&)>& edit, const std::string& needle) {
  ErwinConfig c = valid_config();
  edit(c);
  expect_rejected([&] { c.validate(); }, needle);
}

}  // namespace

class ConfigTest : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void valid_config_passes() { valid_config().validate(); }

  void list_lengths_are_checked() {
    expect_invalid([](ErwinConfig& c) { c.enc_num_heads.pop_back(); }, "enc_num_heads");
    expect_invalid([](ErwinConfig& c) { c.enc_depths.push_back(1); }, "enc_depths");
    expect_invalid([](ErwinConfig& c) { c.c_hidden.pop_back(); }, "c_hidden");
    expect_invalid([](ErwinConfig& c) { c.strides.push_back(2); }, "strides");
    expect_invalid([](ErwinConfig& c) { c.dec_num_heads.pop_back(); }, "dec_num_heads");
    expect_invalid([](ErwinConfig& c) { c.dec_depths = {2, 2, 2}; }, "dec_depths");
    expect_invalid([](ErwinConfig& c) { c.ball_sizes.clear(); }, "ball_sizes");
  }

  void values_are_checked() {
    expect_invalid([](ErwinConfig& c) { c.c_in = 0; }, "c_in");
    expect_invalid([](ErwinConfig& c) { c.c_hidden[1] = 30; }, "enc_num_heads[1]");
    expect_invalid([](ErwinConfig& c) { c.dec_num_heads[0] = 3; }, "dec_num_heads[0]");
    expect_invalid([](ErwinConfig& c) { c.enc_num_heads[2] = 0; }, "enc_num_heads[2]");
    expect_invalid([](ErwinConfig& c) { c.enc_depths[0] = -1; }, "enc_depths[0]");
    expect_invalid([](ErwinConfig& c) { c.ball_sizes[1] = 12; }, "ball_sizes[1]");
    expect_invalid([](ErwinConfig& c) { c.strides[0] = 0; }, "strides[0]");
    expect_invalid([](ErwinConfig& c) { c.strides[0] = 3; }, "strides[0]");
    expect_invalid([](ErwinConfig& c) { c.strides[1] = 1; }, "strides[1] = 1");
    expect_invalid([](ErwinConfig& c) { c.rotate = -10; }, "rotate");
    expect_invalid([](ErwinConfig& c) { c.mlp_ratio = 0; }, "mlp_ratio");
    expect_invalid([](ErwinConfig& c) { c.dimensionality = 4; }, "dimensionality");
    expect_invalid([](ErwinConfig& c) { c.mp_steps = -1; }, "mp_steps");
  }

  // Regression (issue 13, case 7): values that allocated gigabytes or ran for ever before an
  // error; each is refused by its documented bound (ErwinConfigLimits).
  void huge_values_are_refused_before_allocation() {
    expect_invalid([](ErwinConfig& c) { c.c_hidden = {100000, 100000, 100000}; }, "c_hidden[0]");
    expect_invalid([](ErwinConfig& c) { c.c_in = 100000; }, "c_in = 100000");
    expect_invalid([](ErwinConfig& c) { c.enc_depths[0] = int64_t{1} << 62; }, "enc_depths[0]");
    expect_invalid([](ErwinConfig& c) { c.enc_depths[1] = 100000; }, "enc_depths[1]");
    expect_invalid([](ErwinConfig& c) { c.mp_steps = 100000; }, "mp_steps");
    expect_invalid([](ErwinConfig& c) { c.ball_sizes[0] = int64_t{1} << 40; }, "ball_sizes[0]");
    expect_invalid([](ErwinConfig& c) { c.mlp_ratio = 100000; }, "mlp_ratio");
    expect_invalid([](ErwinConfig& c) { c.enc_num_heads = {16, 32, 100000}; }, "enc_num_heads[2]");
  }

  void decoder_heads_ignored_without_decode() {
    ErwinConfig c = valid_config();
    c.decode = false;
    c.dec_num_heads = {3, 3};
    c.validate();
  }

  void json_round_trip() {
    const ErwinConfig c = valid_config();
    const ErwinConfig back = ErwinConfig::from_json(c.to_json());
    QCOMPARE(back.to_json(), c.to_json());
    QCOMPARE(back.c_hidden, c.c_hidden);
    QCOMPARE(back.rotate, 45.0);
    QCOMPARE(back.mp_steps, int64_t(2));
  }

  void json_scalar_c_hidden_doubles_per_level() {
    const auto c = ErwinConfig::from_json(
        R"({"c_in": 3, "c_hidden": 16, "ball_sizes": [32, 32, 32], "enc_num_heads": [2, 4, 8],
            "enc_depths": [2, 2, 2], "dec_num_heads": [2, 4], "dec_depths": [2, 2],
            "strides": [2, 2], "rotate": 0})");
    QCOMPARE(c.c_hidden, (std::vector<int64_t>{16, 32, 64}));
    QCOMPARE(c.decode, true);
    QCOMPARE(c.mlp_ratio, int64_t(4));
    QCOMPARE(c.dimensionality, int64_t(3));
  }

  void json_rejects_unknown_and_mistyped_keys() {
    const auto with = [](const std::string& key, const std::string& value) {
      auto text = valid_config().to_json();
      text.pop_back();  // drop the closing brace
      return text + ",\"" + key + "\":" + value + "}";
    };
    expect_rejected([&] { ErwinConfig::from_json(with("ball_size", "[2]")); }, "'ball_size'");
    expect_rejected([&] { ErwinConfig::from_json(R"({"c_in": "8"})"); }, "'c_in'");
    expect_rejected([&] { ErwinConfig::from_json(R"({"strides": [2.5]})"); }, "'strides'");
    expect_rejected([&] { ErwinConfig::from_json(R"({"decode": 1})"); }, "'decode'");
    expect_rejected([&] { ErwinConfig::from_json(R"({"c_in": 8})"); }, "missing key");
    expect_rejected([] { ErwinConfig::from_json("{not json"); }, "invalid JSON");
    expect_rejected([] { ErwinConfig::from_json("[1, 2]"); }, "JSON object");
  }

  // Regression (issue 13, cases 3 and 8): 100,000 nested arrays overflowed the stack when the
  // error message dumped them; numbers out of range gave nlohmann's text without a field.
  void hostile_json_is_refused_with_a_message() {
    const std::string deep =
        "{\"c_in\": " + std::string(100000, '[') + std::string(100000, ']') + "}";
    expect_rejected([&] { ErwinConfig::from_json(deep); }, "nested deeper than 64");
    expect_rejected([] { ErwinConfig::from_json(R"({"c_in": 1e400})"); }, "configuration");
    // Brackets inside strings do not count as nesting.
    expect_rejected([] { ErwinConfig::from_json("{\"" + std::string(1000, '[') + "\": 1}"); },
                    "unknown key");
    // A huge value is shown cut short in the message.
    try {
      ErwinConfig::from_json("{\"c_in\": \"" + std::string(1000000, 'x') + "\"}");
      QFAIL("accepted a string c_in");
    } catch (const std::invalid_argument& e) {
      QVERIFY(std::string(e.what()).size() < 200);
    }
  }

  void json_fixture_configs_parse() {
    // The fixtures' __meta__.config objects, as written by the reference generator.
    const auto c = ErwinConfig::from_json(
        R"({"ball_sizes": [16, 8], "c_hidden": [8, 16], "c_in": 4, "dec_depths": [2],
            "dec_num_heads": [1], "decode": false, "dimensionality": 3, "enc_depths": [2, 2],
            "enc_num_heads": [1, 2], "mlp_ratio": 2, "mp_steps": 0, "rotate": 0,
            "strides": [2]})");
    QCOMPARE(c.decode, false);
    QCOMPARE(c.num_levels(), int64_t(2));
  }
};

QTEST_APPLESS_MAIN(ConfigTest)
#include "tst_config.moc"
