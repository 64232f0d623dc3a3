// The baseline partitioner: the published algorithm as a straightforward recursion, and the same
// recursion run on several clouds at once.
#include <algorithm>
#include <atomic>
#include <exception>
#include <mutex>
#include <numeric>
#include <thread>

#include "helper_threads.h"
#include "partition.h"

namespace erwin::tree {
namespace {

// kTiesByRow: equal coordinates in row order (as partition_parallel); else std::nth_element's own
// order among them, as the published code has it.
template <bool kTiesByRow>
class RecursivePartitioner {
 public:
  explicit RecursivePartitioner(const PartitionJob& job) : job_(job) {}

  // index_ starts as the segment's rows in order, as the published code's index array does:
  // std::nth_element's arrangement, and so the order of equal coordinates, depends on it.
  void run(const Segment& segment) {
    index_.resize(segment.node_count);
    std::iota(index_.begin(), index_.end(), segment.node_offset);
    split(0, segment.node_count, segment.slot_offset, segment.slot_count, segment.depth);
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

  void split(int64_t begin, int64_t count, int64_t slot, int64_t slots, int depth) {
    if (depth == 0 || count <= 1) {
      emit_leaf(job_, slot, count, slots, [&](int64_t i) { return index_[begin + i]; });
      return;
    }
    const int k = widest(begin, count);
    const int64_t half = count / 2;  // mid = (start + end) / 2
    auto first = index_.begin() + begin;
    std::nth_element(first, first + half, first + count, [&](int64_t a, int64_t b) {
      const double ca = coord(a, k), cb = coord(b, k);
      return ca < cb || (kTiesByRow && ca == cb && a < b);
    });
    split(begin, half, slot, slots / 2, depth - 1);
    split(begin + half, count - half, slot + slots / 2, slots / 2, depth - 1);
  }

  const PartitionJob& job_;
  std::vector<int64_t> index_;
};

template <bool kTiesByRow>
void partition_jobs_recursively(const std::vector<PartitionJob>& jobs) {
  for (const PartitionJob& job : jobs) {
    RecursivePartitioner<kTiesByRow> partitioner(job);
    for (const Segment& segment : job.segments) partitioner.run(segment);
  }
}

struct SegmentOfJob {
  const PartitionJob* job;
  const Segment* segment;
};

// Largest first, so that the last segment to start is a short one.
std::vector<SegmentOfJob> segments_by_size(const std::vector<PartitionJob>& jobs) {
  std::vector<SegmentOfJob> segments;
  for (const PartitionJob& job : jobs) {
    for (const Segment& segment : job.segments) segments.push_back({&job, &segment});
  }
  std::stable_sort(segments.begin(), segments.end(), [](const auto& a, const auto& b) {
    return a.segment->node_count > b.segment->node_count;
  });
  return segments;
}

}  // namespace

void partition_published_parallel(const std::vector<PartitionJob>& jobs) {
  const std::vector<SegmentOfJob> segments = segments_by_size(jobs);
  int64_t total_nodes = 0;
  for (const SegmentOfJob& s : segments) total_nodes += s.segment->node_count;
  const int64_t hardware = std::max(1u, std::thread::hardware_concurrency());
  const int64_t threads = std::clamp<int64_t>(
      std::min<int64_t>(total_nodes / kNodesPerThread, static_cast<int64_t>(segments.size())), 1,
      hardware);
  std::atomic<size_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr error;
  HelperThreads::shared().run(static_cast<int>(threads - 1), [&] {
    for (size_t i = next++; i < segments.size(); i = next++) {
      try {
        RecursivePartitioner<false>(*segments[i].job).run(*segments[i].segment);
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
