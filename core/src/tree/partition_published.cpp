// The published builder's slots, fast. The published code splits a node with std::nth_element
// over an index array, comparing pos[index] (balltree.h of the balltree-erwin package). Which
// slot a point lands in, and so where equal coordinates and padding copies go, is decided by the
// comparisons libstdc++'s introselect makes and the swaps it does. Any code that makes the same
// swaps on the same comparison outcomes leaves the same order, whatever it stores per element.
//
// So this partitioner runs libstdc++'s introselect step for step on packed records (coordinates
// and row together: no indirect loads), and does its Hoare partition from bit masks of where the
// scans stop, without branches on the data (as BlockQuicksort does, Edelkamp & Weiß 2016).
// tst_balltree compares it with std::nth_element on inputs full of ties and in degenerate orders.
#include "partition_published.h"

#include <algorithm>
#include <atomic>
#include <bit>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "helper_threads.h"
#include "partition.h"

namespace erwin::tree {
namespace {

template <int K>
bool less(const PublishedRecord& a, const PublishedRecord& b) {
  return a.c[K] < b.c[K];
}

// libstdc++'s __move_median_to_first, with its branches turned into a table: it swaps `result`
// with b when a<b && b<c, or !(a<b) && !(a<c) && !(b<c); with c when a<b && !(b<c) && a<c, or
// !(a<b) && !(a<c) && b<c; otherwise with a.
template <int K>
void move_median_to_first(PublishedRecord* result, PublishedRecord* a, PublishedRecord* b,
                          PublishedRecord* c) {
  static constexpr uint8_t kChoice[8] = {1, 0, 2, 0, 0, 2, 1, 1};  // by (a<b, b<c, a<c) bits
  const int code = less<K>(*a, *b) << 2 | less<K>(*b, *c) << 1 | less<K>(*a, *c);
  PublishedRecord* const candidates[3] = {a, b, c};
  std::swap(*result, *candidates[kChoice[code]]);
}

// Bit j set where the j-th element of a scan stops: the left scan (from `base` rightwards) at
// elements not less than the pivot key p, the right scan (from `base` leftwards) at elements
// not greater. size <= 64; whole blocks get a loop of known length, which the compiler unrolls.
template <int K, bool kFromLeft, int64_t kSize = 0>
uint64_t scan_stops(const PublishedRecord* base, int64_t size, float p) {
  if constexpr (kSize == 0) {
    if (size == 64) return scan_stops<K, kFromLeft, 64>(base, size, p);
  }
  const int64_t n = kSize ? kSize : size;
  uint64_t stops = 0;
  for (int64_t j = 0; j < n; ++j) {
    const float v = kFromLeft ? base[j].c[K] : base[-j].c[K];
    stops |= static_cast<uint64_t>(kFromLeft ? !(v < p) : !(p < v)) << j;
  }
  return stops;
}

// libstdc++'s __unguarded_partition(first + 1, last, first), whose loop swaps the i-th element
// its left scan stops at (L_i: the i-th from the left not less than the pivot) with the i-th its
// right scan stops at (R_i: the i-th from the right not greater) while L_i < R_i, and returns
// min(L_{s+1}, R_s) after s swaps (R_0 = last): a scan also stops at an element swapped before.
// Both scans read blocks of 64 elements into bit masks, so no branch depends on the data but
// the one that ends the loop. A block may hold elements that were swapped after the block was
// read, or before: only at positions >= R_s (or <= L_s), where the min above (or the test
// L < R) makes them irrelevant.
// hoare_partition on at most 64 elements: one pass gives both scans' stops, bit j for element
// first + j, with the pivot (bit 0) as the right scan's last stop; R_i is the i-th highest bit.
template <int K>
PublishedRecord* hoare_partition_small(PublishedRecord* first, PublishedRecord* last, float p) {
  uint64_t left_stops = 0, right_stops = 1;
  for (int64_t j = 1; j < last - first; ++j) {
    const float v = first[j].c[K];
    left_stops |= static_cast<uint64_t>(!(v < p)) << j;
    right_stops |= static_cast<uint64_t>(!(p < v)) << j;
  }
  PublishedRecord* previous_right = last;
  while (left_stops != 0) {
    PublishedRecord* l = first + std::countr_zero(left_stops);
    const int highest = 63 - std::countl_zero(right_stops);
    PublishedRecord* r = first + highest;
    if (!(l < r)) return std::min(l, previous_right);
    std::swap(*l, *r);
    previous_right = r;
    left_stops &= left_stops - 1;
    right_stops ^= uint64_t{1} << highest;
  }
  return previous_right;
}

template <int K>
PublishedRecord* hoare_partition(PublishedRecord* first, PublishedRecord* last) {
  const float p = first->c[K];  // the pivot stays at `first` throughout
  if (last - first <= 64) return hoare_partition_small<K>(first, last, p);
  PublishedRecord* left_next = first + 1;  // the left scan's next block starts here
  PublishedRecord* right_next = last - 1;  // the right scan's next block starts here, leftwards
  PublishedRecord *left_base = left_next, *right_base = right_next;
  uint64_t left_stops = 0, right_stops = 0;
  PublishedRecord* previous_right = last;
  while (true) {
    if (left_stops == 0) {
      // No element left to stop at: the scan would run on to previous_right (s >= 1; the median
      // of three guarantees a stop when s = 0).
      if (left_next == last) return previous_right;
      const int64_t size = std::min<int64_t>(64, last - left_next);
      left_base = left_next;
      left_stops = scan_stops<K, true>(left_base, size, p);
      left_next += size;
      continue;
    }
    PublishedRecord* l = left_base + std::countr_zero(left_stops);
    if (right_stops == 0) {
      // The right scan ends at the pivot, left of every l.
      if (right_next == first) return std::min(l, previous_right);
      const int64_t size = std::min<int64_t>(64, right_next - first);
      right_base = right_next;
      right_stops = scan_stops<K, false>(right_base, size, p);
      right_next -= size;
      continue;
    }
    PublishedRecord* r = right_base - std::countr_zero(right_stops);
    if (!(l < r)) return std::min(l, previous_right);
    std::swap(*l, *r);
    previous_right = r;
    left_stops &= left_stops - 1;
    right_stops &= right_stops - 1;
  }
}

// libstdc++'s __insertion_sort (stable), used on the last 3 elements or fewer.
template <int K>
void insertion_sort(PublishedRecord* first, PublishedRecord* last) {
  for (PublishedRecord* i = first + 1; i < last; ++i) {
    const PublishedRecord value = *i;
    PublishedRecord* j = i;
    for (; j > first && less<K>(value, j[-1]); --j) *j = j[-1];
    *j = value;
  }
}

template <int K>
void introselect(PublishedRecord* first, PublishedRecord* nth, PublishedRecord* last,
                 int depth_limit) {
  while (last - first > 3) {
    if (depth_limit == 0) {
      // Degenerate input: libstdc++'s own heap selection, as std::nth_element falls back to it.
      std::__heap_select(first, nth + 1, last, __gnu_cxx::__ops::__iter_comp_iter(less<K>));
      std::swap(*first, *nth);
      return;
    }
    --depth_limit;
    move_median_to_first<K>(first, first + 1, first + (last - first) / 2, last - 1);
    PublishedRecord* cut = hoare_partition<K>(first, last);
    if (cut <= nth)
      first = cut;
    else
      last = cut;
  }
  insertion_sort<K>(first, last);
}

template <int K>
void nth_element_on(PublishedRecord* first, PublishedRecord* nth, PublishedRecord* last,
                    int depth_limit) {
  if (first == last || nth == last) return;
  introselect<K>(first, nth, last, depth_limit);
}

// A segment's records, its recursion, and its leaves, as RecursivePartitioner in
// partition_recursive.cpp does with an index array.
class PublishedPartitioner {
 public:
  PublishedPartitioner(const PartitionJob& job, const Segment& segment)
      : job_(job),
        root_{0, segment.node_count, segment.slot_offset, segment.slot_count, segment.depth},
        row_offset_(segment.node_offset) {
    if (segment.node_count > std::numeric_limits<uint32_t>::max())
      throw std::length_error("ball tree: a cloud of " + std::to_string(segment.node_count) +
                              " points is more than the builder indexes (2^32 - 1)");
  }

