#pragma once
// Constructor arguments of the published ErwinTransformer (models/erwin.py), validated.
#include <cstdint>
#include <string>
#include <vector>

namespace erwin {

struct ErwinConfig {
  int64_t c_in = 0;
  std::vector<int64_t> c_hidden;  // one width per encoder level + bottleneck
  std::vector<int64_t> ball_sizes;
  std::vector<int64_t> enc_num_heads;
  std::vector<int64_t> enc_depths;
  std::vector<int64_t> dec_num_heads;
  std::vector<int64_t> dec_depths;
  std::vector<int64_t> strides;
  double rotate = 0;  // degrees; 0 disables rotated trees
  bool decode = true;
  int64_t mlp_ratio = 4;
  int64_t dimensionality = 3;
  int64_t mp_steps = 3;

  int64_t num_levels() const { return static_cast<int64_t>(ball_sizes.size()); }

  // Throws std::invalid_argument naming the offending argument.
  void validate() const;

  // Parses the fixtures' `__meta__.config` object as is. `c_hidden` may be a list or a single
  // int (doubling per level). Unknown keys are rejected.
  static ErwinConfig from_json(const std::string& json_text);
  static ErwinConfig from_json_file(const std::string& path);
  std::string to_json() const;
};

}  // namespace erwin
