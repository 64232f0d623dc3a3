#include "graph_inputs.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace erwin::graphs {
namespace {

constexpr int64_t kTargetsPerTask = 512;  // small enough to balance, large enough to amortise

void check_pos(const torch::Tensor& pos) {
  if (!pos.defined()) throw std::invalid_argument("pos: undefined tensor");
  if (pos.dim() != 2 || (pos.size(1) != 2 && pos.size(1) != 3))
    throw std::invalid_argument("pos: expected shape [N, 2] or [N, 3], got " +
                                std::string(c10::str(pos.sizes())));
  if (!pos.is_floating_point())
    throw std::invalid_argument("pos: expected a floating dtype, got " +
                                std::string(c10::toString(pos.scalar_type())));
}

// Row ranges of the non-empty clouds; batch_idx must be int64 [N], >= 0, non-decreasing.
std::vector<CloudRange> split_clouds(const torch::Tensor& batch_idx, int64_t num_rows) {
  if (!batch_idx.defined()) {
    if (num_rows == 0) return {};
    return {CloudRange{0, num_rows}};
  }
  if (batch_idx.scalar_type() != torch::kInt64 || batch_idx.dim() != 1 ||
      batch_idx.size(0) != num_rows)
    throw std::invalid_argument("batch_idx: expected int64 [" + std::to_string(num_rows) +
                                "] (one cloud id per row of pos), got " +
                                std::string(c10::toString(batch_idx.scalar_type())) + " " +
                                std::string(c10::str(batch_idx.sizes())));
  const torch::Tensor ids = batch_idx.to(torch::kCPU).contiguous();
  const int64_t* id = ids.data_ptr<int64_t>();
  std::vector<CloudRange> clouds;
  for (int64_t row = 0; row < num_rows; ++row) {
    if (id[row] < 0)
      throw std::invalid_argument("batch_idx: negative cloud id at row " + std::to_string(row));
    if (row > 0 && id[row] < id[row - 1])
      throw std::invalid_argument("batch_idx: cloud ids must be non-decreasing (row " +
                                  std::to_string(row) + ")");
    if (row == 0 || id[row] != id[row - 1]) clouds.push_back(CloudRange{row, row});
    clouds.back().end = row + 1;
  }
  return clouds;
}

// Targets split into tasks that never straddle two clouds.
std::vector<std::pair<size_t, CloudRange>> make_tasks(const std::vector<CloudRange>& clouds) {
  std::vector<std::pair<size_t, CloudRange>> tasks;
  for (size_t c = 0; c < clouds.size(); ++c)
    for (int64_t first = clouds[c].begin; first < clouds[c].end; first += kTargetsPerTask)
      tasks.push_back({c, CloudRange{first, std::min(first + kTargetsPerTask, clouds[c].end)}});
  return tasks;
}

}  // namespace

GraphInputs prepare_graph_inputs(const torch::Tensor& pos, const torch::Tensor& batch_idx) {
  check_pos(pos);
  GraphInputs inputs;
  const auto dtype = pos.scalar_type() == torch::kFloat64 ? torch::kFloat64 : torch::kFloat32;
  inputs.pos = pos.detach().to(torch::kCPU, dtype).contiguous();
  if (!torch::isfinite(inputs.pos).all().item<bool>())
    throw std::invalid_argument("pos: contains NaN or infinite coordinates");
  inputs.dim = static_cast<int>(pos.size(1));
  inputs.clouds = split_clouds(batch_idx, pos.size(0));
  return inputs;
}

torch::Tensor build_edges_in_parallel(const GraphInputs& inputs, const FillChunk& fill) {
  const auto tasks = make_tasks(inputs.clouds);
  std::vector<EdgeChunk> chunks(tasks.size());
  std::atomic<size_t> next_task{0};
  std::exception_ptr failure;
  std::mutex failure_mutex;
  auto work = [&] {
    try {
      for (size_t t = next_task++; t < tasks.size(); t = next_task++)
        fill(tasks[t].first, tasks[t].second.begin, tasks[t].second.end, chunks[t]);
    } catch (...) {
      std::lock_guard<std::mutex> lock(failure_mutex);
      if (!failure) failure = std::current_exception();
      next_task = tasks.size();
    }
  };
  const size_t hardware = std::max(1u, std::thread::hardware_concurrency());
  std::vector<std::thread> helpers;
  for (size_t t = 1; t < std::min(hardware, tasks.size()); ++t) helpers.emplace_back(work);
  work();
  for (std::thread& helper : helpers) helper.join();
  if (failure) std::rethrow_exception(failure);

  int64_t num_edges = 0;
  for (const EdgeChunk& chunk : chunks) num_edges += static_cast<int64_t>(chunk.sources.size());
  torch::Tensor edges = torch::empty({2, num_edges}, torch::kInt64);
  int64_t* sources = edges.data_ptr<int64_t>();
  int64_t* targets = sources + num_edges;
  for (const EdgeChunk& chunk : chunks) {
    const size_t n = chunk.sources.size();
    if (n == 0) continue;
    std::memcpy(sources, chunk.sources.data(), n * sizeof(int64_t));
    std::memcpy(targets, chunk.targets.data(), n * sizeof(int64_t));
    sources += n;
    targets += n;
  }
  return edges;
}

}  // namespace erwin::graphs
