// CurvePlot and its arithmetic: 1-2-5 ticks over several ranges, decades on a log axis, compact
// tick labels, TensorBoard's debiased smoothing against hand-computed values, a right-axis series
// with its own range, the controls in step with the plot, and the series' colours in the painted
// widget (each axis' curve spanning the plot's height).
#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QImage>
#include <QSlider>
#include <QTest>
#include <algorithm>
#include <cmath>
#include <memory>
#include <vector>

#include "erwin/ui/engine/plot_math.h"
#include "erwin/ui/widgets/curve_plot.h"
#include "erwin/ui/widgets/plot_controls.h"

using erwin::ui::CurvePlot;
using Values = std::vector<double>;

namespace {

const QColor kBlue(31, 119, 180), kRed(214, 39, 40);

void compare_values(const Values& actual, const Values& expected) {
  QCOMPARE(actual.size(), expected.size());
  for (size_t i = 0; i < actual.size(); ++i)
    QVERIFY2(
        std::abs(actual[i] - expected[i]) <= 1e-12 * std::max(1.0, std::abs(expected[i])),
        qPrintable(QString("value %1: %2, expected %3").arg(i).arg(actual[i]).arg(expected[i])));
}

// The rows spanned by pixels of exactly `colour` in columns from `first_column` on, or an empty
// range.
std::pair<int, int> rows_of(const QImage& image, QColor colour, int first_column = 0) {
  int top = image.height(), bottom = -1;
  for (int y = 0; y < image.height(); ++y)
    for (int x = first_column; x < image.width(); ++x)
      if (image.pixelColor(x, y) == colour) top = std::min(top, y), bottom = std::max(bottom, y);
  return {top, bottom};
}

// A velocity-like error on the left axis, a pressure-like one 2000 times larger on the right.
CurvePlot* rollout_like_plot() {
  auto* plot = new CurvePlot;
  plot->resize(420, 260);
  plot->set_axis_titles("step", "velocity RMSE", "pressure RMSE");
  const int velocity = plot->add_series("velocity RMSE", kBlue);
  const int pressure = plot->add_series("pressure RMSE", kRed, CurvePlot::Axis::Right);
  for (int step = 0; step <= 10; ++step) {
    plot->append(velocity, step, 0.01 + 0.03 * step);
    plot->append(pressure, step, 20 + 60 * step);
  }
  return plot;
}

}  // namespace

