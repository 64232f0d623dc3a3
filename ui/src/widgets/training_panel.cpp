#include "erwin/ui/widgets/training_panel.h"

#include <torch/cuda.h>

#include <QComboBox>
#include <QDateTime>
#include <QDir>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTabWidget>
#include <QThread>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <exception>
#include <utility>

#include "erwin/datasets/generate.h"
#include "erwin/training/run_preparation.h"
#include "erwin/ui/engine/job_runner.h"
#include "erwin/ui/engine/resource_paths.h"
#include "erwin/ui/engine/training_run.h"
#include "erwin/ui/widgets/curve_plot.h"
#include "erwin/ui/widgets/plot_controls.h"
#include "erwin/ui/widgets/run_comparison.h"
#include "erwin/ui/widgets/widget_row.h"

namespace erwin::ui {
namespace {

QString duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "-";
  const auto s = static_cast<qint64>(seconds + 0.5);
  if (s < 60) return QString("%1 s").arg(s);
  if (s < 3600) return QString("%1 min %2 s").arg(s / 60).arg(s % 60);
  return QString("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60);
}

QString absolute(const std::string& path) {
  return QDir::cleanPath(QDir::current().absoluteFilePath(QString::fromStdString(path)));
}

void generate_small_data(TaskKind kind, const std::string& root) {
  using namespace erwin::datasets;
  if (kind == TaskKind::Eagle)
    generate_eagle_like(root, EagleGenerateOptions::preset(GenerateSize::Small));
  else
    generate_shapenet_like(root, ShapenetGenerateOptions::preset(GenerateSize::Small));
}

QPushButton* browse_button(QWidget* parent, QLineEdit* target, const QString& caption) {
  auto* button = new QPushButton("...");
  button->setMaximumWidth(32);
  QObject::connect(button, &QPushButton::clicked, parent, [=] {
    const QString dir = QFileDialog::getExistingDirectory(parent, caption, target->text());
    if (!dir.isEmpty()) target->setText(dir);
  });
  return button;
}

}  // namespace

TrainingPanel::TrainingPanel(QWidget* parent)
    : QWidget(parent),
      run_(new TrainingRun(this)),
      generator_(new JobRunner("generate data", this)) {
  build_widgets();
  connect(generator_, &JobRunner::failed, this, &TrainingPanel::data_generation_ended);
  connect_run();
  fill_configs();
  set_running(false);
}

void TrainingPanel::build_widgets() {
  auto* train = new QWidget;
  auto* layout = new QVBoxLayout(train);
  layout->addWidget(build_data_group());
  layout->addWidget(build_run_group());
  layout->addWidget(build_progress_group(), 1);
  layout->addWidget(build_checkpoint_group());
  comparison_ = new RunComparison;
  comparison_->setObjectName("runComparison");
  tabs_ = new QTabWidget;
  tabs_->setObjectName("trainingTabs");
  tabs_->addTab(train, "Train");
  tabs_->addTab(comparison_, "Compare runs");
  auto* outer = new QVBoxLayout(this);
  outer->setContentsMargins(0, 0, 0, 0);
  outer->addWidget(tabs_);
}

QWidget* TrainingPanel::build_data_group() {
  kind_ = new QComboBox;
  kind_->setObjectName("trainingKind");
  kind_->addItem("EAGLE (2D flow)", static_cast<int>(TaskKind::Eagle));
  kind_->addItem("ShapeNet-Car (3D pressure)", static_cast<int>(TaskKind::ShapenetCar));
  data_root_ = new QLineEdit;
  data_root_->setObjectName("trainingDataRoot");
  generate_ = new QPushButton("Generate small synthetic data");
  generate_->setObjectName("generateData");
  generate_->setToolTip("Writes a small synthetic data set of this kind into the data root");
  auto* group = new QGroupBox("Data");
  auto* form = new QFormLayout(group);
  form->addRow("kind", kind_);
  form->addRow("root", widget_row({data_root_, browse_button(this, data_root_, "Data root")}));
  form->addRow("", generate_);
  connect(kind_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          &TrainingPanel::fill_configs);
  connect(generate_, &QPushButton::clicked, this, &TrainingPanel::generate_data);
  return group;
}

QWidget* TrainingPanel::build_run_group() {
  config_ = new QComboBox;
  config_->setObjectName("trainingConfig");
  device_ = new QComboBox;
  device_->addItem("cpu");
  if (torch::cuda::is_available()) device_->addItem("cuda");
  precision_ = new QComboBox;
  precision_->setObjectName("trainingPrecision");
  precision_->addItems({"fp32", "bf16"});
  precision_->setToolTip(
      "bf16: the model runs under autocast to bfloat16 (matrix products in bfloat16), weights "
      "and optimizer state stay float32");
  steps_ = new QSpinBox;
  steps_->setObjectName("trainingSteps");
  steps_->setRange(1, 100000000);
  batch_ = new QSpinBox;
  batch_->setRange(1, 4096);
  lr_ = new QDoubleSpinBox;
  lr_->setDecimals(6);
  lr_->setRange(1e-6, 1.0);
  lr_->setSingleStep(1e-4);
  warmup_ = new QSpinBox;
  warmup_->setRange(0, 100000000);
  processes_ = new QSpinBox;
  processes_->setObjectName("trainingProcesses");
  processes_->setRange(1, std::max(1, QThread::idealThreadCount()));
  processes_->setToolTip(
      "data-parallel processes on this machine (the cores are split between them); the curves "
      "show rank 0; such a run cannot be paused");
  checkpoint_dir_ = new QLineEdit;
  checkpoint_dir_->setObjectName("checkpointDir");
  start_ = new QPushButton("Start");
  start_->setObjectName("startTraining");
  pause_ = new QPushButton("Pause");
  pause_->setObjectName("pauseTraining");
  stop_ = new QPushButton("Stop");
  stop_->setObjectName("stopTraining");

  auto* group = new QGroupBox("Run");
  auto* form = new QFormLayout(group);
  form->addRow("configuration", config_);
  form->addRow("device", device_);
  form->addRow("precision", precision_);
  form->addRow("steps", steps_);
  form->addRow("batch size", batch_);
  form->addRow("learning rate", lr_);
  form->addRow("warm-up steps", warmup_);
  form->addRow("processes", processes_);
  form->addRow(
      "checkpoints",
      widget_row({checkpoint_dir_, browse_button(this, checkpoint_dir_, "Checkpoint folder")}));
  form->addRow(widget_row({start_, pause_, stop_}));
  connect(config_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this] { apply_config_file(config_->currentData().toString()); });
  connect(start_, &QPushButton::clicked, this, &TrainingPanel::start);
  connect(pause_, &QPushButton::clicked, this, &TrainingPanel::toggle_pause);
  connect(stop_, &QPushButton::clicked, this, &TrainingPanel::stop);
  connect(checkpoint_dir_, &QLineEdit::editingFinished, this, &TrainingPanel::refresh_checkpoints);
  return group;
}

