#pragma once
// The dock with the tree controls: level slider, what to draw at the level, which tree (original,
// rotated, side by side, overlay) and the rotation angle, how points are drawn and coloured, the
// overlays, plus the level's statistics. Every control reads and writes the StudioState: a
// control's change sets the state, and a state change (from anywhere) moves the control.
#include <QWidget>
#include <utility>

#include "erwin/ui/engine/point_set.h"
#include "erwin/ui/engine/studio_state.h"

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QGroupBox;
class QLabel;
class QSlider;
class QSpinBox;
class QToolButton;

namespace erwin::ui {

class TreePanel : public QWidget {
  Q_OBJECT
 public:
  explicit TreePanel(StudioState& state, QWidget* parent = nullptr);
  ~TreePanel() override;

  // New tree: slider range 0 ... max_level, rotation views enabled when it has a rotation.
  void set_tree(int max_level, bool has_rotation);
  // New data: its fields in the colouring choices, its time steps (the time row shows for a
  // series of several).
  void set_data(const PointSet& data);
  // The colour range in use, shown in the range boxes (where a fixed range starts from).
  void show_field_range(std::pair<double, double> range);
  void set_statistics(const QString& text);

  QSpinBox* cloud_box() const { return cloud_; }
  QSlider* level_slider() const { return level_; }
  QComboBox* view_box() const { return view_; }
  QDoubleSpinBox* angle_box() const { return angle_; }
  QCheckBox* spheres_box() const { return spheres_; }
  QCheckBox* hulls_box() const { return hulls_; }
  QCheckBox* centres_box() const { return centres_; }
  QCheckBox* padding_box() const { return padding_; }
  QDoubleSpinBox* point_size_box() const { return point_size_; }
  QCheckBox* spheres_points_box() const { return spheres_points_; }
  QComboBox* colouring_box() const { return colouring_; }
  QComboBox* colour_map_box() const { return colour_map_; }
  QComboBox* range_box() const { return range_; }
  QComboBox* clip_box() const { return clip_; }
  QSlider* time_slider() const { return time_; }
  QToolButton* play_button() const { return play_; }
  QCheckBox* legend_box() const { return legend_; }
  QCheckBox* axes_box() const { return axes_; }
  QCheckBox* scale_bar_box() const { return scale_bar_; }

 private:
  QGroupBox* build_display_group();
  QWidget* build_time_row();
  void show_colouring();
  void show_range();
  void show_time();
  void set_range_from_boxes();
  void connect_controls();
  void show_state(StudioState::Setting setting);  // moves the control of `setting`
  void show_clouds();
  // Runs a control's change through the state; a refused value puts the control back.
  void apply(const std::function<void()>& set, StudioState::Setting setting);

  StudioState& state_;
  int subscription_;
  QSlider* level_;
  QSpinBox* cloud_;
  QLabel* cloud_label_;
  QLabel* level_label_;
  QLabel* model_label_;
  QCheckBox *spheres_, *hulls_, *centres_, *padding_;
  QComboBox* view_;
  QDoubleSpinBox* angle_;
  QDoubleSpinBox* point_size_;
  QCheckBox* spheres_points_;
  QComboBox *colouring_, *colour_map_, *range_, *clip_;
  QDoubleSpinBox *range_low_, *range_high_;
  QWidget* time_row_;
  QSlider* time_;
  QToolButton* play_;
  QLabel* time_label_;
  QString frame_word_ = "frame";
  QCheckBox *legend_, *axes_, *scale_bar_;
  QLabel* statistics_;
};

}  // namespace erwin::ui
