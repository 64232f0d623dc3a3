// `erwin generate`: synthetic data sets in the published on-disk formats (datasets/generate.h).
#include <chrono>
#include <cstdio>

#include "args.h"
#include "commands.h"
#include "erwin/datasets/generate.h"
#include "progress.h"

namespace erwin::cli {
namespace {

template <typename Options>
Options preset_with_seed(const ArgParser& parser) {
  Options options = Options::preset(datasets::parse_generate_size(parser.text("size")));
  options.seed = static_cast<uint64_t>(parser.integer("seed"));
  return options;
}

}  // namespace

int run_generate(const Arguments& args) {
  ArgParser parser("generate",
                   "Writes a synthetic data set in the published format: eagle (2D flow past a "
                   "cylinder with a moving source), shapenet (car-like surfaces with pressure) "
                   "or md (bead-spring polymers). The same size and seed give the same files.");
  parser.option("dataset", "eagle|shapenet|md", "which data set")
      .option("output", "dir", "directory to write (created)")
      .option("size", "small|medium", "preset", "small")
      .option("seed", "n", "random seed", "0");
  if (!parser.parse(args)) return 0;

  const std::string dataset = parser.text("dataset");
  const std::string root = parser.text("output");
  if (parser.text("size") != "small" && parser.text("size") != "medium")
    throw UsageError("erwin generate: option --size: '" + parser.text("size") +
                     "' is not small or medium");
  const auto start = std::chrono::steady_clock::now();
  if (dataset == "eagle")
    datasets::generate_eagle_like(root, preset_with_seed<datasets::EagleGenerateOptions>(parser));
  else if (dataset == "shapenet")
    datasets::generate_shapenet_like(root,
                                     preset_with_seed<datasets::ShapenetGenerateOptions>(parser));
  else if (dataset == "md")
    datasets::generate_md_like(root, preset_with_seed<datasets::MdGenerateOptions>(parser));
  else
    throw UsageError("erwin generate: option --dataset: '" + dataset +
                     "' is not eagle, shapenet or md");
  std::printf("wrote %s data set (%s, seed %lld) to %s in %.1f s\n", dataset.c_str(),
              parser.text("size").c_str(), static_cast<long long>(parser.integer("seed")),
              root.c_str(), elapsed_ms(start) / 1000.0);
  return 0;
}

}  // namespace erwin::cli
