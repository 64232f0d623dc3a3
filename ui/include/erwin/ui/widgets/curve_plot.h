#pragma once
// A line chart painted with QPainter, read like TensorBoard's: named series of (x, y) points on
// a left or a right y axis (each with its own range, title and linear or logarithmic scale), nice
// ticks with compact labels and gridlines (plot_math.h), a legend, TensorBoard's smoothing (the
// raw curve stays faint behind the smoothed one) and a vertical marker (the current step).
// Used for the training loss curves, the run comparison and the rollout's per-step error.
#include <QColor>
#include <QPointF>
#include <QString>
#include <QVector>
#include <QWidget>
#include <optional>

namespace erwin::ui {

class CurvePlot : public QWidget {
  Q_OBJECT
 public:
  enum class Axis { Left, Right };
  struct Range {  // in data units
    double low = 0, high = 0;
  };

  explicit CurvePlot(QWidget* parent = nullptr);

  // Returns the index of the new series.
  int add_series(const QString& name, const QColor& colour, Axis axis = Axis::Left);
  // Non-finite x or y are skipped; y <= 0 is kept but not drawn on a log axis.
  void append(int series, double x, double y);
  void set_points(int series, const QVector<QPointF>& points);
  void clear_points();
  void clear_series();  // removes every series
  int series_count() const { return series_.size(); }
  int point_count(int series) const;  // of the points that its axis can show

  void set_log_y(bool log_y, Axis axis = Axis::Left);
  bool log_y(Axis axis = Axis::Left) const { return y_axis(axis).log; }
  void set_axis_titles(const QString& x, const QString& y, const QString& y_right = {});
  // TensorBoard's smoothing weight, 0 (none) to 0.99 (ema_smooth in plot_math.h).
  void set_smoothing(double weight);
  double smoothing() const { return smoothing_; }
  // A vertical line at x; NaN hides it.
  void set_marker(double x);

  // The ranges the axes show, nullopt while no series on the axis has a point to show.
  std::optional<Range> x_range() const;
  std::optional<Range> y_range(Axis axis) const;

  QSize sizeHint() const override { return {360, 220}; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  struct Series {
    QString name;
    QColor colour;
    Axis axis;
    QVector<QPointF> points;
  };
  struct YAxis {
    QString title;
    bool log = false;
  };
  struct LegendEntry {
    int x, row;
    QString label;
    QColor colour;  // invalid for the count of entries left out
  };
  struct Frame;  // where things go in one paint

  const YAxis& y_axis(Axis axis) const { return y_axes_[static_cast<int>(axis)]; }
  YAxis& y_axis(Axis axis) { return y_axes_[static_cast<int>(axis)]; }
  bool uses(Axis axis) const;
  QVector<QPointF> shown_points(const Series& series) const;  // finite, > 0 on a log axis
  std::optional<Range> plot_range(Axis axis) const;  // in plot units: log10(y) on a log axis
  std::optional<Range> plot_x_range() const;
  QString legend_label(const Series& series) const;
  QVector<LegendEntry> legend(int max_rows) const;

  Frame layout() const;
  void draw_legend(QPainter& painter, const Frame& frame) const;
  void draw_x_axis(QPainter& painter, const Frame& frame) const;
  void draw_y_axis(QPainter& painter, const Frame& frame, Axis axis) const;
  void draw_series(QPainter& painter, const Frame& frame, const Series& series) const;

  QVector<Series> series_;
  YAxis y_axes_[2];
  QString x_title_;
  double smoothing_ = 0;
  double marker_;
};

}  // namespace erwin::ui
