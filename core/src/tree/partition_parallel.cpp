// The fast partitioner. Same splits as partition_recursive.cpp, made faster by
//  - packed 16-byte records {x, y, z, row}: selection streams through memory (no indirection) and
//    a node's bounding box costs one SSE min and max per record;
//  - comparing (float key, row) as one integer: float -> double is exact and monotone, so the
//    order is the SPEC's, with ties broken by row as in partition_recursive;
//  - a branch-free quickselect (out-of-place partitions, sampled pivots), small nodes sorted;
//  - clouds and large subtrees as tasks for every hardware thread (kept between builds).
#include <emmintrin.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <exception>
#include <limits>
#include <memory>
#include <mutex>
#include <thread>

#include "helper_threads.h"
#include "partition.h"

namespace erwin::tree {
namespace {

constexpr int kSmallNode = 16;               // nodes up to this size are sorted
constexpr int64_t kSubtreeTaskGrain = 8192;  // smaller subtrees stay on their thread

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

// All bits set in every lane when `on`, else none.
__m128 lane_mask(bool on) { return _mm_castsi128_ps(_mm_set1_epi32(on ? -1 : 0)); }

float bit_cast_float(int32_t bits) {
  float value;
  std::memcpy(&value, &bits, sizeof value);
  return value;
}

int widest(const Box& box, int dim) {
  alignas(16) float lo[4], hi[4];
  _mm_store_ps(lo, box.lo);
  _mm_store_ps(hi, box.hi);
  return widest_dimension(lo, hi, dim);
}

// The selection order: coordinate k, then the row. Rows are unique, so the order is total and
// equal coordinates split the same way in every builder (partition_recursive breaks ties by row
// too), whatever the partitioning scheme. The float's bits are mapped so that unsigned order is
// numeric order (-0 was made +0 on loading).
uint64_t order_key(const Record& r, int k) {
  uint32_t bits;
  std::memcpy(&bits, &r.c[k], sizeof bits);
  bits ^= (0u - (bits >> 31)) | 0x80000000u;
  return uint64_t{bits} << 32 | static_cast<uint32_t>(r.row);
}

// Sorts a node of at most 4 * kBlocks records by order_key without branches: a record's rank is
// the number of keys below it (equal coordinates: lower rows), counted four lanes at a time, and
// the record moves straight to its rank. Insertion sort mispredicts about once per record here.
// The lanes are built in registers (a 4x4 transpose of the records): filling them by scalar
// stores and loading them as vectors stalled on store forwarding.
template <int kBlocks>
void sort_blocks(Record* r, int n, int k) {
  constexpr float kInf = std::numeric_limits<float>::infinity();
  // A copy padded with records that sort after every real one; it also lets r take the result.
  const __m128i pad = _mm_castps_si128(
      _mm_setr_ps(kInf, kInf, kInf, bit_cast_float(std::numeric_limits<int32_t>::max())));
  alignas(16) Record copy[4 * kBlocks];
  auto* const vectors = reinterpret_cast<__m128i*>(copy);
  for (int i = 0; i < 4 * kBlocks; ++i) {
    _mm_store_si128(vectors + i, i < n ? _mm_load_si128(reinterpret_cast<__m128i*>(r + i)) : pad);
  }
  const __m128 is_k[3] = {lane_mask(k == 0), lane_mask(k == 1), lane_mask(k == 2)};
  __m128 keys[kBlocks];
  __m128i rows[kBlocks];
  alignas(16) float key[4 * kBlocks];
  alignas(16) int32_t row[4 * kBlocks];
  for (int b = 0; b < kBlocks; ++b) {
    __m128 c0 = load(copy[4 * b]), c1 = load(copy[4 * b + 1]), c2 = load(copy[4 * b + 2]),
           c3 = load(copy[4 * b + 3]);
    _MM_TRANSPOSE4_PS(c0, c1, c2, c3);  // c0 = x lanes, c1 = y, c2 = z, c3 = rows
    keys[b] = _mm_or_ps(_mm_and_ps(c0, is_k[0]),
                        _mm_or_ps(_mm_and_ps(c1, is_k[1]), _mm_and_ps(c2, is_k[2])));
    rows[b] = _mm_castps_si128(c3);
    _mm_store_ps(key + 4 * b, keys[b]);
    _mm_store_si128(reinterpret_cast<__m128i*>(row + 4 * b), rows[b]);
  }
  static constexpr uint8_t kBitsSet[16] = {0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4};
  for (int i = 0; i < n; ++i) {
    const __m128 key_i = _mm_set1_ps(key[i]);
    const __m128i row_i = _mm_set1_epi32(row[i]);
    int rank = 0;
    for (int b = 0; b < kBlocks; ++b) {
      const __m128 tie = _mm_and_ps(_mm_cmpeq_ps(keys[b], key_i),
                                    _mm_castsi128_ps(_mm_cmplt_epi32(rows[b], row_i)));
      rank += kBitsSet[_mm_movemask_ps(_mm_or_ps(_mm_cmplt_ps(keys[b], key_i), tie))];
    }
    _mm_store_si128(reinterpret_cast<__m128i*>(r + rank), vectors[i]);
  }
}

// Sorts a small node (n <= kSmallNode) by order_key.
void sort_small(Record* r, int n, int k) {
  static_assert(kSmallNode == 16, "one case per block count");
  switch ((n + 3) / 4) {
    case 1:
      return sort_blocks<1>(r, n, k);
    case 2:
      return sort_blocks<2>(r, n, k);
    case 3:
      return sort_blocks<3>(r, n, k);
    default:
      return sort_blocks<4>(r, n, k);
  }
}

template <bool kOrEqual>
bool goes_front(const Record& item, int k, uint64_t pivot) {
  return kOrEqual ? order_key(item, k) <= pivot : order_key(item, k) < pivot;
}

// Moves the records with key < pivot (or <= pivot) to the front; returns how many there are.
// Out of place and branch-free: each record is written at both ends of `scratch` and only the end
// it belongs to advances. An in-place branch-free swap (Lomuto) reloads the slot it has just
// stored, and that store-to-load dependency cost more than the whole selection otherwise did.
// Records at the back end up reversed, which a selection does not mind.
template <bool kOrEqual>
int64_t partition_front(Record* r, int64_t n, int k, uint64_t pivot, Record* scratch) {
  int64_t front = 0, back = n - 1;
  for (int64_t i = 0; i < n; ++i) {
    const __m128i item = _mm_load_si128(reinterpret_cast<const __m128i*>(r + i));
    const bool to_front = goes_front<kOrEqual>(r[i], k, pivot);
    _mm_store_si128(reinterpret_cast<__m128i*>(scratch + front), item);
    _mm_store_si128(reinterpret_cast<__m128i*>(scratch + back), item);
    front += to_front;
    back -= !to_front;
  }
  std::memcpy(r, scratch, n * sizeof(Record));
  return front;
}

// An order_key of the range near rank `target`, estimated from an evenly spaced sample.
uint64_t sampled_pivot(const Record* r, int64_t n, int64_t target, int k) {
  constexpr int64_t kMaxSample = 1023;
  const int64_t size = std::clamp<int64_t>(n / 32, 3, kMaxSample);
  uint64_t sample[kMaxSample];
  for (int64_t i = 0; i < size; ++i) sample[i] = order_key(r[(2 * i + 1) * n / (2 * size)], k);
  const int64_t rank = std::min(size - 1, (2 * target + 1) * size / (2 * n));
  std::nth_element(sample, sample + rank, sample + size);
  return sample[rank];
}

// Reorders r so that r[kth] holds the kth smallest order_key, smaller ones left, larger right.
void select_kth(Record* r, int64_t n, int64_t kth, int k, Record* scratch) {
  int64_t lo = 0, hi = n;
  for (int rounds = 0; hi - lo > kSmallNode; ++rounds) {
    if (rounds == 64) {  // adversarial keys: fall back to introselect
      std::nth_element(r + lo, r + kth, r + hi, [k](const Record& a, const Record& b) {
        return order_key(a, k) < order_key(b, k);
      });
      return;
    }
    const uint64_t pivot = sampled_pivot(r + lo, hi - lo, kth - lo, k);
    const int64_t less = lo + partition_front<false>(r + lo, hi - lo, k, pivot, scratch);
    if (kth < less) {
      hi = less;
    } else if (less > lo) {
      lo = less;
    } else {  // the pivot is the minimum: take it off to make progress
      const int64_t not_greater = lo + partition_front<true>(r + lo, hi - lo, k, pivot, scratch);
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
        largest_segment_ = std::max(largest_segment_, segment.node_count);
        queue_.push_back(Task{j, s, segment.node_offset, segment.node_count, segment.slot_offset,
                              segment.slot_count, segment.depth, true});
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
    HelperThreads::shared().run(static_cast<int>(threads_ - 1), [this] { work(); });
    if (error_) std::rethrow_exception(error_);
  }

 private:
  struct Task {
    size_t job, segment;
    int64_t begin, count;  // records [begin, begin + count) of the job
    int64_t slot, slots;
    int depth;
    bool load;  // a segment root: copy its coordinates into records first
  };

  void work() {
    const std::unique_ptr<Record[]> scratch(new Record[largest_segment_]);
    Task task;
    while (next(task)) {
      try {
        if (task.load) load(task);
        Record* r = records_[task.job].get() + task.begin;
        split(task, r, task.count, task.slot, task.slots, task.depth, scratch.get());
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

  void load(const Task& task) {
    const PartitionJob& job = jobs_[task.job];
    Record* r = records_[task.job].get() + task.begin;
    const float* coords = job.coords + task.begin * job.dim;
    for (int64_t i = 0; i < task.count; ++i) {
      // + 0 turns -0 into +0: the two are equal, and order_key must see them so.
      for (int k = 0; k < 3; ++k) r[i].c[k] = k < job.dim ? coords[i * job.dim + k] + 0.0f : 0.0f;
      r[i].row = static_cast<int32_t>(i);
    }
  }

  // Splits the subtree of records r[0, count) of `of`'s segment: `slots` slots from `slot`,
  // `depth` splits above its leaves. The node is passed as scalars rather than as a Task: copying
  // a Task per node stalled on store forwarding (its fields are stored singly, copied in 16 bytes).
  void split(const Task& of, Record* r, int64_t count, int64_t slot, int64_t slots, int depth,
             Record* scratch) {
    const PartitionJob& job = jobs_[of.job];
    while (depth > 0 && count > 1) {
      const int64_t half = count / 2;  // mid = (start + end) / 2
      const int k = widest(bounds(r, count), job.dim);
      if (count <= kSmallNode) {
        sort_small(r, static_cast<int>(count), k);
      } else {
        select_kth(r, count, half, k, scratch);
      }
      const int64_t right_slot = slot + slots / 2;
      if (threads_ > 1 && count - half >= kSubtreeTaskGrain) {
        const int64_t begin = r + half - records_[of.job].get();
        push(
            Task{of.job, of.segment, begin, count - half, right_slot, slots / 2, depth - 1, false});
      } else {
        split(of, r + half, count - half, right_slot, slots / 2, depth - 1, scratch);
      }
      count = half;
      slots /= 2;
      depth -= 1;
    }
    const int64_t first_row = job.segments[of.segment].node_offset;
    emit_leaf(job, slot, count, slots, [&](int64_t i) { return first_row + r[i].row; });
  }

  const std::vector<PartitionJob>& jobs_;
  std::vector<std::unique_ptr<Record[]>> records_;
  std::vector<Task> queue_;
  int64_t pending_ = 0;  // tasks queued or running
  int64_t threads_ = 1;
  int64_t largest_segment_ = 0;  // records, the size of each thread's partition scratch
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
