#pragma once
// The run comparison of the Training dock, read from the files a run leaves in its folder
// (metrics.jsonl and run.json, erwin/training/run_log.h), whether `erwin train` or the Studio
// wrote them: a table puts the runs' hyper-parameters and progress side by side (a column per
// run, in the order opened), and the plot overlays one metric of every run, one colour per run,
// the legend naming the runs (smoothed as in TensorBoard, on a log scale for losses and lr).
// Open runs are re-read once a second; only the lines added since the previous read are parsed, so
// a running run costs a stat().
#include <QString>
#include <QStringList>
#include <QWidget>
#include <optional>
#include <vector>

#include "erwin/training/run_log.h"

class QComboBox;
class QLabel;
class QTableWidget;
class QTimer;

namespace erwin::ui {

class CurvePlot;
class PlotControls;

class RunComparison : public QWidget {
  Q_OBJECT
 public:
  enum class Metric { TrainLoss, ValidationLoss, LearningRate, SamplesPerSecond };

  explicit RunComparison(QWidget* parent = nullptr);

  // Opens a run folder, or re-reads it when it is open already. Returns "" or the error (also
  // shown under the table): a folder without metrics.jsonl is not a run.
  QString add_run(const QString& folder);
  void remove_run(int run);
  QStringList run_folders() const;
  int record_count(int run) const { return static_cast<int>(runs_.at(run).records.size()); }

  void set_metric(Metric metric);
  Metric metric() const;
  CurvePlot* plot() const { return plot_; }
  PlotControls* plot_controls() const { return plot_controls_; }  // smoothing, log scale
  QTableWidget* table() const { return table_; }

 public Q_SLOTS:
  void refresh();  // reads what the open runs appended since the last read
  void choose_folder();

 private:
  struct Run {
    QString folder;
    MetricsFileReader reader;
    std::optional<RunSummary> summary;
    std::vector<LoggedMetrics> records;
    QString error;
  };

  QWidget* build_buttons();
  bool read(Run& run);  // true when something changed
  // The run's folder name, with its parent's where another open run has the same name.
  QString run_name(int run) const;
  void show_run(int index);
  void plot_run(int run);
  void rebuild_plot();
  void show_message(const QString& text);

  std::vector<Run> runs_;
  QTableWidget* table_;
  QComboBox* metric_;
  CurvePlot* plot_;
  PlotControls* plot_controls_;
  QLabel* message_;
  QTimer* poll_;
};

}  // namespace erwin::ui
