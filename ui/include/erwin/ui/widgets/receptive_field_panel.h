#pragma once
// Dock controls of the receptive field view: on/off (then a click on a point computes its
// receptive field), the model (random initialisation with a seed, or a checkpoint), the depth in
// blocks, the MPNN comparison, and the job's progress with a cancel button.
#include <QWidget>

class QCheckBox;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;

namespace erwin::ui {

class ReceptiveFieldPanel : public QWidget {
  Q_OBJECT
 public:
  explicit ReceptiveFieldPanel(QWidget* parent = nullptr);

  bool enabled() const;
  int depth() const;
  int seed() const;
  bool compare_khop() const;
  QString checkpoint() const { return checkpoint_; }  // empty: random initialisation
  void set_checkpoint(const QString& path);

  void set_busy(bool busy);
  void set_progress(int percent);
  void set_result_text(const QString& text);
  QCheckBox* enable_box() const { return enable_; }
  QSpinBox* depth_box() const { return depth_; }

 Q_SIGNALS:
  void settings_changed();  // recompute for the current node
  void cancel_requested();
  void cleared();  // turned off

 private:
  QCheckBox* enable_;
  QSpinBox *depth_, *seed_;
  QCheckBox* khop_;
  QLabel* model_;
  QPushButton *checkpoint_button_, *random_button_, *cancel_;
  QProgressBar* progress_;
  QLabel* result_;
  QString checkpoint_;
};

}  // namespace erwin::ui
