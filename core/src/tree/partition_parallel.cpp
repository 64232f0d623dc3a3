// The fast partitioner. Same splits as partition_recursive.cpp, made faster by
//  - packed 16-byte records {x, y, z, row}: selection streams through memory (no indirection) and
//    a node's bounding box costs one SSE min and max per record;
//  - comparing float keys: float -> double is exact and monotone, so the order is the SPEC's;
//  - a branch-free quickselect (block partitioning, sampled pivots), small nodes sorted directly;
//  - clouds and large subtrees as tasks for every hardware thread.
#include <emmintrin.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <thread>

#include "partition.h"

namespace erwin::tree {
namespace {

constexpr int kSmallNode = 16;               // nodes up to this size are sorted
constexpr int64_t kSubtreeTaskGrain = 8192;  // smaller subtrees stay on their thread
constexpr int64_t kNodesPerThread = 2048;    // below this a second thread does not pay off

// Coordinates in lanes 0 .. dim - 1 (unused lanes 0), the node's row within its segment in lane 3.
struct alignas(16) Record {
  float c[3];
  int32_t row;
};

// Lanes 0 .. 2 of the smallest and largest coordinates of a set of records (lane 3 is junk).
struct Box {
  __m128 lo, hi;
};

__m128 load(const Record& r) { return _mm_load_ps(r.c); }

Box bounds(const Record* r, int64_t n) {
  // Two accumulators halve the dependency chains of min/max.
  __m128 lo0 = load(r[0]), hi0 = lo0, lo1 = lo0, hi1 = lo0;
  int64_t i = 1;
  for (; i + 1 < n; i += 2) {
    const __m128 a = load(r[i]), b = load(r[i + 1]);
    lo0 = _mm_min_ps(lo0, a);
    hi0 = _mm_max_ps(hi0, a);
    lo1 = _mm_min_ps(lo1, b);
    hi1 = _mm_max_ps(hi1, b);
  }
  if (i < n) {
    lo0 = _mm_min_ps(lo0, load(r[i]));
    hi0 = _mm_max_ps(hi0, load(r[i]));
  }
  return {_mm_min_ps(lo0, lo1), _mm_max_ps(hi0, hi1)};
}

int widest(const Box& box, int dim) {
  alignas(16) float lo[4], hi[4];
  _mm_store_ps(lo, box.lo);
  _mm_store_ps(hi, box.hi);
  return widest_dimension(lo, hi, dim);
}

// Sorts a small node by key k. Insertion sort: on a handful of records it needs fewer
// instructions than any branch-free scheme tried (rank counting cost 4x more).
void sort_small(Record* r, int n, int k) {
  for (int i = 1; i < n; ++i) {
    const Record item = r[i];
    int j = i;
    for (; j > 0 && item.c[k] < r[j - 1].c[k]; --j) r[j] = r[j - 1];
    r[j] = item;
  }
}

template <bool kOrEqual>
bool goes_front(const Record& item, int k, float pivot) {
  return kOrEqual ? item.c[k] <= pivot : item.c[k] < pivot;
}

// Moves the elements with key < pivot (or <= pivot) to the front without branches (Lomuto);
// returns how many there are.
template <bool kOrEqual>
int64_t lomuto_partition(Record* r, int64_t n, int k, float pivot) {
  int64_t store = 0;
  for (int64_t i = 0; i < n; ++i) {
    const bool front = goes_front<kOrEqual>(r[i], k, pivot);
    const Record item = r[i];
    r[i] = r[store];
    r[store] = item;
    store += front;
  }
  return store;
}

// Same result as lomuto_partition, faster on long ranges: block partitioning (Edelkamp & Weiss,
// "BlockQuicksort") scans blocks from both ends, recording the misplaced elements' offsets
// without branches, then swaps them pairwise; the middle that is left goes to Lomuto.
template <bool kOrEqual>
int64_t partition_front(Record* r, int64_t n, int k, float pivot) {
  constexpr int kBlock = 128;
  uint8_t misplaced_left[kBlock], misplaced_right[kBlock];
  int64_t lo = 0, hi = n;  // [0, lo) goes front, [hi, n) goes back
  int num_left = 0, num_right = 0, first_left = 0, first_right = 0;
  while (hi - lo > 2 * kBlock) {
    if (num_left == 0) {
      first_left = 0;
      for (int i = 0; i < kBlock; ++i) {
        misplaced_left[num_left] = static_cast<uint8_t>(i);
        num_left += !goes_front<kOrEqual>(r[lo + i], k, pivot);
      }
    }
    if (num_right == 0) {
      first_right = 0;
      for (int i = 0; i < kBlock; ++i) {
        misplaced_right[num_right] = static_cast<uint8_t>(i);
        num_right += goes_front<kOrEqual>(r[hi - 1 - i], k, pivot);
      }
    }
    const int swaps = std::min(num_left, num_right);
    for (int j = 0; j < swaps; ++j) {
      std::swap(r[lo + misplaced_left[first_left + j]],
                r[hi - 1 - misplaced_right[first_right + j]]);
    }
    num_left -= swaps;
    num_right -= swaps;
    first_left += swaps;
    first_right += swaps;
    if (num_left == 0) lo += kBlock;
    if (num_right == 0) hi -= kBlock;
  }
  return lo + lomuto_partition<kOrEqual>(r + lo, hi - lo, k, pivot);
}

// A key of the range near rank `target`, estimated from an evenly spaced sample.
float sampled_pivot(const Record* r, int64_t n, int64_t target, int k) {
  constexpr int64_t kMaxSample = 1023;
  const int64_t size = std::clamp<int64_t>(n / 32, 3, kMaxSample);
  float sample[kMaxSample];
  for (int64_t i = 0; i < size; ++i) sample[i] = r[(2 * i + 1) * n / (2 * size)].c[k];
  const int64_t rank = std::min(size - 1, (2 * target + 1) * size / (2 * n));
  std::nth_element(sample, sample + rank, sample + size);
  return sample[rank];
}

// Reorders r so that r[kth] holds the kth smallest key and smaller/larger keys lie left/right.
void select_kth(Record* r, int64_t n, int64_t kth, int k) {
  int64_t lo = 0, hi = n;
  for (int rounds = 0; hi - lo > kSmallNode; ++rounds) {
    if (rounds == 64) {  // adversarial keys: fall back to introselect
      std::nth_element(r + lo, r + kth, r + hi,
                       [k](const Record& a, const Record& b) { return a.c[k] < b.c[k]; });
      return;
    }
    const float pivot = sampled_pivot(r + lo, hi - lo, kth - lo, k);
    const int64_t less = lo + partition_front<false>(r + lo, hi - lo, k, pivot);
    if (kth < less) {
      hi = less;
    } else if (less > lo) {
      lo = less;
    } else {  // the pivot is the minimum: take off all its copies to make progress
      const int64_t not_greater = lo + partition_front<true>(r + lo, hi - lo, k, pivot);
      if (kth < not_greater) return;
      lo = not_greater;
    }
  }
  sort_small(r + lo, static_cast<int>(hi - lo), k);
}

class ParallelPartitioner {
 public:
  explicit ParallelPartitioner(const std::vector<PartitionJob>& jobs) : jobs_(jobs) {
    int64_t total_nodes = 0;
    for (size_t j = 0; j < jobs.size(); ++j) {
      int64_t rows = 0;
      for (size_t s = 0; s < jobs[j].segments.size(); ++s) {
        const Segment& segment = jobs[j].segments[s];
        rows = std::max(rows, segment.node_offset + segment.node_count);
        Task root;
        root.job = j;
        root.segment = s;
        root.begin = segment.node_offset;
        root.count = segment.node_count;
        root.slot = segment.slot_offset;
        root.slots = segment.slot_count;
        root.depth = segment.depth;
        root.load = true;
        queue_.push_back(root);
      }
      records_.emplace_back(new Record[rows]);
      total_nodes += rows;
    }
    // Largest clouds first, so that the last task to start is a short one.
    std::stable_sort(queue_.begin(), queue_.end(),
                     [](const Task& a, const Task& b) { return a.count < b.count; });
    pending_ = static_cast<int64_t>(queue_.size());
    const int64_t hardware = std::max(1u, std::thread::hardware_concurrency());
    threads_ = std::clamp<int64_t>(total_nodes / kNodesPerThread, 1, hardware);
  }