  // Copies the segment's points into records, in row order (the published index array starts
  // as 0, 1, 2, ...: std::nth_element's arrangement depends on it).
  void load_records() {
    records_.resize(root_.count);
    const float* coords = job_.coords + row_offset_ * job_.dim;
    for (int64_t i = 0; i < root_.count; ++i) {
      PublishedRecord& r = records_[i];
      r.c[2] = 0.0f;
      std::memcpy(r.c, coords + i * job_.dim, sizeof(float) * job_.dim);
      r.local = static_cast<uint32_t>(i);
    }
  }

  const Subtree& root() const { return root_; }

  void split(const Subtree& subtree) {
    Subtree left, right;
    if (!split_root(subtree, left, right)) return;
    split(left);
    split(right);
  }

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
  // The bounding box of the records a whole record at a time (the row lane is ignored), with
  // four independent chains: min/max latency, not throughput, bounds a single chain.
  int widest(int64_t begin, int64_t count) const {
    typedef float F4 __attribute__((vector_size(16)));
    const PublishedRecord* r = records_.data() + begin;
    auto load = [&](int64_t i) {
      F4 v;
      std::memcpy(&v, &r[i], sizeof v);
      return v;
    };
    F4 lo[4], hi[4];
    for (int a = 0; a < 4; ++a) lo[a] = hi[a] = load(0);
    int64_t i = 1;
    for (; i + 4 <= count; i += 4) {
      for (int a = 0; a < 4; ++a) {
        const F4 v = load(i + a);
        lo[a] = v < lo[a] ? v : lo[a];
        hi[a] = v > hi[a] ? v : hi[a];
      }
    }
    for (; i < count; ++i) {
      const F4 v = load(i);
      lo[0] = v < lo[0] ? v : lo[0];
      hi[0] = v > hi[0] ? v : hi[0];
    }
    for (int a = 1; a < 4; ++a) {
      lo[0] = lo[a] < lo[0] ? lo[a] : lo[0];
      hi[0] = hi[a] > hi[0] ? hi[a] : hi[0];
    }
    const float box_lo[3] = {lo[0][0], lo[0][1], lo[0][2]};
    const float box_hi[3] = {hi[0][0], hi[0][1], hi[0][2]};
    return widest_dimension(box_lo, box_hi, job_.dim);
  }

