// The Studio's one job mechanism (JobRunner, engine/job_runner.h): a job's progress, posts and
// result reach the GUI thread in order; cancel() stops a running job and nothing of it arrives; a
// job superseded by a newer one has its result, progress and error dropped (and one superseded
// before it began never runs); an exception arrives as failed(message); destroying the runner
// while a job runs returns promptly and delivers nothing.
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>
#include <QThread>
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

#include "erwin/ui/engine/job_runner.h"

using erwin::ui::JobContext;
using erwin::ui::JobRunner;

namespace {

constexpr int kTimeoutMs = 10000;

bool on_gui_thread() { return QThread::currentThread() == QCoreApplication::instance()->thread(); }

void sleep_ms(int ms) { std::this_thread::sleep_for(std::chrono::milliseconds(ms)); }

// Spins until `flag` is set (by the test, from the GUI thread), ignoring cancellation.
void wait_for(const std::atomic<bool>& flag) {
  while (!flag.load()) sleep_ms(2);
}

// Runs until cancelled; marks when it began and when it saw the cancel.
int until_cancelled(JobContext& context, std::atomic<bool>& began, std::atomic<bool>& saw_cancel) {
  began = true;
  while (!context.is_cancelled()) sleep_ms(5);
  saw_cancel = true;
  context.progress(1.0, "after the cancel");  // must not arrive
  return 1;
}

}  // namespace

