#include "erwin/ui/widgets/rollout_player.h"

#include <torch/cuda.h>
#include <vtkGenericOpenGLRenderWindow.h>

#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QProgressBar>
#include <QPushButton>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QTimer>
#include <QVBoxLayout>
#include <cmath>

#include "erwin/io_util.h"
#include "erwin/ui/engine/frame_exporter.h"
#include "erwin/ui/engine/job_runner.h"
#include "erwin/ui/engine/result_export.h"
#include "erwin/ui/widgets/curve_plot.h"
#include "erwin/ui/widgets/vtk_viewport.h"
#include "erwin/ui/widgets/widget_row.h"

namespace erwin::ui {
namespace {

QVector<QPointF> curve(const torch::Tensor& values) {
  const torch::Tensor v = values.to(torch::kFloat64).contiguous();
  QVector<QPointF> points;
  for (int64_t t = 0; t < v.numel(); ++t) points.push_back({double(t), v.data_ptr<double>()[t]});
  return points;
}

// "simulation 3" or "car 1" and `separator`; nothing where the result does not say (read from
// a .pvd export, result_import.h).
QString item_text(const char* what, int64_t index, const QString& separator) {
  return index < 0 ? QString() : QString("%1 %2%3").arg(what).arg(index).arg(separator);
}

QDoubleSpinBox* range_box() {
  auto* box = new QDoubleSpinBox;
  box->setRange(-1e9, 1e9);
  box->setDecimals(4);
  box->setEnabled(false);
  return box;
}

}  // namespace

RolloutPlayer::RolloutPlayer(VtkViewport* viewport, QWidget* parent)
    : QWidget(parent),
      viewport_(viewport),
      runner_(new JobRunner("inference", this)),
      file_exporter_(new JobRunner("export", this)),
      exporter_(new FrameExporter(this)),
      play_timer_(new QTimer(this)) {
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(build_source_group());
  layout->addWidget(build_playback_group(), 1);
  layout->addWidget(build_export_group());
  connect_runners();
  connect(play_timer_, &QTimer::timeout, this,
          [this] { set_frame(frame_count() > 0 ? (frame() + 1) % frame_count() : 0); });
  set_busy(false);
}

RolloutPlayer::~RolloutPlayer() = default;

QWidget* RolloutPlayer::build_source_group() {
  checkpoint_ = new QLineEdit;
  checkpoint_->setObjectName("playerCheckpoint");
  auto* browse_checkpoint = new QPushButton("...");
  browse_checkpoint->setMaximumWidth(32);
  model_info_ = new QLabel("no checkpoint");
  model_info_->setWordWrap(true);
  data_root_ = new QLineEdit;
  data_root_->setObjectName("playerDataRoot");
  auto* browse_root = new QPushButton("...");
  browse_root->setMaximumWidth(32);
  split_ = new QComboBox;
  split_->addItems({"train", "valid", "test"});
  split_->setCurrentText("test");
  item_label_ = new QLabel("simulation");
  item_ = new QSpinBox;
  item_->setRange(0, 1000000);
  start_ = new QSpinBox;
  start_->setRange(0, 1000000);
  steps_ = new QSpinBox;
  steps_->setRange(1, 100000);
  steps_->setValue(20);
  device_ = new QComboBox;
  device_->addItem("cpu");
  if (torch::cuda::is_available()) device_->addItem("cuda");
  compute_ = new QPushButton("Compute");
  compute_->setObjectName("computeRollout");
  cancel_ = new QPushButton("Cancel");
  progress_ = new QProgressBar;
  progress_->setRange(0, 0);  // the model call reports no fraction: a busy indicator
  message_ = new QLabel;
  message_->setWordWrap(true);
  message_->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* group = new QGroupBox("Model and data");
  auto* form = new QFormLayout(group);
  form->addRow("checkpoint", widget_row({checkpoint_, browse_checkpoint}));
  form->addRow("", model_info_);
  form->addRow("data root", widget_row({data_root_, browse_root}));
  form->addRow("split", split_);
  form->addRow(item_label_, item_);
  form->addRow("first frame", start_);
  form->addRow("steps", steps_);
  form->addRow("device", device_);
  form->addRow(widget_row({compute_, progress_, cancel_}));
  form->addRow(message_);
  connect(browse_checkpoint, &QPushButton::clicked, this, [this] {
    const QString path =
        QFileDialog::getOpenFileName(this, "Training checkpoint", checkpoint_->text(),
                                     "Checkpoints (*.ckpt *.pt);;All files (*)");
    if (!path.isEmpty()) open_checkpoint(path, data_root_->text());
  });
  connect(browse_root, &QPushButton::clicked, this, [this] {
    const QString dir = QFileDialog::getExistingDirectory(this, "Data root", data_root_->text());
    if (!dir.isEmpty()) data_root_->setText(dir);
  });
  connect(checkpoint_, &QLineEdit::editingFinished, this, [this] {
    if (!checkpoint_->text().isEmpty()) inspect(checkpoint_->text());
  });
  connect(compute_, &QPushButton::clicked, this, &RolloutPlayer::compute);
  connect(cancel_, &QPushButton::clicked, this, &RolloutPlayer::cancel);
  return group;
}

QWidget* RolloutPlayer::build_playback_group() {
  timeline_ = new QSlider(Qt::Horizontal);
  timeline_->setObjectName("rolloutTimeline");
  timeline_->setRange(0, 0);
  play_ = new QPushButton("Play");
  play_->setObjectName("playRollout");
  play_->setCheckable(true);
  fps_ = new QSpinBox;
  fps_->setRange(1, 60);
  fps_->setValue(8);
  fps_->setSuffix(" fps");
  step_label_ = new QLabel("step -");
  step_label_->setMinimumWidth(90);
  field_ = new QComboBox;
  field_->setObjectName("rolloutField");
  colour_map_ = new QComboBox;
  colour_map_->addItems(colour_map_names());
  range_mode_ = new QComboBox;
  range_mode_->addItems({"auto (truth, all frames)", "fixed"});
  range_low_ = range_box();
  range_high_ = range_box();
  plot_ = new CurvePlot;
  plot_->setObjectName("rmsePlot");
  // Velocity and pressure errors differ in units and scale: each is read on its own axis.
  plot_->set_axis_titles("step", "velocity RMSE", "pressure RMSE");
  velocity_series_ = plot_->add_series("velocity RMSE", QColor(31, 119, 180));
  pressure_series_ =
      plot_->add_series("pressure RMSE", QColor(214, 39, 40), CurvePlot::Axis::Right);
  summary_ = new QLabel;
  summary_->setMinimumHeight(2 * summary_->fontMetrics().lineSpacing() + 4);  // two lines, always

  auto* group = new QGroupBox("Playback");
  auto* form = new QFormLayout(group);
  auto* fit = new QPushButton("Fit view");
  fit->setToolTip("Resets the panels' shared camera to fit the domain");
  form->addRow(widget_row({play_, fps_, step_label_, fit}));
  form->addRow(timeline_);
  form->addRow("field", field_);
  form->addRow("colour map", colour_map_);
  form->addRow("range", range_mode_);
  form->addRow("min / max", widget_row({range_low_, range_high_}));
  form->addRow(summary_);
  form->addRow(plot_);
  connect(timeline_, &QSlider::valueChanged, this, &RolloutPlayer::set_frame);
  connect(fit, &QPushButton::clicked, this, [this] {
    scene_.reset_camera();
    redraw();
  });
  connect(play_, &QPushButton::toggled, this, &RolloutPlayer::set_playing);
  connect(fps_, qOverload<int>(&QSpinBox::valueChanged), this,
          [this](int fps) { play_timer_->setInterval(1000 / fps); });
  play_timer_->setInterval(1000 / fps_->value());
  connect(field_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          &RolloutPlayer::apply_field);
  connect(colour_map_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int map) { set_colour_map(static_cast<ColourMap>(map)); });
  connect(range_mode_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          &RolloutPlayer::apply_range);
  connect(range_low_, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
          &RolloutPlayer::apply_range);
  connect(range_high_, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
          &RolloutPlayer::apply_range);
  return group;
}

