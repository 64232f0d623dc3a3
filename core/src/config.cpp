#include "erwin/config.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

namespace erwin {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument("ErwinConfig: " + message);
}

bool is_power_of_two(int64_t v) { return v >= 1 && (v & (v - 1)) == 0; }

void require_length(const char* name, const std::vector<int64_t>& values, size_t expected,
                    const char* expected_what) {
  if (values.size() != expected)
    fail(std::string(name) + " has " + std::to_string(values.size()) + " entries, expected " +
         std::to_string(expected) + " (" + expected_what + ")");
}

void require_all_at_least(const char* name, const std::vector<int64_t>& values, int64_t minimum) {
  for (size_t i = 0; i < values.size(); ++i)
    if (values[i] < minimum)
      fail(std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(values[i]) +
           ", must be >= " + std::to_string(minimum));
}

void require_all_powers_of_two(const char* name, const std::vector<int64_t>& values) {
  // Every cloud has a power-of-two slot count (SPEC §1), so balls and pooling groups only tile
  // a cloud exactly when they are powers of two too.
  for (size_t i = 0; i < values.size(); ++i)
    if (!is_power_of_two(values[i]))
      fail(std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(values[i]) +
           " is not a power of two");
}

void require_divisible_widths(const std::vector<int64_t>& c_hidden, const char* heads_name,
                              const std::vector<int64_t>& heads) {
  for (size_t i = 0; i < heads.size(); ++i)
    if (c_hidden[i] % heads[i] != 0)
      fail("c_hidden[" + std::to_string(i) + "] = " + std::to_string(c_hidden[i]) +
           " is not divisible by " + heads_name + "[" + std::to_string(i) +
           "] = " + std::to_string(heads[i]));
}

int64_t get_int(const json& value, const std::string& key) {
  if (!value.is_number_integer()) fail("'" + key + "' must be an integer, got " + value.dump());
  return value.get<int64_t>();
}

std::vector<int64_t> get_int_list(const json& value, const std::string& key) {
  if (!value.is_array()) fail("'" + key + "' must be a list of integers, got " + value.dump());
  std::vector<int64_t> out;
  for (const auto& item : value) {
    if (!item.is_number_integer())
      fail("'" + key + "' must be a list of integers, got element " + item.dump());
    out.push_back(item.get<int64_t>());
  }
  return out;
}

}  // namespace

void ErwinConfig::validate() const {
  const size_t levels = ball_sizes.size();
  if (levels == 0) fail("ball_sizes is empty (need one entry per encoder level + bottleneck)");
  require_length("enc_num_heads", enc_num_heads, levels, "same as ball_sizes");
  require_length("enc_depths", enc_depths, levels, "same as ball_sizes");
  require_length("c_hidden", c_hidden, levels, "same as ball_sizes");
  require_length("strides", strides, levels - 1, "len(ball_sizes) - 1");
  require_length("dec_num_heads", dec_num_heads, levels - 1, "len(ball_sizes) - 1");
  require_length("dec_depths", dec_depths, levels - 1, "len(ball_sizes) - 1");

  if (c_in < 1) fail("c_in = " + std::to_string(c_in) + ", must be >= 1");
  require_all_at_least("c_hidden", c_hidden, 1);
  require_all_powers_of_two("ball_sizes", ball_sizes);
  require_all_at_least("enc_num_heads", enc_num_heads, 1);
  require_all_at_least("enc_depths", enc_depths, 0);
  require_all_at_least("dec_num_heads", dec_num_heads, 1);
  require_all_at_least("dec_depths", dec_depths, 0);
  require_all_powers_of_two("strides", strides);
  require_divisible_widths(c_hidden, "enc_num_heads", enc_num_heads);
  if (decode) require_divisible_widths(c_hidden, "dec_num_heads", dec_num_heads);

  // A stride-1 "pooling" passes nodes through unchanged, so the width cannot change there.
  for (size_t i = 0; i < strides.size(); ++i)
    if (strides[i] == 1 && c_hidden[i] != c_hidden[i + 1])
      fail("strides[" + std::to_string(i) + "] = 1 needs c_hidden[" + std::to_string(i) +
           "] == c_hidden[" + std::to_string(i + 1) + "], got " + std::to_string(c_hidden[i]) +
           " and " + std::to_string(c_hidden[i + 1]));

  if (!std::isfinite(rotate) || rotate < 0)
    fail("rotate = " + std::to_string(rotate) + ", must be a finite angle >= 0 (degrees)");
  if (mlp_ratio < 1) fail("mlp_ratio = " + std::to_string(mlp_ratio) + ", must be >= 1");
  if (dimensionality != 2 && dimensionality != 3)
    fail("dimensionality = " + std::to_string(dimensionality) + ", must be 2 or 3");
  if (mp_steps < 0) fail("mp_steps = " + std::to_string(mp_steps) + ", must be >= 0");
}

