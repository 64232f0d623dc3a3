// The receptive-field job runs off the GUI thread (a JobRunner), finishes, and marks at least the
// clicked node itself (Erwin and the MPNN k-hop neighbourhood); a deeper model sees no fewer
// points.
#include <QSignalSpy>
#include <QTest>
#include <optional>

#include "erwin/ui/engine/demo_scene.h"
#include "erwin/ui/engine/job_runner.h"
#include "erwin/ui/engine/receptive_field_job.h"
#include "test_support.h"

using namespace erwin::ui;

namespace {

ReceptiveFieldRequest request_for(const torch::Tensor& pos, int64_t node, int64_t depth) {
  ReceptiveFieldRequest request;
  request.pos = pos;
  request.node = node;
  request.depth = depth;
  request.config = default_receptive_field_config(pos.size(0), pos.size(1), 45.0);
  request.seed = 11;
  return request;
}

void start(JobRunner& runner, const ReceptiveFieldRequest& request,
           std::optional<ReceptiveFieldResult>& result) {
  runner.start([request](JobContext& context) { return compute_receptive_field(request, context); },
               [&result](ReceptiveFieldResult r) { result = std::move(r); });
}

std::optional<ReceptiveFieldResult> run(JobRunner& runner, const ReceptiveFieldRequest& request) {
  QSignalSpy failed(&runner, &JobRunner::failed);
  std::optional<ReceptiveFieldResult> result;
  start(runner, request, result);
  if (!QTest::qWaitFor([&] { return result || !failed.isEmpty(); }, 300000) || !result)
    qWarning() << "receptive field failed:" << failed.value(0).value(0).toString();
  return result;
}

}  // namespace

class TestReceptiveField : public QObject {
  Q_OBJECT

 private Q_SLOTS:
  void worker_marks_the_node_itself() {
    const torch::Tensor pos = demo_mesh_2d(20, 40).pos;  // 800 points, 2D
    JobRunner runner("receptive field");
    QSignalSpy progress(&runner, &JobRunner::progress);
    const int64_t node = 123;
    const std::optional<ReceptiveFieldResult> shallow = run(runner, request_for(pos, node, 1));
    QVERIFY(shallow.has_value());
    QVERIFY(!runner.busy());
    QVERIFY(progress.count() > 0);
    QCOMPARE(shallow->erwin.size(0), pos.size(0));
    QVERIFY(shallow->erwin[node].item<bool>());
    QVERIFY(shallow->khop[node].item<bool>());
    QVERIFY(shallow->block_count > 1);

    const std::optional<ReceptiveFieldResult> deep =
        run(runner, request_for(pos, node, shallow->block_count));
    QVERIFY(deep.has_value());
    QVERIFY(deep->erwin.sum().item<int64_t>() >= shallow->erwin.sum().item<int64_t>());
    QVERIFY(deep->khop.sum().item<int64_t>() >= shallow->khop.sum().item<int64_t>());
  }

  void bad_node_is_reported() {
    const torch::Tensor pos = demo_mesh_2d(10, 20).pos;
    JobRunner runner("receptive field");
    QSignalSpy failed(&runner, &JobRunner::failed);
    std::optional<ReceptiveFieldResult> result;
    start(runner, request_for(pos, pos.size(0) + 5, 1), result);
    QVERIFY(failed.wait(60000));
    QVERIFY(!result);
    QVERIFY(failed.first().first().toString().contains("node"));
  }
};

QTEST_MAIN(TestReceptiveField)
#include "tst_receptive_field.moc"