QWidget* TrainingPanel::build_progress_group() {
  progress_ = new QProgressBar;
  progress_->setObjectName("trainingProgress");
  progress_->setFormat("step %v / %m");
  status_ = new QLabel("idle");
  status_->setObjectName("trainingStatus");
  status_->setWordWrap(true);
  status_->setTextInteractionFlags(Qt::TextSelectableByMouse);
  rates_ = new QLabel;
  rates_->setObjectName("trainingRates");
  plot_ = new CurvePlot;
  plot_->setObjectName("lossPlot");
  plot_->set_log_y(true);
  plot_->set_smoothing(kDefaultSmoothing);
  plot_->set_axis_titles("step", "loss");
  step_series_ = plot_->add_series("step loss", QColor(160, 190, 220));
  train_series_ = plot_->add_series("train loss", QColor(31, 119, 180));
  val_series_ = plot_->add_series("validation loss", QColor(255, 127, 14));
  plot_controls_ = new PlotControls(plot_);
  auto* group = new QGroupBox("Progress");
  auto* layout = new QVBoxLayout(group);
  layout->addWidget(progress_);
  layout->addWidget(rates_);
  layout->addWidget(plot_controls_);
  layout->addWidget(plot_, 1);
  layout->addWidget(status_);
  return group;
}

