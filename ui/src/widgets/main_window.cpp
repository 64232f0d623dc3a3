#include "erwin/ui/widgets/main_window.h"

#include <vtkAxesActor.h>
#include <vtkCallbackCommand.h>
#include <vtkCamera.h>
#include <vtkCaptionActor2D.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkImplicitPlaneRepresentation.h>
#include <vtkImplicitPlaneWidget2.h>
#include <vtkInteractorObserver.h>
#include <vtkMapper.h>
#include <vtkMath.h>
#include <vtkNew.h>
#include <vtkPlane.h>
#include <vtkProperty.h>
#include <vtkRenderer.h>
#include <vtkTextProperty.h>

#include <QAction>
#include <QActionGroup>
#include <QApplication>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSlider>
#include <QStatusBar>
#include <QTimer>
#include <algorithm>
#include <array>
#include <cmath>
#include <optional>
#include <tuple>

#include "erwin/io_util.h"
#include "erwin/ui/engine/ball_hulls.h"
#include "erwin/ui/engine/colour_maps.h"
#include "erwin/ui/engine/data_loader.h"
#include "erwin/ui/engine/job_runner.h"
#include "erwin/ui/engine/point_picking.h"
#include "erwin/ui/engine/receptive_field_job.h"
#include "erwin/ui/widgets/imgui_overlay.h"
#include "erwin/ui/widgets/receptive_field_panel.h"
#include "erwin/ui/widgets/rollout_player.h"
#include "erwin/ui/widgets/vtk_viewport.h"
#include "erwin/version.h"

namespace erwin::ui {
namespace {

// The level new data opens at: balls of 128 points, or smaller ones so that there are at least 16
// balls (level 0 gives every point its own colour, which reads as noise).
int readable_level(const SceneTree& tree) {
  return static_cast<int>(std::max<int64_t>(0, std::min<int64_t>(7, tree.max_level - 4)));
}

constexpr int kMaxRecent = 8;
const char* kRecentKey = "recentFiles";

void style_renderer(vtkRenderer* renderer) {
  renderer->GradientBackgroundOn();
  renderer->SetBackground(0.10, 0.11, 0.13);
  renderer->SetBackground2(0.24, 0.26, 0.30);
}

void on_pointer_moved(vtkObject*, unsigned long, void* client, void*) {
  static_cast<QTimer*>(client)->start();
}

QString file_filter() {
  QStringList patterns;
  for (const std::string& pattern : supported_patterns())
    patterns << QString::fromStdString(pattern);
  return QString("Point clouds and meshes (%1);;All files (*)").arg(patterns.join(' '));
}

}  // namespace

MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent),
      viewport_(new VtkViewport),
      right_(vtkSmartPointer<vtkRenderer>::New()),
      top_left_(vtkSmartPointer<vtkRenderer>::New()),
      top_right_(vtkSmartPointer<vtkRenderer>::New()),
      loader_(new JobRunner("scene loader", this)),
      hull_builder_(new JobRunner("ball hulls", this)),
      panel_(new TreePanel(state_)) {
  setWindowTitle("Erwin Studio");
  setAcceptDrops(true);
  setCentralWidget(viewport_);
  style_renderer(viewport_->renderer());
  style_renderer(right_);
  right_->SetActiveCamera(viewport_->renderer()->GetActiveCamera());
  // Marks drawn over the points (layer 1 clears only the depth), one per half of the view.
  for (vtkRenderer* top : {top_left_.Get(), top_right_.Get()}) {
    top->SetLayer(1);
    top->InteractiveOff();
    top->SetActiveCamera(viewport_->renderer()->GetActiveCamera());
  }
  viewport_->render_window()->SetNumberOfLayers(2);
  viewport_->render_window()->AddRenderer(top_left_);
  build_orientation_axes();
  build_clip_widget();
  overlay_ = std::make_unique<ImGuiOverlay>([this] { draw_overlay_panels(overlay_state()); });
  viewport_->set_overlay(overlay_.get());
  connect(viewport_, &VtkViewport::frame_painted, this, [this](double ms) { frame_ms_ = ms; });

  auto* dock = new QDockWidget("Ball tree", this);
  dock->setObjectName("treeDock");
  dock->setWidget(panel_);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  state_.subscribe([this](StudioState::Setting setting) { on_state_changed(setting); });

  connect(loader_, &JobRunner::failed, this, &MainWindow::on_failed);
  connect(hull_builder_, &JobRunner::failed, this,
          [this](const QString& message) { show_error("Erwin Studio - ball hulls", message); });

  // Hover picking is throttled: the pick runs once the pointer rests for a moment.
  hover_timer_ = new QTimer(this);
  hover_timer_->setSingleShot(true);
  hover_timer_->setInterval(25);
  connect(hover_timer_, &QTimer::timeout, this, &MainWindow::pick_hovered);
  vtkNew<vtkCallbackCommand> moved;
  moved->SetCallback(on_pointer_moved);
  moved->SetClientData(hover_timer_);
  viewport_->interactor()->AddObserver(vtkCommand::MouseMoveEvent, moved);

  vtkNew<vtkCallbackCommand> button;
  button->SetCallback(&MainWindow::on_vtk_button);
  button->SetClientData(this);
  // The camera style grabs VTK's mouse focus on a press, and then only passive observers hear the
  // release. This one changes no VTK state, so passive is what it is.
  button->PassiveObserverOn();
  viewport_->interactor()->AddObserver(vtkCommand::LeftButtonPressEvent, button);
  viewport_->interactor()->AddObserver(vtkCommand::LeftButtonReleaseEvent, button);

  watch_camera_for_previews();
  play_timer_ = new QTimer(this);
  play_timer_->setInterval(kPlaybackIntervalMs);
  connect(play_timer_, &QTimer::timeout, this, &MainWindow::play_tick);

  build_receptive_field_dock();
  tabifyDockWidget(dock, findChild<QDockWidget*>("receptiveFieldDock"));
  dock->raise();
  build_menus();
  build_status_bar();
  build_learning_docks();
  resize(1400, 900);
}

