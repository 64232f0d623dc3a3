#pragma once
// Typed reading of JSON objects for the training files: errors name the field.
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>

#include "erwin/json_text.h"

namespace erwin::detail {

// Reads obj[key] into `out` when present; std::invalid_argument "<context>.<key>: ..." when it has
// the wrong type.
template <typename T>
void read_field(const nlohmann::json& obj, const char* key, const std::string& context, T& out) {
  const auto it = obj.find(key);
  if (it == obj.end()) return;
  try {
    out = it->template get<T>();
  } catch (const nlohmann::json::exception&) {
    throw std::invalid_argument(context + "." + key + ": wrong type (" + it->type_name() + ")");
  }
}

inline const nlohmann::json& require_object(const nlohmann::json& value,
                                            const std::string& context) {
  if (!value.is_object()) throw std::invalid_argument(context + ": expected a JSON object");
  return value;
}

inline void reject_unknown_keys(const nlohmann::json& obj, std::initializer_list<const char*> keys,
                                const std::string& context) {
  for (const auto& item : obj.items()) {
    bool known = false;
    for (const char* key : keys) known = known || item.key() == key;
    if (!known) throw std::invalid_argument(context + ": unknown key '" + item.key() + "'");
  }
}

inline nlohmann::json parse_json(const std::string& text, const std::string& context) {
  return parse_json_text(text, context);
}

}  // namespace erwin::detail
