#pragma once
// "Save frames as PNG": renders frames 0..count-1 (one per turn of the event loop, so the GUI
// keeps painting and a cancel gets through) with a caller-given function and writes each as
// <folder>/frame_0000.png ... atomically.
#include <QImage>
#include <QObject>
#include <QString>
#include <functional>

namespace erwin::ui {

class FrameExporter : public QObject {
  Q_OBJECT
 public:
  using RenderFrame = std::function<QImage(int frame)>;
  explicit FrameExporter(QObject* parent = nullptr);

  // Ignored while busy. The folder is created when missing.
  void start(const QString& folder, int count, RenderFrame render);
  void cancel();
  bool busy() const { return count_ > 0; }
  static QString frame_name(int frame);

 Q_SIGNALS:
  void progress(int done, int total);
  // error is empty on success (and after a cancel, which also reports the frames written).
  void finished(int written, const QString& folder, const QString& error);

 private:
  void export_next();
  void end(const QString& error);

  QString folder_;
  RenderFrame render_;
  int count_ = 0;
  int next_ = 0;
};

}  // namespace erwin::ui
