#include "erwin/ui/widgets/plot_controls.h"

#include <QCheckBox>
#include <QDoubleSpinBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <cmath>

#include "erwin/ui/widgets/curve_plot.h"

namespace erwin::ui {

PlotControls::PlotControls(CurvePlot* plot, QWidget* parent)
    : QWidget(parent),
      slider_(new QSlider(Qt::Horizontal)),
      smoothing_(new QDoubleSpinBox),
      log_(new QCheckBox("log scale")) {
  const QString tip =
      "TensorBoard's smoothing: an exponential moving average of this weight, debiased at the "
      "start; the raw curve stays faint behind the smoothed one";
  slider_->setRange(0, 99);
  slider_->setValue(static_cast<int>(std::lround(plot->smoothing() * 100)));
  slider_->setToolTip(tip);
  smoothing_->setObjectName("plotSmoothing");
  smoothing_->setRange(0, 0.99);
  smoothing_->setSingleStep(0.05);
  smoothing_->setDecimals(2);
  smoothing_->setValue(plot->smoothing());
  smoothing_->setToolTip(tip);
  log_->setObjectName("plotLogScale");
  log_->setChecked(plot->log_y());
  log_->setToolTip("A logarithmic y axis");

  auto* layout = new QHBoxLayout(this);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(new QLabel("smoothing"));
  layout->addWidget(slider_, 1);
  layout->addWidget(smoothing_);
  layout->addSpacing(12);
  layout->addWidget(log_);
  connect(slider_, &QSlider::valueChanged, this,
          [this](int hundredths) { smoothing_->setValue(hundredths / 100.0); });
  connect(smoothing_, &QDoubleSpinBox::valueChanged, this, [this, plot](double weight) {
    const QSignalBlocker blocker(slider_);
    slider_->setValue(static_cast<int>(std::lround(weight * 100)));
    plot->set_smoothing(weight);
  });
  connect(log_, &QCheckBox::toggled, this, [plot](bool log) { plot->set_log_y(log); });
}

}  // namespace erwin::ui
