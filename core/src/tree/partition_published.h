#pragma once
// The step of the published builder's recursion that decides its slot order: std::nth_element
// as libstdc++ runs it, on packed records (see partition_published.cpp).
#include <cstdint>

namespace erwin::tree {

struct PublishedRecord {
  float c[3];      // coordinates (c[2] = 0 in 2-D)
  uint32_t local;  // row within the segment
};

// Rearranges [first, last) exactly as libstdc++'s std::__introselect(first, nth, last,
// depth_limit, comp) does when comp compares coordinate `key` (std::nth_element passes
// depth_limit = 2 * floor(log2(last - first))).
void published_nth_element(PublishedRecord* first, PublishedRecord* nth, PublishedRecord* last,
                           int key, int depth_limit);

}  // namespace erwin::tree
