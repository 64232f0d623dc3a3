#pragma once
// The row of controls next to a CurvePlot of a loss: TensorBoard's smoothing weight (a slider and
// a spin box kept in step, 0 to 0.99) and a logarithmic y axis. They start from the plot's state.
#include <QWidget>

class QCheckBox;
class QDoubleSpinBox;
class QSlider;

namespace erwin::ui {

class CurvePlot;

// TensorBoard's default smoothing weight, where a plot starts.
inline constexpr double kDefaultSmoothing = 0.6;

class PlotControls : public QWidget {
  Q_OBJECT
 public:
  explicit PlotControls(CurvePlot* plot, QWidget* parent = nullptr);

  QSlider* smoothing_slider() const { return slider_; }
  QDoubleSpinBox* smoothing_box() const { return smoothing_; }
  QCheckBox* log_box() const { return log_; }

 private:
  QSlider* slider_;  // in hundredths
  QDoubleSpinBox* smoothing_;
  QCheckBox* log_;
};

}  // namespace erwin::ui
