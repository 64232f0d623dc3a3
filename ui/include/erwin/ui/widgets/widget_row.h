#pragma once
// Widgets side by side without margins: one row of a form (QFormLayout::addRow) or a panel.
#include <QHBoxLayout>
#include <QWidget>
#include <initializer_list>

namespace erwin::ui {

inline QHBoxLayout* widget_row(std::initializer_list<QWidget*> widgets) {
  auto* layout = new QHBoxLayout;
  layout->setContentsMargins(0, 0, 0, 0);
  for (QWidget* widget : widgets) layout->addWidget(widget);
  return layout;
}

}  // namespace erwin::ui