QWidget* RolloutPlayer::build_export_group() {
  resolution_ = new QLineEdit("1600x1000");
  resolution_->setMaximumWidth(110);
  save_frames_ = new QPushButton("Save frames as PNG...");
  save_frames_->setObjectName("saveFrames");
  save_h5_ = new QPushButton("Save HDF5...");
  save_pvd_ = new QPushButton("Save ParaView (.pvd)...");
  auto* group = new QGroupBox("Export");
  auto* layout = new QVBoxLayout(group);
  layout->addLayout(widget_row({save_frames_, new QLabel("at"), resolution_}));
  layout->addLayout(widget_row({save_h5_, save_pvd_}));
  connect(save_frames_, &QPushButton::clicked, this, &RolloutPlayer::choose_frames_folder);
  connect(save_h5_, &QPushButton::clicked, this,
          [this] { choose_export_file("HDF5 (*.h5 *.hdf5)"); });
  connect(save_pvd_, &QPushButton::clicked, this,
          [this] { choose_export_file("ParaView collection (*.pvd)"); });
  connect(exporter_, &FrameExporter::progress, this, [this](int done, int total) {
    show_message(QString("rendering frame %1 of %2").arg(done).arg(total));
  });
  connect(exporter_, &FrameExporter::finished, this,
          [this](int written, const QString& folder, const QString& error) {
            set_busy(runner_->busy());
            show_message(error.isEmpty()
                             ? QString("%1 frames written to %2").arg(written).arg(folder)
                             : error,
                         !error.isEmpty());
            Q_EMIT frames_exported(written, error);
          });
  return group;
}

