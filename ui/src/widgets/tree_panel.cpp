#include "erwin/ui/widgets/tree_panel.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QSignalBlocker>
#include <QSlider>
#include <QSpinBox>
#include <QToolButton>
#include <QVBoxLayout>
#include <algorithm>
#include <stdexcept>

namespace erwin::ui {
namespace {

using Setting = StudioState::Setting;

// The tree depth and what it means: a ball at level k holds 2^k slots.
QString level_text(int level) {
  return QString::fromUtf8("level %1 \u00b7 balls of %2").arg(level).arg(int64_t{1} << level);
}

// Where a model configuration's encoder levels sit in the tree, the one at `level` in bold.
QString model_text(const std::vector<ModelLevel>& model, int level) {
  QStringList parts;
  for (size_t i = 0; i < model.size(); ++i) {
    const ModelLevel& m = model[i];
    QString part = QString("encoder %1: %2 nodes").arg(i).arg(m.ball_size);
    if (m.points_per_node > 1) part += QString(" of %1 points").arg(m.points_per_node);
    part += m.tree_level >= 0 ? QString(" = level %1").arg(m.tree_level) : QString(" (no level)");
    parts << (m.tree_level == level ? "<b>" + part + "</b>" : part);
  }
  return "model: " + parts.join(", ");
}

QComboBox* choice_box(const char* name, const std::vector<std::string>& items) {
  auto* box = new QComboBox;
  box->setObjectName(name);
  for (const std::string& item : items) box->addItem(QString::fromStdString(item));
  return box;
}

QCheckBox* check_box(const char* name, const QString& text) {
  auto* box = new QCheckBox(text);
  box->setObjectName(name);
  return box;
}

// Moves `widget` to `value` without it reporting the move back to the state.
template <class Widget, class Owner, class Argument, class Value>
void show_value(Widget* widget, void (Owner::*setter)(Argument), Value value) {
  const QSignalBlocker blocker(widget);
  (widget->*setter)(value);
}

}  // namespace

TreePanel::TreePanel(StudioState& state, QWidget* parent) : QWidget(parent), state_(state) {
  level_ = new QSlider(Qt::Horizontal);
  level_->setObjectName("levelSlider");
  level_->setRange(0, 0);
  level_->setPageStep(1);
  level_->setTickPosition(QSlider::TicksBelow);
  level_label_ = new QLabel(level_text(0));
  level_label_->setObjectName("levelLabel");
  model_label_ = new QLabel;
  model_label_->setObjectName("modelLevels");
  model_label_->setWordWrap(true);
  model_label_->setTextFormat(Qt::RichText);
  cloud_ = new QSpinBox;
  cloud_->setObjectName("cloud");
  cloud_->setKeyboardTracking(false);
  cloud_label_ = new QLabel("cloud");
  spheres_ = check_box("spheres", "ball spheres");
  hulls_ = check_box("hulls", "ball convex hulls");
  centres_ = check_box("centres", "pooled nodes (ball centres)");
  padding_ = check_box("padding", "padding slots");
  view_ = choice_box("treeView",
                     {"original tree", "rotated tree", "side by side", "overlay: rotated ball"});
  angle_ = new QDoubleSpinBox;
  angle_->setObjectName("rotationAngle");
  angle_->setRange(0.0, StudioState::kMaxAngle);  // SPEC §2: 0 disables the rotated tree
  angle_->setDecimals(1);
  angle_->setSuffix(" deg");
  angle_->setKeyboardTracking(false);
  statistics_ = new QLabel;
  statistics_->setObjectName("statistics");
  statistics_->setTextFormat(Qt::RichText);
  statistics_->setWordWrap(true);
  statistics_->setAlignment(Qt::AlignTop | Qt::AlignLeft);

  auto* form = new QFormLayout;
  form->addRow(cloud_label_, cloud_);
  form->addRow(build_time_row());
  // The level's text grows with the ball size: its own row, so that it is never clipped.
  form->addRow(level_label_);
  form->addRow(level_);
  form->addRow(model_label_);
  form->addRow("tree", view_);
  form->addRow("rotation", angle_);
  auto* layout = new QVBoxLayout(this);
  layout->addLayout(form);
  layout->addWidget(spheres_);
  layout->addWidget(hulls_);
  layout->addWidget(centres_);
  layout->addWidget(padding_);
  layout->addWidget(build_display_group());
  layout->addWidget(statistics_, 1);

  for (int setting = 0; setting <= static_cast<int>(Setting::Camera); ++setting)
    show_state(static_cast<Setting>(setting));
  show_clouds();
  connect_controls();
  subscription_ = state_.subscribe([this](Setting setting) { show_state(setting); });
}

TreePanel::~TreePanel() { state_.unsubscribe(subscription_); }

QGroupBox* TreePanel::build_display_group() {
  point_size_ = new QDoubleSpinBox;
  point_size_->setObjectName("pointSize");
  point_size_->setRange(0.0, StudioState::kMaxPointSize);
  point_size_->setDecimals(1);
  point_size_->setSingleStep(1.0);
  point_size_->setSuffix(" px");
  point_size_->setSpecialValueText("automatic");  // 0
  point_size_->setKeyboardTracking(false);
  spheres_points_ = check_box("spheresPoints", "points as lit spheres");
  colouring_ = choice_box("colouring", {"ball", "ball order (colour map)"});
  colour_map_ = choice_box("colourMap", StudioState::colour_map_names());
  range_ =
      choice_box("range", {"min to max", "1st to 99th percentile", "symmetric about 0", "fixed"});
  range_low_ = new QDoubleSpinBox;
  range_high_ = new QDoubleSpinBox;
  for (QDoubleSpinBox* box : {range_low_, range_high_}) {
    box->setRange(-1e12, 1e12);
    box->setDecimals(4);
    box->setKeyboardTracking(false);
  }
  range_low_->setObjectName("rangeLow");
  range_high_->setObjectName("rangeHigh");
  auto* range_boxes = new QHBoxLayout;
  range_boxes->addWidget(range_low_);
  range_boxes->addWidget(range_high_);
  clip_ = choice_box(
      "clip", {"off", "x (keep +x side)", "y (keep +y side)", "z (keep +z side)", "as dragged"});
  clip_->setToolTip("Clip plane through the data's centre; drag it in the view");
  legend_ = check_box("legend", "legend");
  axes_ = check_box("axes", "orientation axes");
  scale_bar_ = check_box("scaleBar", "scale bar");
  auto* group = new QGroupBox("Display");
  auto* form = new QFormLayout(group);
  form->addRow("point size", point_size_);
  form->addRow(spheres_points_);
  form->addRow("colour by", colouring_);
  form->addRow("colour map", colour_map_);
  form->addRow("field range", range_);
  form->addRow(range_boxes);
  form->addRow("clip plane", clip_);
  auto* overlays = new QHBoxLayout;
  overlays->addWidget(legend_);
  overlays->addWidget(axes_);
  overlays->addWidget(scale_bar_);
  form->addRow(overlays);
  return group;
}

QWidget* TreePanel::build_time_row() {
  time_row_ = new QWidget;
  time_ = new QSlider(Qt::Horizontal);
  time_->setObjectName("timeSlider");
  time_->setPageStep(10);
  play_ = new QToolButton;
  play_->setObjectName("play");
  play_->setCheckable(true);
  play_->setText(QString::fromUtf8("\u25b6"));
  play_->setToolTip("Play the time series");
  time_label_ = new QLabel;
  time_label_->setObjectName("timeLabel");
  auto* row = new QHBoxLayout;
  row->addWidget(play_);
  row->addWidget(time_, 1);
  auto* layout = new QVBoxLayout(time_row_);
  layout->setContentsMargins(0, 0, 0, 0);
  layout->addWidget(time_label_);
  layout->addLayout(row);
  time_row_->setVisible(false);
  return time_row_;
}

void TreePanel::apply(const std::function<void()>& set, Setting setting) {
  try {
    set();
  } catch (const std::invalid_argument&) {
    show_state(setting);  // the widgets' ranges follow the state's, so this is rare
  }
}

void TreePanel::connect_controls() {
  StudioState& s = state_;
  connect(level_, &QSlider::valueChanged, this,
          [this, &s](int level) { apply([&] { s.set_level(level); }, Setting::Level); });
  connect(cloud_, qOverload<int>(&QSpinBox::valueChanged), this,
          [this, &s](int cloud) { apply([&] { s.set_cloud(cloud - 1); }, Setting::Cloud); });
  connect(view_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [&s](int index) { s.set_view(static_cast<TreeView>(index)); });
  connect(angle_, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
          [this, &s](double degrees) { apply([&] { s.set_angle(degrees); }, Setting::Angle); });
  const auto bind = [this](QCheckBox* box, void (StudioState::*setter)(bool)) {
    connect(box, &QCheckBox::toggled, this, [this, setter](bool on) { (state_.*setter)(on); });
  };
  bind(spheres_, &StudioState::set_spheres);
  bind(hulls_, &StudioState::set_hulls);
  bind(centres_, &StudioState::set_centres);
  bind(padding_, &StudioState::set_padding);
  bind(spheres_points_, &StudioState::set_points_as_spheres);
  bind(legend_, &StudioState::set_legend);
  bind(axes_, &StudioState::set_axes);
  bind(scale_bar_, &StudioState::set_scale_bar);
  connect(point_size_, qOverload<double>(&QDoubleSpinBox::valueChanged), this,
          [this, &s](double pixels) {
            // The spin box steps from "automatic" (0) to 1 px and back.
            apply([&] { s.set_point_size(pixels > 0 && pixels < 1 ? 1.0 : pixels); },
                  Setting::PointSize);
          });
  connect(colouring_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this, &s](int index) {
    if (index < 2)
      s.set_colouring(static_cast<Colouring>(index));
    else
      apply([&] { s.set_field(s.limits().fields.at(index - 2)); }, Setting::Colouring);
  });
  connect(range_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          &TreePanel::set_range_from_boxes);
  for (QDoubleSpinBox* box : {range_low_, range_high_})
    connect(box, qOverload<double>(&QDoubleSpinBox::valueChanged), this, [this] {
      if (range_->currentIndex() == static_cast<int>(RangeMode::Fixed)) set_range_from_boxes();
    });
  connect(clip_, qOverload<int>(&QComboBox::currentIndexChanged), this, [this, &s](int index) {
    static const char* const kPlanes[] = {"off", "x", "y", "z"};
    if (index < 4) apply([&] { s.set("clip", kPlanes[index]); }, Setting::Clip);
  });
  connect(time_, &QSlider::valueChanged, this,
          [this, &s](int frame) { apply([&] { s.set_time(frame); }, Setting::Time); });
  connect(play_, &QToolButton::toggled, this, [&s](bool on) { s.set_playing(on); });
  connect(colour_map_, qOverload<int>(&QComboBox::currentIndexChanged), this,
          [&s](int index) { s.set_colour_map(static_cast<ColourMap>(index)); });
}

