// `erwin <command> [options]`: dispatches to the subcommands in commands.h and turns every error
// into a message on stderr and a non-zero exit code (2: usage, 1: anything else).
#include <c10/util/Exception.h>

#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "args.h"
#include "commands.h"
#include "erwin/version.h"

namespace {

struct Command {
  const char* name;
  const char* summary;
  int (*run)(const erwin::cli::Arguments& args);
};

// One line per subcommand.
const std::vector<Command>& commands() {
  using namespace erwin::cli;
  static const std::vector<Command> table = {
      {"info", "versions of Erwin Studio and LibTorch, CUDA devices, threads", run_info},
      {"tree", "build the ball tree of a point file, print and save it", run_tree},
      {"forward", "run a model with given weights on inputs from an .npz", run_forward},
      {"export", "weights of any supported file as a PyTorch state_dict (.pt)", run_export},
      {"bench", "time forward and backward of the README configuration", run_bench},
      {"demo", "tree and forward pass of a small random model on a synthetic cloud", run_demo},
      {"generate", "write a synthetic EAGLE-, ShapeNet-Car- or MD-like data set", run_generate},
      {"train", "train a run configuration (JSON) with checkpoints and resume", run_train},
      {"rollout", "roll out an EAGLE checkpoint, RMSE per step, HDF5/ParaView", run_rollout},
      {"predict", "ShapeNet-Car checkpoint on one car, MSE, HDF5/ParaView", run_predict},
      {"step", "a task model's published training step(s), in the fixtures' layout", run_step},
  };
  return table;
}

void print_usage(std::ostream& out) {
  out << "usage: erwin <command> [options]\n\ncommands:\n";
  for (const Command& command : commands()) {
    const std::string name = command.name;
    out << "  " << name << std::string(name.size() < 10 ? 10 - name.size() : 1, ' ')
        << command.summary << "\n";
  }
  out << "\n`erwin <command> --help` describes a command's options; `erwin --version` prints "
         "the version.\n";
}

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_usage(std::cerr);
    return 2;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_usage(std::cout);
    return 0;
  }
  if (args[0] == "--version") {
    std::cout << "erwin " << ERWIN_STUDIO_VERSION << "\n";
    return 0;
  }
  for (const Command& command : commands()) {
    if (args[0] != command.name) continue;
    try {
      return command.run({args.begin() + 1, args.end()});
    } catch (const erwin::cli::UsageError& e) {
      std::cerr << e.what() << "\n";
      return 2;
    } catch (const c10::Error& e) {  // LibTorch's what() carries a C++ backtrace
      std::cerr << "erwin " << command.name << ": error: " << e.what_without_backtrace() << "\n";
      return 1;
    } catch (const std::exception& e) {
      std::cerr << "erwin " << command.name << ": error: " << e.what() << "\n";
      return 1;
    }
  }
  std::cerr << "erwin: unknown command '" << args[0] << "'\n\n";
  print_usage(std::cerr);
  return 2;
}