// Every change of what is shown, wherever it was made, is applied here.
void MainWindow::on_state_changed(StudioState::Setting setting) {
  using Setting = StudioState::Setting;
  switch (setting) {
    case Setting::Source:
      if (state_.source() != source_.toStdString() && state_.source() != loading_.toStdString())
        open(QString::fromStdString(state_.source()));
      return;
    case Setting::Cloud:
      return show_cloud(state_.cloud());
    case Setting::Time:
      return show_time(state_.time());
    case Setting::Playing:
      if (state_.playing()) play_timer_->start();
      return;
    case Setting::Level:
      return apply_level();
    case Setting::View:
      show_view_menu_state();
      return apply_view();
    case Setting::Angle:
      return apply_angle(state_.angle());
    case Setting::Spheres:
      scene_.set_show_spheres(state_.spheres());
      break;
    case Setting::Hulls:
      scene_.set_show_hulls(state_.hulls());
      request_hulls();
      break;
    case Setting::Centres:
      scene_.set_show_centres(state_.centres());
      break;
    case Setting::Padding:
      scene_.set_show_padding(state_.padding());
      break;
    case Setting::PointSize:
    case Setting::PointsAsSpheres:
      scene_.set_point_style(state_.point_size(), state_.points_as_spheres());
      show_view_menu_state();
      break;
    case Setting::Colouring:
      suggest_range_for_field();
      scene_.set_colouring(state_.colouring(), state_.colour_map());
      apply_field();
      break;
    case Setting::ColourMap:
      scene_.set_colouring(state_.colouring(), state_.colour_map());
      break;
    case Setting::Range:
      apply_field();
      break;
    case Setting::Model:
      update_statistics();
      break;
    case Setting::Clip:
      apply_clip();
      break;
    case Setting::Axes:
      show_orientation_axes();
      [[fallthrough]];
    case Setting::Legend:
    case Setting::ScaleBar:
      show_view_menu_state();
      break;
    case Setting::Camera:
      apply_camera();
      break;
  }
  viewport_->update();
}

// The orientation axes: a small renderer in the bottom-right corner, drawn over the views (layer
// 1), whose camera looks from the main camera's direction at the origin.
void MainWindow::build_orientation_axes() {
  axes_ = vtkSmartPointer<vtkRenderer>::New();
  axes_->SetLayer(1);
  axes_->InteractiveOff();
  axes_->SetViewport(0.87, 0.06, 0.99, 0.26);
  vtkNew<vtkAxesActor> axes;
  axes->SetShaftTypeToCylinder();
  axes->SetCylinderRadius(0.06);
  axes->SetConeRadius(0.5);
  axes->SetTotalLength(1.0, 1.0, 1.0);
  for (vtkCaptionActor2D* caption : {axes->GetXAxisCaptionActor2D(), axes->GetYAxisCaptionActor2D(),
                                     axes->GetZAxisCaptionActor2D()})
    caption->GetCaptionTextProperty()->ShadowOff();
  axes_->AddActor(axes);
  vtkNew<vtkCallbackCommand> follow;
  follow->SetCallback(&MainWindow::on_render_start);
  follow->SetClientData(this);
  viewport_->renderer()->AddObserver(vtkCommand::StartEvent, follow);
  show_orientation_axes();
}

// The clip plane's widget: VTK's implicit plane (a plane in the data's bounding box, an arrow for
// its normal), dragged with the mouse; what it is dragged to becomes the state's plane.
void MainWindow::build_clip_widget() {
  clip_plane_ = vtkSmartPointer<vtkPlane>::New();
  vtkNew<vtkImplicitPlaneRepresentation> representation;
  representation->SetPlaceFactor(1.05);
  representation->OutlineTranslationOff();
  representation->ScaleEnabledOff();
  representation->GetPlaneProperty()->SetOpacity(
      0.06);  // the cut shows, the kept side reads through
  representation->DrawOutlineOn();
  clip_widget_ = vtkSmartPointer<vtkImplicitPlaneWidget2>::New();
  clip_widget_->SetInteractor(viewport_->interactor());
  clip_widget_->SetRepresentation(representation);
  clip_widget_->SetDefaultRenderer(viewport_->renderer());
  vtkNew<vtkCallbackCommand> dragged;
  dragged->SetCallback(&MainWindow::on_clip_dragged);
  dragged->SetClientData(this);
  clip_widget_->AddObserver(vtkCommand::InteractionEvent, dragged);
}

