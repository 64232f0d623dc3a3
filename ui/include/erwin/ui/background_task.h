#pragma once
// A one-off piece of work in a thread of its own (data generation, exports): `work` runs there;
// afterwards `done` runs in `context`'s thread with an empty message on success, else the
// exception's message. When `context` is gone by then, `done` is not called.
#include <QObject>
#include <QString>
#include <functional>

namespace erwin::ui {

void run_in_background(QObject* context, const QString& name, std::function<void()> work,
                       std::function<void(const QString& error)> done);

}  // namespace erwin::ui