void TreePanel::show_state(Setting setting) {
  const StudioState& s = state_;
  switch (setting) {
    case Setting::Cloud:
      return show_clouds();
    case Setting::Level:
    case Setting::Model:
      show_value(level_, &QSlider::setValue, s.level());
      level_label_->setText(level_text(s.level()));
      model_label_->setText(model_text(s.model(), s.level()));
      model_label_->setVisible(!s.model().empty());
      return;
    case Setting::View:
      return show_value(view_, &QComboBox::setCurrentIndex, int(s.view()));
    case Setting::Angle:
      return show_value(angle_, &QDoubleSpinBox::setValue, s.angle());
    case Setting::Spheres:
      return show_value(spheres_, &QCheckBox::setChecked, s.spheres());
    case Setting::Hulls:
      return show_value(hulls_, &QCheckBox::setChecked, s.hulls());
    case Setting::Centres:
      return show_value(centres_, &QCheckBox::setChecked, s.centres());
    case Setting::Padding:
      return show_value(padding_, &QCheckBox::setChecked, s.padding());
    case Setting::PointSize:
      return show_value(point_size_, &QDoubleSpinBox::setValue, s.point_size());
    case Setting::PointsAsSpheres:
      return show_value(spheres_points_, &QCheckBox::setChecked, s.points_as_spheres());
    case Setting::Colouring:
      return show_colouring();
    case Setting::Range:
      return show_range();
    case Setting::Time:
      return show_time();
    case Setting::Playing:
      return show_value(play_, &QToolButton::setChecked, s.playing());
    case Setting::Clip: {
      const std::string plane = s.get("clip");
      const int index = plane == "off" ? 0
                        : plane == "x" ? 1
                        : plane == "y" ? 2
                        : plane == "z" ? 3
                                       : 4;
      return show_value(clip_, &QComboBox::setCurrentIndex, index);
    }
    case Setting::ColourMap:
      return show_value(colour_map_, &QComboBox::setCurrentIndex, int(s.colour_map()));
    case Setting::Legend:
      return show_value(legend_, &QCheckBox::setChecked, s.legend());
    case Setting::Axes:
      return show_value(axes_, &QCheckBox::setChecked, s.axes());
    case Setting::ScaleBar:
      return show_value(scale_bar_, &QCheckBox::setChecked, s.scale_bar());
    case Setting::Source:
    case Setting::Camera:
      return;
  }
}