ErwinConfig ErwinConfig::from_json(const std::string& json_text) {
  json root;
  try {
    root = json::parse(json_text);
  } catch (const json::parse_error& e) {
    fail(std::string("invalid JSON: ") + e.what());
  }
  if (!root.is_object()) fail("the configuration must be a JSON object");

  ErwinConfig config;
  std::vector<int64_t> c_hidden_scalar;
  bool c_hidden_given = false;
  for (const auto& [key, value] : root.items()) {
    if (key == "c_in") {
      config.c_in = get_int(value, key);
    } else if (key == "c_hidden") {
      c_hidden_given = true;
      if (value.is_number_integer())
        c_hidden_scalar = {get_int(value, key)};
      else
        config.c_hidden = get_int_list(value, key);
    } else if (key == "ball_sizes") {
      config.ball_sizes = get_int_list(value, key);
    } else if (key == "enc_num_heads") {
      config.enc_num_heads = get_int_list(value, key);
    } else if (key == "enc_depths") {
      config.enc_depths = get_int_list(value, key);
    } else if (key == "dec_num_heads") {
      config.dec_num_heads = get_int_list(value, key);
    } else if (key == "dec_depths") {
      config.dec_depths = get_int_list(value, key);
    } else if (key == "strides") {
      config.strides = get_int_list(value, key);
    } else if (key == "rotate") {
      if (!value.is_number()) fail("'rotate' must be a number (degrees), got " + value.dump());
      config.rotate = value.get<double>();
    } else if (key == "decode") {
      if (!value.is_boolean()) fail("'decode' must be true or false, got " + value.dump());
      config.decode = value.get<bool>();
    } else if (key == "mlp_ratio") {
      config.mlp_ratio = get_int(value, key);
    } else if (key == "dimensionality") {
      config.dimensionality = get_int(value, key);
    } else if (key == "mp_steps") {
      config.mp_steps = get_int(value, key);
    } else {
      fail("unknown key '" + key + "'");
    }
  }
  for (const char* key : {"c_in", "c_hidden", "ball_sizes", "enc_num_heads", "enc_depths",
                          "dec_num_heads", "dec_depths", "strides", "rotate"})
    if (!root.contains(key)) fail(std::string("missing key '") + key + "'");
  if (c_hidden_given && !c_hidden_scalar.empty()) {
    // A single width doubles at every level, as in the published experiment configs.
    for (size_t i = 0; i < config.ball_sizes.size(); ++i)
      config.c_hidden.push_back(c_hidden_scalar[0] << i);
  }
  config.validate();
  return config;
}

ErwinConfig ErwinConfig::from_json_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::invalid_argument("ErwinConfig: cannot open " + path);
  std::ostringstream text;
  text << in.rdbuf();
  try {
    return from_json(text.str());
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument(path + ": " + e.what());
  }
}

std::string ErwinConfig::to_json() const {
  json root = {{"c_in", c_in},
               {"c_hidden", c_hidden},
               {"ball_sizes", ball_sizes},
               {"enc_num_heads", enc_num_heads},
               {"enc_depths", enc_depths},
               {"dec_num_heads", dec_num_heads},
               {"dec_depths", dec_depths},
               {"strides", strides},
               {"rotate", rotate},
               {"decode", decode},
               {"mlp_ratio", mlp_ratio},
               {"dimensionality", dimensionality},
               {"mp_steps", mp_steps}};
  return root.dump();
}

}  // namespace erwin
