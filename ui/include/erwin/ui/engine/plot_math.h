#pragma once
// The arithmetic of CurvePlot, free of painting so that tests can check it by hand: "nice" axis
// ticks (1-2-5 steps on a linear axis, decades on a logarithmic one), compact tick labels and
// TensorBoard's smoothing.
#include <QString>
#include <vector>

namespace erwin::ui {

struct Ticks {
  std::vector<double> labelled;  // with a label and a gridline
  std::vector<double> minor;     // a short tick and a faint gridline, no label
  double step = 0;               // between labelled ticks on a linear axis; 0 on a logarithmic one
};

// Multiples of a 1-2-5 step (1, 2, 5, 10, 20, ...) in [low, high]: the smallest such step of at
// least (high - low) / max_steps and of min_step (1 keeps an integer axis on integers).
Ticks linear_ticks(double low, double high, int max_steps, double min_step = 0);

// For 0 < low < high: the powers of ten in range, labelled (every n-th one, the others minor, so
// that labels are at least log10(high / low) / max_steps decades apart), with 2..9 times them as
// minor ticks. A range of fewer than three decades also labels 2x and 5x where there is room; one
// too narrow for that (under two labels) gets linear_ticks.
Ticks log_ticks(double low, double high, int max_steps);

// Short text for a tick: 0, 0.25, 12.5, 1k, 2.5M, 2.5e-3. With step > 0 (of linear ticks) as
// many digits as tell neighbouring ticks apart; otherwise up to 3 significant digits.
QString compact_number(double value, double step = 0);

// TensorBoard's exponential moving average with its debiasing: ema_i = w*ema_{i-1} + (1-w)*y_i
// (ema_-1 = 0), smoothed_i = ema_i / (1 - w^(i+1)). weight 0 returns the values.
std::vector<double> ema_smooth(const std::vector<double>& values, double weight);

}  // namespace erwin::ui
