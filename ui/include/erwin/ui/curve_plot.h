#pragma once
// A small line chart painted with QPainter: named series of (x, y) points, optional logarithmic
// y axis, axis labels with their ranges, a legend and a vertical marker (the current step).
// Used for the training loss curves and the rollout's per-step error.
#include <QColor>
#include <QPointF>
#include <QString>
#include <QVector>
#include <QWidget>

namespace erwin::ui {

class CurvePlot : public QWidget {
  Q_OBJECT
 public:
  explicit CurvePlot(QWidget* parent = nullptr);

  // Returns the index of the new series.
  int add_series(const QString& name, const QColor& colour);
  // Non-finite y (and y <= 0 on a log axis) are skipped.
  void append(int series, double x, double y);
  void set_points(int series, const QVector<QPointF>& points);
  void clear_points();
  void clear_series();  // removes every series
  int series_count() const { return series_.size(); }
  int point_count(int series) const { return series_.at(series).points.size(); }

  void set_log_y(bool log_y);
  void set_axis_titles(const QString& x, const QString& y);
  // A vertical line at x; NaN hides it.
  void set_marker(double x);

  QSize sizeHint() const override { return {320, 180}; }

 protected:
  void paintEvent(QPaintEvent* event) override;

 private:
  struct Series {
    QString name;
    QColor colour;
    QVector<QPointF> points;
  };
  bool plottable(double y) const;
  QRectF data_bounds() const;

  QVector<Series> series_;
  bool log_y_ = false;
  QString x_title_, y_title_;
  double marker_;
};

}  // namespace erwin::ui