void RolloutPlayer::connect_runners() {
  connect(runner_, &JobRunner::busy_changed, this, &RolloutPlayer::set_busy);
  connect(runner_, &JobRunner::progress, this,
          [this](double, const QString& text) { show_message(text + "..."); });
  connect(runner_, &JobRunner::failed, this, [this](const QString& message) {
    show_message(message, true);
    Q_EMIT failed(message);
  });
  connect(file_exporter_, &JobRunner::failed, this, [this](const QString& message) {
    show_message(message, true);
    Q_EMIT exported(export_path_, message);
  });
}

void RolloutPlayer::inspect(const QString& path) {
  runner_->start([path = path.toStdString()](JobContext&) { return inspect_checkpoint(path); },
                 [this](const CheckpointInfo& info) { on_inspected(info); });
}

void RolloutPlayer::open_checkpoint(const QString& path, const QString& data_root) {
  checkpoint_->setText(path);
  data_root_->setText(data_root);
  model_info_->setText("reading the checkpoint...");
  inspect(path);
}

void RolloutPlayer::on_inspected(const CheckpointInfo& info) {
  apply_kind(info.kind);
  const bool eagle = kind_ == TaskKind::Eagle;
  model_info_->setText(
      QString("%1: %2, step %3")
          .arg(eagle ? "EAGLE" : "ShapeNet-Car", QString::fromStdString(info.run_name))
          .arg(info.step));
  if (data_root_->text().isEmpty()) data_root_->setText(QString::fromStdString(info.data_root));
  show_message({});
  Q_EMIT inspected(info);
}

void RolloutPlayer::apply_kind(TaskKind kind) {
  kind_ = kind;
  const bool eagle = kind_ == TaskKind::Eagle;
  item_label_->setText(eagle ? "simulation" : "car");
  start_->setEnabled(eagle);
  steps_->setEnabled(eagle);
}

void RolloutPlayer::set_selection(const QString& split, int item, int start, int steps) {
  split_->setCurrentText(split);
  item_->setValue(item);
  start_->setValue(start);
  steps_->setValue(steps);
}

void RolloutPlayer::compute() {
  if (checkpoint_->text().isEmpty() || data_root_->text().isEmpty()) {
    show_message("choose a checkpoint and a data root", true);
    return;
  }
  InferenceRequest request;
  request.checkpoint = checkpoint_->text().toStdString();
  request.data_root = data_root_->text().toStdString();
  request.split = split_->currentText().toStdString();
  request.item = item_->value();
  request.start = start_->value();
  request.steps = steps_->value();
  request.device = device_->currentText().toStdString();
  set_playing(false);
  runner_->start([request](JobContext& context) { return run_inference(request, context); },
                 [this](InferenceResult result) {
                   on_result(std::make_shared<const InferenceResult>(std::move(result)));
                 });
}

void RolloutPlayer::cancel() {
  runner_->cancel();
  exporter_->cancel();
  show_message("cancelled");
}

bool RolloutPlayer::busy() const { return runner_->busy() || exporter_->busy(); }

void RolloutPlayer::set_busy(bool busy) {
  const bool working = busy || exporter_->busy();
  compute_->setEnabled(!working);
  progress_->setVisible(runner_->busy());
  cancel_->setVisible(working);
  const bool has_result = result_ != nullptr;
  save_frames_->setEnabled(!working && has_result);
  save_h5_->setEnabled(!working && has_result);
  save_pvd_->setEnabled(!working && has_result);
}

