// The baseline partitioner: the published algorithm as a straightforward recursion, and the same
// recursion run on several clouds at once.
#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <numeric>
#include <thread>
#include <utility>

#include "helper_threads.h"
#include "partition.h"

namespace erwin::tree {
namespace {

// kTiesByRow: equal coordinates in row order (as partition_parallel); else std::nth_element's own
// order among them, as the published code has it.
template <bool kTiesByRow>
class RecursivePartitioner {
 public:
  // A subtree still to split: index_[begin, begin + count) fills slots [slot, slot + slots).
  struct Subtree {
    int64_t begin, count, slot, slots;
    int depth;
  };

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

  // Splits the nodes of `subtree` that hold more than max_count points and appends the subtrees
  // below them to `below`. Subtrees touch disjoint parts of index_, so splitting each of them
  // afterwards, in any order or at once, gives what split(subtree) gives.
  void split_above(const Subtree& subtree, int64_t max_count, std::vector<Subtree>& below) {
    if (subtree.count <= max_count) {
      below.push_back(subtree);
      return;
    }
    Subtree left, right;
    if (!split_root(subtree, left, right)) return;
    split_above(left, max_count, below);
    split_above(right, max_count, below);
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

// The top splits of large clouds run here first; then every subtree of at most `grain` points,
// and every smaller cloud, is a task for the hardware threads. Each subtree goes on from the
// index array as the single-threaded recursion leaves it, so the result is the same.
void partition_published_parallel(const std::vector<PartitionJob>& jobs) {
  using Partitioner = RecursivePartitioner<false>;
  int64_t total_nodes = 0;
  for (const PartitionJob& job : jobs) {
    for (const Segment& segment : job.segments) total_nodes += segment.node_count;
  }
  const int64_t hardware = std::max(1u, std::thread::hardware_concurrency());
  // About four tasks per thread even when one cloud holds all points.
  const int64_t grain = std::max(kNodesPerThread, total_nodes / (4 * hardware));
  std::vector<std::unique_ptr<Partitioner>> partitioners;
  std::vector<std::pair<Partitioner*, Partitioner::Subtree>> tasks;
  for (const PartitionJob& job : jobs) {
    for (const Segment& segment : job.segments) {
      partitioners.push_back(std::make_unique<Partitioner>(job, segment));
      std::vector<Partitioner::Subtree> below;
      partitioners.back()->split_above(partitioners.back()->root(), grain, below);
      for (const auto& subtree : below) tasks.emplace_back(partitioners.back().get(), subtree);
    }
  }
  // Largest first, so that the last task to start is a short one.
  std::stable_sort(tasks.begin(), tasks.end(),
                   [](const auto& a, const auto& b) { return a.second.count > b.second.count; });
  const int64_t threads = std::clamp<int64_t>(
      std::min<int64_t>(total_nodes / kNodesPerThread, static_cast<int64_t>(tasks.size())), 1,
      hardware);
  std::atomic<size_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  HelperThreads::shared().run(static_cast<int>(threads - 1), [&] {
    for (size_t i = next++; i < tasks.size(); i = next++) {
      try {
        tasks[i].first->split(tasks[i].second);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  });
  if (error) std::rethrow_exception(error);
}

void partition_recursive(const std::vector<PartitionJob>& jobs) {
  partition_jobs_recursively<true>(jobs);
}

void partition_recursive_published(const std::vector<PartitionJob>& jobs) {
  partition_jobs_recursively<false>(jobs);
}

}  // namespace erwin::tree