  bool split_root(const Subtree& s, Subtree& left, Subtree& right) {
    PublishedRecord* first = records_.data() + s.begin;
    if (s.depth == 0 || s.count <= 1) {
      emit_leaf(job_, s.slot, s.count, s.slots,
                [&](int64_t i) { return row_offset_ + first[i].local; });
      return false;
    }
    const int64_t half = s.count / 2;  // mid = (start + end) / 2
    published_nth_element(first, first + half, first + s.count, widest(s.begin, s.count),
                          2 * std::bit_width(static_cast<uint64_t>(s.count)) - 2);
    left = {s.begin, half, s.slot, s.slots / 2, s.depth - 1};
    right = {s.begin + half, s.count - half, s.slot + s.slots / 2, s.slots / 2, s.depth - 1};
    return true;
  }

  const PartitionJob& job_;
  const Subtree root_;
  const int64_t row_offset_;
  std::vector<PublishedRecord> records_;
};

}  // namespace

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((flatten, target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#endif
void published_nth_element(PublishedRecord* first, PublishedRecord* nth, PublishedRecord* last,
                           int key, int depth_limit) {
  switch (key) {
    case 0:
      return nth_element_on<0>(first, nth, last, depth_limit);
    case 1:
      return nth_element_on<1>(first, nth, last, depth_limit);
    default:
      return nth_element_on<2>(first, nth, last, depth_limit);
  }
}

// The top splits of large clouds run here first; then every subtree of at most `grain` points,
// and every smaller cloud, is a task for the hardware threads. Each subtree goes on from the
// records as the single-threaded recursion leaves them, so the result is the same.
void partition_published_parallel(const std::vector<PartitionJob>& jobs) {
  int64_t total_nodes = 0;
  for (const PartitionJob& job : jobs) {
    for (const Segment& segment : job.segments) total_nodes += segment.node_count;
  }
  const int64_t hardware = std::max(1u, std::thread::hardware_concurrency());
  // About four tasks per thread even when one cloud holds all points.
  const int64_t grain = std::max(kNodesPerThread, total_nodes / (4 * hardware));
  // A segment small enough to be one task loads its records in that task, on its thread.
  struct Task {
    PublishedPartitioner* partitioner;
    Subtree subtree;
    bool load_records;
  };
  std::vector<std::unique_ptr<PublishedPartitioner>> partitioners;
  std::vector<Task> tasks;
  for (const PartitionJob& job : jobs) {
    for (const Segment& segment : job.segments) {
      partitioners.push_back(std::make_unique<PublishedPartitioner>(job, segment));
      PublishedPartitioner* partitioner = partitioners.back().get();
      if (segment.node_count <= grain) {
        tasks.push_back({partitioner, partitioner->root(), true});
        continue;
      }
      partitioner->load_records();
      std::vector<Subtree> below;
      partitioner->split_above(partitioner->root(), grain, below);
      for (const auto& subtree : below) tasks.push_back({partitioner, subtree, false});
    }
  }
  // Largest first, so that the last task to start is a short one.
  std::stable_sort(tasks.begin(), tasks.end(),
                   [](const Task& a, const Task& b) { return a.subtree.count > b.subtree.count; });
  const int64_t threads = std::clamp<int64_t>(
      std::min<int64_t>(total_nodes / kNodesPerThread, static_cast<int64_t>(tasks.size())), 1,
      hardware);
  std::atomic<size_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  HelperThreads::shared().run(static_cast<int>(threads - 1), [&] {
    for (size_t i = next++; i < tasks.size(); i = next++) {
      try {
        if (tasks[i].load_records) tasks[i].partitioner->load_records();
        tasks[i].partitioner->split(tasks[i].subtree);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
  });
  if (error) std::rethrow_exception(error);
}

}  // namespace erwin::tree