void RolloutPlayer::on_result(InferenceResultPtr result) {
  result_ = std::move(result);
  apply_kind(result_->eagle ? TaskKind::Eagle : TaskKind::ShapenetCar);
  scene_.set_result(result_);
  {
    const QSignalBlocker blocker(field_);
    field_->clear();
    field_->addItems(result_->field_names());
  }
  {
    const QSignalBlocker blocker(timeline_);
    timeline_->setRange(0, static_cast<int>(result_->frame_count() - 1));
    timeline_->setValue(0);
  }
  timeline_->setEnabled(result_->frame_count() > 1);
  play_->setEnabled(result_->frame_count() > 1);
  plot_->clear_points();
  if (result_->eagle) {
    plot_->set_points(velocity_series_, curve(result_->eagle->rmse_velocity));
    plot_->set_points(pressure_series_, curve(result_->eagle->rmse_pressure));
    summary_->setText(item_text("simulation", result_->eagle->simulation, ", ") +
                      QString("frames %1-%2\nfinal RMSE: velocity %3, pressure %4")
                          .arg(result_->eagle->start)
                          .arg(result_->eagle->start + result_->frame_count() - 1)
                          .arg(result_->eagle->rmse_velocity[-1].item<double>(), 0, 'g', 4)
                          .arg(result_->eagle->rmse_pressure[-1].item<double>(), 0, 'g', 4));
  } else {
    summary_->setText(item_text("car", result_->shapenet->car, ": ") +
                      QString("pressure MSE %1").arg(result_->shapenet->mse, 0, 'g', 5));
  }
  plot_->setVisible(result_->eagle.has_value());
  apply_field();
  set_shown(true);
  scene_.reset_camera();
  set_busy(false);
  show_message(result_->frame_count() == 1
                   ? QString("prediction ready")
                   : QString("%1 frames ready").arg(result_->frame_count()));
  set_frame(0);
  redraw();
  Q_EMIT result_ready();
}

void RolloutPlayer::show_result(InferenceResultPtr result, const QString& source) {
  // The fields describe the opened result where it says (a .pvd has no simulation, car or
  // checkpoint), so that Compute can redo it; on_result sets the task's fields.
  const int64_t item = result->eagle ? result->eagle->simulation : result->shapenet->car;
  if (item >= 0) item_->setValue(static_cast<int>(item));
  if (result->eagle) {
    start_->setValue(static_cast<int>(result->eagle->start));
    steps_->setValue(static_cast<int>(result->frame_count() - 1));
  }
  const QString checkpoint = QString::fromStdString(result->eagle ? result->eagle->checkpoint
                                                                  : result->shapenet->checkpoint);
  if (QFileInfo(checkpoint).isFile()) open_checkpoint(checkpoint, data_root_->text());
  on_result(std::move(result));
  show_message("opened " + source);
}

int RolloutPlayer::frame() const { return result_ ? static_cast<int>(scene_.frame()) : 0; }
int RolloutPlayer::frame_count() const {
  return result_ ? static_cast<int>(result_->frame_count()) : 0;
}

void RolloutPlayer::set_frame(int frame) {
  if (!result_) return;
  scene_.set_frame(frame);
  {
    const QSignalBlocker blocker(timeline_);
    timeline_->setValue(this->frame());
  }
  step_label_->setText(QString("step %1 / %2").arg(this->frame()).arg(frame_count() - 1));
  plot_->set_marker(this->frame());
  update_caption();
  redraw();
  Q_EMIT frame_changed(this->frame());
}

void RolloutPlayer::update_caption() {
  if (!result_) return;
  const int t = frame();
  if (result_->eagle) {
    const datasets::EagleRollout& r = *result_->eagle;
    scene_.set_caption(QString("step %1 / %2 (frame %3)\nRMSE velocity %4, pressure %5")
                           .arg(t)
                           .arg(frame_count() - 1)
                           .arg(r.start + t)
                           .arg(r.rmse_velocity[t].item<double>(), 0, 'g', 3)
                           .arg(r.rmse_pressure[t].item<double>(), 0, 'g', 3));
  } else {
    scene_.set_caption(item_text("car", result_->shapenet->car, "\n") +
                       QString("pressure MSE %1").arg(result_->shapenet->mse, 0, 'g', 4));
  }
}