void MainWindow::on_clip_dragged(vtkObject*, unsigned long, void* client, void*) {
  auto* self = static_cast<MainWindow*>(client);
  auto* representation =
      static_cast<vtkImplicitPlaneRepresentation*>(self->clip_widget_->GetRepresentation());
  ClipPlane clip{true, {}, {}};
  representation->GetOrigin(clip.origin.data());
  representation->GetNormal(clip.normal.data());
  self->state_.set_clip(clip);
}

// The state's plane on the data (a NaN origin: the centre of its bounds), or no clipping.
void MainWindow::apply_clip() {
  const ClipPlane& clip = state_.clip();
  const bool on = clip.on && scene_.has_data() && !player_->shown();
  scene_.set_clip_plane(on ? clip_plane_.Get() : nullptr);
  clip_widget_->SetEnabled(0);
  if (!on) return;
  vtkActor* points = scene_.points_actor(false);
  double bounds[6];
  points->GetMapper()->GetBounds(bounds);
  double origin[3];
  for (int axis = 0; axis < 3; ++axis)
    origin[axis] = std::isnan(clip.origin[axis]) ? (bounds[2 * axis] + bounds[2 * axis + 1]) / 2
                                                 : clip.origin[axis];
  clip_plane_->SetOrigin(origin);
  std::array<double, 3> normal = clip.normal;  // VTK's setters take non-const arrays
  clip_plane_->SetNormal(normal.data());
  auto* representation =
      static_cast<vtkImplicitPlaneRepresentation*>(clip_widget_->GetRepresentation());
  representation->PlaceWidget(bounds);
  representation->SetOrigin(origin);
  representation->SetNormal(normal.data());
  clip_widget_->SetEnabled(1);  // adds the plane to the view's renderer
}

void MainWindow::show_orientation_axes() {
  vtkGenericOpenGLRenderWindow* window = viewport_->render_window();
  if (state_.axes() && !window->HasRenderer(axes_)) window->AddRenderer(axes_);
  if (!state_.axes() && window->HasRenderer(axes_)) window->RemoveRenderer(axes_);
}

void MainWindow::on_render_start(vtkObject*, unsigned long, void* client, void*) {
  auto* self = static_cast<MainWindow*>(client);
  vtkCamera* main = self->viewport_->renderer()->GetActiveCamera();
  vtkCamera* axes = self->axes_->GetActiveCamera();
  double direction[3];
  main->GetDirectionOfProjection(direction);
  axes->SetFocalPoint(0, 0, 0);
  axes->SetPosition(-3 * direction[0], -3 * direction[1], -3 * direction[2]);
  axes->SetViewUp(main->GetViewUp());
  self->axes_->ResetCameraClippingRange();
}

MainWindow::~MainWindow() {
  // The overlay's GL resources go with the viewport's context, before the overlay object.
  delete viewport_;
  // Child widgets are deleted by ~QWidget, after the members: the tree panel unsubscribes from
  // state_ when it goes, so it must go while state_ is alive.
  delete panel_;
}

// Large clouds draw a preview (every k-th point) while the camera moves and right after a level
// change; the full frame follows once the change has settled (README, "level changes").
void MainWindow::watch_camera_for_previews() {
  full_frame_timer_ = new QTimer(this);
  full_frame_timer_->setSingleShot(true);
  full_frame_timer_->setInterval(kFullFrameDelayMs);
  connect(full_frame_timer_, &QTimer::timeout, this, [this] {
    if (camera_moving_ || !scene_.preview()) return;
    scene_.set_preview(false);
    viewport_->update();
  });
  vtkNew<vtkCallbackCommand> interaction;
  interaction->SetCallback(&MainWindow::on_camera_interaction);
  interaction->SetClientData(this);
  vtkInteractorObserver* style = viewport_->interactor()->GetInteractorStyle();
  style->AddObserver(vtkCommand::StartInteractionEvent, interaction);
  style->AddObserver(vtkCommand::EndInteractionEvent, interaction);
}

void MainWindow::on_camera_interaction(vtkObject*, unsigned long event, void* client, void*) {
  auto* self = static_cast<MainWindow*>(client);
  self->camera_moving_ = event == vtkCommand::StartInteractionEvent;
  self->scene_.set_preview(self->camera_moving_);
  if (self->camera_moving_) return;
  self->remember_camera();
  self->viewport_->update();
}

// What the mouse did to the camera becomes the state's camera (and comes back to the same pose).
void MainWindow::remember_camera() {
  vtkCamera* camera = viewport_->renderer()->GetActiveCamera();
  CameraPose pose;
  camera->GetPosition(pose.position.data());
  camera->GetFocalPoint(pose.focal_point.data());
  camera->GetViewUp(pose.view_up.data());
  state_.set_camera(pose);
}

void MainWindow::apply_camera() {
  if (!state_.has_camera()) {
    reset_camera();
    return;
  }
  vtkCamera* camera = viewport_->renderer()->GetActiveCamera();
  const CameraPose& pose = state_.camera();
  CameraPose copy = pose;  // VTK's setters take non-const arrays
  camera->SetPosition(copy.position.data());
  camera->SetFocalPoint(copy.focal_point.data());
  camera->SetViewUp(copy.view_up.data());
  viewport_->renderer()->ResetCameraClippingRange();
}

void MainWindow::show_preview_frame() {
  if (scene_.has_preview()) {
    scene_.set_preview(true);
    full_frame_timer_->start();
  }
  viewport_->update();
}

