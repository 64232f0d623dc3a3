#include "erwin/ui/main_window.h"

#include <vtkCallbackCommand.h>
#include <vtkCamera.h>
#include <vtkGenericOpenGLRenderWindow.h>
#include <vtkGenericRenderWindowInteractor.h>
#include <vtkInteractorObserver.h>
#include <vtkNew.h>
#include <vtkRenderer.h>

#include <QAction>
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

#include "erwin/ui/data_loader.h"
#include "erwin/ui/engine/ball_hulls.h"
#include "erwin/ui/engine/job_runner.h"
#include "erwin/ui/engine/receptive_field_job.h"
#include "erwin/ui/imgui_overlay.h"
#include "erwin/ui/point_picking.h"
#include "erwin/ui/receptive_field_panel.h"
#include "erwin/ui/rollout_player.h"
#include "erwin/ui/vtk_viewport.h"

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
      loader_(new JobRunner("scene loader", this)),
      hull_builder_(new JobRunner("ball hulls", this)),
      panel_(new TreePanel) {
  setWindowTitle("Erwin Studio");
  setAcceptDrops(true);
  setCentralWidget(viewport_);
  style_renderer(viewport_->renderer());
  style_renderer(right_);
  right_->SetActiveCamera(viewport_->renderer()->GetActiveCamera());
  overlay_ = std::make_unique<ImGuiOverlay>([this] { draw_overlay_panels(overlay_state()); });
  viewport_->set_overlay(overlay_.get());
  connect(viewport_, &VtkViewport::frame_painted, this, [this](double ms) { frame_ms_ = ms; });

  auto* dock = new QDockWidget("Ball tree", this);
  dock->setObjectName("treeDock");
  dock->setWidget(panel_);
  addDockWidget(Qt::RightDockWidgetArea, dock);
  connect(panel_, &TreePanel::level_changed, this, &MainWindow::apply_level);
  connect(panel_, &TreePanel::view_changed, this, [this](TreeView) { apply_view(); });
  connect(panel_, &TreePanel::angle_changed, this, &MainWindow::set_rotation_angle);
  connect(panel_, &TreePanel::cloud_changed, this, &MainWindow::show_cloud);
  const auto show_and_redraw = [this](void (PointScene::*show)(bool)) {
    return [this, show](bool on) {
      (scene_.*show)(on);
      viewport_->update();
    };
  };
  connect(panel_, &TreePanel::spheres_toggled, this,
          show_and_redraw(&PointScene::set_show_spheres));
  connect(panel_, &TreePanel::hulls_toggled, this, [this](bool on) {
    scene_.set_show_hulls(on);
    request_hulls();
    viewport_->update();
  });
  connect(panel_, &TreePanel::centres_toggled, this,
          show_and_redraw(&PointScene::set_show_centres));
  connect(panel_, &TreePanel::padding_toggled, this,
          show_and_redraw(&PointScene::set_show_padding));

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

  build_receptive_field_dock();
  tabifyDockWidget(dock, findChild<QDockWidget*>("receptiveFieldDock"));
  dock->raise();
  build_menus();
  build_status_bar();
  build_learning_docks();
  resize(1400, 900);
}

