#include "erwin/training/data_order.h"

#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

namespace erwin {

std::vector<int64_t> epoch_permutation(uint64_t seed, int64_t epoch, int64_t size) {
  std::vector<int64_t> order(static_cast<size_t>(size));
  std::iota(order.begin(), order.end(), int64_t{0});
  std::seed_seq seq{static_cast<uint32_t>(seed), static_cast<uint32_t>(seed >> 32),
                    static_cast<uint32_t>(epoch), static_cast<uint32_t>(epoch >> 32)};
  std::mt19937_64 rng(seq);
  // Modulo sampling instead of std::uniform_int_distribution, whose algorithm the standard
  // leaves to the library: the order must not change with the toolchain.
  for (int64_t i = size - 1; i > 0; --i) {
    const auto j = static_cast<int64_t>(rng() % static_cast<uint64_t>(i + 1));
    std::swap(order[i], order[j]);
  }
  return order;
}

std::vector<int64_t> batch_for_step(uint64_t seed, int64_t step, int64_t size, int64_t batch_size) {
  if (size < 1) throw std::invalid_argument("batch_for_step: size must be at least 1");
  if (batch_size < 1) throw std::invalid_argument("batch_for_step: batch_size must be at least 1");
  if (step < 0) throw std::invalid_argument("batch_for_step: step must not be negative");
  const int64_t per_batch = std::min(batch_size, size);
  const int64_t batches_per_epoch = size / per_batch;
  const auto order = epoch_permutation(seed, step / batches_per_epoch, size);
  const int64_t first = (step % batches_per_epoch) * per_batch;
  return {order.begin() + first, order.begin() + first + per_batch};
}

std::vector<int64_t> rank_shard(const std::vector<int64_t>& batch, int rank, int world_size) {
  if (world_size < 1 || rank < 0 || rank >= world_size)
    throw std::invalid_argument("rank_shard: rank " + std::to_string(rank) +
                                " is outside a group of " + std::to_string(world_size));
  if (static_cast<size_t>(world_size) > batch.size())
    throw std::invalid_argument("rank_shard: a batch of " + std::to_string(batch.size()) +
                                " samples cannot feed " + std::to_string(world_size) +
                                " processes");
  std::vector<int64_t> shard;
  for (size_t i = static_cast<size_t>(rank); i < batch.size(); i += static_cast<size_t>(world_size))
    shard.push_back(batch[i]);
  return shard;
}

uint64_t step_seed(uint64_t seed, int64_t step) {
  // splitmix64 finaliser of the pair.
  uint64_t z = seed * 0x9E3779B97F4A7C15ull + static_cast<uint64_t>(step) + 0x632BE59BD9B4E019ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace erwin