void MainWindow::build_receptive_field_dock() {
  field_panel_ = new ReceptiveFieldPanel;
  field_runner_ = new JobRunner("receptive field", this);
  auto* dock = new QDockWidget("Receptive field", this);
  dock->setObjectName("receptiveFieldDock");
  dock->setWidget(field_panel_);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  connect(field_panel_, &ReceptiveFieldPanel::settings_changed, this,
          &MainWindow::recompute_receptive_field);
  connect(field_panel_, &ReceptiveFieldPanel::cancel_requested, field_runner_, &JobRunner::cancel);
  connect(field_panel_, &ReceptiveFieldPanel::cleared, this, [this] {
    field_runner_->cancel();
    field_node_ = -1;
    scene_.clear_receptive_field();
    viewport_->update();
  });
  connect(field_runner_, &JobRunner::busy_changed, field_panel_, &ReceptiveFieldPanel::set_busy);
  connect(field_runner_, &JobRunner::progress, field_panel_, [this](double fraction) {
    field_panel_->set_progress(static_cast<int>(100 * fraction));
  });
  connect(field_runner_, &JobRunner::failed, this, [this](const QString& message) {
    show_error("Erwin Studio - receptive field", message);
  });
}

void MainWindow::on_receptive_field(const ReceptiveFieldResult& result) {
  if (!scene_.has_data() || result.erwin.size(0) != scene_.points().pos.size(0)) return;
  scene_.set_receptive_field(result.node, result.erwin, result.khop);
  const int64_t erwin = result.erwin.sum().item<int64_t>();
  QString text = QString(
                     "point %1, depth %2 of %3 blocks<br>"
                     "<span style='color:#ffa040'>&#9632;</span> Erwin: %4 points")
                     .arg(result.node)
                     .arg(result.depth)
                     .arg(result.block_count)
                     .arg(erwin);
  if (result.khop.defined())
    text += QString(
                "<br><span style='color:#40a0ff'>&#9632;</span> MPNN %1-hop: %2 "
                "points (radius %3)<br><span style='color:#ffffff'>&#9632;</span> "
                "both")
                .arg(result.depth)
                .arg(result.khop.sum().item<int64_t>())
                .arg(result.graph_radius, 0, 'g', 3);
  field_panel_->set_result_text(text);
  viewport_->update();
  Q_EMIT receptive_field_shown(result.node);
}

void MainWindow::show_receptive_field(int64_t node) {
  field_node_ = node;
  recompute_receptive_field();
}

void MainWindow::recompute_receptive_field() {
  if (!scene_.has_data() || field_node_ < 0) return;
  const torch::Tensor& pos = scene_.points().pos;
  ReceptiveFieldRequest request;
  request.pos = pos;
  request.node = field_node_;
  request.depth = field_panel_->depth();
  request.config = default_receptive_field_config(pos.size(0), pos.size(1), state_.angle());
  request.checkpoint = field_panel_->checkpoint().toStdString();
  request.seed = static_cast<uint64_t>(field_panel_->seed());
  request.compare_khop = field_panel_->compare_khop();
  field_runner_->start(
      [request](JobContext& context) { return compute_receptive_field(request, context); },
      [this](const ReceptiveFieldResult& result) { on_receptive_field(result); });
}

void MainWindow::on_vtk_button(vtkObject*, unsigned long event, void* client, void*) {
  auto* self = static_cast<MainWindow*>(client);
  const int* at = self->viewport_->interactor()->GetEventPosition();
  if (event == vtkCommand::LeftButtonPressEvent) {
    self->press_position_[0] = at[0];
    self->press_position_[1] = at[1];
    return;
  }
  const bool click =
      std::abs(at[0] - self->press_position_[0]) + std::abs(at[1] - self->press_position_[1]) < 4;
  if (click) self->clicked(at[0], at[1]);
}

// A click computes the receptive field of the point (when that view is on), or in the overlay
// view picks the rotated ball shown bright.
void MainWindow::clicked(int x, int y) {
  if (!scene_.has_data()) return;
  const bool overlay = state_.view() == TreeView::Overlay && scene_.tree().has_rotation();
  if (!field_panel_->enabled() && !overlay) return;
  const bool rotated = state_.view() == TreeView::Rotated;
  const int64_t picked = pick_point(viewport_->renderer(), scene_.points_actor(rotated), x, y);
  if (picked < 0) return;
  if (field_panel_->enabled()) {
    show_receptive_field(picked);
    return;
  }
  scene_.set_straddle_point(picked);
  viewport_->update();
}

void MainWindow::show_error(const QString& title, const QString& message) {
  statusBar()->showMessage(message.left(200), 10000);
  if (!error_dialogs_) return;
  auto* box = new QMessageBox(QMessageBox::Critical, title, message, QMessageBox::Ok, this);
  box->setObjectName("errorDialog");
  box->setAttribute(Qt::WA_DeleteOnClose);
  box->open();
}

void MainWindow::build_menus() {
  QMenu* file = menuBar()->addMenu("&File");
  file->addAction("&Open...", QKeySequence::Open, this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, "Open point cloud or mesh", {}, file_filter());
    if (!path.isEmpty()) open(path);
  });
  recent_menu_ = file->addMenu("Open &recent");
  refresh_recent_menu();
  QMenu* demos = file->addMenu("&Demo");
  demos->addAction("Trefoil knot (3D, 50k points)", this, [this] { open(kDemoKnot); });
  demos->addAction("Mesh around a cylinder (2D)", this, [this] { open(kDemoMesh2d); });
  file->addSeparator();
  file->addAction("Save &screenshot...", QKeySequence("Ctrl+P"), this,
                  &MainWindow::save_screenshot_dialog);
  file->addSeparator();
  file->addAction("&Quit", QKeySequence::Quit, this, &QWidget::close);
  build_view_menu();
  build_help_menu();
}

