#include "erwin/config.h"

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "erwin/io_util.h"
#include "erwin/json_text.h"

namespace erwin {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const std::string& message) {
  throw std::invalid_argument("ErwinConfig: " + message);
}

// Upper bounds that validate() enforces (README, "Robustness"): far above the published
// configurations (widths up to 256, ball sizes up to 256, 6 blocks per level), low enough that a
// typo (c_hidden 100000, enc_depths 2^62) is refused before it allocates gigabytes or runs for
// ever.
struct Limits {
  static constexpr int64_t kLevels = 12;   // entries of ball_sizes
  static constexpr int64_t kWidth = 4096;  // c_in, every c_hidden
  static constexpr int64_t kBallSize = 4096;
  static constexpr int64_t kStride = 64;
  static constexpr int64_t kHeads = 64;  // enc_num_heads, dec_num_heads
  static constexpr int64_t kDepth = 64;  // enc_depths, dec_depths (blocks per level)
  static constexpr int64_t kMlpRatio = 16;
  static constexpr int64_t kMpSteps = 32;
};

// Text as shown in a message: cut short (a hostile file may hold megabytes).
std::string cut(const std::string& text) {
  constexpr size_t kShown = 40;
  return text.size() <= kShown ? text : text.substr(0, kShown) + "...";
}

std::string shown(const json& value) { return cut(value.dump()); }

bool is_power_of_two(int64_t v) { return v >= 1 && (v & (v - 1)) == 0; }

void require_length(const char* name, const std::vector<int64_t>& values, size_t expected,
                    const char* expected_what) {
  if (values.size() != expected)
    fail(std::string(name) + " has " + std::to_string(values.size()) + " entries, expected " +
         std::to_string(expected) + " (" + expected_what + ")");
}

std::string range_text(int64_t minimum, int64_t maximum) {
  return "must be in [" + std::to_string(minimum) + ", " + std::to_string(maximum) + "]";
}

void require_in(const std::string& name, int64_t value, int64_t minimum, int64_t maximum) {
  if (value < minimum || value > maximum)
    fail(name + " = " + std::to_string(value) + ", " + range_text(minimum, maximum));
}

void require_all_in(const char* name, const std::vector<int64_t>& values, int64_t minimum,
                    int64_t maximum) {
  for (size_t i = 0; i < values.size(); ++i)
    require_in(std::string(name) + "[" + std::to_string(i) + "]", values[i], minimum, maximum);
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
  if (!value.is_number_integer()) fail("'" + key + "' must be an integer, got " + shown(value));
  return value.get<int64_t>();
}

std::vector<int64_t> get_int_list(const json& value, const std::string& key) {
  if (!value.is_array()) fail("'" + key + "' must be a list of integers, got " + shown(value));
  std::vector<int64_t> out;
  for (const auto& item : value) {
    if (!item.is_number_integer())
      fail("'" + key + "' must be a list of integers, got element " + shown(item));
    out.push_back(item.get<int64_t>());
  }
  return out;
}

}  // namespace

void ErwinConfig::validate() const {
  const size_t levels = ball_sizes.size();
  if (levels == 0) fail("ball_sizes is empty (need one entry per encoder level + bottleneck)");
  if (levels > Limits::kLevels)
    fail("ball_sizes has " + std::to_string(levels) + " entries, at most " +
         std::to_string(Limits::kLevels));
  require_length("enc_num_heads", enc_num_heads, levels, "same as ball_sizes");
  require_length("enc_depths", enc_depths, levels, "same as ball_sizes");
  require_length("c_hidden", c_hidden, levels, "same as ball_sizes");
  require_length("strides", strides, levels - 1, "len(ball_sizes) - 1");
  require_length("dec_num_heads", dec_num_heads, levels - 1, "len(ball_sizes) - 1");
  require_length("dec_depths", dec_depths, levels - 1, "len(ball_sizes) - 1");

  require_in("c_in", c_in, 1, Limits::kWidth);
  require_all_in("c_hidden", c_hidden, 1, Limits::kWidth);
  require_all_powers_of_two("ball_sizes", ball_sizes);
  require_all_in("ball_sizes", ball_sizes, 1, Limits::kBallSize);
  require_all_in("enc_num_heads", enc_num_heads, 1, Limits::kHeads);
  require_all_in("enc_depths", enc_depths, 0, Limits::kDepth);
  require_all_in("dec_num_heads", dec_num_heads, 1, Limits::kHeads);
  require_all_in("dec_depths", dec_depths, 0, Limits::kDepth);
  require_all_powers_of_two("strides", strides);
  require_all_in("strides", strides, 1, Limits::kStride);
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
  require_in("mlp_ratio", mlp_ratio, 1, Limits::kMlpRatio);
  if (dimensionality != 2 && dimensionality != 3)
    fail("dimensionality = " + std::to_string(dimensionality) + ", must be 2 or 3");
  require_in("mp_steps", mp_steps, 0, Limits::kMpSteps);
}

ErwinConfig ErwinConfig::from_json(const std::string& json_text) {
  json root;
  try {
    root = parse_json_text(json_text, "configuration");
  } catch (const std::invalid_argument& e) {
    fail(e.what());
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
      if (!value.is_number()) fail("'rotate' must be a number (degrees), got " + shown(value));
      config.rotate = value.get<double>();
    } else if (key == "decode") {
      if (!value.is_boolean()) fail("'decode' must be true or false, got " + shown(value));
      config.decode = value.get<bool>();
    } else if (key == "mlp_ratio") {
      config.mlp_ratio = get_int(value, key);
    } else if (key == "dimensionality") {
      config.dimensionality = get_int(value, key);
    } else if (key == "mp_steps") {
      config.mp_steps = get_int(value, key);
    } else {
      fail("unknown key '" + cut(key) + "'");
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
  const std::string text = read_regular_file(path);
  try {
    return from_json(text);
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