class TestJobs : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void progress_posts_and_result_arrive_in_order_on_the_gui_thread() {
    JobRunner runner("test");
    QStringList log;  // what arrived, in order
    bool all_on_gui_thread = true;
    connect(&runner, &JobRunner::progress, this, [&](double fraction, const QString& text) {
      all_on_gui_thread &= on_gui_thread();
      log << QString("%1 %2").arg(fraction).arg(text);
    });
    QSignalSpy busy(&runner, &JobRunner::busy_changed);
    QSignalSpy failed(&runner, &JobRunner::failed);
    bool job_on_gui_thread = true;
    runner.start(
        [&job_on_gui_thread, &log, &all_on_gui_thread](JobContext& context) {
          job_on_gui_thread = on_gui_thread();
          for (int i = 1; i <= 10; ++i) {
            context.progress(i / 10.0, "step " + std::to_string(i));
            if (i == 5)
              context.post([&log, &all_on_gui_thread] {
                all_on_gui_thread &= on_gui_thread();
                log << "posted";
              });
          }
          return 42;
        },
        [&](int result) {
          all_on_gui_thread &= on_gui_thread();
          log << QString("result %1").arg(result);
        });
    QVERIFY(runner.busy());
    QTRY_VERIFY_WITH_TIMEOUT(!runner.busy(), kTimeoutMs);
    QVERIFY(!job_on_gui_thread);
    QVERIFY(all_on_gui_thread);
    QStringList expected;
    for (int i = 1; i <= 10; ++i) {
      expected << QString("%1 step %2").arg(i / 10.0).arg(i);
      if (i == 5) expected << "posted";
    }
    expected << "result 42";
    QCOMPARE(log, expected);
    QVERIFY(failed.isEmpty());
    QCOMPARE(busy.count(), 2);
    QCOMPARE(busy.at(0).at(0).toBool(), true);
    QCOMPARE(busy.at(1).at(0).toBool(), false);
  }

  void void_jobs_call_done_without_a_result() {
    JobRunner runner("test");
    std::atomic<bool> ran{false};
    bool done = false;
    runner.start([&ran](JobContext&) { ran = true; }, [&done] { done = true; });
    QTRY_VERIFY_WITH_TIMEOUT(done, kTimeoutMs);
    QVERIFY(ran);
    QVERIFY(!runner.busy());
  }

  void cancel_stops_a_running_job_and_delivers_nothing() {
    JobRunner runner("test");
    QSignalSpy progress(&runner, &JobRunner::progress);
    QSignalSpy failed(&runner, &JobRunner::failed);
    std::atomic<bool> began{false}, saw_cancel{false};
    bool delivered = false;
    runner.start([&](JobContext& context) { return until_cancelled(context, began, saw_cancel); },
                 [&delivered](int) { delivered = true; });
    QTRY_VERIFY_WITH_TIMEOUT(began, kTimeoutMs);
    QTest::qWait(50);
    QVERIFY(!saw_cancel);  // it runs until cancelled
    runner.cancel();
    QVERIFY(!runner.busy());
    QTRY_VERIFY_WITH_TIMEOUT(saw_cancel, kTimeoutMs);
    QTest::qWait(200);  // what it still reported or returned would have arrived by now
    QVERIFY(!delivered);
    QVERIFY(progress.isEmpty());
    QVERIFY(failed.isEmpty());

    // A job ending itself with throw_if_cancelled() reports no error either.
    began = false;
    runner.start(
        [&began](JobContext& context) {
          began = true;
          while (true) {
            context.throw_if_cancelled();
            sleep_ms(5);
          }
          return 0;
        },
        [&delivered](int) { delivered = true; });
    QTRY_VERIFY_WITH_TIMEOUT(began, kTimeoutMs);
    runner.cancel();
    QTest::qWait(200);
    QVERIFY(!delivered);
    QVERIFY(failed.isEmpty());
  }

  void a_superseded_jobs_result_and_progress_are_dropped() {
    JobRunner runner("test");
    QStringList progress_texts;
    connect(&runner, &JobRunner::progress, this,
            [&progress_texts](double, const QString& text) { progress_texts << text; });
    std::atomic<bool> began_a{false}, release_a{false}, a_saw_cancel{false}, a_returned{false};
    std::atomic<bool> ran_b{false};
    QStringList results;
    runner.start(
        [&](JobContext& context) {
          began_a = true;
          wait_for(release_a);  // ignores the cancel: it runs to its end
          a_saw_cancel = context.is_cancelled();
          context.progress(0.5, "A late");
          a_returned = true;
          return QString("A");
        },
        [&results](QString result) { results << result; });
    QTRY_VERIFY_WITH_TIMEOUT(began_a, kTimeoutMs);
    // B is queued behind A, and C behind B: B is superseded before it begins and never runs.
    runner.start(
        [&ran_b](JobContext&) {
          ran_b = true;
          return QString("B");
        },
        [&results](QString result) { results << result; });
    runner.start(
        [](JobContext& context) {
          context.progress(1.0, "C");
          return QString("C");
        },
        [&results](QString result) { results << result; });
    release_a = true;
    QTRY_VERIFY_WITH_TIMEOUT(!runner.busy(), kTimeoutMs);
    QTest::qWait(100);
    QVERIFY(a_returned);
    QVERIFY(a_saw_cancel);
    QVERIFY(!ran_b);
    QCOMPARE(results, QStringList{"C"});
    QCOMPARE(progress_texts, QStringList{"C"});
  }

  void an_exception_becomes_an_error_message() {
    JobRunner runner("test");
    QSignalSpy failed(&runner, &JobRunner::failed);
    bool delivered = false;
    runner.start(
        [](JobContext&) -> int {
          throw std::runtime_error("cloud.npy: field 'pos' has 2 columns, expected 3");
        },
        [&delivered](int) { delivered = true; });
    QVERIFY(failed.wait(kTimeoutMs));
    QCOMPARE(failed.first().at(0).toString(),
             QString("cloud.npy: field 'pos' has 2 columns, expected 3"));
    QVERIFY(!delivered);
    QVERIFY(!runner.busy());

    // The error of a job superseded meanwhile is dropped like its result.
    std::atomic<bool> began{false}, release{false};
    runner.start(
        [&](JobContext&) -> int {
          began = true;
          wait_for(release);
          throw std::runtime_error("stale failure");
        },
        [&delivered](int) { delivered = true; });
    QTRY_VERIFY_WITH_TIMEOUT(began, kTimeoutMs);
    int result = 0;
    runner.start([](JobContext&) { return 7; }, [&result](int r) { result = r; });
    release = true;
    QTRY_COMPARE_WITH_TIMEOUT(result, 7, kTimeoutMs);
    QTest::qWait(100);
    QCOMPARE(failed.count(), 1);
    QVERIFY(!delivered);
  }

  void destroying_the_runner_while_a_job_runs_returns_promptly() {
    std::atomic<bool> began{false}, saw_cancel{false};
    bool delivered = false;
    auto* runner = new JobRunner("test");
    QSignalSpy progress(runner, &JobRunner::progress);
    runner->start(
        [&](JobContext& context) {
          began = true;
          while (!context.is_cancelled()) {
            context.progress(0.5, "running");
            sleep_ms(5);
          }
          saw_cancel = true;
          return 1;
        },
        [&delivered](int) { delivered = true; });
    QTRY_VERIFY_WITH_TIMEOUT(began && progress.count() > 3, kTimeoutMs);
    QElapsedTimer timer;
    timer.start();
    delete runner;
    const qint64 ms = timer.elapsed();
    qInfo("destroying the runner of a running job took %lld ms", static_cast<long long>(ms));
    QVERIFY(saw_cancel);  // the job has returned: the worker thread is joined
    QVERIFY(ms < 2000);
    QTest::qWait(100);  // queued reports of the job must not reach the deleted runner
    QVERIFY(!delivered);

    // A job that never looks at is_cancelled() is waited for, and its result dropped.
    began = false;
    runner = new JobRunner("test");
    runner->start(
        [&began](JobContext&) {
          began = true;
          sleep_ms(300);
          return 2;
        },
        [&delivered](int) { delivered = true; });
    QTRY_VERIFY_WITH_TIMEOUT(began, kTimeoutMs);
    delete runner;
    QTest::qWait(100);
    QVERIFY(!delivered);
  }
};

QTEST_GUILESS_MAIN(TestJobs)
#include "tst_jobs.moc"