QWidget* TrainingPanel::build_checkpoint_group() {
  checkpoints_ = new QListWidget;
  checkpoints_->setObjectName("checkpointList");
  checkpoints_->setMaximumHeight(90);
  auto* refresh = new QPushButton("Refresh");
  open_checkpoint_ = new QPushButton("Open in player");
  open_checkpoint_->setObjectName("openCheckpoint");
  auto* group = new QGroupBox("Checkpoints of the run");
  auto* layout = new QVBoxLayout(group);
  layout->addWidget(checkpoints_);
  layout->addLayout(widget_row({refresh, open_checkpoint_}));
  connect(refresh, &QPushButton::clicked, this, &TrainingPanel::refresh_checkpoints);
  const auto open = [this] {
    if (QListWidgetItem* item = checkpoints_->currentItem())
      Q_EMIT checkpoint_opened(item->data(Qt::UserRole).toString(), data_root_->text());
  };
  connect(open_checkpoint_, &QPushButton::clicked, this, open);
  connect(checkpoints_, &QListWidget::itemDoubleClicked, this, open);
  return group;
}

void TrainingPanel::connect_run() {
  connect(run_, &TrainingRun::started, this, [this](qint64 first, qint64 total) {
    progress_->setRange(0, static_cast<int>(total));
    progress_->setValue(static_cast<int>(first));
    show_message(start_warnings_ + QString("training from step %1").arg(first));
  });
  connect(run_, &TrainingRun::progress, this, &TrainingPanel::show_progress);
  connect(run_, &TrainingRun::metrics, this, [this](qint64 step, double train, double val) {
    plot_->append(train_series_, step, train);
    plot_->append(val_series_, step, val);
    // By the first record the run's folder holds its record: compare it with the others.
    if (!run_folder_.isEmpty()) comparison_->add_run(std::exchange(run_folder_, QString()));
    Q_EMIT metrics_received(step);
  });
  connect(run_, &TrainingRun::checkpoint_saved, this, [this](const QString& path) {
    show_message("checkpoint saved: " + path);
    refresh_checkpoints();
  });
  connect(run_, &TrainingRun::paused_changed, this, [this](bool paused) {
    pause_->setText(paused ? "Resume" : "Pause");
    show_message(paused ? "paused after the current step" : "training");
  });
  connect(run_, &TrainingRun::finished, this, [this](bool cancelled, qint64 step) {
    set_running(false);
    show_message(QString(cancelled ? "stopped at step %1" : "finished at step %1").arg(step));
    refresh_checkpoints();
  });
  connect(run_, &TrainingRun::error, this, [this](const QString& message) {
    set_running(false);
    show_message("<span style='color:#d04040'>training failed:</span> " + message.toHtmlEscaped());
  });
}

void TrainingPanel::fill_configs() {
  if (config_files_.isEmpty()) {
    for (const QString& file : run_config_files()) {
      try {
        config_kinds_ << RunConfig::from_json_file(file.toStdString()).task;
        config_files_ << file;
      } catch (const std::exception& e) {
        show_message(QString::fromStdString(e.what()));
      }
    }
  }
  const QString previous = config_->currentData().toString();
  config_->clear();
  for (int i = 0; i < config_files_.size(); ++i)
    if (config_kinds_[i] == kind())
      config_->addItem(QFileInfo(config_files_[i]).completeBaseName(), config_files_[i]);
  if (config_->count() == 0) show_message("no run configurations found (resources/configs)");
  const int smoke = config_->findText("smoke", Qt::MatchContains);
  if (previous.isEmpty() && smoke >= 0) config_->setCurrentIndex(smoke);
}

