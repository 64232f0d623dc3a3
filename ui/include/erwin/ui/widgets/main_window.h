#pragma once
// Erwin Studio's window: the VTK viewport with the ImGui overlay, the tree dock, menus (open,
// recent files, demos, screenshot), drag-and-drop, and a status bar with the background job's
// progress and a cancel button.
#include <vtkSmartPointer.h>

#include <QMainWindow>
#include <QString>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "erwin/ui/engine/point_scene.h"
#include "erwin/ui/engine/scene_jobs.h"
#include "erwin/ui/engine/studio_state.h"
#include "erwin/ui/widgets/overlay_panels.h"
#include "erwin/ui/widgets/tree_panel.h"

class QAction;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QTimer;
class vtkImplicitPlaneWidget2;
class vtkObject;
class vtkPlane;
class vtkRenderer;

namespace erwin::ui {

class ImGuiOverlay;
class JobRunner;
struct ReceptiveFieldResult;
class ReceptiveFieldPanel;
class RolloutPlayer;
class TrainingPanel;
class VtkViewport;

class MainWindow : public QMainWindow {
  Q_OBJECT
 public:
  explicit MainWindow(QWidget* parent = nullptr);
  ~MainWindow() override;

  // How long after the last level change the full frame replaces the preview of a large cloud.
  static constexpr int kFullFrameDelayMs = 120;
  // Playback of a time series: at most this often a step (slower when its tree takes longer).
  static constexpr int kPlaybackIntervalMs = 150;

  // A file path, kDemoKnot or kDemoMesh2d; loads in the background. A file holding a model result
  // (an .h5 export or a .pvd series of one, result_import.h) plays in the rollout player. On
  // failure the current scene stays and an error dialog opens (or only load_failed, see
  // set_error_dialogs).
  void open(const QString& source);
  void set_error_dialogs(bool enabled) { error_dialogs_ = enabled; }

  // What is shown: level, view, angle, cloud, colours, overlays, camera. Panels, menus, the
  // command line and tests change the picture through it; the window applies every change (an
  // angle or a cloud rebuilds the tree in the background). Setting the source opens it.
  StudioState& state() { return state_; }

  QImage screenshot(const QSize& pixels, bool with_overlay = true);
  // The whole window as on screen: panels, docks and the viewport with its overlay.
  QImage window_image();

  // What a click on point `node` does with the receptive field view on: computes its receptive
  // field in the background (finished or failed are signalled).
  void show_receptive_field(int64_t node);

  const PointScene& scene() const { return scene_; }
  TreePanel* tree_panel() const { return panel_; }
  VtkViewport* viewport() const { return viewport_; }
  ReceptiveFieldPanel* receptive_field_panel() const { return field_panel_; }
  JobRunner* receptive_field_runner() const { return field_runner_; }
  JobRunner* loader() const { return loader_; }
  TrainingPanel* training_panel() const { return training_panel_; }
  RolloutPlayer* rollout_player() const { return player_; }
  QString current_source() const { return source_; }

 Q_SIGNALS:
  void scene_ready();  // what open() read is on screen (tree views or rollout player)
  void load_failed(QString message);
  void receptive_field_shown(int64_t node);
  void hulls_shown(int64_t level);

 protected:
  void dragEnterEvent(QDragEnterEvent* event) override;
  void dropEvent(QDropEvent* event) override;

