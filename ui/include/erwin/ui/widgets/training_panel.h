#pragma once
// The Training dock. Tab "Train": data set kind and root (with a generator of small synthetic
// data), a run configuration from resources/configs, device and the main hyper-parameters,
// Start / Pause / Resume / Stop of a TrainingRun, live loss and validation curves (smoothing and
// log scale next to them) with the current lr, samples/s, ETA and progress, and the run's
// checkpoints ("Open in player"). Start makes the checks `erwin train` makes
// (erwin/training/run_preparation.h); "processes" > 1 trains data-parallel on this machine
// (engine/training_job.h), the curves showing rank 0; the checkpoint folder also receives the run's
// record (run_log.h), and without one the run gets a folder of its own under the application's data
// folder. Tab "Compare runs": run folders side by side (RunComparison), the running run among them
// once it has logged.
#include <QStringList>
#include <QWidget>

#include "erwin/training/run_config.h"

class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;
class QListWidget;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTabWidget;

namespace erwin::ui {

class CurvePlot;
class JobRunner;
class PlotControls;
class RunComparison;
class TrainingRun;

class TrainingPanel : public QWidget {
  Q_OBJECT
 public:
  explicit TrainingPanel(QWidget* parent = nullptr);

  // The chosen configuration with the edited fields; std::invalid_argument naming the field when
  // it does not validate.
  RunConfig run_config() const;
  // Selects a configuration file (it must be one of the listed ones) and fills the fields from it.
  bool select_config(const QString& path);
  void set_data_root(const QString& root);
  void set_checkpoint_dir(const QString& dir);
  QString checkpoint_dir() const;

  TrainingRun* run() const { return run_; }
  CurvePlot* plot() const { return plot_; }
  PlotControls* plot_controls() const { return plot_controls_; }  // smoothing, log scale
  RunComparison* comparison() const { return comparison_; }
  void show_comparison();                                  // raises the "Compare runs" tab
  int train_loss_series() const { return train_series_; }  // of plot(): one point per record
  QSpinBox* steps_box() const { return steps_; }
  QSpinBox* processes_box() const { return processes_; }  // data-parallel ranks
  QStringList listed_checkpoints() const;

 public Q_SLOTS:
  void start();
  void toggle_pause();
  void stop();
  void generate_data();
  void refresh_checkpoints();

 Q_SIGNALS:
  void data_generated(const QString& root, const QString& error);
  void metrics_received(qint64 step);
  // "Open in player": a checkpoint and the data root of the run.
  void checkpoint_opened(const QString& path, const QString& data_root);

 private:
  void build_widgets();
  QWidget* build_data_group();
  QWidget* build_run_group();
  QWidget* build_progress_group();
  QWidget* build_checkpoint_group();
  void connect_run();
  void fill_configs();
  void apply_config_file(const QString& path);
  TaskKind kind() const;
  RunConfig edited_config() const;  // the chosen configuration with the fields, not validated
  void set_running(bool running);
  QStringList prepare(RunConfig& config);
  void show_progress(qint64 step, qint64 total, double loss, double lr, double samples_per_second,
                     double eta_seconds);
  void show_message(const QString& text);
  void data_generation_ended(const QString& error);

  TrainingRun* run_;
  JobRunner* generator_;     // synthetic data
  QString generating_root_;  // where generator_ writes
  QComboBox *kind_, *config_, *device_, *precision_;
  QLineEdit *data_root_, *checkpoint_dir_;
  QPushButton *generate_, *start_, *pause_, *stop_, *open_checkpoint_;
  QSpinBox *steps_, *batch_, *warmup_, *processes_;
  QDoubleSpinBox* lr_;
  QProgressBar* progress_;
  QLabel *status_, *rates_;
  CurvePlot* plot_;
  PlotControls* plot_controls_;
  int step_series_ = 0, train_series_ = 0, val_series_ = 0;
  QListWidget* checkpoints_;
  QTabWidget* tabs_;
  RunComparison* comparison_;
  QString run_folder_;      // of the run just started, until the comparison shows it
  QString start_warnings_;  // of prepare(), shown while the run starts
  QStringList config_files_;
  QList<TaskKind> config_kinds_;
};

}  // namespace erwin::ui