void RolloutPlayer::set_playing(bool playing) {
  playing = playing && frame_count() > 1;
  {
    const QSignalBlocker blocker(play_);
    play_->setChecked(playing);
  }
  play_->setText(playing ? "Pause" : "Play");
  playing ? play_timer_->start() : play_timer_->stop();
}

bool RolloutPlayer::playing() const { return play_timer_->isActive(); }

void RolloutPlayer::set_field(int field) { field_->setCurrentIndex(field); }

void RolloutPlayer::apply_field() {
  if (!result_ || field_->currentIndex() < 0) return;
  scene_.set_field(field_frames(*result_, field_->currentIndex()));
  apply_range();
}

void RolloutPlayer::set_colour_map(ColourMap map) {
  {
    const QSignalBlocker blocker(colour_map_);
    colour_map_->setCurrentIndex(static_cast<int>(map));
  }
  scene_.set_colour_map(map);
  redraw();
}

void RolloutPlayer::set_fixed_range(double low, double high) {
  const QSignalBlocker low_blocker(range_low_), high_blocker(range_high_);
  range_low_->setValue(low);
  range_high_->setValue(high);
  range_mode_->setCurrentIndex(1);
  apply_range();
}

void RolloutPlayer::set_auto_range() {
  range_mode_->setCurrentIndex(0);
  apply_range();
}

void RolloutPlayer::apply_range() {
  const bool fixed = range_mode_->currentIndex() == 1;
  range_low_->setEnabled(fixed);
  range_high_->setEnabled(fixed);
  if (!result_) return;
  if (!fixed) {
    const auto [low, high] = scene_.auto_range();
    const QSignalBlocker low_blocker(range_low_), high_blocker(range_high_);
    range_low_->setValue(low);
    range_high_->setValue(high);
  }
  scene_.set_range(range_low_->value(), range_high_->value());
  scene_.set_error_range(scene_.auto_error_max());
  redraw();
}

void RolloutPlayer::set_shown(bool shown) {
  if (shown && !result_) {  // nothing to show yet
    Q_EMIT shown_changed(false);
    return;
  }
  if (shown == scene_.shown()) return;
  if (shown) {
    scene_.show_in(viewport_->render_window());
    scene_.reset_camera();
  } else {
    set_playing(false);
    scene_.hide();
  }
  redraw();
  Q_EMIT shown_changed(shown);
}

void RolloutPlayer::redraw() { viewport_->update(); }

void RolloutPlayer::show_message(const QString& text, bool error) {
  message_->setText(error ? "<span style='color:#d04040'>" + text.toHtmlEscaped() + "</span>"
                          : text.toHtmlEscaped());
}

void RolloutPlayer::export_frames(const QString& folder, const QSize& pixels) {
  if (!result_ || pixels.isEmpty()) return;
  set_playing(false);
  set_shown(true);
  const int restore = frame();
  exporter_->start(folder, frame_count(), [this, pixels, restore](int frame) {
    set_frame(frame);
    QImage image = viewport_->render_image(pixels, false);
    if (frame == frame_count() - 1) set_frame(restore);
    return image;
  });
  set_busy(runner_->busy());
}

void RolloutPlayer::choose_frames_folder() {
  const std::optional<ImageSize> size = parse_image_size(resolution_->text().toStdString());
  if (!size) {
    show_message(QString("resolution must be WxH with both sides within 1..%1, e.g. 1920x1080")
                     .arg(kMaxImageSide),
                 true);
    return;
  }
  const QSize pixels(size->width, size->height);
  const QString folder = QFileDialog::getExistingDirectory(this, "Folder for the frames");
  if (!folder.isEmpty()) export_frames(folder, pixels);
}

void RolloutPlayer::export_result(const QString& path) {
  if (!result_) return;
  const InferenceResultPtr result = result_;
  show_message("writing " + path + "...");
  export_path_ = path;
  file_exporter_->start(
      [result, file = path.toStdString()](JobContext&) { write_result_file(*result, file); },
      [this, path] {
        show_message("wrote " + path);
        Q_EMIT exported(path, QString());
      });
}

void RolloutPlayer::choose_export_file(const QString& filter) {
  const QString path = QFileDialog::getSaveFileName(this, "Export the result", {}, filter);
  if (!path.isEmpty()) export_result(path);
}

}  // namespace erwin::ui
