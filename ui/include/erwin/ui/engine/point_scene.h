#pragma once
// The VTK pipelines of the shown data: the points (or mesh) coloured by their ball at one level,
// for the original and the rotated tree, plus the ball spheres, the pooled node positions (ball
// centres) and the padding slots of that level. Owns no renderer: views add its props.
#include <vtkSmartPointer.h>

#include <cstdint>
#include <map>
#include <memory>
#include <utility>

#include "erwin/ui/engine/ball_colours.h"
#include "erwin/ui/engine/point_set.h"
#include "erwin/ui/engine/scene_tree.h"
#include "erwin/ui/engine/studio_state.h"

class vtkActor;
class vtkPlane;
class vtkPolyData;
class vtkProp;
class vtkRenderer;
class vtkUnsignedCharArray;

namespace erwin::ui {

struct BallHulls;

class PointScene {
 public:
  PointScene();
  ~PointScene();

  // Replaces the data (GUI thread). Keeps the level when it is still valid.
  void set_data(std::shared_ptr<const PointSet> points, std::shared_ptr<const SceneTree> tree);
  bool has_data() const { return tree_ != nullptr; }
  const PointSet& points() const { return *points_; }
  const SceneTree& tree() const { return *tree_; }
  std::shared_ptr<const PointSet> points_ptr() const { return points_; }
  std::shared_ptr<const SceneTree> tree_ptr() const { return tree_; }

  void set_level(int64_t level);
  int64_t level() const { return level_; }
  // Points coloured by ball, or by the ball's place in the tree's order through `map`
  // (StudioState::colouring); the spheres and centres take the same colours.
  void set_colouring(Colouring colouring, ColourMap map);
  // Colouring::Field: the values (float [N], a value per point) and how their colour range is
  // chosen; non-finite values are drawn grey. field_range() is the range in use.
  void set_field(const torch::Tensor& values, RangeMode mode, double low, double high);
  std::pair<double, double> field_range() const { return field_range_; }
  // Point size in pixels (0: by the number of points, automatic_point_size) and whether points are
  // drawn as lit spheres, whose shading and depth make a 3D cloud read as surfaces.
  void set_point_style(double pixels, bool as_spheres);
  static double automatic_point_size(int64_t points);
  void set_show_spheres(bool show);
  // Ball hulls are shown once they are given (set_hulls), since they take long to build
  // (engine/ball_hulls.h); missing_hulls_level() is the level whose hulls are wanted but not given
  // yet, or -1. Given hulls are kept per level until the data changes.
  void set_show_hulls(bool show);
  int64_t missing_hulls_level() const;
  void set_hulls(const BallHulls& hulls);
  void set_show_centres(bool show);
  void set_show_padding(bool show);
  // Overlay mode: points outside the rotated ball that holds `point` (at the current level) are
  // dimmed, so the original-tree colours show which balls it straddles. -1 turns it off.
  void set_straddle_point(int64_t point);
  int64_t straddle_point() const { return straddle_point_; }
  // The rotated ball that holds straddle_point() at the current level, and its number of points.
  int64_t straddle_ball() const { return straddle_point_ >= 0 ? straddle_ball_ : -1; }
  int64_t straddle_ball_points() const { return straddle_ball_points_; }

  // Receptive field view: points coloured by membership (Erwin only, MPNN only, both, neither;
  // `khop` may be undefined) instead of by ball, and `node` marked.
  void set_receptive_field(int64_t node, const torch::Tensor& erwin, const torch::Tensor& khop);
  void clear_receptive_field();
  bool shows_receptive_field() const { return field_erwin_.defined(); }

  // Preview frames of large clouds: only every k-th point (at most kPreviewPoints), so that a
  // frame after a change is quick even on a software rasteriser (README, "level changes").
  bool has_preview() const;
  void set_preview(bool on);
  bool preview() const { return preview_; }

  // Clips the points, spheres, hulls, centres and marks with `plane` (what lies on the side of its
  // normal stays); null removes the clipping.
  void set_clip_plane(vtkPlane* plane);

  // Adds the points of the original or rotated tree and the level's extras to `renderer`; the
  // ball centres and the receptive field's marker go to `on_top`, a renderer drawn after it with
  // the same camera, so that dense points cannot hide them.
  void add_to(vtkRenderer* renderer, vtkRenderer* on_top, bool rotated) const;
  // The prop that holds the points of one tree (used for picking).
  vtkActor* points_actor(bool rotated) const;

  // Largest number of balls for which spheres or hulls are drawn (more would hide the points).
  static constexpr int64_t kMaxSpheres = 65536;
  static constexpr int64_t kMaxHulls = 16384;
  static constexpr int64_t kPreviewPoints = 125000;

 private:
  struct Layer;
  void recolour();
  void dim_outside_straddle_ball();
  void colour_receptive_field();
  void colour_by_field();
  void update_level_props();
  void apply_point_style();
  void apply_clip_plane();
  bool wants_hulls() const;
  // The colour of each ball of the current level (ball order colouring), else empty.
  std::vector<Rgb> ordered_ball_colours() const;

  std::shared_ptr<const PointSet> points_;
  std::shared_ptr<const SceneTree> tree_;
  std::unique_ptr<Layer> original_, rotated_;
  vtkSmartPointer<vtkPolyData> spheres_data_, centres_data_, padding_data_;
  vtkSmartPointer<vtkPolyData> marker_data_, hulls_data_;
  vtkSmartPointer<vtkActor> spheres_, centres_, padding_, marker_, hulls_;
  vtkSmartPointer<vtkPoints> vtk_points_;  // the points, shared by the layers and the hulls
  std::map<int64_t, vtkSmartPointer<vtkPolyData>> hulls_by_level_;  // given so far
  int64_t hulls_level_ = -1;  // level hulls_data_ holds, -1: none
  torch::Tensor field_erwin_, field_khop_;
  int64_t level_ = 0;
  int64_t straddle_point_ = -1;
  int64_t straddle_ball_ = -1, straddle_ball_points_ = 0;
  bool preview_ = false;
  Colouring colouring_ = Colouring::Ball;
  ColourMap colour_map_ = ColourMap::Viridis;
  vtkSmartPointer<vtkPlane> clip_plane_;
  torch::Tensor field_values_;
  std::pair<double, double> field_range_{0.0, 1.0};
  double point_size_ = 0.0;
  bool points_as_spheres_ = true;
  bool show_spheres_ = false, show_centres_ = false, show_padding_ = false, show_hulls_ = false;
};

}  // namespace erwin::ui