// View: the tree views and overlays as checkable entries of the state (they follow it, whoever
// changes it), and the camera.
void MainWindow::build_view_menu() {
  QMenu* view = menuBar()->addMenu("&View");
  auto* trees = new QActionGroup(this);
  const QStringList names = {"&Original tree", "R&otated tree", "&Side by side",
                             "O&verlay: rotated ball"};
  for (int index = 0; index < names.size(); ++index) {
    QAction* action = view->addAction(
        names[index], this, [this, index] { state_.set_view(static_cast<TreeView>(index)); });
    action->setCheckable(true);
    action->setShortcut(QKeySequence(QString("Ctrl+%1").arg(index + 1)));
    trees->addAction(action);
    view_actions_.push_back(action);
  }
  view->addSeparator();
  const auto toggle = [&](const QString& text, void (StudioState::*set)(bool),
                          bool (StudioState::*get)() const) {
    QAction* action =
        view->addAction(text, this, [this, set, get] { (state_.*set)(!(state_.*get)()); });
    action->setCheckable(true);
    overlay_actions_.push_back({action, get});
  };
  toggle("&Legend", &StudioState::set_legend, &StudioState::legend);
  toggle("Orientation &axes", &StudioState::set_axes, &StudioState::axes);
  toggle("Scale &bar", &StudioState::set_scale_bar, &StudioState::scale_bar);
  toggle("Points as lit s&pheres", &StudioState::set_points_as_spheres,
         &StudioState::points_as_spheres);
  view->addSeparator();
  view->addAction("&Reset camera", QKeySequence("R"), this, [this] { state_.reset_camera(); });
  show_view_menu_state();
}

void MainWindow::show_view_menu_state() {
  for (size_t index = 0; index < view_actions_.size(); ++index)
    view_actions_[index]->setChecked(static_cast<size_t>(state_.view()) == index);
  for (const auto& [action, get] : overlay_actions_) action->setChecked((state_.*get)());
}

void MainWindow::build_help_menu() {
  QMenu* help = menuBar()->addMenu("&Help");
  help->addAction("&Mouse and keys", this, [this] {
    QMessageBox::information(
        this, "Erwin Studio - mouse and keys",
        "<b>Left drag</b>: rotate &nbsp; <b>Middle drag</b> or <b>Shift+left</b>: pan &nbsp; "
        "<b>Wheel</b> or <b>right drag</b>: zoom<br><b>Hover</b> a point: its ball at every level "
        "(panel at the top right)<br><b>Click</b> a point: its receptive field (Receptive field "
        "dock), or in the overlay view the rotated ball that holds it<br><b>R</b>: reset the "
        "camera &nbsp; <b>Ctrl+1..4</b>: original, rotated, side by side, overlay<br><br>The "
        "level slider picks the tree depth: at level k every ball holds 2<sup>k</sup> slots "
        "(points and padding copies); the model's first ball size is the level it attends "
        "within.");
  });
  help->addAction("&About Erwin Studio", this, [this] {
    QMessageBox::about(this, "About Erwin Studio",
                       QString("<b>Erwin Studio %1</b><br>Ball trees of point clouds and meshes, "
                               "and the Erwin hierarchical transformer that attends within "
                               "them (Zhdanov et al., 2025).")
                           .arg(ERWIN_STUDIO_VERSION));
  });
}

void MainWindow::build_status_bar() {
  progress_ = new QProgressBar;
  progress_->setRange(0, 100);
  progress_->setMaximumWidth(220);
  progress_->setVisible(false);
  cancel_ = new QPushButton("Cancel");
  cancel_->setObjectName("cancelButton");
  cancel_->setVisible(false);
  statusBar()->addPermanentWidget(progress_);
  statusBar()->addPermanentWidget(cancel_);
  connect(cancel_, &QPushButton::clicked, this, [this] {
    loader_->cancel();
    hull_builder_->cancel();
  });
  connect(loader_, &JobRunner::progress, this, [this](double fraction, const QString& stage) {
    busy_text_ = stage;
    progress_->setValue(static_cast<int>(100 * fraction));
    statusBar()->showMessage(stage);
    viewport_->update();
  });
  connect(loader_, &JobRunner::busy_changed, this, &MainWindow::show_busy);
  connect(hull_builder_, &JobRunner::busy_changed, this, &MainWindow::show_busy);
}

// The status bar's progress and cancel button serve loading and hull building alike.
void MainWindow::show_busy() {
  const bool loading = loader_->busy(), building_hulls = hull_builder_->busy();
  progress_->setRange(0, loading ? 100 : 0);  // hulls report no steps: a busy indicator
  progress_->setVisible(loading || building_hulls);
  cancel_->setVisible(loading || building_hulls);
  if (!loading) busy_text_.clear();
  if (!loading && !building_hulls) statusBar()->clearMessage();
  viewport_->update();
}

