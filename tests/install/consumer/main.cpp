// Loads a point file with the installed core, builds its ball tree and prints what it found:
// `erwin <version> <points> <slots> <extension>`.
#include <erwin/balltree.h>
#include <erwin/io_util.h>
#include <erwin/point_io.h>
#include <erwin/version.h>

#include <iostream>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer <point file>\n";
    return 2;
  }
  try {
    const erwin::PointCloud cloud = erwin::load_point_file(argv[1]);
    const int64_t n = cloud.positions.size(0);
    const erwin::BallTree tree =
        erwin::build_balltree(cloud.positions, torch::zeros({n}, torch::kInt64));
    std::cout << "erwin " << ERWIN_STUDIO_VERSION << " " << n << " " << tree.tree_idx.numel()
              << " " << erwin::lower_extension(argv[1]) << "\n";
  } catch (const std::exception& e) {
    std::cerr << e.what() << "\n";
    return 1;
  }
  return 0;
}
