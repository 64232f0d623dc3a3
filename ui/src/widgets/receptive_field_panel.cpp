#include "erwin/ui/widgets/receptive_field_panel.h"

#include <QCheckBox>
#include <QFileDialog>
#include <QFileInfo>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace erwin::ui {

ReceptiveFieldPanel::ReceptiveFieldPanel(QWidget* parent) : QWidget(parent) {
  enable_ = new QCheckBox("click a point: receptive field");
  enable_->setObjectName("receptiveFieldEnabled");
  depth_ = new QSpinBox;
  depth_->setObjectName("receptiveFieldDepth");
  depth_->setRange(0, 64);
  depth_->setValue(2);
  depth_->setSuffix(" blocks");
  seed_ = new QSpinBox;
  seed_->setRange(0, 1 << 30);
  khop_ = new QCheckBox("compare: MPNN k-hop (k = depth)");
  khop_->setChecked(true);
  model_ = new QLabel("random initialisation");
  model_->setWordWrap(true);
  checkpoint_button_ = new QPushButton("Checkpoint...");
  random_button_ = new QPushButton("Random");
  progress_ = new QProgressBar;
  progress_->setRange(0, 100);
  progress_->setVisible(false);
  cancel_ = new QPushButton("Cancel");
  cancel_->setVisible(false);
  result_ = new QLabel(
      "<span style='color:#ffa040'>&#9632;</span> Erwin &nbsp; "
      "<span style='color:#40a0ff'>&#9632;</span> MPNN &nbsp; "
      "<span style='color:#ffffff'>&#9632;</span> both");
  result_->setWordWrap(true);

  auto* model_buttons = new QHBoxLayout;
  model_buttons->addWidget(random_button_);
  model_buttons->addWidget(checkpoint_button_);
  auto* form = new QFormLayout;
  form->addRow("model", model_);
  form->addRow("", model_buttons);
  form->addRow("seed", seed_);
  form->addRow("depth", depth_);
  auto* busy = new QHBoxLayout;
  busy->addWidget(progress_);
  busy->addWidget(cancel_);
  auto* layout = new QVBoxLayout(this);
  layout->addWidget(enable_);
  layout->addLayout(form);
  layout->addWidget(khop_);
  layout->addLayout(busy);
  layout->addWidget(result_);
  layout->addStretch(1);

  connect(enable_, &QCheckBox::toggled, this, [this](bool on) {
    if (!on) Q_EMIT cleared();
  });
  connect(depth_, qOverload<int>(&QSpinBox::valueChanged), this,
          &ReceptiveFieldPanel::settings_changed);
  connect(seed_, qOverload<int>(&QSpinBox::valueChanged), this,
          &ReceptiveFieldPanel::settings_changed);
  connect(khop_, &QCheckBox::toggled, this, &ReceptiveFieldPanel::settings_changed);
  connect(cancel_, &QPushButton::clicked, this, &ReceptiveFieldPanel::cancel_requested);
  connect(random_button_, &QPushButton::clicked, this, [this] { set_checkpoint({}); });
  connect(checkpoint_button_, &QPushButton::clicked, this, [this] {
    const QString path = QFileDialog::getOpenFileName(this, "Erwin checkpoint", {},
                                                      "Checkpoints (*.pt *.ckpt);;All files (*)");
    if (!path.isEmpty()) set_checkpoint(path);
  });
}

bool ReceptiveFieldPanel::enabled() const { return enable_->isChecked(); }
int ReceptiveFieldPanel::depth() const { return depth_->value(); }
int ReceptiveFieldPanel::seed() const { return seed_->value(); }
bool ReceptiveFieldPanel::compare_khop() const { return khop_->isChecked(); }

void ReceptiveFieldPanel::set_checkpoint(const QString& path) {
  checkpoint_ = path;
  model_->setText(path.isEmpty() ? "random initialisation" : QFileInfo(path).fileName());
  seed_->setEnabled(path.isEmpty());
  Q_EMIT settings_changed();
}

void ReceptiveFieldPanel::set_busy(bool busy) {
  progress_->setVisible(busy);
  cancel_->setVisible(busy);
  if (busy) progress_->setValue(0);
}

void ReceptiveFieldPanel::set_progress(int percent) { progress_->setValue(percent); }
void ReceptiveFieldPanel::set_result_text(const QString& text) { result_->setText(text); }

}  // namespace erwin::ui