void TreePanel::set_tree(int max_level, bool has_rotation) {
  {
    const QSignalBlocker blocker(level_);
    level_->setRange(0, max_level);
  }
  show_state(Setting::Level);
  show_clouds();
  view_->setEnabled(has_rotation);
}

void TreePanel::set_range_from_boxes() {
  const auto mode = static_cast<RangeMode>(range_->currentIndex());
  apply([&] { state_.set_range(mode, range_low_->value(), range_high_->value()); }, Setting::Range);
}

void TreePanel::show_colouring() {
  const auto& fields = state_.limits().fields;
  const auto field = std::find(fields.begin(), fields.end(), state_.field());
  const int index = state_.colouring() != Colouring::Field
                        ? static_cast<int>(state_.colouring())
                        : 2 + static_cast<int>(field - fields.begin());
  show_value(colouring_, &QComboBox::setCurrentIndex, index);
  range_->setEnabled(state_.colouring() == Colouring::Field);
}

void TreePanel::show_range() {
  show_value(range_, &QComboBox::setCurrentIndex, static_cast<int>(state_.range_mode()));
  const bool fixed = state_.range_mode() == RangeMode::Fixed;
  range_low_->setEnabled(fixed);
  range_high_->setEnabled(fixed);
  if (fixed) show_field_range({state_.range_low(), state_.range_high()});
}

