#include "erwin/ui/curve_plot.h"

#include <QPainter>
#include <QPainterPath>
#include <cmath>
#include <limits>

namespace erwin::ui {
namespace {

QString number(double value) { return QString::number(value, 'g', 3); }

}  // namespace

CurvePlot::CurvePlot(QWidget* parent)
    : QWidget(parent), marker_(std::numeric_limits<double>::quiet_NaN()) {
  setMinimumHeight(140);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

int CurvePlot::add_series(const QString& name, const QColor& colour) {
  series_.push_back({name, colour, {}});
  return series_.size() - 1;
}

bool CurvePlot::plottable(double y) const { return std::isfinite(y) && (!log_y_ || y > 0); }

void CurvePlot::append(int series, double x, double y) {
  if (!std::isfinite(x) || !plottable(y)) return;
  series_[series].points.push_back({x, y});
  update();
}

void CurvePlot::set_points(int series, const QVector<QPointF>& points) {
  series_[series].points.clear();
  for (const QPointF& p : points)
    if (std::isfinite(p.x()) && plottable(p.y())) series_[series].points.push_back(p);
  update();
}

void CurvePlot::clear_points() {
  for (Series& s : series_) s.points.clear();
  marker_ = std::numeric_limits<double>::quiet_NaN();
  update();
}

void CurvePlot::clear_series() {
  series_.clear();
  update();
}

void CurvePlot::set_log_y(bool log_y) {
  log_y_ = log_y;
  update();
}

void CurvePlot::set_axis_titles(const QString& x, const QString& y) {
  x_title_ = x;
  y_title_ = y;
  update();
}

void CurvePlot::set_marker(double x) {
  marker_ = x;
  update();
}

// In plot units: x as is, y as log10(y) on a log axis.
QRectF CurvePlot::data_bounds() const {
  double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
  for (const Series& s : series_)
    for (const QPointF& p : s.points) {
      const double y = log_y_ ? std::log10(p.y()) : p.y();
      x0 = std::min(x0, p.x()), x1 = std::max(x1, p.x());
      y0 = std::min(y0, y), y1 = std::max(y1, y);
    }
  if (x0 > x1) return {};
  if (x1 - x0 < 1e-12) x0 -= 0.5, x1 += 0.5;
  if (y1 - y0 < 1e-12) y0 -= 0.5, y1 += 0.5;
  const double pad = 0.05 * (y1 - y0);
  const double bottom = y0 >= 0 && !log_y_ ? std::max(0.0, y0 - pad) : y0 - pad;
  return QRectF(QPointF(x0, bottom), QPointF(x1, y1 + pad));
}

void CurvePlot::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing);
  painter.fillRect(rect(), palette().base());
  const QFontMetrics metrics(font());
  const int line = metrics.height();
  const QRectF area = QRectF(rect()).adjusted(metrics.horizontalAdvance("0.000e-00") + 6, line + 4,
                                              -8, -(line + 6));
  painter.setPen(palette().mid().color());
  painter.drawRect(area);

  // Legend along the top.
  double legend_x = area.left();
  for (const Series& s : series_) {
    painter.setPen(QPen(s.colour, 2));
    painter.drawLine(QPointF(legend_x, line / 2.0 + 2), QPointF(legend_x + 14, line / 2.0 + 2));
    painter.setPen(palette().text().color());
    painter.drawText(QPointF(legend_x + 18, line), s.name);
    legend_x += 30 + metrics.horizontalAdvance(s.name);
  }

  const QRectF bounds = data_bounds();
  painter.setPen(palette().text().color());
  if (bounds.isNull()) {
    painter.drawText(area, Qt::AlignCenter, "no data yet");
    return;
  }
  const auto y_label = [&](double y) { return number(log_y_ ? std::pow(10.0, y) : y); };
  painter.drawText(QRectF(0, area.top() - line / 2.0, area.left() - 4, line),
                   Qt::AlignRight | Qt::AlignVCenter, y_label(bounds.bottom()));
  painter.drawText(QRectF(0, area.bottom() - line / 2.0, area.left() - 4, line),
                   Qt::AlignRight | Qt::AlignVCenter, y_label(bounds.top()));
  // The y title runs up the left edge, between the range labels, so that any length fits.
  painter.save();
  painter.translate(line / 2.0 + 2, area.center().y());
  painter.rotate(-90);
  painter.drawText(QRectF(-area.height() / 2, -line / 2.0, area.height(), line), Qt::AlignCenter,
                   y_title_ + (log_y_ ? " (log)" : ""));
  painter.restore();
  const QRectF below(area.left(), area.bottom() + 2, area.width(), line);
  painter.drawText(below, Qt::AlignLeft, number(bounds.left()));
  painter.drawText(below, Qt::AlignRight, number(bounds.right()));
  painter.drawText(below, Qt::AlignHCenter, x_title_);

  const auto to_widget = [&](double x, double y) {
    return QPointF(area.left() + area.width() * (x - bounds.left()) / bounds.width(),
                   area.bottom() - area.height() * (y - bounds.top()) / bounds.height());
  };
  painter.setClipRect(area);
  for (const Series& s : series_) {
    QPainterPath path;
    for (int i = 0; i < s.points.size(); ++i) {
      const QPointF at =
          to_widget(s.points[i].x(), log_y_ ? std::log10(s.points[i].y()) : s.points[i].y());
      i == 0 ? path.moveTo(at) : path.lineTo(at);
    }
    painter.setPen(QPen(s.colour, 1.6));
    painter.drawPath(path);
    if (s.points.size() == 1) painter.drawEllipse(path.currentPosition(), 2.5, 2.5);
  }
  if (std::isfinite(marker_)) {
    painter.setPen(QPen(palette().text().color(), 1, Qt::DashLine));
    const double x = to_widget(marker_, bounds.top()).x();
    painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
  }
}

}  // namespace erwin::ui
