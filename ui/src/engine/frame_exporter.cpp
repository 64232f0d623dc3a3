#include "erwin/ui/engine/frame_exporter.h"

#include <QBuffer>
#include <QDir>
#include <QTimer>
#include <exception>

#include "erwin/atomic_file.h"

namespace erwin::ui {

FrameExporter::FrameExporter(QObject* parent) : QObject(parent) {}

QString FrameExporter::frame_name(int frame) {
  return QString("frame_%1.png").arg(frame, 4, 10, QChar('0'));
}

void FrameExporter::start(const QString& folder, int count, RenderFrame render) {
  if (busy() || count <= 0) return;
  if (!QDir().mkpath(folder)) {
    Q_EMIT finished(0, folder, "cannot create the folder " + folder);
    return;
  }
  folder_ = folder;
  render_ = std::move(render);
  count_ = count;
  next_ = 0;
  QTimer::singleShot(0, this, &FrameExporter::export_next);
}

void FrameExporter::cancel() {
  if (busy()) end({});
}

void FrameExporter::export_next() {
  if (!busy()) return;  // cancelled
  const QImage image = render_(next_);
  const QString path = QDir(folder_).filePath(frame_name(next_));
  QByteArray png;
  QBuffer buffer(&png);
  buffer.open(QIODevice::WriteOnly);
  if (image.isNull() || !image.save(&buffer, "PNG")) {
    end("could not render frame " + QString::number(next_));
    return;
  }
  try {
    write_file_atomically(path.toStdString(), png.toStdString());
  } catch (const std::exception& e) {
    end(QString::fromStdString(e.what()));
    return;
  }
  ++next_;
  Q_EMIT progress(next_, count_);
  if (next_ == count_) {
    end({});
    return;
  }
  QTimer::singleShot(0, this, &FrameExporter::export_next);
}

void FrameExporter::end(const QString& error) {
  const int written = next_;
  count_ = 0;
  render_ = nullptr;
  Q_EMIT finished(written, folder_, error);
}

}  // namespace erwin::ui
