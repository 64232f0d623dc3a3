#pragma once
// What radius_graph and knn_graph share: argument checks, the clouds of a batch, and building
// the edge tensor chunk by chunk on all hardware threads.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <type_traits>
#include <vector>

namespace erwin::graphs {

struct CloudRange {
  int64_t begin = 0;  // first row of the cloud
  int64_t end = 0;    // one past its last row
  int64_t size() const { return end - begin; }
};

struct GraphInputs {
  torch::Tensor pos;               // contiguous CPU, float32 or float64, [N, d]
  int dim = 0;                     // 2 or 3
  std::vector<CloudRange> clouds;  // the non-empty clouds, in row order
};

// Checks pos / batch_idx (see erwin/graphs.h) and splits the rows into clouds.
GraphInputs prepare_graph_inputs(const torch::Tensor& pos, const torch::Tensor& batch_idx);

// The edges found for a contiguous range of targets, in target order.
struct EdgeChunk {
  std::vector<int64_t> sources;
  std::vector<int64_t> targets;
};

// Calls fill(cloud, first_target, end_target, chunk) for ranges of targets that together cover
// every row once (each range within inputs.clouds[cloud]), on all hardware threads, and
// concatenates the chunks in row order into an int64 [2, E] tensor (row 0 sources, row 1
// targets).
using FillChunk =
    std::function<void(size_t cloud, int64_t first_target, int64_t end_target, EdgeChunk& chunk)>;
torch::Tensor build_edges_in_parallel(const GraphInputs& inputs, const FillChunk& fill);

// Calls fn(T{}, std::integral_constant<int, D>{}) with T the coordinate type of inputs.pos
// (float or double) and D its dimension (2 or 3).
template <typename Fn>
auto dispatch_coordinates(const GraphInputs& inputs, Fn&& fn) {
  const bool is_double = inputs.pos.scalar_type() == torch::kFloat64;
  if (inputs.dim == 2)
    return is_double ? fn(double{}, std::integral_constant<int, 2>{})
                     : fn(float{}, std::integral_constant<int, 2>{});
  return is_double ? fn(double{}, std::integral_constant<int, 3>{})
                   : fn(float{}, std::integral_constant<int, 3>{});
}

}  // namespace erwin::graphs
