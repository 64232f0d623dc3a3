#pragma once
// Which training samples each step uses: a shuffle derived from (seed, epoch) only, so a resumed
// run visits the data in the same order as an uninterrupted one.
#include <cstdint>
#include <vector>

namespace erwin {

// A permutation of [0, size) that depends only on seed and epoch (own Fisher-Yates over
// std::mt19937_64, identical on every platform).
std::vector<int64_t> epoch_permutation(uint64_t seed, int64_t epoch, int64_t size);

// The sample indices of optimisation step `step`: epochs of floor(size / batch_size) full
// batches (the remainder is dropped); when size < batch_size each step takes all samples.
// Throws std::invalid_argument for size < 1, batch_size < 1 or step < 0.
std::vector<int64_t> batch_for_step(uint64_t seed, int64_t step, int64_t size, int64_t batch_size);

// Rank `rank`'s share of a step's batch in a data-parallel run of `world_size` processes: the
// samples at positions rank, rank + world_size, ... (PyTorch's DistributedSampler takes every
// world_size-th index of the same seeded epoch order, so its per-rank batches are exactly these
// shards). std::invalid_argument unless 0 <= rank < world_size <= batch.size().
std::vector<int64_t> rank_shard(const std::vector<int64_t>& batch, int rank, int world_size);

// A seed for per-step randomness (e.g. EAGLE window starts), a hash of (seed, step).
uint64_t step_seed(uint64_t seed, int64_t step);

}  // namespace erwin