bool TrainingPanel::select_config(const QString& path) {
  const int listed = config_files_.indexOf(QFileInfo(path).absoluteFilePath());
  if (listed < 0) return false;
  kind_->setCurrentIndex(kind_->findData(static_cast<int>(config_kinds_[listed])));
  config_->setCurrentIndex(config_->findData(config_files_[listed]));
  return true;
}

void TrainingPanel::apply_config_file(const QString& path) {
  if (path.isEmpty()) return;
  try {
    const RunConfig config = RunConfig::from_json_file(path.toStdString());
    steps_->setValue(static_cast<int>(config.steps));
    batch_->setValue(static_cast<int>(config.batch_size));
    lr_->setValue(config.optimizer.lr);
    warmup_->setValue(static_cast<int>(config.schedule.warmup_steps));
    const int device = device_->findText(QString::fromStdString(config.device));
    if (device >= 0) device_->setCurrentIndex(device);
    precision_->setCurrentText(QString::fromStdString(config.precision));
    if (data_root_->text().isEmpty()) data_root_->setText(absolute(config.data.root));
    if (checkpoint_dir_->text().isEmpty())
      set_checkpoint_dir(QFileInfo(absolute(config.checkpoint_path)).absolutePath());
  } catch (const std::exception& e) {
    show_message(QString::fromStdString(e.what()).toHtmlEscaped());
  }
}

TaskKind TrainingPanel::kind() const { return static_cast<TaskKind>(kind_->currentData().toInt()); }

RunConfig TrainingPanel::run_config() const {
  RunConfig config = edited_config();
  config.validate();
  return config;
}

RunConfig TrainingPanel::edited_config() const {
  const QString file = config_->currentData().toString();
  if (file.isEmpty()) throw std::invalid_argument("no run configuration chosen");
  RunConfig config = RunConfig::from_json_file(file.toStdString());
  config.data.root = data_root_->text().toStdString();
  config.device = device_->currentText().toStdString();
  config.precision = precision_->currentText().toStdString();
  config.steps = steps_->value();
  config.batch_size = batch_->value();
  config.optimizer.lr = lr_->value();
  config.schedule.warmup_steps = warmup_->value();
  config.checkpoint_path = checkpoint_dir_->text().isEmpty()
                               ? std::string()
                               : QDir(checkpoint_dir_->text())
                                     .filePath(QString::fromStdString(config.name) + ".ckpt")
                                     .toStdString();
  return config;
}

void TrainingPanel::start() {
  if (run_->running()) return;
  try {
    RunConfig config = edited_config();
    start_warnings_.clear();
    for (const QString& warning : prepare(config))  // validates
      start_warnings_ += warning + "<br>";
    plot_->clear_points();
    set_running(true);
    show_message(start_warnings_ + "loading the data and building the model...");
    run_->start(QString::fromStdString(config.to_json()), QString(), processes_->value());
  } catch (const std::exception& e) {
    show_message("<span style='color:#d04040'>cannot start:</span> " +
                 QString::fromStdString(e.what()).toHtmlEscaped());
  }
}

// The checks `erwin train` makes too (run_preparation.h); the fields show what they changed.
QStringList TrainingPanel::prepare(RunConfig& config) {
  const QString runs_root =
      QStandardPaths::writableLocation(QStandardPaths::AppLocalDataLocation) + "/runs";
  QStringList warnings;
  for (const std::string& warning : prepare_run(config, runs_root.toStdString()))
    warnings << "<span style='color:#b07000'>warning:</span> " +
                    QString::fromStdString(warning).toHtmlEscaped();
  warmup_->setValue(static_cast<int>(config.schedule.warmup_steps));
  run_folder_ = absolute(run_folder_of(config.checkpoint_path));
  if (QDir(run_folder_) != QDir(checkpoint_dir_->text())) set_checkpoint_dir(run_folder_);
  return warnings;
}

void TrainingPanel::toggle_pause() { run_->paused() ? run_->resume() : run_->pause(); }