void MainWindow::open(const QString& source) {
  load(
      source,
      [source = source.toStdString(), angle = state_.angle()](JobContext& context) {
        return load_scene(source, angle, context);
      },
      Reload::NewData);
}

void MainWindow::load(const QString& source, std::function<LoadedScene(JobContext&)> job,
                      Reload reload) {
  loading_ = source;
  loader_->start(std::move(job), [this, source, reload](LoadedScene loaded) {
    if (loaded.result)
      on_result_loaded(source, std::move(loaded.result));
    else
      on_loaded(source, std::move(loaded.points), std::move(loaded.tree), reload);
  });
}

// Same data, a new tree: another angle or time step (the view stays), another cloud of the file.
void MainWindow::rebuild(PointSetPtr points, double angle_degrees, Reload reload) {
  load(
      source_,
      [points = std::move(points), angle_degrees](JobContext& context) {
        return build_scene(points, angle_degrees, context);
      },
      reload);
}

void MainWindow::apply_angle(double degrees) {
  if (scene_.has_data() && scene_.tree().angle_degrees != degrees)
    rebuild(std::make_shared<const PointSet>(scene_.points()), degrees, Reload::SameView);
}

void MainWindow::show_cloud(int64_t cloud) {
  if (!scene_.has_data() || scene_.points().cloud_count() <= cloud ||
      scene_.points().cloud == cloud)
    return;
  rebuild(std::make_shared<const PointSet>(select_cloud(scene_.points(), cloud)), state_.angle(),
          Reload::OtherCloud);
}

// A time step of a series: its points and fields with their own tree, built in the background
// (a newer step supersedes one still building).
void MainWindow::show_time(int64_t frame) {
  if (!scene_.has_data() || scene_.points().frame_count() <= frame ||
      scene_.points().frame == frame)
    return;
  rebuild(std::make_shared<const PointSet>(select_frame(scene_.points(), frame)), state_.angle(),
          Reload::SameView);
}

// Playback advances one time step whenever the previous one is on screen.
void MainWindow::play_tick() {
  const int64_t frames = scene_.has_data() ? scene_.points().frame_count() : 1;
  if (!state_.playing() || frames < 2) {
    play_timer_->stop();
    return;
  }
  if (!loader_->busy()) state_.set_time((state_.time() + 1) % frames);
}

void MainWindow::on_loaded(const QString& source, PointSetPtr points, SceneTreePtr tree,
                           Reload reload) {
  const bool new_data = reload == Reload::NewData;
  const bool reset_view = reload != Reload::SameView;
  scene_.set_data(std::move(points), std::move(tree));
  const SceneTree& shown = scene_.tree();
  const PointSet& data = scene_.points();
  state_.set_limits({static_cast<int>(shown.max_level), data.cloud_count(), data.frame_count(),
                     colourable_fields(data)});
  state_.set_cloud(data.cloud);
  state_.set_time(data.frame);
  // New data opens at a readable level; a rebuild keeps the level it can.
  state_.set_level(reset_view ? readable_level(shown)
                              : std::min(state_.level(), static_cast<int>(shown.max_level)));
  panel_->set_tree(static_cast<int>(shown.max_level), shown.has_rotation());
  panel_->set_data(data);
  scene_.set_level(state_.level());
  scene_.set_colouring(state_.colouring(), state_.colour_map());
  apply_field();
  scene_.set_point_style(state_.point_size(), state_.points_as_spheres());
  hovered_ = -1;
  field_node_ = -1;
  setWindowTitle(QString("Erwin Studio - %1").arg(QString::fromStdString(data.name)));
  if (new_data) {
    source_ = source;
    state_.set_source(source.toStdString());
    if (QFileInfo(source).isFile()) add_recent(QFileInfo(source).absoluteFilePath());
  }
  apply_view();
  if (reset_view) state_.reset_camera();
  update_statistics();
  request_hulls();
  viewport_->update();
  Q_EMIT scene_ready();
}

// The values of the field coloured by (none unless Colouring::Field) and their colour range.
void MainWindow::apply_field() {
  if (!scene_.has_data()) return;
  const bool by_field = state_.colouring() == Colouring::Field && !state_.field().empty();
  scene_.set_field(by_field ? field_values(scene_.points(), state_.field()) : torch::Tensor(),
                   state_.range_mode(), state_.range_low(), state_.range_high());
  panel_->show_field_range(scene_.field_range());
}

// A signed field chosen while the range is automatic gets a range symmetric about zero and a
// diverging map, so that zero is the map's neutral middle.
void MainWindow::suggest_range_for_field() {
  if (state_.colouring() != Colouring::Field || state_.field() == coloured_field_ ||
      !scene_.has_data())
    return;
  coloured_field_ = state_.field();
  const torch::Tensor values = field_values(scene_.points(), state_.field());
  const torch::Tensor finite = values.masked_select(torch::isfinite(values));
  const bool signed_field =
      finite.numel() > 0 && finite.min().item<float>() < 0 && finite.max().item<float>() > 0;
  if (signed_field && state_.range_mode() == RangeMode::Auto) {
    state_.set_range(RangeMode::Symmetric);
    state_.set_colour_map(ColourMap::CoolWarm);
  }
}

void MainWindow::on_failed(const QString& message) {
  state_.set_source(source_.toStdString());  // the shown data stays
  show_error(
      "Erwin Studio - cannot open file",
      QString("Could not open %1.\n\n%2\n\nThe current scene is kept.").arg(loading_, message));
  Q_EMIT load_failed(message);
}

