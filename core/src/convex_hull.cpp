// Convex hulls: Andrew's monotone chain in 2D (and for flat 3D sets, in their plane), an
// incremental hull with horizon edges in 3D. Sets are small here (a ball's children's corners),
// so the incremental O(points x faces) algorithm is the simple, robust choice.
#include "erwin/convex_hull.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>

namespace erwin {
namespace {

struct Vec3 {
  double x = 0, y = 0, z = 0;
  Vec3 operator-(const Vec3& o) const { return {x - o.x, y - o.y, z - o.z}; }
  double dot(const Vec3& o) const { return x * o.x + y * o.y + z * o.z; }
  Vec3 cross(const Vec3& o) const {
    return {y * o.z - z * o.y, z * o.x - x * o.z, x * o.y - y * o.x};
  }
  double norm() const { return std::sqrt(dot(*this)); }
};

struct Points {
  const float* data;
  int dim;
  Vec3 at(int64_t row) const {
    const float* p = data + row * dim;
    return {p[0], p[1], dim == 3 ? p[2] : 0.0};
  }
};

// Counter-clockwise hull of 2D coordinates uv[i] (ids[i] their rows); collinear points dropped.
std::vector<int64_t> monotone_chain(std::vector<std::pair<double, double>> uv,
                                    std::vector<int64_t> ids, double tolerance) {
  std::vector<size_t> order(ids.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return uv[a] < uv[b]; });
  auto turn = [&](size_t o, size_t a, size_t b) {
    return (uv[a].first - uv[o].first) * (uv[b].second - uv[o].second) -
           (uv[a].second - uv[o].second) * (uv[b].first - uv[o].first);
  };
  const double area_tolerance = tolerance * tolerance;
  std::vector<size_t> hull(2 * order.size());
  size_t k = 0;
  for (size_t pass = 0; pass < 2; ++pass) {  // lower hull, then upper hull
    const size_t start = k;
    for (size_t n = 0; n < order.size(); ++n) {
      const size_t i = pass == 0 ? order[n] : order[order.size() - 1 - n];
      while (k >= start + 2 && turn(hull[k - 2], hull[k - 1], i) <= area_tolerance) --k;
      hull[k++] = i;
    }
    --k;  // the last point starts the other chain
  }
  std::vector<int64_t> corners;
  for (size_t i = 0; i < k; ++i) corners.push_back(ids[hull[i]]);
  if (corners.empty() && !ids.empty()) corners.push_back(ids[order[0]]);
  return corners;
}

struct Face {
  int64_t a, b, c;
  Vec3 normal;  // unit, outward
  double offset;
};

class IncrementalHull {
 public:
  IncrementalHull(const Points& points, double tolerance)
      : points_(points), tolerance_(tolerance) {}

  // The hull of the ids, given four of them spanning a tetrahedron.
  ConvexHull build(const std::vector<int64_t>& ids, const std::array<int64_t, 4>& simplex) {
    Vec3 inside{};
    for (int64_t id : simplex) {
      const Vec3 p = points_.at(id);
      inside = {inside.x + p.x / 4, inside.y + p.y / 4, inside.z + p.z / 4};
    }
    inside_ = inside;
    const auto [s0, s1, s2, s3] = simplex;
    add_face(s0, s1, s2);
    add_face(s0, s1, s3);
    add_face(s0, s2, s3);
    add_face(s1, s2, s3);
    for (int64_t id : ids) add_point(id);
    ConvexHull hull;
    for (const Face& f : faces_) {
      hull.triangles.push_back({f.a, f.b, f.c});
      hull.vertices.insert(hull.vertices.end(), {f.a, f.b, f.c});
    }
    std::sort(hull.vertices.begin(), hull.vertices.end());
    hull.vertices.erase(std::unique(hull.vertices.begin(), hull.vertices.end()),
                        hull.vertices.end());
    return hull;
  }

 private:
  // Adds face (a, b, c), ordered so that its normal points away from the hull's interior.
  void add_face(int64_t a, int64_t b, int64_t c) {
    const Vec3 pa = points_.at(a);
    Vec3 n = (points_.at(b) - pa).cross(points_.at(c) - pa);
    if (n.dot(inside_ - pa) > 0) {
      std::swap(b, c);
      n = {-n.x, -n.y, -n.z};
    }
    const double length = std::max(n.norm(), 1e-300);
    n = {n.x / length, n.y / length, n.z / length};
    faces_.push_back({a, b, c, n, n.dot(pa)});
  }

  void add_point(int64_t id) {
    const Vec3 p = points_.at(id);
    visible_edges_.clear();
    size_t kept = 0;  // faces not seen from p stay, compacted to the front
    for (size_t f = 0; f < faces_.size(); ++f) {
      const Face& face = faces_[f];
      if (face.normal.dot(p) - face.offset <= tolerance_) {
        faces_[kept++] = face;
      } else {
        visible_edges_.insert(visible_edges_.end(),
                              {{face.a, face.b}, {face.b, face.c}, {face.c, face.a}});
      }
    }
    if (kept == faces_.size()) return;  // inside the hull
    faces_.resize(kept);
    // Horizon: edges of seen faces whose neighbour across the edge is not seen.
    for (const auto& [u, v] : visible_edges_) {
      const bool inner = std::find(visible_edges_.begin(), visible_edges_.end(), std::pair{v, u}) !=
                         visible_edges_.end();
      if (!inner) add_face(u, v, id);
    }
  }