  void run() {
    std::vector<std::thread> helpers;
    for (int64_t t = 1; t < threads_; ++t) helpers.emplace_back([this] { work(); });
    work();
    for (std::thread& helper : helpers) helper.join();
    if (error_) std::rethrow_exception(error_);
  }

 private:
  struct Task {
    size_t job, segment;
    int64_t begin, count;  // records [begin, begin + count) of the job
    int64_t slot, slots;
    int depth;
    bool load;  // a segment root: copy its coordinates into records first
    Box box;    // of the records, unless `load`
  };

  void work() {
    Task task;
    while (next(task)) {
      try {
        if (task.load) load(task);
        split(task);
      } catch (...) {
        std::lock_guard<std::mutex> lock(mutex_);
        if (!error_) error_ = std::current_exception();
      }
      finish();
    }
  }

  bool next(Task& task) {
    std::unique_lock<std::mutex> lock(mutex_);
    ready_.wait(lock, [this] { return !queue_.empty() || pending_ == 0; });
    if (queue_.empty()) return false;
    task = queue_.back();
    queue_.pop_back();
    return true;
  }

  void push(const Task& task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      queue_.push_back(task);
      ++pending_;
    }
    ready_.notify_one();
  }

  void finish() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (--pending_ == 0) ready_.notify_all();
  }