MainWindow::~MainWindow() {
  // The overlay's GL resources go with the viewport's context, before the overlay object.
  delete viewport_;
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
  if (!self->camera_moving_) self->viewport_->update();
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
  request.config = default_receptive_field_config(pos.size(0), pos.size(1), panel_->angle());
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
  if (!click || !self->field_panel_->enabled() || !self->scene_.has_data()) return;
  const bool rotated = self->panel_->view() == TreeView::Rotated;
  const int64_t picked =
      pick_point(self->viewport_->renderer(), self->scene_.points_actor(rotated), at[0], at[1]);
  if (picked >= 0) self->show_receptive_field(picked);
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
  QMenu* view = menuBar()->addMenu("&View");
  view->addAction("&Reset camera", QKeySequence("R"), this, [this] {
    reset_camera();
    viewport_->update();
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
  load(source, [source = source.toStdString(), angle = panel_->angle()](JobContext& context) {
    return load_scene(source, angle, context);
  });
}

void MainWindow::load(const QString& source, std::function<LoadedScene(JobContext&)> job) {
  loading_ = source;
  loader_->start(std::move(job), [this, source](LoadedScene loaded) {
    if (loaded.result)
      on_result_loaded(source, std::move(loaded.result));
    else
      on_loaded(source, std::move(loaded.points), std::move(loaded.tree));
  });
}

// Same points, a new tree (another angle, another cloud of the file).
void MainWindow::rebuild(PointSetPtr points, double angle_degrees) {
  const QString name = QString::fromStdString(points->name);
  load(name, [points = std::move(points), angle_degrees](JobContext& context) {
    return build_scene(points, angle_degrees, context);
  });
}

void MainWindow::set_level(int level) { panel_->level_slider()->setValue(level); }
void MainWindow::set_view(TreeView view) { panel_->set_view(view); }

void MainWindow::set_rotation_angle(double degrees) {
  panel_->set_angle(degrees);
  if (scene_.has_data() && scene_.tree().angle_degrees != degrees)
    rebuild(std::make_shared<const PointSet>(scene_.points()), degrees);
}

void MainWindow::show_cloud(int cloud) {
  if (!scene_.has_data() || scene_.points().cloud_count() <= cloud ||
      scene_.points().cloud == cloud)
    return;
  rebuild(std::make_shared<const PointSet>(select_cloud(scene_.points(), cloud)), panel_->angle());
}

void MainWindow::on_loaded(const QString& source, PointSetPtr points, SceneTreePtr tree) {
  // A rebuild (new angle) keeps the points' storage, the camera and the title.
  const bool new_points =
      !scene_.has_data() || scene_.points().pos.data_ptr() != points->pos.data_ptr();
  scene_.set_data(std::move(points), std::move(tree));
  // New data opens at a readable level; a rebuild (new angle) keeps the level.
  panel_->set_tree(&scene_.tree(), new_points ? readable_level(scene_.tree()) : panel_->level());
  panel_->set_clouds(scene_.points().cloud_count(), scene_.points().cloud);
  scene_.set_level(panel_->level());
  hovered_ = -1;
  field_node_ = -1;
  if (new_points) {
    source_ = source;
    setWindowTitle(QString("Erwin Studio - %1").arg(QString::fromStdString(scene_.points().name)));
    if (QFileInfo(source).isFile()) add_recent(QFileInfo(source).absoluteFilePath());
  }
  apply_view();
  if (new_points) reset_camera();
  update_statistics();
  request_hulls();
  viewport_->update();
  Q_EMIT scene_ready();
}

void MainWindow::on_failed(const QString& message) {
  show_error(
      "Erwin Studio - cannot open file",
      QString("Could not open %1.\n\n%2\n\nThe current scene is kept.").arg(loading_, message));
  Q_EMIT load_failed(message);
}

void MainWindow::on_result_loaded(const QString& source, InferenceResultPtr result) {
  player_->show_result(std::move(result), source);
  source_ = source;
  setWindowTitle(QString("Erwin Studio - %1").arg(QFileInfo(source).fileName()));
  add_recent(QFileInfo(source).absoluteFilePath());
  Q_EMIT scene_ready();
}

void MainWindow::apply_level(int level) {
  scene_.set_level(level);
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
  left->RemoveAllViewProps();
  right_->RemoveAllViewProps();
  const bool rotation = scene_.has_data() && scene_.tree().has_rotation();
  const TreeView view = rotation ? panel_->view() : TreeView::Original;
  const bool split = view == TreeView::SideBySide;
  left->SetViewport(0.0, 0.0, split ? 0.5 : 1.0, 1.0);
  if (split && !window->HasRenderer(right_)) window->AddRenderer(right_);
  if (!split && window->HasRenderer(right_)) window->RemoveRenderer(right_);
  right_->SetViewport(0.5, 0.0, 1.0, 1.0);
  if (scene_.has_data()) {
    scene_.add_to(left, view == TreeView::Rotated);
    if (split) scene_.add_to(right_, true);
    // Overlay mode starts on the rotated ball of the middle point; hovering picks another.
    const int64_t count = scene_.points().pos.size(0);
    scene_.set_straddle_point(view == TreeView::Overlay ? (hovered_ >= 0 ? hovered_ : count / 2)
                                                        : -1);
  }
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
  const bool split = panel_->view() == TreeView::SideBySide && scene_.tree().has_rotation();
  const bool on_right = split && right_->IsInViewport(at[0], at[1]);
  vtkRenderer* renderer = on_right ? right_.Get() : viewport_->renderer();
  const bool rotated = on_right || panel_->view() == TreeView::Rotated;
  const int64_t picked = pick_point(renderer, scene_.points_actor(rotated), at[0], at[1]);
  if (picked == hovered_) return;
  hovered_ = picked;
  if (picked >= 0 && panel_->view() == TreeView::Overlay) scene_.set_straddle_point(picked);
  viewport_->update();
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
  state.rotated_view = panel_->view() == TreeView::Rotated;
  return state;
}

QImage MainWindow::screenshot(const QSize& pixels, bool with_overlay) {
  return viewport_->render_image(pixels, with_overlay);
}

void MainWindow::save_screenshot_dialog() {
  bool ok = false;
  const QString size = QInputDialog::getText(
      this, "Screenshot", "Resolution (width x height):", QLineEdit::Normal, "1920x1080", &ok);
  if (!ok) return;
  const QStringList parts = size.toLower().split('x');
  const int width = parts.value(0).toInt(), height = parts.value(1).toInt();
  if (parts.size() != 2 || width <= 0 || height <= 0 || width > 16384 || height > 16384) {
    QMessageBox::warning(this, "Screenshot", QString("Not a resolution: %1").arg(size));
    return;
  }
  const QString path =
      QFileDialog::getSaveFileName(this, "Save screenshot", "erwin.png", "PNG images (*.png)");
  if (path.isEmpty()) return;
  if (!screenshot(QSize(width, height)).save(path, "PNG"))
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
