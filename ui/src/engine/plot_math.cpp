#include "erwin/ui/engine/plot_math.h"

#include <algorithm>
#include <cmath>

namespace erwin::ui {
namespace {

// Relative slack of tick positions, so that a tick at exactly low or high is not lost to rounding.
constexpr double kSlack = 1e-9;

// The smallest 1-2-5 step (times a power of ten) of at least `least`.
double nice_step(double least) {
  const double magnitude = std::pow(10.0, std::floor(std::log10(least)));
  for (double factor : {1.0, 2.0, 5.0})
    if (factor * magnitude >= least * (1 - kSlack)) return factor * magnitude;
  return 10 * magnitude;
}

// More would not be read (and a step tiny beside low could otherwise not advance i).
constexpr size_t kMostTicks = 1000;

// Multiples of step in [low, high], computed from integers so that 0.1 * 3 reads 0.3.
std::vector<double> multiples(double step, double low, double high) {
  const double slack = kSlack * (high - low);
  std::vector<double> values;
  for (double i = std::ceil((low - slack) / step);
       i * step <= high + slack && values.size() < kMostTicks; ++i)
    values.push_back(i == 0 ? 0.0 : i * step);
  return values;
}

// Significant digits that tell multiples of `step` apart around `value`.
int digits_for(double value, double step) {
  if (step <= 0) return 3;
  const int digits =
      static_cast<int>(std::floor(std::log10(std::abs(value))) - std::floor(std::log10(step))) + 1;
  return std::clamp(digits, 1, 15);
}

// printf-style %g without a trailing exponent's padding: 2.5e-03 -> 2.5e-3, 1e+15 -> 1e15.
QString exponent_form(double value, int digits) {
  QString text = QString::number(value, 'e', digits - 1);
  const qsizetype e = text.indexOf('e');
  QString mantissa = text.left(e);
  if (mantissa.contains('.')) {
    while (mantissa.endsWith('0')) mantissa.chop(1);
    if (mantissa.endsWith('.')) mantissa.chop(1);
  }
  const int exponent = text.mid(e + 1).toInt();
  return mantissa + "e" + QString::number(exponent);
}

// Fixed notation with `digits` significant digits (at least those of the integer part), no
// trailing zeros.
QString plain_form(double value, int digits) {
  const int integer_digits = static_cast<int>(std::floor(std::log10(std::abs(value)))) + 1;
  const int decimals = std::max(0, digits - integer_digits);
  QString text = QString::number(value, 'f', decimals);
  if (text.contains('.')) {
    while (text.endsWith('0')) text.chop(1);
    if (text.endsWith('.')) text.chop(1);
  }
  return text;
}

}  // namespace

Ticks linear_ticks(double low, double high, int max_steps, double min_step) {
  if (!(high > low)) return {{low}, {}, 0};
  const double step = std::max(nice_step((high - low) / std::max(1, max_steps)), min_step);
  return {multiples(step, low, high), {}, step};
}

Ticks log_ticks(double low, double high, int max_steps) {
  const double decades = std::log10(high / low);
  const int first = static_cast<int>(std::ceil(std::log10(low) - kSlack));
  const int last = static_cast<int>(std::floor(std::log10(high) + kSlack));
  const int stride =
      std::max(1, static_cast<int>(std::ceil(decades / std::max(1, max_steps) - kSlack)));
  const auto in_range = [&](double v) {
    return v >= low * (1 - kSlack) && v <= high * (1 + kSlack);
  };
  Ticks ticks;
  for (int k = first - 1; k <= last; ++k) {
    const double decade = std::pow(10.0, k);
    if (k >= first) (k % stride == 0 ? ticks.labelled : ticks.minor).push_back(decade);
    if (stride > 1) continue;  // many decades: 2..9 would crowd them
    for (int m = 2; m <= 9; ++m)
      if (in_range(m * decade)) ticks.minor.push_back(m * decade);
  }
  if (ticks.labelled.size() >= 3) return ticks;
  // A decade or two: label 1, 2 and 5 times the powers of ten, where their closest pair (1 and 2,
  // or 5 and 10: log10(2) apart) is as far apart as max_steps allows.
  std::vector<double> one_two_five;
  for (int k = first - 1; k <= last; ++k)
    for (double m : {1.0, 2.0, 5.0})
      if (in_range(m * std::pow(10.0, k))) one_two_five.push_back(m * std::pow(10.0, k));
  if (one_two_five.size() >= 2 && std::log10(2.0) >= decades / std::max(1, max_steps)) {
    std::erase_if(ticks.minor, [&](double v) {
      return std::find(one_two_five.begin(), one_two_five.end(), v) != one_two_five.end();
    });
    ticks.labelled = one_two_five;
    return ticks;
  }
  return ticks.labelled.size() >= 2 ? ticks : linear_ticks(low, high, max_steps);
}

QString compact_number(double value, double step) {
  if (!std::isfinite(value)) return QString::number(value);
  if (value == 0 || (step > 0 && std::abs(value) < kSlack * step)) return "0";
  const int digits = digits_for(value, step);
  const double size = std::abs(value);
  if (size < 1e-2 || size >= 1e15) return exponent_form(value, digits);
  if (size < 1e3) return plain_form(value, digits);
  static const char* const kSuffixes[] = {"k", "M", "G", "T"};
  int power = static_cast<int>(std::floor(std::log10(size) / 3));
  power = std::clamp(power, 1, 4);
  return plain_form(value / std::pow(1000.0, power), digits) + kSuffixes[power - 1];
}

std::vector<double> ema_smooth(const std::vector<double>& values, double weight) {
  std::vector<double> smoothed;
  smoothed.reserve(values.size());
  double ema = 0, weight_power = 1;  // weight_power = w^(i+1) after the update
  for (double y : values) {
    ema = weight * ema + (1 - weight) * y;
    weight_power *= weight;
    smoothed.push_back(weight_power < 1 ? ema / (1 - weight_power) : y);
  }
  return smoothed;
}

}  // namespace erwin::ui