void TrainingPanel::stop() {
  if (!run_->running()) return;
  run_->stop();
  stop_->setEnabled(false);
  show_message("stopping after the current step...");
}

void TrainingPanel::set_running(bool running) {
  start_->setEnabled(!running);
  pause_->setEnabled(running && processes_->value() == 1);
  pause_->setText("Pause");
  stop_->setEnabled(running);
  for (QWidget* field : std::initializer_list<QWidget*>{kind_, config_, device_, precision_,
                                                        data_root_, steps_, batch_, lr_, warmup_,
                                                        processes_, checkpoint_dir_, generate_})
    field->setEnabled(!running);
}

void TrainingPanel::show_progress(qint64 step, qint64 total, double loss, double lr,
                                  double samples_per_second, double eta_seconds) {
  progress_->setRange(0, static_cast<int>(total));
  progress_->setValue(static_cast<int>(step));
  plot_->append(step_series_, step, loss);
  rates_->setText(QString("loss %1   lr %2\n%3 samples/s   ETA %4")
                      .arg(loss, 0, 'g', 4)
                      .arg(lr, 0, 'g', 3)
                      .arg(samples_per_second, 0, 'f', 1)
                      .arg(duration(eta_seconds)));
}

void TrainingPanel::show_message(const QString& text) {
  status_->setText(
      QString("<small>%1</small> %2").arg(QTime::currentTime().toString("HH:mm:ss"), text));
}

void TrainingPanel::generate_data() {
  const QString root = data_root_->text();
  if (root.isEmpty()) {
    show_message("choose a data root first");
    return;
  }
  generate_->setEnabled(false);
  start_->setEnabled(false);
  show_message("generating synthetic data into " + root.toHtmlEscaped() + "...");
  generating_root_ = root;
  generator_->start(
      [kind = kind(), path = root.toStdString()](JobContext&) { generate_small_data(kind, path); },
      [this] { data_generation_ended(QString()); });
}

void TrainingPanel::data_generation_ended(const QString& error) {
  set_running(run_->running());
  show_message(error.isEmpty() ? "synthetic data written to " + generating_root_.toHtmlEscaped()
                               : "<span style='color:#d04040'>generation failed:</span> " +
                                     error.toHtmlEscaped());
  Q_EMIT data_generated(generating_root_, error);
}

void TrainingPanel::set_data_root(const QString& root) { data_root_->setText(root); }

void TrainingPanel::set_checkpoint_dir(const QString& dir) {
  checkpoint_dir_->setText(dir);
  refresh_checkpoints();
}

QString TrainingPanel::checkpoint_dir() const { return checkpoint_dir_->text(); }

void TrainingPanel::show_comparison() { tabs_->setCurrentWidget(comparison_); }

void TrainingPanel::refresh_checkpoints() {
  const QString selected =
      checkpoints_->currentItem() ? checkpoints_->currentItem()->data(Qt::UserRole).toString() : "";
  checkpoints_->clear();
  const QDir dir(checkpoint_dir_->text());
  if (checkpoint_dir_->text().isEmpty() || !dir.exists()) return;
  for (const QFileInfo& file : dir.entryInfoList({"*.ckpt", "*.pt"}, QDir::Files, QDir::Time)) {
    auto* item = new QListWidgetItem(
        QString("%1  (%2)")
            .arg(file.fileName(), file.lastModified().toString("yyyy-MM-dd HH:mm:ss")));
    item->setData(Qt::UserRole, file.absoluteFilePath());
    checkpoints_->addItem(item);
    if (file.absoluteFilePath() == selected) checkpoints_->setCurrentItem(item);
  }
  if (!checkpoints_->currentItem() && checkpoints_->count() > 0) checkpoints_->setCurrentRow(0);
}

QStringList TrainingPanel::listed_checkpoints() const {
  QStringList paths;
  for (int i = 0; i < checkpoints_->count(); ++i)
    paths << checkpoints_->item(i)->data(Qt::UserRole).toString();
  return paths;
}

}  // namespace erwin::ui
