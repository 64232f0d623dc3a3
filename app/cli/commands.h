#pragma once
// The `erwin` subcommands. Each takes the arguments after its name and returns the process exit
// code; bad arguments throw UsageError (args.h), bad files erwin::FormatError or
// std::invalid_argument, which main() reports. To add a subcommand, declare its function here
// and add one line to the table in main.cpp.
#include <string>
#include <vector>

namespace erwin::cli {

using Arguments = std::vector<std::string>;

int run_info(const Arguments& args);
int run_tree(const Arguments& args);
int run_forward(const Arguments& args);
int run_export(const Arguments& args);
int run_bench(const Arguments& args);
int run_demo(const Arguments& args);
int run_generate(const Arguments& args);
int run_train(const Arguments& args);
int run_rollout(const Arguments& args);
int run_predict(const Arguments& args);
int run_step(const Arguments& args);

}  // namespace erwin::cli
