// Which balls and pooling groups a ragged batch admits (balltree.h, validate_ball_tiling).
#include <set>
#include <stdexcept>
#include <string>

#include "erwin/balltree.h"

namespace erwin {
namespace {

std::string option_name(const char* option, size_t level) {
  return std::string(option) + "[" + std::to_string(level) + "]";
}

std::string where(size_t level, size_t cloud, int64_t nodes) {
  return " at level " + std::to_string(level) + ", where cloud " + std::to_string(cloud) + " has " +
         std::to_string(nodes) + " nodes";
}

// Whether the ball holding nodes [begin, end) of a level starts and ends on cloud boundaries.
bool lies_in_ball_of_whole_clouds(int64_t begin, int64_t end, int64_t ball,
                                  const std::set<int64_t>& boundaries) {
  const int64_t first = begin / ball * ball;
  return first == (end - 1) / ball * ball && boundaries.count(first) &&
         boundaries.count(first + ball);
}

void check_balls(const std::vector<int64_t>& nodes, int64_t ball, size_t level,
                 bool balls_across_clouds) {
  std::set<int64_t> boundaries{0};
  int64_t offset = 0;
  for (int64_t count : nodes) boundaries.insert(offset += count);
  offset = 0;
  for (size_t cloud = 0; cloud < nodes.size(); ++cloud) {
    const int64_t begin = offset, end = offset += nodes[cloud];
    if (ball >= 1 && nodes[cloud] % ball == 0 && begin % ball == 0) continue;
    if (ball >= 1 && balls_across_clouds &&
        lies_in_ball_of_whole_clouds(begin, end, ball, boundaries))
      continue;
    throw std::invalid_argument(
        option_name("ball_sizes", level) + " = " + std::to_string(ball) +
        (balls_across_clouds ? " must divide the node count, or a ball must hold whole clouds,"
                             : " must divide the node count") +
        where(level, cloud, nodes[cloud]) +
        (balls_across_clouds ? ""
                             : " (use smaller balls or larger clouds; balls_across_clouds lets a "
                               "ball hold several whole clouds, as the published code does)"));
  }
}

}  // namespace

void validate_ball_tiling(const std::vector<int64_t>& cloud_slots,
                          const std::vector<int64_t>& strides,
                          const std::vector<int64_t>& ball_sizes, bool balls_across_clouds) {
  if (strides.size() + 1 != ball_sizes.size())
    throw std::invalid_argument(
        "strides: expected len(ball_sizes) - 1 = " + std::to_string(ball_sizes.size() - 1) +
        " entries, got " + std::to_string(strides.size()));
  std::vector<int64_t> nodes = cloud_slots;
  for (size_t level = 0; level < ball_sizes.size(); ++level) {
    check_balls(nodes, ball_sizes[level], level, balls_across_clouds);
    if (level + 1 == ball_sizes.size()) break;
    const int64_t stride = strides[level];
    for (size_t cloud = 0; cloud < nodes.size(); ++cloud) {
      if (stride < 1 || nodes[cloud] % stride != 0)
        throw std::invalid_argument(option_name("strides", level) + " = " + std::to_string(stride) +
                                    " must divide the node count" +
                                    where(level, cloud, nodes[cloud]));
      nodes[cloud] /= stride;
    }
  }
}

}  // namespace erwin