 private:
  void build_menus();
  void build_status_bar();
  void build_view_menu();
  void build_help_menu();
  void show_view_menu_state();
  void show_busy();
  // What a load brings: new data (its level and camera are reset), another cloud of the same file
  // (likewise), or the same data's tree at another angle or time step (the view stays).
  enum class Reload { NewData, OtherCloud, SameView };
  // Loads `source` (a file, a demo) or builds a tree of given points, in the background.
  void load(const QString& source, std::function<LoadedScene(JobContext&)> job, Reload reload);
  void rebuild(PointSetPtr points, double angle_degrees, Reload reload);
  void on_loaded(const QString& source, PointSetPtr points, SceneTreePtr tree, Reload reload);
  void show_time(int64_t frame);
  void play_tick();
  void apply_field();
  void suggest_range_for_field();
  void on_failed(const QString& message);
  void on_result_loaded(const QString& source, InferenceResultPtr result);
  void on_state_changed(StudioState::Setting setting);
  // Files of several clouds: shows cloud `cloud` (0-based) with its own tree, in the background.
  void show_cloud(int64_t cloud);
  // Rebuilds the tree with this rotation angle (0: no rotated tree).
  void apply_angle(double degrees);
  void apply_level();
  void apply_camera();
  void remember_camera();
  void request_hulls();
  void apply_view();
  void reset_camera();
  void update_statistics();
  void add_recent(const QString& path);
  void refresh_recent_menu();
  void pick_hovered();
  void save_screenshot_dialog();
  void build_receptive_field_dock();
  void build_learning_docks();  // main_window_learning.cpp: training and rollout docks
  void recompute_receptive_field();
  void on_receptive_field(const ReceptiveFieldResult& result);
  void show_error(const QString& title, const QString& message);
  // A left click (press and release without a drag) reaching VTK.
  static void on_vtk_button(vtkObject* caller, unsigned long event, void* client, void*);
  void watch_camera_for_previews();
  static void on_camera_interaction(vtkObject* caller, unsigned long event, void* client, void*);
  void show_preview_frame();
  OverlayState overlay_state() const;
  void clicked(int x, int y);
  void build_orientation_axes();
  void build_clip_widget();
  void apply_clip();
  static void on_clip_dragged(vtkObject* caller, unsigned long event, void* client, void*);
  void show_orientation_axes();
  static void on_render_start(vtkObject* caller, unsigned long event, void* client, void*);
  bool split_view() const;
  double visible_height() const;
  std::vector<std::string> hovered_field_values() const;

  StudioState state_;  // before the panels, which bind to it
  VtkViewport* viewport_;
  std::unique_ptr<ImGuiOverlay> overlay_;
  vtkSmartPointer<vtkRenderer> right_;                 // second view of side-by-side mode
  vtkSmartPointer<vtkRenderer> top_left_, top_right_;  // marks over the points of each half
  vtkSmartPointer<vtkRenderer> axes_;                  // orientation axes
  vtkSmartPointer<vtkPlane> clip_plane_;
  vtkSmartPointer<vtkImplicitPlaneWidget2> clip_widget_;  // the draggable plane and its outline
  PointScene scene_;
  JobRunner* loader_;
  QString loading_;  // the source loader_ works on
  JobRunner* hull_builder_;
  SceneTreePtr hulls_tree_;  // what hull_builder_ works on
  int64_t hulls_level_ = -1;
  TreePanel* panel_;
  ReceptiveFieldPanel* field_panel_ = nullptr;
  JobRunner* field_runner_ = nullptr;
  int64_t field_node_ = -1;
  TrainingPanel* training_panel_ = nullptr;
  RolloutPlayer* player_ = nullptr;
  int press_position_[2] = {0, 0};
  QMenu* recent_menu_ = nullptr;
  std::vector<QAction*> view_actions_;  // in TreeView order
  std::vector<std::pair<QAction*, bool (StudioState::*)() const>> overlay_actions_;
  QProgressBar* progress_ = nullptr;
  QPushButton* cancel_ = nullptr;
  QTimer* hover_timer_ = nullptr;
  QTimer* full_frame_timer_ = nullptr;  // ends a preview once changes settle
  QTimer* play_timer_ = nullptr;
  std::string coloured_field_;  // the field whose range was last suggested
  bool camera_moving_ = false;
  QString source_;
  QString busy_text_;
  int64_t hovered_ = -1;
  double frame_ms_ = 0.0;
  bool error_dialogs_ = true;
};

}  // namespace erwin::ui