void MainWindow::on_result_loaded(const QString& source, InferenceResultPtr result) {
  player_->show_result(std::move(result), source);
  source_ = source;
  state_.set_source(source.toStdString());
  setWindowTitle(QString("Erwin Studio - %1").arg(QFileInfo(source).fileName()));
  add_recent(QFileInfo(source).absoluteFilePath());
  Q_EMIT scene_ready();
}

void MainWindow::apply_level() {
  scene_.set_level(state_.level());
  update_statistics();
  request_hulls();
  show_preview_frame();
}

// Hulls wanted but not yet built are built in the background; hulls no longer wanted are not.
void MainWindow::request_hulls() {
  const int64_t level = scene_.missing_hulls_level();
  if (level < 0) {
    hull_builder_->cancel();
    return;
  }
  if (hull_builder_->busy() && hulls_tree_ == scene_.tree_ptr() && hulls_level_ == level) return;
  hulls_tree_ = scene_.tree_ptr();
  hulls_level_ = level;
  statusBar()->showMessage(QString("building the convex hulls of %1 balls (level %2)")
                               .arg(scene_.tree().ball_count(level))
                               .arg(level));
  hull_builder_->start([points = scene_.points_ptr(), tree = scene_.tree_ptr(),
                        level](JobContext&) { return build_ball_hulls(*points, tree, level); },
                       [this](const BallHulls& hulls) {
                         scene_.set_hulls(hulls);
                         statusBar()->clearMessage();
                         viewport_->update();
                         Q_EMIT hulls_shown(hulls.level);
                       });
}

void MainWindow::apply_view() {
  player_->set_shown(false);  // the tree views (and a loaded file) take the viewport back
  vtkRenderer* left = viewport_->renderer();
  vtkGenericOpenGLRenderWindow* window = viewport_->render_window();
  for (vtkRenderer* renderer : {left, right_.Get(), top_left_.Get(), top_right_.Get()})
    renderer->RemoveAllViewProps();
  const bool rotation = scene_.has_data() && scene_.tree().has_rotation();
  const TreeView view = rotation ? state_.view() : TreeView::Original;
  const bool split = view == TreeView::SideBySide;
  // The halves leave a gap between them, so that the two trees read as two pictures.
  left->SetViewport(0.0, 0.0, split ? 0.497 : 1.0, 1.0);
  top_left_->SetViewport(left->GetViewport());
  for (vtkRenderer* renderer : {right_.Get(), top_right_.Get()}) {
    if (split && !window->HasRenderer(renderer)) window->AddRenderer(renderer);
    if (!split && window->HasRenderer(renderer)) window->RemoveRenderer(renderer);
    renderer->SetViewport(0.503, 0.0, 1.0, 1.0);
  }
  if (scene_.has_data()) {
    scene_.add_to(left, top_left_, view == TreeView::Rotated);
    if (split) scene_.add_to(right_, top_right_, true);
    // Overlay mode starts on the rotated ball of the middle point; a click picks another.
    const int64_t count = scene_.points().pos.size(0);
    scene_.set_straddle_point(view == TreeView::Overlay ? (hovered_ >= 0 ? hovered_ : count / 2)
                                                        : -1);
  }
  apply_clip();  // the plane's widget went with the view's props
  viewport_->update();
}

void MainWindow::reset_camera() {
  vtkRenderer* renderer = viewport_->renderer();
  vtkCamera* camera = renderer->GetActiveCamera();
  camera->SetFocalPoint(0, 0, 0);
  camera->SetPosition(0, 0, 1);
  camera->SetViewUp(0, 1, 0);
  if (scene_.has_data() && scene_.points().pos.size(1) == 3) {
    camera->Elevation(-55);
    camera->OrthogonalizeViewUp();
  }
  renderer->ResetCamera();
  camera->Zoom(1.15);
}

void MainWindow::update_statistics() {
  if (!scene_.has_data()) return;
  const SceneTree& tree = scene_.tree();
  const int64_t level = scene_.level();
  const torch::Tensor radii = tree.geometry[level].radii;
  QString text = QString(
                     "<b>%1</b><br>%2 points, %3 slots, %4 padding<br><br>"
                     "<b>level %5</b>: %6 balls of %7 slots<br>"
                     "radius min %8 / mean %9 / max %10<br><br><b>pooled nodes</b><br>")
                     .arg(QString::fromStdString(scene_.points().name).toHtmlEscaped())
                     .arg(scene_.points().pos.size(0))
                     .arg(tree.ball_count(0))
                     .arg(tree.padding_slots)
                     .arg(level)
                     .arg(tree.ball_count(level))
                     .arg(int64_t{1} << level)
                     .arg(radii.min().item<float>(), 0, 'g', 4)
                     .arg(radii.mean().item<float>(), 0, 'g', 4)
                     .arg(radii.max().item<float>(), 0, 'g', 4);
  for (int64_t k = 0; k <= tree.max_level; ++k)
    text += QString("%1level %2: %3 nodes%4<br>")
                .arg(k == level ? "<b>" : "")
                .arg(k)
                .arg(tree.ball_count(k))
                .arg(k == level ? "</b>" : "");
  if (tree.has_rotation()) text += QString("<br>rotated tree: %1 deg").arg(tree.angle_degrees);
  panel_->set_statistics(text);
}

