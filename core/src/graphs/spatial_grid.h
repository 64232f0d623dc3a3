#pragma once
// A uniform grid (cell list) over the points of one cloud: points are bucketed by cell in
// row-major cell order, so that the cells of one row along the last axis are one contiguous run
// of points. Queries visit such runs; the caller measures the distances.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

namespace erwin::graphs {

template <typename T, int D>
class SpatialGrid {
 public:
  using Cell = std::array<int64_t, D>;

  // Cells of edge `cell_size` (enlarged when there would be more than about two cells per point).
  static SpatialGrid with_cell_size(const T* points, int64_t count, double cell_size) {
    return SpatialGrid(points, count, cell_size);
  }

  // Cells holding about `points_per_cell` points each on average over the bounding box.
  static SpatialGrid with_occupancy(const T* points, int64_t count, double points_per_cell) {
    if (count == 0) return SpatialGrid(points, count, 1.0);
    const Box box = bounding_box(points, count);
    double volume = 1.0;
    int spread_axes = 0;
    for (int a = 0; a < D; ++a) {
      const double extent = box.hi[a] - box.lo[a];
      if (extent > 0) {
        volume *= extent;
        ++spread_axes;
      }
    }
    const double cell_size =
        spread_axes == 0 ? 1.0 : std::pow(volume * points_per_cell / count, 1.0 / spread_axes);
    return SpatialGrid(points, count, cell_size);
  }

  int64_t size() const { return static_cast<int64_t>(index_.size()); }
  // The point at position p of the cell order: its index within the cloud and its coordinates.
  int64_t index_at(int64_t p) const { return index_[p]; }
  const T* coords_at(int64_t p) const { return &coords_[p * D]; }

  Cell cell_of(const T* q) const {
    Cell cell;
    for (int a = 0; a < D; ++a)
      cell[a] = clamp_cell(a, std::floor((q[a] - origin_[a]) / cell_size_));
    return cell;
  }

  // Calls visit(begin, end) for runs of positions covering every point in a cell that meets the
  // box |x - q|_inf <= half_width.
  template <typename Visit>
  void visit_box(const T* q, double half_width, Visit&& visit) const {
    Cell lo, hi;
    for (int a = 0; a < D; ++a) {
      lo[a] = clamp_cell(a, std::floor((q[a] - half_width - origin_[a]) / cell_size_));
      hi[a] = clamp_cell(a, std::floor((q[a] + half_width - origin_[a]) / cell_size_));
    }
    for_each_outer_cell(lo, hi,
                        [&](const Cell& cell) { visit_row(cell, lo[D - 1], hi[D - 1], visit); });
  }

  // Calls visit(begin, end) for runs covering the cells at Chebyshev distance exactly `ring`
  // from `centre`.
  template <typename Visit>
  void visit_ring(const Cell& centre, int64_t ring, Visit&& visit) const {
    Cell lo, hi;
    for (int a = 0; a < D; ++a) {
      lo[a] = std::max<int64_t>(centre[a] - ring, 0);
      hi[a] = std::min<int64_t>(centre[a] + ring, cells_[a] - 1);
    }
    const int64_t last_centre = centre[D - 1];
    for_each_outer_cell(lo, hi, [&](const Cell& cell) {
      int64_t outer_distance = 0;
      for (int a = 0; a + 1 < D; ++a)
        outer_distance = std::max(outer_distance, std::abs(cell[a] - centre[a]));
      if (outer_distance == ring) {
        visit_row(cell, lo[D - 1], hi[D - 1], visit);
        return;
      }
      // Inside the ring's outer shadow only the two end cells of the row are on the ring.
      if (last_centre - ring >= 0) visit_row(cell, last_centre - ring, last_centre - ring, visit);
      if (ring > 0 && last_centre + ring < cells_[D - 1])
        visit_row(cell, last_centre + ring, last_centre + ring, visit);
    });
  }

  // A lower bound on the distance from q (in cell `centre`) to every point outside the rings
  // 0..ring; infinity when those rings cover the whole grid.
  double distance_beyond_ring(const T* q, const Cell& centre, int64_t ring) const {
    double bound = std::numeric_limits<double>::infinity();
    for (int a = 0; a < D; ++a) {
      if (centre[a] - ring > 0)
        bound = std::min(bound, q[a] - (origin_[a] + (centre[a] - ring) * cell_size_));
      if (centre[a] + ring + 1 < cells_[a])
        bound = std::min(bound, origin_[a] + (centre[a] + ring + 1) * cell_size_ - q[a]);
    }
    return std::max(bound, 0.0);
  }

 private:
  struct Box {
    std::array<double, D> lo, hi;
  };

