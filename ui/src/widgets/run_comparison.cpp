#include "erwin/ui/widgets/run_comparison.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QPixmap>
#include <QPushButton>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <cmath>
#include <exception>
#include <limits>

#include "erwin/ui/widgets/curve_plot.h"
#include "erwin/ui/widgets/plot_controls.h"

namespace erwin::ui {
namespace {

constexpr int kPollMs = 1000;

// The table's rows; its columns are the runs.
const QStringList kFields = {"config", "task",       "lr",         "batch",        "warm-up",
                             "steps",  "parameters", "train loss", "best val loss"};

QColor run_colour(int run) {
  static const QColor palette[] = {{31, 119, 180},  {255, 127, 14},  {44, 160, 44},
                                   {214, 39, 40},   {148, 103, 189}, {140, 86, 75},
                                   {227, 119, 194}, {23, 190, 207}};
  return palette[run % (sizeof palette / sizeof palette[0])];
}

// NaN when the record has no value of this metric (a record without validation).
double value_of(const MetricsRecord& r, RunComparison::Metric metric) {
  switch (metric) {
    case RunComparison::Metric::TrainLoss:
      return r.train_loss;
    case RunComparison::Metric::ValidationLoss:
      return r.val_loss ? *r.val_loss : std::numeric_limits<double>::quiet_NaN();
    case RunComparison::Metric::LearningRate:
      return r.lr;
    case RunComparison::Metric::SamplesPerSecond:
      return r.samples_per_second;
  }
  return std::numeric_limits<double>::quiet_NaN();
}

QString count(int64_t n) {
  if (n >= 1000000) return QString::number(n / 1e6, 'f', 2) + " M";
  if (n >= 1000) return QString::number(n / 1e3, 'f', 1) + " k";
  return QString::number(n);
}

QString number(double value) { return std::isfinite(value) ? QString::number(value, 'g', 4) : "-"; }

QIcon swatch(const QColor& colour) {
  QPixmap pixmap(12, 12);
  pixmap.fill(colour);
  return QIcon(pixmap);
}

QString canonical(const QString& folder) {
  const QFileInfo info(folder);
  return info.exists() ? info.canonicalFilePath() : QDir::cleanPath(info.absoluteFilePath());
}

}  // namespace

RunComparison::RunComparison(QWidget* parent) : QWidget(parent), poll_(new QTimer(this)) {
  table_ = new QTableWidget(kFields.size(), 0);
  table_->setObjectName("runTable");
  table_->setVerticalHeaderLabels(kFields);
  table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
  table_->setSelectionBehavior(QAbstractItemView::SelectColumns);
  table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
  table_->setSizeAdjustPolicy(QAbstractScrollArea::AdjustToContents);
  table_->setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Fixed);
  metric_ = new QComboBox;
  metric_->setObjectName("runMetric");
  metric_->addItems({"train loss", "validation loss", "learning rate", "samples/s"});
  plot_ = new CurvePlot;
  plot_->setObjectName("runPlot");
  plot_->set_axis_titles("step", "train loss");
  plot_->set_log_y(true);
  plot_->set_smoothing(kDefaultSmoothing);
  plot_->setMinimumHeight(220);
  plot_controls_ = new PlotControls(plot_);
  message_ = new QLabel;
  message_->setObjectName("runMessage");
  message_->setWordWrap(true);
  message_->setTextInteractionFlags(Qt::TextSelectableByMouse);

  auto* layout = new QVBoxLayout(this);
  layout->addWidget(build_buttons());
  layout->addWidget(table_);
  layout->addWidget(plot_controls_);
  layout->addWidget(plot_, 1);
  layout->addWidget(message_);
  connect(metric_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this] {
    // Losses and the learning rate span decades; throughput does not.
    plot_controls_->log_box()->setChecked(metric() != Metric::SamplesPerSecond);
    rebuild_plot();
  });
  connect(poll_, &QTimer::timeout, this, &RunComparison::refresh);
  poll_->start(kPollMs);
}

QWidget* RunComparison::build_buttons() {
  auto* open = new QPushButton("Open run folder...");
  open->setObjectName("openRunFolder");
  open->setToolTip(
      "A folder that a training run (erwin train or this dock) wrote: "
      "metrics.jsonl, run.json, TensorBoard events and checkpoints");
  auto* remove = new QPushButton("Remove");
  remove->setObjectName("removeRun");
  remove->setToolTip("Closes the selected run (its column)");
  connect(open, &QPushButton::clicked, this, &RunComparison::choose_folder);
  connect(remove, &QPushButton::clicked, this, [this] {
    if (table_->currentColumn() >= 0) remove_run(table_->currentColumn());
  });
  auto* buttons = new QWidget;
  auto* layout = new QHBoxLayout(buttons);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(open);
  layout->addWidget(remove);
  layout->addStretch();
  layout->addWidget(new QLabel("plot"));
  layout->addWidget(metric_);
  return buttons;
}

void RunComparison::choose_folder() {
  const QString folder = QFileDialog::getExistingDirectory(this, "Run folder");
  if (!folder.isEmpty()) add_run(folder);
}

