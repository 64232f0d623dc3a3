// `erwin tree`: the ball tree (and rotated trees) of a point file, summarised and optionally
// saved in the reference fixtures' layout.
#include <chrono>
#include <cstdio>

#include "args.h"
#include "cli_common.h"
#include "commands.h"
#include "erwin/point_io.h"
#include "progress.h"

namespace erwin::cli {
namespace {

// --order: the published builder's slots exactly (what the model builds, so a saved tree gives
// the published model outputs), or the fast builder's (the same balls, another order inside).
bool published_order(const std::string& order) {
  if (order != "published" && order != "fast")
    throw UsageError("erwin tree: --order: expected published or fast, got '" + order + "'");
  return order == "published";
}

}  // namespace

int run_tree(const Arguments& args) {
  ArgParser parser("tree",
                   "Builds the ball tree of a point file (.npy .npz .ply .xyz .csv .txt; the "
                   "clouds come from its batch_idx, else it is one cloud), with rotated trees "
                   "when --angle > 0, and prints a summary per level.");
  parser.option("input", "file", "point file")
      .option("strides", "list", "pooling stride after each level", "2,2")
      .option("ball-sizes", "list", "ball size per level", "32,32,16")
      .option("angle", "degrees", "rotation angle of the rotated trees, 0 for none", "45")
      .option("order", "published|fast",
              "published: the published builder's slot order, as the model builds it; fast: the "
              "same balls, built about 3x faster, another order inside them",
              "published")
      .option("output", "file.npz", "write tree_idx, tree_mask, tree_idx_rot.L");
  if (!parser.parse(args)) return 0;

  const RotationOptions options{parser.integers("strides"), parser.integers("ball-sizes"),
                                parser.number("angle")};
  const std::string order = parser.text("order");
  const bool published = published_order(order);
  const std::string input = parser.text("input");
  const PointCloud cloud = load_point_file(input);
  const torch::Tensor batch_idx =
      cloud.batch_idx ? *cloud.batch_idx : torch::zeros({cloud.positions.size(0)}, torch::kInt64);
  const int64_t clouds = batch_idx.max().item<int64_t>() + 1;
  std::printf("%s: %lld points in %lld cloud(s), %lldD\n", input.c_str(),
              static_cast<long long>(cloud.positions.size(0)), static_cast<long long>(clouds),
              static_cast<long long>(cloud.positions.size(1)));

  const auto start = std::chrono::steady_clock::now();
  const BallTree tree = published
                            ? build_balltree_published_order(cloud.positions, batch_idx, options)
                            : build_balltree_with_rotations(cloud.positions, batch_idx, options);
  const double build_ms = elapsed_ms(start);
  print_tree_summary(tree, cloud.positions, options.strides, options.ball_sizes);
  std::printf("built in %.2f ms (%s, %s order)\n", build_ms,
              options.angle_degrees > 0 ? "tree + rotated trees" : "tree", order.c_str());

  if (parser.has("output")) {
    save_npz(parser.text("output"), tree_members(tree));
    std::printf("wrote %s\n", parser.text("output").c_str());
  }
  return 0;
}

}  // namespace erwin::cli