class TestCurvePlot : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void linear_ticks_step_by_one_two_five_data() {
    QTest::addColumn<double>("low");
    QTest::addColumn<double>("high");
    QTest::addColumn<int>("max_steps");
    QTest::addColumn<double>("min_step");
    QTest::addColumn<Values>("expected");
    QTest::addColumn<double>("step");
    QTest::newRow("unit") << 0.0 << 1.0 << 5 << 0.0 << Values{0, 0.2, 0.4, 0.6, 0.8, 1} << 0.2;
    QTest::newRow("hundred") << 0.0 << 100.0 << 5 << 0.0 << Values{0, 20, 40, 60, 80, 100} << 20.0;
    QTest::newRow("inner") << 0.013 << 0.087 << 4 << 0.0 << Values{0.02, 0.04, 0.06, 0.08} << 0.02;
    QTest::newRow("across zero") << -3.0 << 7.0 << 5 << 0.0 << Values{-2, 0, 2, 4, 6} << 2.0;
    QTest::newRow("five") << 0.0 << 12000.0 << 3 << 0.0 << Values{0, 5000, 10000} << 5000.0;
    QTest::newRow("integer axis") << 0.0 << 3.0 << 10 << 1.0 << Values{0, 1, 2, 3} << 1.0;
    QTest::newRow("steps") << 5.0 << 19955.0 << 9 << 1.0 << Values{5000, 10000, 15000} << 5000.0;
  }
  void linear_ticks_step_by_one_two_five() {
    QFETCH(double, low);
    QFETCH(double, high);
    QFETCH(int, max_steps);
    QFETCH(double, min_step);
    QFETCH(Values, expected);
    QFETCH(double, step);
    const erwin::ui::Ticks ticks = erwin::ui::linear_ticks(low, high, max_steps, min_step);
    compare_values(ticks.labelled, expected);
    QCOMPARE(ticks.step, step);
    QVERIFY(ticks.minor.empty());
  }

  void log_ticks_are_decades() {
    erwin::ui::Ticks ticks = erwin::ui::log_ticks(1e-4, 1, 6);
    compare_values(ticks.labelled, {1e-4, 1e-3, 1e-2, 1e-1, 1});
    QCOMPARE(ticks.minor.size(), size_t{32});  // 2..9 times 1e-4, 1e-3, 1e-2 and 1e-1
    QCOMPARE(ticks.minor.front(), 2e-4);
    QCOMPARE(ticks.minor.back(), 0.9);
    QCOMPARE(ticks.step, 0.0);

    // Fifteen decades in room for five labels: every third decade, the others minor.
    ticks = erwin::ui::log_ticks(1e-12, 1e3, 5);
    compare_values(ticks.labelled, {1e-12, 1e-9, 1e-6, 1e-3, 1, 1e3});
    QCOMPARE(ticks.minor.size(), size_t{10});

    // Under two decades in range: 1, 2 and 5 times them are labelled too.
    ticks = erwin::ui::log_ticks(0.03, 0.8, 6);
    compare_values(ticks.labelled, {0.05, 0.1, 0.2, 0.5});
    QVERIFY(std::find(ticks.minor.begin(), ticks.minor.end(), 0.03) != ticks.minor.end());

    // Two decades: 1-2-5 where there is room, the decades alone where there is not.
    ticks = erwin::ui::log_ticks(0.01, 0.3, 12);
    compare_values(ticks.labelled, {0.01, 0.02, 0.05, 0.1, 0.2});
    ticks = erwin::ui::log_ticks(0.01, 0.3, 2);
    compare_values(ticks.labelled, {0.01, 0.1});
    QCOMPARE(ticks.minor.size(), size_t{10});  // 2..9 times 0.01, 2 and 3 times 0.1

    // Too narrow for that: linear ticks.
    ticks = erwin::ui::log_ticks(0.31, 0.38, 6);
    compare_values(ticks.labelled, {0.32, 0.34, 0.36, 0.38});
  }

  void tick_labels_are_compact() {
    using erwin::ui::compact_number;
    QCOMPARE(compact_number(0), QString("0"));
    QCOMPARE(compact_number(1000), QString("1k"));
    QCOMPARE(compact_number(2500), QString("2.5k"));
    QCOMPARE(compact_number(-1500), QString("-1.5k"));
    QCOMPARE(compact_number(1e6), QString("1M"));
    QCOMPARE(compact_number(0.0025), QString("2.5e-3"));
    QCOMPARE(compact_number(1e-4), QString("1e-4"));
    QCOMPARE(compact_number(0.25), QString("0.25"));
    QCOMPARE(compact_number(12.5), QString("12.5"));
    QCOMPARE(compact_number(1.5e20), QString("1.5e20"));
    // With the ticks' step: the digits that tell neighbours apart, and a true zero.
    QCOMPARE(compact_number(10500, 500), QString("10.5k"));
    QCOMPARE(compact_number(0.30000000000000004, 0.1), QString("0.3"));
    QCOMPARE(compact_number(1e-17, 0.1), QString("0"));
  }

  void smoothing_is_tensorboards_debiased_average() {
    // w = 0.5: ema = 0.5, 1.25, 2.125, 3.0625; debiased by 1 - 0.5^(i+1) = 0.5, 0.75, 0.875,
    // 0.9375.
    compare_values(erwin::ui::ema_smooth({1, 2, 3, 4}, 0.5), {1, 5.0 / 3, 17.0 / 7, 49.0 / 15});
    // w = 0.9 on 10 then 0: ema = 1, 0.9; debiased by 0.1, 0.19.
    compare_values(erwin::ui::ema_smooth({10, 0}, 0.9), {10, 0.9 / 0.19});
    // Debiasing keeps a constant constant from the first point on.
    compare_values(erwin::ui::ema_smooth({2, 2, 2}, 0.99), {2, 2, 2});
    compare_values(erwin::ui::ema_smooth({3, -1, 4}, 0), {3, -1, 4});
    QVERIFY(erwin::ui::ema_smooth({}, 0.6).empty());
  }

  void a_right_axis_series_gets_its_own_range() {
    std::unique_ptr<CurvePlot> plot(rollout_like_plot());
    const auto left = plot->y_range(CurvePlot::Axis::Left);
    const auto right = plot->y_range(CurvePlot::Axis::Right);
    QVERIFY(left && right);
    QVERIFY2(left->low <= 0.01 && left->high >= 0.31 && left->high < 0.4, "left: velocity only");
    QVERIFY2(right->low <= 20 && right->high >= 620 && right->high < 700, "right: pressure only");
    const auto x = plot->x_range();
    QVERIFY(x);
    QCOMPARE(x->low, 0.0);
    QCOMPARE(x->high, 10.0);

    // Each axis has its own scale: a log right axis leaves the left one linear.
    plot->set_log_y(true, CurvePlot::Axis::Right);
    QVERIFY(!plot->log_y(CurvePlot::Axis::Left));
    QVERIFY(plot->y_range(CurvePlot::Axis::Right)->low > 0);

    CurvePlot alone;
    alone.add_series("loss", kBlue);
    alone.append(0, 1, 0.5);
    QVERIFY(alone.y_range(CurvePlot::Axis::Left));
    QVERIFY(!alone.y_range(CurvePlot::Axis::Right));
  }

  void a_log_axis_hides_what_it_cannot_show() {
    CurvePlot plot;
    const int series = plot.add_series("lr", kBlue);
    plot.set_points(series, {{0, 0.0}, {1, 1e-3}, {2, NAN}, {3, 2e-3}});
    QCOMPARE(plot.point_count(series), 3);  // NaN dropped
    plot.set_log_y(true);
    QCOMPARE(plot.point_count(series), 2);  // and 0 not shown on a log axis...
    QCOMPARE(plot.y_range(CurvePlot::Axis::Left)->low > 0, true);
    plot.set_log_y(false);
    QCOMPARE(plot.point_count(series), 3);  // ...but kept
  }

  void each_axis_curve_spans_the_plot() {
    std::unique_ptr<CurvePlot> plot(rollout_like_plot());
    const QImage image = plot->grab().toImage();
    const auto [blue_top, blue_bottom] = rows_of(image, kBlue);
    const auto [red_top, red_bottom] = rows_of(image, kRed);
    // On one shared axis the velocity error would be a flat line along the bottom.
    QVERIFY2(blue_bottom - blue_top > image.height() / 2,
             qPrintable(QString("velocity spans rows %1-%2").arg(blue_top).arg(blue_bottom)));
    QVERIFY2(red_bottom - red_top > image.height() / 2,
             qPrintable(QString("pressure spans rows %1-%2").arg(red_top).arg(red_bottom)));
  }

  void smoothing_draws_the_raw_curve_faint_behind() {
    CurvePlot plot;
    plot.resize(400, 240);
    const int series = plot.add_series("loss", kBlue);
    for (int step = 0; step < 60; ++step) plot.append(series, step, 1 + (step % 2 ? 0.5 : -0.5));
    const QImage raw = plot.grab().toImage();
    plot.set_smoothing(0.9);
    const QImage smoothed = plot.grab().toImage();
    // The zigzag between 0.5 and 1.5 in full colour; smoothed, it settles (right half, away from
    // the legend's swatch) to a line near 1 in full colour over the faint zigzag.
    const int right_half = raw.width() / 2;
    const auto [raw_top, raw_bottom] = rows_of(raw, kBlue, right_half);
    const auto [top, bottom] = rows_of(smoothed, kBlue, right_half);
    QVERIFY2(bottom - top < (raw_bottom - raw_top) / 3,
             qPrintable(QString("smoothed rows %1-%2, raw %3-%4")
                            .arg(top)
                            .arg(bottom)
                            .arg(raw_top)
                            .arg(raw_bottom)));
    int faint = 0;
    for (int y = raw_top; y <= raw_bottom; ++y)
      for (int x = right_half; x < smoothed.width(); ++x) {
        const QColor c = smoothed.pixelColor(x, y);
        faint += c != kBlue && c.blue() > c.red() + 20 && c.red() > 120;  // blue mixed with white
      }
    QVERIFY2(faint > 100, qPrintable(QString("%1 faint pixels").arg(faint)));
  }

  void controls_follow_and_drive_the_plot() {
    CurvePlot plot;
    plot.set_smoothing(erwin::ui::kDefaultSmoothing);
    plot.set_log_y(true);
    erwin::ui::PlotControls controls(&plot);
    QCOMPARE(controls.smoothing_box()->value(), 0.6);
    QCOMPARE(controls.smoothing_slider()->value(), 60);
    QVERIFY(controls.log_box()->isChecked());

    controls.smoothing_slider()->setValue(95);
    QCOMPARE(controls.smoothing_box()->value(), 0.95);
    QCOMPARE(plot.smoothing(), 0.95);
    controls.smoothing_box()->setValue(0);
    QCOMPARE(controls.smoothing_slider()->value(), 0);
    QCOMPARE(plot.smoothing(), 0.0);
    controls.smoothing_box()->setValue(5);  // beyond the range: 0.99, as TensorBoard's slider
    QCOMPARE(plot.smoothing(), 0.99);
    controls.log_box()->setChecked(false);
    QVERIFY(!plot.log_y());
  }
};

QTEST_MAIN(TestCurvePlot)
#include "tst_curve_plot.moc"