  static Box bounding_box(const T* points, int64_t count) {
    Box box;
    box.lo.fill(count > 0 ? std::numeric_limits<double>::infinity() : 0.0);
    box.hi.fill(count > 0 ? -std::numeric_limits<double>::infinity() : 0.0);
    for (int64_t i = 0; i < count; ++i)
      for (int a = 0; a < D; ++a) {
        box.lo[a] = std::min<double>(box.lo[a], points[i * D + a]);
        box.hi[a] = std::max<double>(box.hi[a], points[i * D + a]);
      }
    return box;
  }

  SpatialGrid(const T* points, int64_t count, double cell_size) {
    const Box box = bounding_box(points, count);
    origin_ = box.lo;
    cell_size_ = cell_size > 0 && std::isfinite(cell_size) ? cell_size : 1.0;
    // Too many cells cost memory and empty-cell visits: at most about two per point.
    const double max_cells = 2.0 * count + 8.0;
    while (cell_count(box) > max_cells) cell_size_ *= 1.5;
    for (int a = 0; a < D; ++a)
      cells_[a] = static_cast<int64_t>(std::floor((box.hi[a] - box.lo[a]) / cell_size_)) + 1;
    bucket(points, count);
  }

  double cell_count(const Box& box) const {
    double total = 1.0;
    for (int a = 0; a < D; ++a) total *= std::floor((box.hi[a] - box.lo[a]) / cell_size_) + 1.0;
    return total;
  }

  // Counting sort of the points by linear cell index.
  void bucket(const T* points, int64_t count) {
    int64_t num_cells = 1;
    for (int a = 0; a < D; ++a) num_cells *= cells_[a];
    std::vector<int64_t> cell_of_point(count);
    cell_begin_.assign(num_cells + 1, 0);
    for (int64_t i = 0; i < count; ++i) {
      cell_of_point[i] = linear(cell_of(points + i * D));
      ++cell_begin_[cell_of_point[i] + 1];
    }
    for (int64_t c = 0; c < num_cells; ++c) cell_begin_[c + 1] += cell_begin_[c];
    std::vector<int64_t> fill(cell_begin_.begin(), cell_begin_.end() - 1);
    index_.resize(count);
    coords_.resize(count * D);
    for (int64_t i = 0; i < count; ++i) {
      const int64_t p = fill[cell_of_point[i]]++;
      index_[p] = i;
      std::copy(points + i * D, points + (i + 1) * D, &coords_[p * D]);
    }
  }

  int64_t clamp_cell(int a, double cell) const {
    return static_cast<int64_t>(std::clamp(cell, 0.0, static_cast<double>(cells_[a] - 1)));
  }

  int64_t linear(const Cell& cell) const {
    int64_t index = 0;
    for (int a = 0; a < D; ++a) index = index * cells_[a] + cell[a];
    return index;
  }

  // Every cell of [lo, hi] over the axes but the last (whose coordinate is left at lo).
  template <typename Fn>
  static void for_each_outer_cell(const Cell& lo, const Cell& hi, Fn&& fn) {
    Cell cell = lo;
    if constexpr (D == 2) {
      for (cell[0] = lo[0]; cell[0] <= hi[0]; ++cell[0]) fn(cell);
    } else {
      static_assert(D == 3, "SpatialGrid supports 2 and 3 dimensions");
      for (cell[0] = lo[0]; cell[0] <= hi[0]; ++cell[0])
        for (cell[1] = lo[1]; cell[1] <= hi[1]; ++cell[1]) fn(cell);
    }
  }

  // The points of cells first..last along the last axis of `cell`'s row: one contiguous run.
  template <typename Visit>
  void visit_row(Cell cell, int64_t first, int64_t last, Visit& visit) const {
    cell[D - 1] = first;
    const int64_t begin = cell_begin_[linear(cell)];
    cell[D - 1] = last;
    const int64_t end = cell_begin_[linear(cell) + 1];
    if (begin < end) visit(begin, end);
  }

  std::array<double, D> origin_{};
  double cell_size_ = 1.0;
  Cell cells_{};
  std::vector<int64_t> cell_begin_;  // CSR offsets over linear cell indices
  std::vector<int64_t> index_;       // index within the cloud, in cell order
  std::vector<T> coords_;            // coordinates, in cell order
};

// Squared Euclidean distance accumulated in T axis by axis, like nanoflann (torch_cluster), so
// that the radius test decides exactly as the reference does.
template <typename T, int D>
inline T squared_distance(const T* a, const T* b) {
  T sum = 0;
  for (int k = 0; k < D; ++k) {
    const T diff = a[k] - b[k];
    sum += diff * diff;
  }
  return sum;
}

// A candidate source: squared distance to the target and index within the cloud.
template <typename T>
struct Neighbour {
  T squared_distance;
  int64_t index;
};

// Nearer first; equal distances by lower index, so that every selection is deterministic.
template <typename T>
inline bool nearer(const Neighbour<T>& a, const Neighbour<T>& b) {
  return a.squared_distance < b.squared_distance ||
         (a.squared_distance == b.squared_distance && a.index < b.index);
}

}  // namespace erwin::graphs
