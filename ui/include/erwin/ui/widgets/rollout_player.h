#pragma once
// The Rollout dock: a training checkpoint and a data root; for EAGLE a simulation, first frame
// and number of steps, for ShapeNet-Car a car; the rollout or prediction is computed in the
// background (inference_job.h on a JobRunner, with stage text and cancel), then shown in the
// viewport (RolloutScene: predicted, truth and error side by side, shared colour bar) and played
// back: timeline, play/pause, field, colour map, automatic or fixed range, the per-step RMSE
// curves (velocity on the left axis, pressure on the right).
// Exports: every frame as PNG at a chosen resolution, and HDF5 / ParaView files.
#include <QSize>
#include <QWidget>
#include <memory>

#include "erwin/ui/engine/inference_job.h"
#include "erwin/ui/engine/inference_result.h"
#include "erwin/ui/engine/rollout_scene.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QSlider;
class QSpinBox;
class QTimer;

namespace erwin::ui {

class CurvePlot;
class FrameExporter;
class JobRunner;
class VtkViewport;

class RolloutPlayer : public QWidget {
  Q_OBJECT
 public:
  explicit RolloutPlayer(VtkViewport* viewport, QWidget* parent = nullptr);
  ~RolloutPlayer() override;

  // Fills the fields and reads the checkpoint's task in the background (inspected follows);
  // an empty data root is taken from the checkpoint's run configuration.
  void open_checkpoint(const QString& path, const QString& data_root = QString());
  // EAGLE: simulation `item` of `split`, frames start..start+steps; ShapeNet-Car: car `item`.
  void set_selection(const QString& split, int item, int start = 0, int steps = 20);
  void compute();  // from the fields; result_ready or failed follows
  // Shows a result read from a file (result_import.h) as if computed; result_ready follows.
  void show_result(InferenceResultPtr result, const QString& source);
  void cancel();
  bool busy() const;

  InferenceResultPtr result() const { return result_; }
  int frame() const;
  int frame_count() const;
  void set_frame(int frame);
  void set_playing(bool playing);
  bool playing() const;
  void set_field(int field);
  void set_colour_map(ColourMap map);
  void set_fixed_range(double low, double high);
  void set_auto_range();  // min-max of the true field over all frames

  // Takes the viewport over (true) or gives it back to the tree views (false).
  void set_shown(bool shown);
  bool shown() const { return scene_.shown(); }
  const RolloutScene& scene() const { return scene_; }

  // Writes every frame as <folder>/frame_NNNN.png at `pixels`; frames_exported follows.
  void export_frames(const QString& folder, const QSize& pixels);
  // .h5 / .hdf5 or .pvd (result_export.h), in the background; exported follows.
  void export_result(const QString& path);
  CurvePlot* error_plot() const { return plot_; }

 Q_SIGNALS:
  void inspected(const erwin::ui::CheckpointInfo& info);
  void result_ready();
  void failed(const QString& message);
  void frame_changed(int frame);
  void shown_changed(bool shown);
  void frames_exported(int written, const QString& error);
  void exported(const QString& path, const QString& error);

 private:
  QWidget* build_source_group();
  QWidget* build_playback_group();
  QWidget* build_export_group();
  void connect_runners();
  void inspect(const QString& checkpoint);  // on_inspected follows
  void on_inspected(const CheckpointInfo& info);
  void apply_kind(TaskKind kind);  // the fields of that task
  void on_result(InferenceResultPtr result);
  void apply_field();
  void apply_range();
  void update_caption();
  void set_busy(bool busy);
  void show_message(const QString& text, bool error = false);
  void redraw();
  void choose_frames_folder();
  void choose_export_file(const QString& filter);

  VtkViewport* viewport_;
  RolloutScene scene_;
  JobRunner* runner_;         // inspect and compute
  JobRunner* file_exporter_;  // export_result
  QString export_path_;       // of file_exporter_'s job
  FrameExporter* exporter_;
  InferenceResultPtr result_;
  TaskKind kind_ = TaskKind::Eagle;

  QLineEdit *checkpoint_, *data_root_, *resolution_;
  QLabel *model_info_, *item_label_, *message_, *step_label_, *summary_;
  QComboBox *split_, *device_, *field_, *colour_map_, *range_mode_;
  QSpinBox *item_, *start_, *steps_, *fps_;
  QDoubleSpinBox *range_low_, *range_high_;
  QPushButton *compute_, *cancel_, *play_, *save_frames_, *save_h5_, *save_pvd_;
  QProgressBar* progress_;
  QSlider* timeline_;
  QTimer* play_timer_;
  CurvePlot* plot_;
  int velocity_series_ = 0, pressure_series_ = 0;
};

}  // namespace erwin::ui

Q_DECLARE_METATYPE(erwin::ui::CheckpointInfo)