void MainWindow::pick_hovered() {
  if (!scene_.has_data()) return;
  const int* at = viewport_->interactor()->GetEventPosition();
  const bool on_right = split_view() && right_->IsInViewport(at[0], at[1]);
  vtkRenderer* renderer = on_right ? right_.Get() : viewport_->renderer();
  const bool rotated = on_right || state_.view() == TreeView::Rotated;
  const int64_t picked = pick_point(renderer, scene_.points_actor(rotated), at[0], at[1]);
  if (picked == hovered_) return;
  hovered_ = picked;
  viewport_->update();
}

bool MainWindow::split_view() const {
  return state_.view() == TreeView::SideBySide && scene_.has_data() && scene_.tree().has_rotation();
}

// Perspective view: the height seen at the focal point is 2 d tan(view angle / 2).
double MainWindow::visible_height() const {
  vtkCamera* camera = viewport_->renderer()->GetActiveCamera();
  if (camera->GetParallelProjection()) return 2.0 * camera->GetParallelScale();
  return 2.0 * camera->GetDistance() *
         std::tan(vtkMath::RadiansFromDegrees(camera->GetViewAngle() / 2));
}

// "name = value" of every field at the hovered point (vectors as their components).
std::vector<std::string> MainWindow::hovered_field_values() const {
  std::vector<std::string> lines;
  for (const PointField& field : scene_.points().fields) {
    if (hovered_ >= field.values.size(0)) continue;
    const torch::Tensor value = field.values[hovered_].to(torch::kFloat64).flatten();
    std::string text = field.name + " =";
    for (int64_t c = 0; c < value.numel(); ++c)
      text += (c ? ", " : " ") + QString::number(value[c].item<double>(), 'g', 4).toStdString();
    lines.push_back(text);
  }
  return lines;
}

OverlayState MainWindow::overlay_state() const {
  OverlayState state;
  state.busy_text = busy_text_.toStdString();
  state.frame_ms = frame_ms_;
  if (!scene_.has_data() || player_->shown()) return state;
  state.tree = &scene_.tree();
  state.positions = scene_.points().pos.data_ptr<float>();
  state.dimension = scene_.points().pos.size(1);
  state.data_name = scene_.points().name;
  state.level = scene_.level();
  state.hovered_point = hovered_;
  state.rotated_view = state_.view() == TreeView::Rotated;
  state.legend = state_.legend();
  state.colouring = state_.colouring();
  if (state.colouring != Colouring::Ball)
    state.map_colours = sample_colour_map(state_.colour_map(), 64);
  state.field = state_.field();
  std::tie(state.field_low, state.field_high) = scene_.field_range();
  if (hovered_ >= 0) state.hovered_fields = hovered_field_values();
  state.spheres = state_.spheres();
  state.centres = state_.centres();
  state.padding = state_.padding();
  state.receptive_field = scene_.shows_receptive_field();
  state.straddle_ball = scene_.straddle_ball();
  state.straddle_ball_points = scene_.straddle_ball_points();
  state.side_by_side = split_view();
  state.angle_degrees = scene_.tree().angle_degrees;
  if (state_.scale_bar()) state.visible_height = visible_height();
  return state;
}

QImage MainWindow::screenshot(const QSize& pixels, bool with_overlay) {
  return viewport_->render_image(pixels, with_overlay);
}

QImage MainWindow::window_image() {
  viewport_->settle_overlay();
  return grab().toImage();
}

void MainWindow::save_screenshot_dialog() {
  bool ok = false;
  const QString size = QInputDialog::getText(
      this, "Screenshot", "Resolution (width x height):", QLineEdit::Normal, "1920x1080", &ok);
  if (!ok) return;
  const std::optional<ImageSize> pixels = parse_image_size(size.toStdString());
  if (!pixels) {
    QMessageBox::warning(this, "Screenshot", QString("Not a resolution: %1").arg(size));
    return;
  }
  const QString path =
      QFileDialog::getSaveFileName(this, "Save screenshot", "erwin.png", "PNG images (*.png)");
  if (path.isEmpty()) return;
  if (!screenshot(QSize(pixels->width, pixels->height)).save(path, "PNG"))
    QMessageBox::warning(this, "Screenshot", QString("Could not write %1").arg(path));
}

void MainWindow::add_recent(const QString& path) {
  QSettings settings;
  QStringList recent = settings.value(kRecentKey).toStringList();
  recent.removeAll(path);
  recent.prepend(path);
  while (recent.size() > kMaxRecent) recent.removeLast();
  settings.setValue(kRecentKey, recent);
  refresh_recent_menu();
}

void MainWindow::refresh_recent_menu() {
  recent_menu_->clear();
  const QStringList recent = QSettings().value(kRecentKey).toStringList();
  for (const QString& path : recent)
    recent_menu_->addAction(path, this, [this, path] { open(path); });
  recent_menu_->setEnabled(!recent.isEmpty());
}

void MainWindow::dragEnterEvent(QDragEnterEvent* event) {
  if (event->mimeData()->hasUrls()) event->acceptProposedAction();
}

void MainWindow::dropEvent(QDropEvent* event) {
  for (const QUrl& url : event->mimeData()->urls()) {
    if (url.isLocalFile()) {
      open(url.toLocalFile());
      event->acceptProposedAction();
      return;
    }
  }
}

}  // namespace erwin::ui