  Points points_;
  double tolerance_;
  Vec3 inside_;
  std::vector<Face> faces_;
  std::vector<std::pair<int64_t, int64_t>> visible_edges_;  // of the faces the new point sees
};

template <class Measure>
int64_t farthest(const std::vector<int64_t>& ids, Measure measure) {
  return *std::max_element(ids.begin(), ids.end(),
                           [&](int64_t a, int64_t b) { return measure(a) < measure(b); });
}

// The hull of a flat set, in the plane through o spanned by the unit vectors u and w.
ConvexHull planar_hull(const Points& points, const std::vector<int64_t>& ids, const Vec3& o,
                       const Vec3& u, const Vec3& w, double tolerance) {
  std::vector<std::pair<double, double>> uv;
  for (int64_t id : ids) {
    const Vec3 d = points.at(id) - o;
    uv.push_back({d.dot(u), d.dot(w)});
  }
  return {monotone_chain(std::move(uv), ids, tolerance), {}};
}

ConvexHull hull_of(const Points& points, std::vector<int64_t> ids) {
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  if (ids.size() <= 1) return {ids, {}};
  double extent = 0;
  const Vec3 first = points.at(ids[0]);
  for (int64_t id : ids) extent = std::max(extent, (points.at(id) - first).norm());
  const double tolerance = 1e-9 * std::max(extent, 1e-30);
  if (points.dim == 2) return planar_hull(points, ids, {0, 0, 0}, {1, 0, 0}, {0, 1, 0}, tolerance);

  const int64_t i0 = farthest(ids, [&](int64_t id) { return (points.at(id) - first).norm(); });
  const Vec3 p0 = points.at(i0);
  const int64_t i1 = farthest(ids, [&](int64_t id) { return (points.at(id) - p0).norm(); });
  const Vec3 axis = points.at(i1) - p0;
  const Vec3 u = {axis.x / axis.norm(), axis.y / axis.norm(), axis.z / axis.norm()};
  const auto off_axis = [&](int64_t id) { return (points.at(id) - p0).cross(u).norm(); };
  const int64_t i2 = farthest(ids, off_axis);
  if (off_axis(i2) <= tolerance) return {{i0, i1}, {}};  // collinear: a segment
  const Vec3 n = u.cross(points.at(i2) - p0);
  const Vec3 normal = {n.x / n.norm(), n.y / n.norm(), n.z / n.norm()};
  const auto off_plane = [&](int64_t id) { return std::abs((points.at(id) - p0).dot(normal)); };
  const int64_t i3 = farthest(ids, off_plane);
  if (off_plane(i3) <= tolerance)
    return planar_hull(points, ids, p0, u, normal.cross(u), tolerance);
  return IncrementalHull(points, tolerance).build(ids, {i0, i1, i2, i3});
}

// Candidate sets up to this size skip the hull below the requested level (see ball_hulls).
constexpr size_t kPassThroughCorners = 32;

Points points_of(const torch::Tensor& pos) {
  if (pos.scalar_type() != torch::kFloat || pos.dim() != 2 ||
      (pos.size(1) != 2 && pos.size(1) != 3) || !pos.device().is_cpu() || !pos.is_contiguous())
    throw std::invalid_argument("pos: expected a contiguous float32 CPU tensor [N, 2 or 3]");
  return {pos.data_ptr<float>(), static_cast<int>(pos.size(1))};
}

}  // namespace

ConvexHull convex_hull(const torch::Tensor& pos, const std::vector<int64_t>& points) {
  const Points p = points_of(pos);
  for (int64_t id : points)
    if (id < 0 || id >= pos.size(0))
      throw std::invalid_argument("points: row " + std::to_string(id) + " outside pos [0, " +
                                  std::to_string(pos.size(0)) + ")");
  return hull_of(p, points);
}

std::vector<ConvexHull> ball_hulls(const torch::Tensor& pos, const torch::Tensor& tree_idx,
                                   int64_t level) {
  const Points p = points_of(pos);
  const torch::Tensor slots = tree_idx.to(torch::kCPU).contiguous();
  const int64_t num_slots = slots.numel();
  if (level < 0 || (int64_t{1} << std::min<int64_t>(level, 62)) > num_slots ||
      num_slots % (int64_t{1} << level) != 0)
    throw std::invalid_argument("level: " + std::to_string(level) + " has no balls in a tree of " +
                                std::to_string(num_slots) + " slots");
  const int64_t* point_of_slot = slots.data_ptr<int64_t>();
  // Level 0: every slot is its own ball; from level 1 on, start from the slot pairs.
  const int64_t first = std::min<int64_t>(level, 1);
  std::vector<ConvexHull> hulls(num_slots >> first);
  for (size_t b = 0; b < hulls.size(); ++b)
    hulls[b].vertices.assign(point_of_slot + (b << first), point_of_slot + ((b + 1) << first));
  if (level == 1)
    for (ConvexHull& hull : hulls) hull = hull_of(p, std::move(hull.vertices));
  for (int64_t l = 2; l <= level; ++l) {
    std::vector<ConvexHull> parents(hulls.size() / 2);
    at::parallel_for(0, static_cast<int64_t>(parents.size()), 256, [&](int64_t begin, int64_t end) {
      for (int64_t b = begin; b < end; ++b) {
        std::vector<int64_t> corners = std::move(hulls[2 * b].vertices);
        corners.insert(corners.end(), hulls[2 * b + 1].vertices.begin(),
                       hulls[2 * b + 1].vertices.end());
        // Any superset of a ball's corners gives its parent the same hull, so small sets are
        // passed up as they are; hulls are taken where they prune, and at the level asked for.
        if (l == level || corners.size() > kPassThroughCorners) {
          parents[b] = hull_of(p, std::move(corners));
        } else {
          parents[b].vertices = std::move(corners);
        }
      }
    });
    hulls = std::move(parents);
  }
  return hulls;
}

}  // namespace erwin
