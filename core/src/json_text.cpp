#include "erwin/json_text.h"

#include <stdexcept>

namespace erwin {
namespace {

// The deepest nesting of arrays and objects, ignoring brackets inside strings; stops counting
// once `limit` is exceeded.
int nesting_depth(const std::string& text, int limit) {
  int depth = 0, deepest = 0;
  bool in_string = false, escaped = false;
  for (const char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      deepest = std::max(deepest, ++depth);
      if (deepest > limit) break;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return deepest;
}

}  // namespace

nlohmann::json parse_json_text(const std::string& text, const std::string& context) {
  if (nesting_depth(text, kMaxJsonDepth) > kMaxJsonDepth)
    throw std::invalid_argument(context + ": JSON nested deeper than " +
                                std::to_string(kMaxJsonDepth) + " levels");
  try {
    return nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    throw std::invalid_argument(context + ": invalid JSON: " + e.what());
  } catch (const nlohmann::json::exception& e) {  // e.g. out_of_range: number overflow
    throw std::invalid_argument(context + ": unreadable JSON value: " + e.what());
  }
}

}  // namespace erwin
