#include "erwin/ui/background_task.h"

#include <QThread>
#include <exception>
#include <memory>

namespace erwin::ui {

void run_in_background(QObject* context, const QString& name, std::function<void()> work,
                       std::function<void(const QString& error)> done) {
  auto error = std::make_shared<QString>();
  QThread* thread = QThread::create([work = std::move(work), error] {
    try {
      work();
    } catch (const std::exception& e) {
      *error = QString::fromStdString(e.what());
    }
  });
  thread->setObjectName(name);
  QObject::connect(thread, &QThread::finished, context,
                   [done = std::move(done), error] { done(*error); });
  QObject::connect(thread, &QThread::finished, thread, &QObject::deleteLater);
  thread->start();
}

}  // namespace erwin::ui
