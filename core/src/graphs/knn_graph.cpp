// knn_graph (erwin/graphs.h): rings of grid cells around each target until the k-th nearest
// candidate is provably nearer than anything outside the rings.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "erwin/graphs.h"
#include "graph_inputs.h"
#include "spatial_grid.h"

namespace erwin {
namespace {

constexpr double kPointsPerCell = 2.0;
// Stop only when the k-th distance is below the bound by more than float rounding can blur.
constexpr double kBoundMargin = 1e-5;

// The k nearest (by graphs::nearer) of the candidates offered, as a max-heap.
template <typename T>
class NearestK {
 public:
  explicit NearestK(size_t k) : k_(k) { heap_.reserve(k); }
  void offer(const graphs::Neighbour<T>& candidate) {
    if (heap_.size() < k_) {
      heap_.push_back(candidate);
      std::push_heap(heap_.begin(), heap_.end(), graphs::nearer<T>);
    } else if (graphs::nearer(candidate, heap_.front())) {
      std::pop_heap(heap_.begin(), heap_.end(), graphs::nearer<T>);
      heap_.back() = candidate;
      std::push_heap(heap_.begin(), heap_.end(), graphs::nearer<T>);
    }
  }
  bool full() const { return heap_.size() == k_; }
  T farthest_squared_distance() const { return heap_.front().squared_distance; }
  // Nearest first; leaves the selection empty.
  std::vector<graphs::Neighbour<T>>& sorted() {
    std::sort_heap(heap_.begin(), heap_.end(), graphs::nearer<T>);
    return heap_;
  }
  void clear() { heap_.clear(); }

 private:
  size_t k_;
  std::vector<graphs::Neighbour<T>> heap_;
};

template <typename T, int D>
torch::Tensor knn_edges(const graphs::GraphInputs& inputs, int64_t k, bool loop) {
  const T* pos = inputs.pos.data_ptr<T>();
  std::vector<graphs::SpatialGrid<T, D>> grids;
  for (const graphs::CloudRange& cloud : inputs.clouds)
    grids.push_back(graphs::SpatialGrid<T, D>::with_occupancy(pos + cloud.begin * D, cloud.size(),
                                                              kPointsPerCell));

  return graphs::build_edges_in_parallel(
      inputs, [&](size_t c, int64_t first, int64_t end, graphs::EdgeChunk& chunk) {
        const graphs::CloudRange& cloud = inputs.clouds[c];
        const graphs::SpatialGrid<T, D>& grid = grids[c];
        const int64_t candidates = cloud.size() - (loop ? 0 : 1);
        NearestK<T> nearest(static_cast<size_t>(std::min(k, candidates)));
        for (int64_t target = first; target < end; ++target) {
          const T* q = pos + target * D;
          const int64_t self = target - cloud.begin;
          auto offer_run = [&](int64_t begin, int64_t stop) {
            for (int64_t p = begin; p < stop; ++p) {
              const int64_t index = grid.index_at(p);
              if (loop || index != self)
                nearest.offer({graphs::squared_distance<T, D>(q, grid.coords_at(p)), index});
            }
          };
          nearest.clear();
          if (k >= candidates) {
            offer_run(0, grid.size());  // the whole cloud
          } else {
            const auto centre = grid.cell_of(q);
            for (int64_t ring = 0;; ++ring) {
              grid.visit_ring(centre, ring, offer_run);
              const double bound = grid.distance_beyond_ring(q, centre, ring);
              if (std::isinf(bound)) break;
              if (nearest.full() &&
                  nearest.farthest_squared_distance() < bound * bound * (1.0 - kBoundMargin))
                break;
            }
          }
          for (const graphs::Neighbour<T>& n : nearest.sorted()) {
            chunk.sources.push_back(cloud.begin + n.index);
            chunk.targets.push_back(target);
          }
        }
      });
}

}  // namespace

torch::Tensor knn_graph(const torch::Tensor& pos, const torch::Tensor& batch_idx, int64_t k,
                        bool loop) {
  if (k <= 0) throw std::invalid_argument("k: must be positive, got " + std::to_string(k));
  const graphs::GraphInputs inputs = graphs::prepare_graph_inputs(pos, batch_idx);
  const torch::Tensor edges = graphs::dispatch_coordinates(inputs, [&](auto scalar, auto dim) {
    return knn_edges<decltype(scalar), decltype(dim)::value>(inputs, k, loop);
  });
  return edges.to(pos.device());
}

}  // namespace erwin
