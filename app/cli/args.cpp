#include "args.h"

#include <iostream>
#include <sstream>

namespace erwin::cli {
namespace {

// Parses the whole of `text` with `convert` (std::stoll, std::stod); throws on any leftover.
template <typename T, typename Convert>
T parse_whole(const std::string& text, Convert convert, const std::string& what) {
  try {
    size_t used = 0;
    const T value = convert(text, &used);
    if (used == text.size()) return value;
  } catch (const std::logic_error&) {
  }
  throw UsageError(what + ": '" + text + "' is not a valid number");
}

}  // namespace

ArgParser::ArgParser(std::string command, std::string description)
    : command_(std::move(command)), description_(std::move(description)) {}

ArgParser& ArgParser::option(const std::string& name, const std::string& value_name,
                             const std::string& help, std::optional<std::string> fallback) {
  order_.push_back(name);
  specs_[name] = Spec{value_name, help, std::move(fallback)};
  return *this;
}

ArgParser& ArgParser::flag(const std::string& name, const std::string& help) {
  order_.push_back(name);
  specs_[name] = Spec{"", help, std::nullopt};
  return *this;
}

bool ArgParser::parse(const std::vector<std::string>& args) {
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      std::cout << help();
      return false;
    }
    if (arg.rfind("--", 0) != 0)
      throw UsageError("erwin " + command_ + ": unexpected argument '" + arg +
                       "' (options start with --; see erwin " + command_ + " --help)");
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (const auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (!specs_.count(name))
      throw UsageError("erwin " + command_ + ": unknown option '--" + name + "' (see erwin " +
                       command_ + " --help)");
    if (specs_.at(name).value_name.empty()) {
      if (inline_value) throw UsageError(error_prefix(name) + " takes no value");
      values_[name] = "1";
    } else if (inline_value) {
      values_[name] = *inline_value;
    } else {
      if (i + 1 >= args.size() || args[i + 1].rfind("--", 0) == 0)
        throw UsageError(error_prefix(name) + " needs a value <" + specs_.at(name).value_name +
                         ">");
      values_[name] = args[++i];
    }
  }
  return true;
}

std::string ArgParser::help() const {
  std::ostringstream out;
  out << "usage: erwin " << command_ << " [options]\n\n" << description_ << "\n\noptions:\n";
  for (const auto& name : order_) {
    const Spec& s = specs_.at(name);
    std::string left = "  --" + name + (s.value_name.empty() ? "" : " <" + s.value_name + ">");
    out << left << std::string(left.size() < 30 ? 30 - left.size() : 1, ' ') << s.help;
    if (s.fallback) out << " (default: " << *s.fallback << ")";
    out << "\n";
  }
  out << "  --help" << std::string(24, ' ') << "show this help\n";
  return out.str();
}

const ArgParser::Spec& ArgParser::spec(const std::string& name) const {
  const auto it = specs_.find(name);
  // A programming error in a subcommand, not a user error.
  if (it == specs_.end()) throw std::logic_error("erwin " + command_ + ": no option --" + name);
  return it->second;
}

std::string ArgParser::error_prefix(const std::string& name) const {
  return "erwin " + command_ + ": option --" + name;
}

bool ArgParser::has(const std::string& name) const {
  spec(name);
  return values_.count(name) > 0;
}

bool ArgParser::flag_set(const std::string& name) const { return has(name); }

std::string ArgParser::text(const std::string& name) const {
  const Spec& s = spec(name);
  if (const auto it = values_.find(name); it != values_.end()) return it->second;
  if (s.fallback) return *s.fallback;
  throw UsageError(error_prefix(name) + " is required (see erwin " + command_ + " --help)");
}

int64_t ArgParser::integer(const std::string& name) const {
  return parse_whole<int64_t>(
      text(name), [](const std::string& t, size_t* used) { return std::stoll(t, used); },
      error_prefix(name));
}

double ArgParser::number(const std::string& name) const {
  return parse_whole<double>(
      text(name), [](const std::string& t, size_t* used) { return std::stod(t, used); },
      error_prefix(name));
}

std::vector<int64_t> ArgParser::integers(const std::string& name) const {
  std::vector<int64_t> result;
  std::istringstream list(text(name));
  for (std::string item; std::getline(list, item, ',');)
    result.push_back(parse_whole<int64_t>(
        item, [](const std::string& t, size_t* used) { return std::stoll(t, used); },
        error_prefix(name)));
  if (result.empty()) throw UsageError(error_prefix(name) + ": empty list");
  return result;
}

}  // namespace erwin::cli
