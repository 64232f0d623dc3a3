// radius_graph (erwin/graphs.h): a box query on each cloud's grid, then the exact test.
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

// Cells of half the radius: a query scans about (2.5 r)^d instead of (3 r)^d.
constexpr double kCellsPerRadius = 2.0;
// The box is a little wider than the radius so that float rounding of the squared distance can
// never accept a point the box left out.
constexpr double kBoxMargin = 1e-5;

template <typename T, int D>
torch::Tensor radius_edges(const graphs::GraphInputs& inputs, double radius, bool loop,
                           int64_t max_num_neighbors) {
  const T* pos = inputs.pos.data_ptr<T>();
  std::vector<graphs::SpatialGrid<T, D>> grids;
  for (const graphs::CloudRange& cloud : inputs.clouds)
    grids.push_back(graphs::SpatialGrid<T, D>::with_cell_size(pos + cloud.begin * D, cloud.size(),
                                                              radius / kCellsPerRadius));
  // torch_cluster hands radius² to nanoflann in the coordinate type and keeps d² < radius².
  const T squared_radius = static_cast<T>(radius * radius);
  const double half_width = radius * (1.0 + kBoxMargin);

  return graphs::build_edges_in_parallel(
      inputs, [&](size_t c, int64_t first, int64_t end, graphs::EdgeChunk& chunk) {
        const graphs::CloudRange& cloud = inputs.clouds[c];
        const graphs::SpatialGrid<T, D>& grid = grids[c];
        std::vector<graphs::Neighbour<T>> found;
        for (int64_t target = first; target < end; ++target) {
          const T* q = pos + target * D;
          const int64_t self = target - cloud.begin;
          found.clear();
          grid.visit_box(q, half_width, [&](int64_t begin, int64_t stop) {
            for (int64_t p = begin; p < stop; ++p) {
              const int64_t index = grid.index_at(p);
              if (!loop && index == self) continue;
              const T d2 = graphs::squared_distance<T, D>(q, grid.coords_at(p));
              if (d2 < squared_radius) found.push_back({d2, index});
            }
          });
          if (max_num_neighbors > 0 && static_cast<int64_t>(found.size()) > max_num_neighbors) {
            std::nth_element(found.begin(), found.begin() + max_num_neighbors, found.end(),
                             graphs::nearer<T>);
            found.resize(max_num_neighbors);
          }
          std::sort(found.begin(), found.end(),
                    [](const auto& a, const auto& b) { return a.index < b.index; });
          for (const graphs::Neighbour<T>& n : found) {
            chunk.sources.push_back(cloud.begin + n.index);
            chunk.targets.push_back(target);
          }
        }
      });
}

}  // namespace

torch::Tensor radius_graph(const torch::Tensor& pos, const torch::Tensor& batch_idx, double radius,
                           bool loop, int64_t max_num_neighbors) {
  if (!(radius > 0) || !std::isfinite(radius))
    throw std::invalid_argument("radius: must be a positive finite number, got " +
                                std::to_string(radius));
  if (max_num_neighbors == 0)
    throw std::invalid_argument("max_num_neighbors: must be positive, or negative for no limit");
  const graphs::GraphInputs inputs = graphs::prepare_graph_inputs(pos, batch_idx);
  const torch::Tensor edges = graphs::dispatch_coordinates(inputs, [&](auto scalar, auto dim) {
    return radius_edges<decltype(scalar), decltype(dim)::value>(inputs, radius, loop,
                                                                max_num_neighbors);
  });
  return edges.to(pos.device());
}

}  // namespace erwin
