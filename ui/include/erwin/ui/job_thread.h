#pragma once
// A worker thread for long jobs, one at a time, with the bookkeeping every background task in
// the studio shares: jobs are numbered; starting a new job or cancelling makes the running one
// stale (its worker checks is_current() between stages and its result is dropped on arrival),
// so the GUI thread never waits for it.
#include <QObject>
#include <QThread>
#include <atomic>

namespace erwin::ui {

class JobThread : public QObject {
  Q_OBJECT
 public:
  explicit JobThread(const QString& name, QObject* parent = nullptr);
  ~JobThread() override;  // cancels, lets the running stage end, joins

  // Moves `worker` to the thread; it is deleted when the thread ends.
  void adopt(QObject* worker);

  quint64 start_job();  // the new current job; busy from now on
  // Whether a result of `job` is still wanted: true when it is the current job, which is then
  // finished (not busy any more); false for a stale one, whose result is to be dropped.
  bool take_result(quint64 job);
  void cancel();
  // Thread-safe: still the job the GUI waits for?
  bool is_current(quint64 job) const { return job == current_.load(); }
  bool busy() const { return busy_; }

 Q_SIGNALS:
  void busy_changed(bool busy);

 private:
  void set_busy(bool busy);
  QThread thread_;
  std::atomic<quint64> current_{0};
  bool busy_ = false;
};

}  // namespace erwin::ui
