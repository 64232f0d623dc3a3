// The baseline partitioner: the published algorithm as a straightforward recursion.
#include <algorithm>
#include <numeric>
#include <vector>

#include "partition.h"

namespace erwin::tree {
namespace {

// kTiesByRow: equal coordinates in row order (as partition_parallel); else std::nth_element's own
// order among them, as the published code has it.
template <bool kTiesByRow>
class RecursivePartitioner {
 public:
  // index_ starts as the segment's rows in order, as the published code's index array does:
  // std::nth_element's arrangement, and so the order of equal coordinates, depends on it.
  RecursivePartitioner(const PartitionJob& job, const Segment& segment)
      : job_(job),
        root_{0, segment.node_count, segment.slot_offset, segment.slot_count, segment.depth} {
    index_.resize(segment.node_count);
    std::iota(index_.begin(), index_.end(), segment.node_offset);
  }

  const Subtree& root() const { return root_; }

  void split(const Subtree& subtree) {
    Subtree left, right;
    if (!split_root(subtree, left, right)) return;
    split(left);
    split(right);
  }

 private:
  double coord(int64_t row, int k) const { return job_.coords[row * job_.dim + k]; }

  int widest(int64_t begin, int64_t count) const {
    float lo[3], hi[3];
    for (int k = 0; k < job_.dim; ++k) lo[k] = hi[k] = coord(index_[begin], k);
    for (int64_t i = begin + 1; i < begin + count; ++i) {
      for (int k = 0; k < job_.dim; ++k) {
        const float v = coord(index_[i], k);
        lo[k] = std::min(lo[k], v);
        hi[k] = std::max(hi[k], v);
      }
    }
    return widest_dimension(lo, hi, job_.dim);
  }

  // Splits the subtree's root node into `left` and `right`; a leaf is written out instead
  // (returns false).
  bool split_root(const Subtree& s, Subtree& left, Subtree& right) {
    if (s.depth == 0 || s.count <= 1) {
      emit_leaf(job_, s.slot, s.count, s.slots, [&](int64_t i) { return index_[s.begin + i]; });
      return false;
    }
    const int k = widest(s.begin, s.count);
    const int64_t half = s.count / 2;  // mid = (start + end) / 2
    auto first = index_.begin() + s.begin;
    std::nth_element(first, first + half, first + s.count, [&](int64_t a, int64_t b) {
      const double ca = coord(a, k), cb = coord(b, k);
      return ca < cb || (kTiesByRow && ca == cb && a < b);
    });
    left = {s.begin, half, s.slot, s.slots / 2, s.depth - 1};
    right = {s.begin + half, s.count - half, s.slot + s.slots / 2, s.slots / 2, s.depth - 1};
    return true;
  }

  const PartitionJob& job_;
  const Subtree root_;
  std::vector<int64_t> index_;
};

template <bool kTiesByRow>
void partition_jobs_recursively(const std::vector<PartitionJob>& jobs) {
  for (const PartitionJob& job : jobs) {
    for (const Segment& segment : job.segments) {
      RecursivePartitioner<kTiesByRow> partitioner(job, segment);
      partitioner.split(partitioner.root());
    }
  }
}

}  // namespace

void partition_recursive(const std::vector<PartitionJob>& jobs) {
  partition_jobs_recursively<true>(jobs);
}

void partition_recursive_published(const std::vector<PartitionJob>& jobs) {
  partition_jobs_recursively<false>(jobs);
}

}  // namespace erwin::tree
