#pragma once
// Recursive median partitioning of node sets (the split rule of SPEC §1, reused by SPEC §2).
//
// A segment is one cloud's nodes at one level. Partitioning it: while `depth` > 0 and a node holds
// at least 2 points, split it along the dimension of largest spread (max - min in double, lowest
// dimension on ties) so that the count/2 smallest go left (equal coordinates in row order: the
// SPEC leaves ties open, and this makes every builder agree); a node of `slots` slots hands
// slots/2 to each child. At a leaf its points fill its slots in order and, when fewer points than
// slots remain (a 2-slot leaf with one point), the last point is repeated with mask false.
#include <cstdint>
#include <vector>

namespace erwin::tree {

struct Segment {
  int64_t node_offset = 0;  // first row of this segment in PartitionJob::coords
  int64_t node_count = 0;
  int64_t slot_offset = 0;  // first output slot
  int64_t slot_count = 0;   // power of two, node_count <= slot_count < 2 * node_count (or 2)
  int depth = 0;            // median splits from the root to a leaf
};

// A subtree still to split in a partitioner's working array: elements [begin, begin + count) fill
// slots [slot, slot + slots), `depth` median splits above its leaves.
struct Subtree {
  int64_t begin, count, slot, slots;
  int depth;
};

struct PartitionJob {
  const float* coords = nullptr;  // [nodes, dim], row-major
  int dim = 0;                    // 2 or 3
  std::vector<Segment> segments;
  int64_t* out_index = nullptr;  // per slot: row index into coords
  bool* out_mask = nullptr;      // per slot: false on repeated points; may be null
};

// The dimension of largest spread hi - lo (in double), the lowest one on ties (SPEC §1).
inline int widest_dimension(const float* lo, const float* hi, int dim) {
  int best = 0;
  double best_spread = double(hi[0]) - double(lo[0]);
  for (int k = 1; k < dim; ++k) {
    const double spread = double(hi[k]) - double(lo[k]);
    if (spread > best_spread) {
      best = k;
      best_spread = spread;
    }
  }
  return best;
}

// Writes a leaf of `count` points into `slots` slots starting at `slot`; row_of(i) is the coords
// row of its i-th point. Missing points repeat the last one with mask false (SPEC §1).
template <class RowOf>
void emit_leaf(const PartitionJob& job, int64_t slot, int64_t count, int64_t slots, RowOf row_of) {
  for (int64_t j = 0; j < slots; ++j) {
    job.out_index[slot + j] = row_of(j < count ? j : count - 1);
    if (job.out_mask) job.out_mask[slot + j] = j < count;
  }
}

// Fast builder: packed coordinate records, branch-free selection, all hardware threads, clouds
// and subtrees in parallel. All jobs must share `dim`.
void partition_parallel(const std::vector<PartitionJob>& jobs);

// Baseline (the published algorithm): single thread, recursive std::nth_element over an index
// array with double comparisons. Same partitions as partition_parallel.
void partition_recursive(const std::vector<PartitionJob>& jobs);
// The same with the published comparator, which leaves the order of equal coordinates to
// std::nth_element: the benchmark's baseline (about 10% faster than ordering ties).
void partition_recursive_published(const std::vector<PartitionJob>& jobs);
// The published builder's output slot for slot (partition_published.cpp): libstdc++'s
// std::nth_element step for step on packed records with a branch-free block partition, segments
// (clouds) and the subtrees of large segments spread over the hardware threads.
void partition_published_parallel(const std::vector<PartitionJob>& jobs);

// Below this many nodes in all a second thread does not pay off.
constexpr int64_t kNodesPerThread = 2048;

}  // namespace erwin::tree