void TreePanel::show_field_range(std::pair<double, double> range) {
  show_value(range_low_, &QDoubleSpinBox::setValue, range.first);
  show_value(range_high_, &QDoubleSpinBox::setValue, range.second);
}

void TreePanel::show_time() {
  const int64_t count = std::max<int64_t>(state_.limits().frame_count, 1);
  {
    const QSignalBlocker blocker(time_);
    time_->setRange(0, static_cast<int>(count - 1));
    time_->setValue(static_cast<int>(state_.time()));
  }
  time_label_->setText(QString("%1 %2 of %3").arg(frame_word_).arg(state_.time() + 1).arg(count));
  time_row_->setVisible(count > 1);
}

void TreePanel::set_data(const PointSet& data) {
  frame_word_ = QString::fromStdString(data.frame_word);
  {
    const QSignalBlocker blocker(colouring_);
    while (colouring_->count() > 2) colouring_->removeItem(2);
    for (const std::string& field : state_.limits().fields)
      colouring_->addItem(QString::fromStdString(field));
  }
  show_colouring();
  show_time();
}

void TreePanel::show_clouds() {
  const QSignalBlocker blocker(cloud_);
  const int64_t count = std::max<int64_t>(state_.limits().cloud_count, 1);
  cloud_->setRange(1, static_cast<int>(count));
  cloud_->setValue(static_cast<int>(state_.cloud()) + 1);
  cloud_->setSuffix(QString(" of %1").arg(count));
  cloud_->setVisible(count > 1);
  cloud_label_->setVisible(count > 1);
}

void TreePanel::set_statistics(const QString& text) { statistics_->setText(text); }

}  // namespace erwin::ui
