#include "erwin/ui/widgets/curve_plot.h"

#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <cmath>
#include <limits>

#include "erwin/ui/engine/plot_math.h"

namespace erwin::ui {
namespace {

constexpr int kTick = 4;                // length of a tick mark, pixels
constexpr int kGap = 4;                 // between a label and what it labels
constexpr int kSwatch = 16;             // a legend entry's line
constexpr double kYLabelSpacing = 1.8;  // lines of text between y labels, so that they never touch
constexpr int kLegendShare = 4;         // the legend takes at most a quarter of the height
constexpr int kRawAlpha = 70;           // the raw curve behind a smoothed one

// One axis' map from data values to pixels.
struct Scale {
  CurvePlot::Range plot;  // in plot units: log10 of the value on a log axis
  bool log = false;
  double from = 0, to = 0;  // pixels of plot.low and plot.high
  double pixel(double value) const {
    const double u = log ? std::log10(value) : value;
    return from + (to - from) * (u - plot.low) / (plot.high - plot.low);
  }
};

QString tick_label(double value, const Ticks& ticks) { return compact_number(value, ticks.step); }

int widest_label(const QFontMetrics& metrics, const Ticks& ticks) {
  int widest = 0;
  for (double v : ticks.labelled)
    widest = std::max(widest, metrics.horizontalAdvance(tick_label(v, ticks)));
  return widest;
}

Ticks ticks_for(const CurvePlot::Range& plot, bool log, int max_steps) {
  return log ? log_ticks(std::pow(10.0, plot.low), std::pow(10.0, plot.high), max_steps)
             : linear_ticks(plot.low, plot.high, max_steps);
}

QColor with_alpha(QColor colour, int alpha) {
  colour.setAlpha(alpha);
  return colour;
}

}  // namespace

struct CurvePlot::Frame {
  QVector<LegendEntry> legend;
  QRectF area;
  int line = 0;
  Scale x;
  std::optional<Scale> y[2];
  Ticks x_ticks, y_ticks[2];
};

CurvePlot::CurvePlot(QWidget* parent)
    : QWidget(parent), marker_(std::numeric_limits<double>::quiet_NaN()) {
  setMinimumHeight(170);
  setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Expanding);
}

int CurvePlot::add_series(const QString& name, const QColor& colour, Axis axis) {
  series_.push_back({name, colour, axis, {}});
  update();
  return series_.size() - 1;
}

void CurvePlot::append(int series, double x, double y) {
  if (!std::isfinite(x) || !std::isfinite(y)) return;
  series_[series].points.push_back({x, y});
  update();
}

