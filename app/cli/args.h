#pragma once
// A small option parser for the subcommands: `--key value`, `--key=value`, boolean flags and
// comma-separated lists. Unknown options, missing values and malformed numbers throw UsageError
// naming the command and the option.
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace erwin::cli {

struct UsageError : std::invalid_argument {
  using std::invalid_argument::invalid_argument;
};

class ArgParser {
 public:
  ArgParser(std::string command, std::string description);

  // An option taking a value; `fallback` is shown in --help and returned when it is absent.
  ArgParser& option(const std::string& name, const std::string& value_name, const std::string& help,
                    std::optional<std::string> fallback = {});
  ArgParser& flag(const std::string& name, const std::string& help);

  // Returns false when --help was given (the help text has been printed to stdout).
  bool parse(const std::vector<std::string>& args);
  std::string help() const;

  bool has(const std::string& name) const;
  bool flag_set(const std::string& name) const;
  std::string text(const std::string& name) const;  // the value, or the fallback; else throws
  int64_t integer(const std::string& name) const;
  double number(const std::string& name) const;
  std::vector<int64_t> integers(const std::string& name) const;  // "2,2,2"

 private:
  struct Spec {
    std::string value_name;  // empty for flags
    std::string help;
    std::optional<std::string> fallback;
  };
  const Spec& spec(const std::string& name) const;
  std::string error_prefix(const std::string& name) const;

  std::string command_;
  std::string description_;
  std::vector<std::string> order_;
  std::map<std::string, Spec> specs_;
  std::map<std::string, std::string> values_;
};

}  // namespace erwin::cli
