// The main window's Training and Rollout docks and their menu: a checkpoint opened in the
// training panel goes to the rollout player, which takes the viewport over while it shows.
#include <QAction>
#include <QDockWidget>
#include <QMenuBar>
#include <QScrollArea>

#include "erwin/ui/widgets/main_window.h"
#include "erwin/ui/widgets/rollout_player.h"
#include "erwin/ui/widgets/training_panel.h"

namespace erwin::ui {
namespace {

QDockWidget* scrolling_dock(const QString& title, const QString& name, QWidget* content,
                            QMainWindow* window) {
  auto* scroll = new QScrollArea;
  scroll->setWidget(content);
  scroll->setWidgetResizable(true);
  scroll->setFrameShape(QFrame::NoFrame);
  auto* dock = new QDockWidget(title, window);
  dock->setObjectName(name);
  dock->setWidget(scroll);
  window->addDockWidget(Qt::RightDockWidgetArea, dock);
  return dock;
}

}  // namespace

void MainWindow::build_learning_docks() {
  training_panel_ = new TrainingPanel;
  player_ = new RolloutPlayer(viewport_);
  QDockWidget* training = scrolling_dock("Training", "trainingDock", training_panel_, this);
  QDockWidget* rollout = scrolling_dock("Rollout", "rolloutDock", player_, this);
  QDockWidget* tree = findChild<QDockWidget*>("treeDock");
  tabifyDockWidget(tree, training);
  tabifyDockWidget(tree, rollout);
  tree->raise();

  connect(training_panel_, &TrainingPanel::checkpoint_opened, this,
          [this, rollout](const QString& path, const QString& data_root) {
            player_->open_checkpoint(path, data_root);
            rollout->raise();
          });
  connect(player_, &RolloutPlayer::result_ready, rollout, &QDockWidget::raise);

  QMenu* menu = menuBar()->addMenu("&Model");
  menu->addAction("&Training", this, [training] {
    training->show();
    training->raise();
  });
  menu->addAction("Rollout &player", this, [rollout] {
    rollout->show();
    rollout->raise();
  });
  QAction* in_viewport = menu->addAction("Rollout in the &viewport");
  in_viewport->setCheckable(true);
  connect(in_viewport, &QAction::toggled, player_, &RolloutPlayer::set_shown);
  connect(player_, &RolloutPlayer::shown_changed, in_viewport, &QAction::setChecked);
}

}  // namespace erwin::ui
