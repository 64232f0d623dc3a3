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

int run_tree(const Arguments& args) {
  ArgParser parser("tree",
                   "Builds the ball tree of a point file (.npy .npz .ply .xyz .csv .txt; the "
                   "clouds come from its batch_idx, else it is one cloud), with rotated trees "
                   "when --angle > 0, and prints a summary per level.");
  parser.option("input", "file", "point file")
      .option("strides", "list", "pooling stride after each level", "2,2")
      .option("ball-sizes", "list", "ball size per level", "32,32,16")
      .option("angle", "degrees", "rotation angle of the rotated trees, 0 for none", "45")
      .option("output", "file.npz", "write tree_idx, tree_mask, tree_idx_rot.L");
  if (!parser.parse(args)) return 0;

  const RotationOptions options{parser.integers("strides"), parser.integers("ball-sizes"),
                                parser.number("angle")};
  const std::string input = parser.text("input");
  const PointCloud cloud = load_point_file(input);
  const torch::Tensor batch_idx =
      cloud.batch_idx ? *cloud.batch_idx : torch::zeros({cloud.positions.size(0)}, torch::kInt64);
  const int64_t clouds = batch_idx.max().item<int64_t>() + 1;
  std::printf("%s: %lld points in %lld cloud(s), %lldD\n", input.c_str(),
              static_cast<long long>(cloud.positions.size(0)), static_cast<long long>(clouds),
              static_cast<long long>(cloud.positions.size(1)));

  const auto start = std::chrono::steady_clock::now();
  const BallTree tree = build_balltree_with_rotations(cloud.positions, batch_idx, options);
  const double build_ms = elapsed_ms(start);
  print_tree_summary(tree, cloud.positions, options.strides, options.ball_sizes);
  std::printf("built in %.2f ms (%s)\n", build_ms,
              options.angle_degrees > 0 ? "tree + rotated trees" : "tree");

  if (parser.has("output")) {
    save_npz(parser.text("output"), tree_members(tree));
    std::printf("wrote %s\n", parser.text("output").c_str());
  }
  return 0;
}

}  // namespace erwin::cli
