#pragma once
// Every JSON text the project reads (model and run configurations, metrics, checkpoint entries)
// goes through parse_json_text: hostile input gets a message naming the file, never a crash.
#include <nlohmann/json.hpp>
#include <string>

namespace erwin {

// Deeper nesting than any configuration needs; nlohmann's copy and dump recurse per level, so
// unbounded depth (e.g. 100,000 '[') would overflow the stack.
constexpr int kMaxJsonDepth = 64;

// Parses `text`. std::invalid_argument "<context>: ..." for invalid JSON, nesting deeper than
// kMaxJsonDepth, or numbers out of range (e.g. 1e400).
nlohmann::json parse_json_text(const std::string& text, const std::string& context);

}  // namespace erwin