  void load(Task& task) {
    const PartitionJob& job = jobs_[task.job];
    Record* r = records_[task.job].get() + task.begin;
    const float* coords = job.coords + task.begin * job.dim;
    for (int64_t i = 0; i < task.count; ++i) {
      for (int k = 0; k < 3; ++k) r[i].c[k] = k < job.dim ? coords[i * job.dim + k] : 0.0f;
      r[i].row = static_cast<int32_t>(i);
    }
    task.box = bounds(r, task.count);
  }

  void split(Task task) {
    const PartitionJob& job = jobs_[task.job];
    Record* base = records_[task.job].get();
    while (task.depth > 0 && task.count > 1) {
      Record* r = base + task.begin;
      const int64_t half = task.count / 2;  // mid = (start + end) / 2
      const int k = widest(task.box, job.dim);
      if (task.count <= kSmallNode) {
        sort_small(r, static_cast<int>(task.count), k);
      } else {
        select_kth(r, task.count, half, k);
      }
      Task right = task;
      right.begin += half;
      right.count -= half;
      right.slot += task.slots / 2;
      right.slots = task.slots / 2;
      right.depth = task.depth - 1;
      right.load = false;
      right.box = bounds(r + half, right.count);
      if (threads_ > 1 && right.count >= kSubtreeTaskGrain) {
        push(right);
      } else {
        split(right);
      }
      task.count = half;
      task.slots /= 2;
      task.depth -= 1;
      task.box = bounds(r, half);
    }
    const Record* leaf = base + task.begin;
    const int64_t first_row = job.segments[task.segment].node_offset;
    emit_leaf(job, task.slot, task.count, task.slots,
              [&](int64_t i) { return first_row + leaf[i].row; });
  }

  const std::vector<PartitionJob>& jobs_;
  std::vector<std::unique_ptr<Record[]>> records_;
  std::vector<Task> queue_;
  int64_t pending_ = 0;  // tasks queued or running
  int64_t threads_ = 1;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::exception_ptr error_;
};

}  // namespace

void partition_parallel(const std::vector<PartitionJob>& jobs) {
  if (jobs.empty()) return;
  ParallelPartitioner(jobs).run();
}

}  // namespace erwin::tree