QString RunComparison::add_run(const QString& folder) {
  const QString path = canonical(folder);
  if (!QFileInfo(QDir(path).filePath(kMetricsFileName)).isFile()) {
    const QString error = path + ": not a run folder (no " + kMetricsFileName + ")";
    show_message(error);
    return error;
  }
  auto it =
      std::find_if(runs_.begin(), runs_.end(), [&](const Run& r) { return r.folder == path; });
  if (it == runs_.end()) {
    runs_.push_back({path,
                     MetricsFileReader(QDir(path).filePath(kMetricsFileName).toStdString()),
                     std::nullopt,
                     {},
                     {}});
    table_->insertColumn(table_->columnCount());
    it = runs_.end() - 1;
  }
  read(*it);
  // Every column: a new run may share another's folder name, which then both qualify.
  for (int run = 0; run < static_cast<int>(runs_.size()); ++run) show_run(run);
  rebuild_plot();
  show_message(it->error);
  return it->error;
}

void RunComparison::remove_run(int run) {
  runs_.erase(runs_.begin() + run);
  table_->removeColumn(run);
  // Colours move on, and a name may no longer need its parent folder.
  for (int r = 0; r < static_cast<int>(runs_.size()); ++r) show_run(r);
  rebuild_plot();
}

QStringList RunComparison::run_folders() const {
  QStringList folders;
  for (const Run& run : runs_) folders << run.folder;
  return folders;
}

void RunComparison::set_metric(Metric metric) {
  metric_->setCurrentIndex(static_cast<int>(metric));
}

RunComparison::Metric RunComparison::metric() const {
  return static_cast<Metric>(metric_->currentIndex());
}

bool RunComparison::read(Run& run) {
  QString error;
  bool changed = false;
  try {
    MetricsFileReader::Update update = run.reader.read_new();
    if (update.restarted) {
      run.records.clear();
      run.summary.reset();
    }
    run.records.insert(run.records.end(), update.records.begin(), update.records.end());
    changed = update.restarted || !update.records.empty();
    // A resumed or restarted run rewrites run.json along with metrics.jsonl.
    if (!run.summary) {
      run.summary = read_run_summary(run.folder.toStdString());
      changed = true;
    }
  } catch (const std::exception& e) {
    error = QString::fromStdString(e.what());
  }
  changed = changed || error != run.error;
  run.error = error;
  return changed;
}

void RunComparison::refresh() {
  for (int run = 0; run < static_cast<int>(runs_.size()); ++run) {
    if (!read(runs_[run])) continue;
    show_run(run);
    plot_run(run);
    if (!runs_[run].error.isEmpty()) show_message(runs_[run].error);
  }
}

QString RunComparison::run_name(int run) const {
  const QFileInfo folder(runs_[run].folder);
  const bool shared = std::any_of(runs_.begin(), runs_.end(), [&](const Run& other) {
    return other.folder != runs_[run].folder &&
           QFileInfo(other.folder).fileName() == folder.fileName();
  });
  return shared ? folder.dir().dirName() + "/" + folder.fileName() : folder.fileName();
}

void RunComparison::show_run(int index) {
  const Run& run = runs_[index];
  auto* header = new QTableWidgetItem(swatch(run_colour(index)), run_name(index));
  header->setToolTip(run.folder);
  table_->setHorizontalHeaderItem(index, header);
  QStringList cells(kFields.size(), "-");
  if (run.summary) {
    const RunConfig& c = run.summary->config;
    cells[0] = QString::fromStdString(c.name);
    cells[1] = QString::fromStdString(task_kind_name(c.task));
    cells[2] = number(c.optimizer.lr);
    cells[3] = QString::number(c.batch_size);
    cells[4] = QString::number(c.schedule.warmup_steps);
    cells[5] = QString("%1 / %2")
                   .arg(run.records.empty() ? 0 : run.records.back().record.step)
                   .arg(c.steps);
    cells[6] = count(run.summary->parameters);
  }
  if (!run.records.empty()) cells[7] = number(run.records.back().record.train_loss);
  double best = INFINITY;
  for (const LoggedMetrics& logged : run.records)
    if (logged.record.val_loss) best = std::min(best, *logged.record.val_loss);
  cells[8] = number(best);
  for (int field = 0; field < cells.size(); ++field)
    table_->setItem(field, index, new QTableWidgetItem(cells[field]));
}

void RunComparison::plot_run(int run) {
  QVector<QPointF> points;
  for (const LoggedMetrics& logged : runs_[run].records)
    points.push_back({static_cast<double>(logged.record.step), value_of(logged.record, metric())});
  plot_->set_points(run, points);
}

void RunComparison::rebuild_plot() {
  plot_->clear_series();
  plot_->set_axis_titles("step", metric_->currentText());
  for (int run = 0; run < static_cast<int>(runs_.size()); ++run) {
    plot_->add_series(run_name(run), run_colour(run));
    plot_run(run);
  }
}

void RunComparison::show_message(const QString& text) { message_->setText(text.toHtmlEscaped()); }

}  // namespace erwin::ui
