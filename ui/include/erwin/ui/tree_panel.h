#pragma once
// The dock with the tree controls: level slider, what to draw at the level, which tree (original,
// rotated, side by side, overlay) and the rotation angle, plus the level's statistics.
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QSlider;
class QSpinBox;

namespace erwin::ui {

struct SceneTree;

enum class TreeView { Original, Rotated, SideBySide, Overlay };

class TreePanel : public QWidget {
  Q_OBJECT
 public:
  explicit TreePanel(QWidget* parent = nullptr);

  // New tree shown at `level`: slider range 0 ... max_level, rotation views enabled when it has a
  // rotation. Does not emit level_changed.
  void set_tree(const SceneTree* tree, int level);
  void set_statistics(const QString& text);
  // Files of several clouds: the cloud selector (shown only when count > 1), 0-based `current`.
  void set_clouds(int64_t count, int64_t current);
  QSpinBox* cloud_box() const { return cloud_; }

  QSlider* level_slider() const { return level_; }
  int level() const;
  TreeView view() const;
  void set_view(TreeView view);
  double angle() const;
  void set_angle(double degrees);  // does not emit angle_changed
  QCheckBox* spheres_box() const { return spheres_; }
  QCheckBox* hulls_box() const { return hulls_; }
  QCheckBox* centres_box() const { return centres_; }
  QCheckBox* padding_box() const { return padding_; }

 Q_SIGNALS:
  void level_changed(int level);
  void cloud_changed(int cloud);  // 0-based
  void view_changed(erwin::ui::TreeView view);
  void angle_changed(double degrees);
  void spheres_toggled(bool on);
  void hulls_toggled(bool on);
  void centres_toggled(bool on);
  void padding_toggled(bool on);

 private:
  QSlider* level_;
  QSpinBox* cloud_;
  QLabel* cloud_label_;
  QLabel* level_label_;
  QCheckBox *spheres_, *hulls_, *centres_, *padding_;
  QComboBox* view_;
  QDoubleSpinBox* angle_;
  QLabel* statistics_;
};

}  // namespace erwin::ui
