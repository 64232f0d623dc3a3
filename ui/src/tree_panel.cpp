#include "erwin/ui/tree_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QVBoxLayout>

#include "erwin/ui/scene_tree.h"

namespace erwin::ui {
namespace {

// The tree depth and what it means: a ball at level k holds 2^k slots.
QString level_text(int level) {
  return QString::fromUtf8("level %1 \u00b7 balls of %2").arg(level).arg(int64_t{1} << level);
}

}  // namespace

TreePanel::TreePanel(QWidget* parent) : QWidget(parent) {
  level_ = new QSlider(Qt::Horizontal);
  level_->setObjectName("levelSlider");
  level_->setRange(0, 0);
  level_->setPageStep(1);
  level_->setTickPosition(QSlider::TicksBelow);
  level_label_ = new QLabel(level_text(0));
  level_label_->setObjectName("levelLabel");
  cloud_ = new QSpinBox;
  cloud_->setObjectName("cloud");
  cloud_->setKeyboardTracking(false);
  cloud_label_ = new QLabel("cloud");
  spheres_ = new QCheckBox("ball spheres");
  hulls_ = new QCheckBox("ball convex hulls");
  centres_ = new QCheckBox("pooled nodes (ball centres)");
  padding_ = new QCheckBox("padding slots");
  view_ = new QComboBox;
  view_->setObjectName("treeView");
  view_->addItems({"original tree", "rotated tree", "side by side", "overlay: rotated ball"});
  angle_ = new QDoubleSpinBox;
  angle_->setObjectName("rotationAngle");
  angle_->setRange(0.0, 180.0);  // SPEC §2: 0 disables the rotated tree
  angle_->setDecimals(1);
  angle_->setSuffix(" deg");
  angle_->setValue(45.0);
  angle_->setKeyboardTracking(false);
  statistics_ = new QLabel;
  statistics_->setObjectName("statistics");
  statistics_->setTextFormat(Qt::RichText);
  statistics_->setWordWrap(true);
  statistics_->setAlignment(Qt::AlignTop | Qt::AlignLeft);

  auto* form = new QFormLayout;
  form->addRow(cloud_label_, cloud_);
  // The level's text grows with the ball size: its own row, so that it is never clipped.
  form->addRow(level_label_);
  form->addRow(level_);
  form->addRow("tree", view_);
  form->addRow("rotation", angle_);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(spheres_);
  layout->addWidget(hulls_);
  layout->addWidget(centres_);
  layout->addWidget(padding_);
  layout->addWidget(statistics_, 1);

  connect(level_, &QSlider::valueChanged, this, [this](int level) {
    level_label_->setText(level_text(level));
    Q_EMIT level_changed(level);
  });
  connect(cloud_, qOverload<int>(&QSpinBox::valueChanged), this,
          [this](int cloud) { Q_EMIT cloud_changed(cloud - 1); });
  connect(view_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [this](int index) { Q_EMIT view_changed(static_cast<TreeView>(index)); });
  connect(angle_, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
          &TreePanel::angle_changed);
  connect(spheres_, &QCheckBox::toggled, this, &TreePanel::spheres_toggled);
  connect(hulls_, &QCheckBox::toggled, this, &TreePanel::hulls_toggled);
  connect(centres_, &QCheckBox::toggled, this, &TreePanel::centres_toggled);
  connect(padding_, &QCheckBox::toggled, this, &TreePanel::padding_toggled);
  set_clouds(1, 0);
}

void TreePanel::set_tree(const SceneTree* tree, int level) {
  const QSignalBlocker blocker(level_);
  level_->setRange(0, tree ? static_cast<int>(tree->max_level) : 0);
  level_->setValue(level);
  level_label_->setText(level_text(level_->value()));
  view_->setEnabled(tree != nullptr);
}

void TreePanel::set_statistics(const QString& text) { statistics_->setText(text); }

void TreePanel::set_clouds(int64_t count, int64_t current) {
  const QSignalBlocker blocker(cloud_);
  cloud_->setRange(1, static_cast<int>(count));
  cloud_->setValue(static_cast<int>(current) + 1);
  cloud_->setSuffix(QString(" of %1").arg(count));
  cloud_->setVisible(count > 1);
  cloud_label_->setVisible(count > 1);
}

int TreePanel::level() const { return level_->value(); }
TreeView TreePanel::view() const { return static_cast<TreeView>(view_->currentIndex()); }
void TreePanel::set_view(TreeView view) { view_->setCurrentIndex(static_cast<int>(view)); }
double TreePanel::angle() const { return angle_->value(); }

void TreePanel::set_angle(double degrees) {
  const QSignalBlocker blocker(angle_);
  angle_->setValue(degrees);
}

}  // namespace erwin::ui