void CurvePlot::set_points(int series, const QVector<QPointF>& points) {
  series_[series].points.clear();
  for (const QPointF& p : points)
    if (std::isfinite(p.x()) && std::isfinite(p.y())) series_[series].points.push_back(p);
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

int CurvePlot::point_count(int series) const { return shown_points(series_.at(series)).size(); }

void CurvePlot::set_log_y(bool log_y, Axis axis) {
  y_axis(axis).log = log_y;
  update();
}

void CurvePlot::set_axis_titles(const QString& x, const QString& y, const QString& y_right) {
  x_title_ = x;
  y_axis(Axis::Left).title = y;
  y_axis(Axis::Right).title = y_right;
  update();
}

void CurvePlot::set_smoothing(double weight) {
  smoothing_ = std::clamp(weight, 0.0, 0.99);
  update();
}

void CurvePlot::set_marker(double x) {
  marker_ = x;
  update();
}

bool CurvePlot::uses(Axis axis) const {
  return std::any_of(series_.begin(), series_.end(),
                     [axis](const Series& s) { return s.axis == axis; });
}

QVector<QPointF> CurvePlot::shown_points(const Series& series) const {
  if (!y_axis(series.axis).log) return series.points;
  QVector<QPointF> shown;
  for (const QPointF& p : series.points)
    if (p.y() > 0) shown.push_back(p);
  return shown;
}

std::optional<CurvePlot::Range> CurvePlot::plot_x_range() const {
  double low = INFINITY, high = -INFINITY;
  for (const Series& s : series_)
    for (const QPointF& p : shown_points(s))
      low = std::min(low, p.x()), high = std::max(high, p.x());
  if (low > high) return std::nullopt;
  if (high - low < 1e-12) return Range{low - 0.5, high + 0.5};
  return Range{low, high};
}

std::optional<CurvePlot::Range> CurvePlot::plot_range(Axis axis) const {
  const bool log = y_axis(axis).log;
  double low = INFINITY, high = -INFINITY;
  for (const Series& s : series_)
    if (s.axis == axis)
      for (const QPointF& p : shown_points(s)) {
        const double y = log ? std::log10(p.y()) : p.y();
        low = std::min(low, y), high = std::max(high, y);
      }
  if (low > high) return std::nullopt;
  if (high - low < 1e-9 * std::max(1.0, std::abs(low))) {
    // A flat curve: half a decade, a tenth of the value or one unit either side.
    const double half = log ? 0.5 : (low != 0 ? std::abs(low) / 10 : 1.0);
    return Range{low - half, high + half};
  }
  const double pad = 0.05 * (high - low);
  // Non-negative values (errors, losses) keep zero as the floor of a linear axis.
  const double bottom = low >= 0 && !log ? std::max(0.0, low - pad) : low - pad;
  return Range{bottom, high + pad};
}

std::optional<CurvePlot::Range> CurvePlot::x_range() const { return plot_x_range(); }

std::optional<CurvePlot::Range> CurvePlot::y_range(Axis axis) const {
  std::optional<Range> range = plot_range(axis);
  if (range && y_axis(axis).log)
    range = Range{std::pow(10.0, range->low), std::pow(10.0, range->high)};
  return range;
}

// With both axes in use, the legend says which axis a series is read on.
QString CurvePlot::legend_label(const Series& series) const {
  if (!uses(Axis::Left) || !uses(Axis::Right)) return series.name;
  return series.name + (series.axis == Axis::Left ? "  (left axis)" : "  (right axis)");
}

// Entries flow left to right in rows as wide as the widget; past max_rows, the last entry counts
// the series left out.
QVector<CurvePlot::LegendEntry> CurvePlot::legend(int max_rows) const {
  const QFontMetrics metrics(font());
  const auto width_of = [&](const QString& label) {
    return kSwatch + kGap + metrics.horizontalAdvance(label) + 3 * kGap;
  };
  QVector<LegendEntry> entries;
  int row = 0, x = kGap;
  for (int i = 0; i < series_.size(); ++i) {
    const QString label = legend_label(series_[i]);
    if (x > kGap && x + width_of(label) > width()) ++row, x = kGap;
    if (row == max_rows) {  // the last row ends in "+N more", dropping entries to make room
      const auto end_of_last_row = [&] {
        const bool on_it = !entries.isEmpty() && entries.back().row == max_rows - 1;
        return on_it ? entries.back().x + width_of(entries.back().label) : kGap;
      };
      const auto more = [&] { return QString("+%1 more").arg(series_.size() - entries.size()); };
      while (end_of_last_row() > kGap && end_of_last_row() + width_of(more()) > width())
        entries.pop_back();
      entries.push_back({end_of_last_row(), max_rows - 1, more(), QColor()});
      break;
    }
    entries.push_back({x, row, label, series_[i].colour});
    x += width_of(label);
  }
  return entries;
}

CurvePlot::Frame CurvePlot::layout() const {
  const QFontMetrics metrics(font());
  Frame frame;
  frame.line = metrics.height();
  frame.legend = legend(std::max(1, height() / (kLegendShare * frame.line)));
  const int top = (frame.legend.isEmpty() ? 0 : frame.legend.back().row + 1) * frame.line +
                  frame.line / 2 + kGap;
  const int bottom = kTick + kGap + frame.line + (x_title_.isEmpty() ? 0 : frame.line + kGap) + 2;
  const double height = std::max(10, this->height() - top - bottom);
  const int max_y_steps = std::max(2, static_cast<int>(height / (kYLabelSpacing * frame.line)));

  // The y axes first: their labels' widths set the side margins.
  std::optional<Range> y_plot[2];
  int margins[2] = {kGap, kGap + metrics.horizontalAdvance("0000") / 2};  // room for an x label
  for (Axis axis : {Axis::Left, Axis::Right}) {
    const int a = static_cast<int>(axis);
    y_plot[a] = plot_range(axis);
    if (!y_plot[a]) continue;
    frame.y_ticks[a] = ticks_for(*y_plot[a], y_axis(axis).log, max_y_steps);
    const bool titled = !y_axis(axis).title.isEmpty();
    margins[a] = (titled ? frame.line + kGap : 0) + widest_label(metrics, frame.y_ticks[a]) + kGap +
                 kTick + kGap;
  }
  frame.area = QRectF(margins[0], top, std::max(10, width() - margins[0] - margins[1]), height);
  for (Axis axis : {Axis::Left, Axis::Right}) {
    const int a = static_cast<int>(axis);
    if (y_plot[a])
      frame.y[a] = Scale{*y_plot[a], y_axis(axis).log, frame.area.bottom(), frame.area.top()};
  }

  // Then x: fewer ticks until the widest label fits between two of them.
  const std::optional<Range> x = plot_x_range();
  if (!x) return frame;
  frame.x = Scale{*x, false, frame.area.left(), frame.area.right()};
  const bool integral = std::all_of(series_.begin(), series_.end(), [&](const Series& s) {
    return std::all_of(s.points.begin(), s.points.end(),
                       [](const QPointF& p) { return p.x() == std::round(p.x()); });
  });
  for (int max_steps = std::max(2, int(frame.area.width() / metrics.horizontalAdvance("0000")));;
       --max_steps) {
    frame.x_ticks = linear_ticks(x->low, x->high, max_steps, integral ? 1 : 0);
    const double spacing = frame.area.width() * frame.x_ticks.step / (x->high - x->low);
    if (max_steps <= 2 || widest_label(metrics, frame.x_ticks) + 3 * kGap <= spacing) break;
  }
  return frame;
}

void CurvePlot::draw_legend(QPainter& painter, const Frame& frame) const {
  for (const LegendEntry& entry : frame.legend) {
    const double y = entry.row * frame.line, middle = y + frame.line / 2.0;
    double x = entry.x;
    if (entry.colour.isValid()) {
      painter.setPen(QPen(entry.colour, 2));
      painter.drawLine(QPointF(x, middle), QPointF(x + kSwatch, middle));
      x += kSwatch + kGap;
    }
    painter.setPen(palette().text().color());
    painter.drawText(QRectF(x, y, width() - x, frame.line), Qt::AlignLeft | Qt::AlignVCenter,
                     entry.label);
  }
}

void CurvePlot::draw_x_axis(QPainter& painter, const Frame& frame) const {
  const QRectF& area = frame.area;
  const QColor grid = palette().mid().color(), text = palette().text().color();
  for (double v : frame.x_ticks.labelled) {
    const double x = frame.x.pixel(v);
    painter.setPen(with_alpha(grid, 90));
    painter.drawLine(QPointF(x, area.top()), QPointF(x, area.bottom()));
    painter.setPen(grid);
    painter.drawLine(QPointF(x, area.bottom()), QPointF(x, area.bottom() + kTick));
    // Centred under the tick, kept inside the widget.
    const QString label = tick_label(v, frame.x_ticks);
    const double w = painter.fontMetrics().horizontalAdvance(label);
    const double left = std::clamp(x - w / 2, 0.0, width() - w);
    painter.setPen(text);
    painter.drawText(QRectF(left, area.bottom() + kTick + kGap / 2, w, frame.line), Qt::AlignCenter,
                     label);
  }
  painter.setPen(text);
  painter.drawText(QRectF(area.left(), height() - frame.line - 2, area.width(), frame.line),
                   Qt::AlignCenter,
                   painter.fontMetrics().elidedText(x_title_, Qt::ElideRight, area.width()));
}

void CurvePlot::draw_y_axis(QPainter& painter, const Frame& frame, Axis axis) const {
  const int a = static_cast<int>(axis);
  if (!frame.y[a]) return;
  const Scale& scale = *frame.y[a];
  const Ticks& ticks = frame.y_ticks[a];
  const QRectF& area = frame.area;
  const bool left = axis == Axis::Left;
  const double edge = left ? area.left() : area.right(), outward = left ? -1 : 1;
  const QColor grid = palette().mid().color();
  // The right axis draws no gridlines of its own: they would not meet the left one's.
  const bool gridlines = left || !frame.y[0];
  for (double v : ticks.minor) {
    const double y = scale.pixel(v);
    painter.setPen(with_alpha(grid, 35));
    if (gridlines) painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y));
    painter.setPen(grid);
    painter.drawLine(QPointF(edge, y), QPointF(edge + outward * kTick / 2, y));
  }
  for (double v : ticks.labelled) {
    const double y = scale.pixel(v);
    painter.setPen(with_alpha(grid, 90));
    if (gridlines) painter.drawLine(QPointF(area.left(), y), QPointF(area.right(), y));
    painter.setPen(grid);
    painter.drawLine(QPointF(edge, y), QPointF(edge + outward * kTick, y));
    painter.setPen(palette().text().color());
    const double label_edge = edge + outward * (kTick + kGap);
    const QRectF box =
        left ? QRectF(0, y - frame.line / 2.0, label_edge, frame.line)
             : QRectF(label_edge, y - frame.line / 2.0, width() - label_edge, frame.line);
    painter.drawText(box, (left ? Qt::AlignRight : Qt::AlignLeft) | Qt::AlignVCenter,
                     tick_label(v, ticks));
  }
  // The title runs up the outer edge, in its series' colour where that tells the axes apart.
  QColor title_colour = palette().text().color();
  QVector<QColor> colours;
  for (const Series& s : series_)
    if (s.axis == axis && !colours.contains(s.colour)) colours << s.colour;
  if (uses(Axis::Left) && uses(Axis::Right) && colours.size() == 1) title_colour = colours[0];
  painter.save();
  painter.setPen(title_colour);
  painter.translate(left ? frame.line / 2.0 + 1 : width() - frame.line / 2.0 - 1,
                    area.center().y());
  painter.rotate(-90);
  painter.drawText(
      QRectF(-area.height() / 2, -frame.line / 2.0, area.height(), frame.line), Qt::AlignCenter,
      painter.fontMetrics().elidedText(y_axis(axis).title + (scale.log ? " (log)" : ""),
                                       Qt::ElideRight, area.height()));
  painter.restore();
}

