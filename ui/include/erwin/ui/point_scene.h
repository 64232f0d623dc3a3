#pragma once
// The VTK pipelines of the shown data: the points (or mesh) coloured by their ball at one level,
// for the original and the rotated tree, plus the ball spheres, the pooled node positions (ball
// centres) and the padding slots of that level. Owns no renderer: views add its props.
#include <vtkSmartPointer.h>

#include <cstdint>
#include <map>
#include <memory>

#include "erwin/ui/point_set.h"
#include "erwin/ui/scene_tree.h"

class vtkActor;
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

  // Adds the points of the original or rotated tree and the level's extras to `renderer`.
  void add_to(vtkRenderer* renderer, bool rotated) const;
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
  void update_level_props();
  bool wants_hulls() const;

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
  bool preview_ = false;
  bool show_spheres_ = false, show_centres_ = false, show_padding_ = false, show_hulls_ = false;
};

}  // namespace erwin::ui