void CurvePlot::draw_series(QPainter& painter, const Frame& frame, const Series& series) const {
  const std::optional<Scale>& y = frame.y[static_cast<int>(series.axis)];
  const QVector<QPointF> points = shown_points(series);
  if (!y || points.isEmpty()) return;
  const auto path_of = [&](const std::vector<double>& values) {
    QPainterPath path;
    for (int i = 0; i < points.size(); ++i) {
      const QPointF at(frame.x.pixel(points[i].x()), y->pixel(values[i]));
      i == 0 ? path.moveTo(at) : path.lineTo(at);
    }
    return path;
  };
  std::vector<double> values;
  for (const QPointF& p : points) values.push_back(p.y());
  if (points.size() == 1) {
    painter.setPen(QPen(series.colour, 2));
    painter.setBrush(series.colour);
    painter.drawEllipse(QPointF(frame.x.pixel(points[0].x()), y->pixel(values[0])), 2.5, 2.5);
    painter.setBrush(Qt::NoBrush);
    return;
  }
  if (smoothing_ > 0) {
    painter.setPen(QPen(with_alpha(series.colour, kRawAlpha), 1));
    painter.drawPath(path_of(values));
    values = ema_smooth(values, smoothing_);
  }
  painter.setPen(QPen(series.colour, 2));
  painter.drawPath(path_of(values));
}

void CurvePlot::paintEvent(QPaintEvent*) {
  QPainter painter(this);
  painter.setRenderHint(QPainter::Antialiasing);
  painter.fillRect(rect(), palette().base());
  const Frame frame = layout();
  draw_legend(painter, frame);
  if (!frame.y[0] && !frame.y[1]) {
    painter.setPen(palette().mid().color());
    painter.drawRect(frame.area);
    painter.setPen(palette().text().color());
    painter.drawText(frame.area, Qt::AlignCenter, "no data yet");
    return;
  }
  draw_x_axis(painter, frame);
  for (Axis axis : {Axis::Left, Axis::Right}) draw_y_axis(painter, frame, axis);
  painter.setPen(palette().mid().color());
  painter.drawRect(frame.area);
  painter.save();
  painter.setClipRect(frame.area.adjusted(-1, -1, 1, 1));
  for (const Series& s : series_) draw_series(painter, frame, s);
  if (std::isfinite(marker_)) {
    painter.setPen(QPen(palette().text().color(), 1, Qt::DashLine));
    const double x = frame.x.pixel(marker_);
    painter.drawLine(QPointF(x, frame.area.top()), QPointF(x, frame.area.bottom()));
  }
  painter.restore();
}

}  // namespace erwin::ui
